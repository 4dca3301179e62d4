// Command notify delivers the outbox: every email the other functions queued, at least once, with
// retries and backoff, parking an email that keeps failing. It also turns each person's pending
// new-documents notice into one email once they have had no new document for a quiet period (or
// at the latest a maximum delay after the first), paces SES to the account's send rate, and records
// SES's bounce and complaint feedback so that no email goes to a suppressed address.
package main
