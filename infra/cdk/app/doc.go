// Command app synthesizes the AWS stack. The CDK CLI runs it (cdk.json: go run ./app); every
// deployment setting (infra/cdk/settings) comes from CDK context (-c key=value) or, failing that,
// the environment.
package main
