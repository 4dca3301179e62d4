// Command load is a bounded load test of the local stack on loopback (`make load`).
//
// It owns the scenarios and their checks: sign-in code requests (answers padded to at least
// 800 ms, so their throughput is bounded by concurrency), document lists by people signed in
// through the real API, the portal's pages from the site (the start page, and for those people
// their client list and a client's document list: pages per second and percentiles, pages.go),
// and access-request submissions from distinct addresses; then the rate
// limits: the sixth request from one email within the hour, the sixth attempt at a sign-in code,
// the sixth code emailed to one address, and (on a stack it started itself, where it sets the
// limit) new requests from one source address; last, a sign-in flood from one source (codes and
// guesses past its limits, flood.go) beside other sources asking for codes and the document-list
// readers: 429 with Retry-After for the flooding source past its limits and nowhere else, and the
// lists' p50/p95 and errors during the flood printed beside those without it. People connect from
// loopback addresses of their own (127.3.x.y), as they would from their own connections, so the
// sign-in's per-source limits meet only the flood; the overall code ceiling (500 an hour) is met
// above about N=450. Each scenario sends a fixed number of requests at
// a fixed concurrency and starts no new request after its time bound; the whole run has a
// deadline. It prints requests, throughput, latency percentiles, status counts and errors per
// scenario, and exits 1 on anything unexpected: a 5xx, a 429 where none belongs, a missing 429 (or
// Retry-After) where one must come, or a transport error.
//
// By default it starts its own stack (infra/local/stack) on free loopback ports with a throw-away
// data directory; with -api it targets one already running (`make run`), reaching its mailbox and
// DynamoDB to sign people in and seed their grants and documents. Every address must be loopback.
package main
