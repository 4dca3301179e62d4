// Package stack runs the whole system on one machine, from the wiring description: DynamoDB Local,
// the S3 front with its GuardDuty stand-in, the SES mailbox, every function's real binary behind the
// local Lambda Runtime API, the API gateway, and the schedule. `make run` and the end-to-end tests
// both start it through Start; nothing in it is known to the functions, which only see the same
// environment variables the AWS stack sets, plus the SDK's standard endpoint variables.
package stack
