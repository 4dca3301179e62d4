// Command billing plays the council's four-weekly billing run against the running local stack
// (`make run`), as the billing system's export would: it gives sample people access to sample
// clients (SeedBenchmarkGrants, written straight into the table, not the request-and-approval journey),
// exports N realistic sample PDFs and a manifest.csv listing them (export.go), and sends them as
// one batch, batches/billing/<run>/, over SFTP with the stack's sample key (by default) or straight
// to S3 (-s3). It shows progress as it goes (a bar on a terminal, plain lines otherwise), waits for
// the batch's report in batches/billing/reports/, and reports how many were published, refused and
// notified, reading the report and the mailbox.
//
//	go run ./infra/local/billing -n 12000        # make publish-sample N=12000
//	go run ./infra/local/billing -n 200 -s3      # make publish-sample N=200 S3=1
//
// A share of the documents (-bad) is exported with a fault a back-office export can have (a CSV
// instead of a PDF, a missing date, an unknown type, a malformed client reference), to show them
// refused in the report. BenchmarkBillingRun (billing_test.go) sends the same kind of run as a batch
// with its manifest, over S3 and over SFTP, through a stack of its own, and adds request counts and
// an estimated AWS cost (`make bench-billing N=...`). Grants are made by SeedBenchmarkGrants, a
// seeding step for the benchmark and this sample only, never a journey test.
package main
