// Command local runs the whole system on this machine (`make run`): every function's real binary
// behind the local Lambda Runtime API, the API gateway, S3 with its GuardDuty stand-in, DynamoDB
// Local, the SES mailbox and the schedule. Ctrl-C stops everything. Data stays in .local/data.
package main
