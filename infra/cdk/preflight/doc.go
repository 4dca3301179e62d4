// Command preflight checks, with the deploy credentials, what a deployment needs from the AWS
// account and region that the settings alone cannot show: the SES identity and the account's SES
// sandbox and sending rate, the Lambda concurrency quota, API Gateway's account-wide CloudWatch
// logging role (which the stack would silently replace), and the API certificate. It reads the
// same settings as the CDK app (infra/cdk/settings), as strictly as `make deploy` does, and only
// reads from the account: every call is a Get, Describe or List.
//
// `make preflight` runs it. Each check prints one line, ok, warn or FAIL, and a FAIL says what to
// do about it; the command exits non-zero on any FAIL.
package main
