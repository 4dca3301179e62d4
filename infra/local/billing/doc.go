// Command billing plays the council's four-weekly billing run against the running local stack
// (`make run`): it gives sample people access to sample clients (written straight into the table),
// drops N realistic sample PDFs with their metadata under inbound/ in the documents bucket, shows
// progress as it goes (a bar on a terminal, plain lines otherwise), and then reports how many were
// published, rejected and notified, reading the table and the mailbox.
//
//	go run ./infra/local/billing -n 12000
//
// A share of the documents (-bad) is dropped with a fault a back-office export can have (a CSV
// instead of a PDF, a missing date, an unknown type, a malformed client reference), to show them
// rejected. BenchmarkBillingRun (billing_test.go) runs the same plan through a stack of its own and
// adds request counts and an estimated AWS cost.
package main
