// Package stack runs the whole system on one machine, from the wiring description: DynamoDB Local,
// the S3 front with its GuardDuty stand-in, the SES mailbox, an SFTP server for the sample sending
// system (SampleSender) whose root is its batches/<system>/ folder, every function's real binary
// behind the local Lambda Runtime API, the API gateway, and the schedule. The gateway serves the whole site at
// the portal's address (pages at /, the API at /api, as the AWS custom domain does) and the API alone,
// without the prefix, at the API address (:3000) for the tests and curl. `make run` and the end-to-end tests
// both start it through Start; nothing in it is known to the functions, which only see the same
// environment variables the AWS stack sets, plus the SDK's standard endpoint variables. Like the AWS
// stack's failed-events queue, it keeps the S3 events a function still failed after Lambda's retries
// (GET /failed-events on the Lambda port) and sends them again on request (make redrive). A small
// secret store answers the functions' Secrets Manager calls (GetSecretValue) from DataDir/secrets
// (.local/data/secrets for make run), as Secrets Manager does in AWS.
package stack
