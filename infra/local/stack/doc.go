// Package stack runs the whole system on one machine, from the wiring description: DynamoDB Local,
// the S3 front with its GuardDuty stand-in, the SES mailbox, every function's real binary behind the
// local Lambda Runtime API, the API gateway, and the schedule. `make run` and the end-to-end tests
// both start it through Start; nothing in it is known to the functions, which only see the same
// environment variables the AWS stack sets, plus the SDK's standard endpoint variables. Like the AWS
// stack's failed-events queue, it keeps the S3 events a function still failed after Lambda's retries
// (GET /failed-events on the Lambda port) and sends them again on request (make redrive).
package stack
