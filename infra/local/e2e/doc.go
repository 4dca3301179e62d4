// Package e2e tests the system end to end through the local stack: real function binaries behind
// the local Lambda Runtime API, the API gateway, S3 with the GuardDuty stand-in and ClamAV, DynamoDB
// Local and the SES mailbox, driven over HTTP as the portal, a browser and a reviewer would.
// TestMain starts one stack on free loopback ports for the package and stops it afterwards.
package e2e
