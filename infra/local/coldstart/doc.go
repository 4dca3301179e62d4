// Command coldstart measures every function's cold start behind the local Lambda Runtime API, beside
// a hello-world aws-lambda-go binary built the same way in the same run, and reports the ratios
// against the budget (1.5x). `make bench` runs it. Each function answers a cheap first event that
// needs no AWS call (a refused or ignored request, or for notify an SES delivery notice, which it
// records nothing for), so the numbers are start-up, not I/O; expire, which runs whatever it is
// sent, makes its run's Queries against an empty table served in the process.
package main
