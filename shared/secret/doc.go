// Package secret owns every value that must never be logged or stored in the clear: tokens in links,
// continuation tokens, session tokens and sign-in codes. A Secret prints as "[redacted]" through fmt,
// slog and JSON; only its Hash is stored, and comparisons are constant time.
package secret
