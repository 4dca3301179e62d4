// Package access owns the domain of an access request: who is asking (the requester and their
// relationship to the client), for which client, on what evidence, and the request's life cycle.
// It validates what arrives from outside, decides every change of a request (each method takes
// the decision and the time and returns the new state and the events that must follow, through
// the transitions table), and holds the words people read for its values. It does no I/O.
package access
