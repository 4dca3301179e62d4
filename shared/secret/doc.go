// Package secret owns every value that must never be logged or stored in the clear: tokens in links,
// continuation tokens, session tokens and sign-in codes. A Secret prints as "[redacted]" through fmt,
// slog and JSON; only its Hash is stored, and comparisons are constant time. A Key (HMAC-SHA-256)
// hashes what is too short to store under a plain hash, a six-digit sign-in code: its text lives in
// Secrets Manager, never in the table, and it prints as "[redacted]" too.
package secret
