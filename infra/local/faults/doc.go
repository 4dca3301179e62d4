// Package faults is a small reverse proxy, in-process on 127.0.0.1, that the local stack can put in
// front of a local AWS service (DynamoDB Local, the S3 front, the SES mailbox). It passes requests
// through and counts them by AWS operation; on demand it fails a configured share of them with a
// given answer instead of passing them on: a throttling error the SDK recognises as such, or a
// server error. Tests use it to make "SES fail a share of calls"; the billing benchmark uses its
// counters to report AWS requests per document.
//
// A failed request never reaches the service, as when AWS throttles: the caller may safely retry.
// Failures are spread evenly and deterministically (share 0.25 fails exactly every fourth matching
// request), so a test's outcome does not depend on luck.
//
// Two kinds of fault are about time and about what a caller cannot know. A Delay stalls a request
// (the caller's own timeout usually ends it first: a time-out). A fault let Through reaches the
// service, which acts on it, and only then is its answer lost or delayed: the write was made but
// the caller was told it failed, or was never told (Stall, LostAnswer, LateAnswer). A rule can be
// scoped to requests containing given strings (Rule.Contains: an id, an address), so one test's
// fault meets only its own requests and not those of the other functions running beside it.
package faults
