// Package settings owns the deployment settings of the AWS stack: their names (a CDK context key
// and an environment variable each), the example values that let `make synth` work on a fresh
// checkout, and how they become a checked cdk.StackProps. The CDK app (infra/cdk/app) and the
// account preflight (infra/cdk/preflight) both read them here, so they see the same deployment.
package settings
