// Package access owns the domain of an access request: who is asking (the requester and their
// relationship to the client), for which client, on what evidence, and the request's life cycle.
// It validates what arrives from outside and says which status changes are allowed. It does no I/O.
package access
