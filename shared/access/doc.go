// Package access owns the domain of an access request: who is asking (the requester and their
// relationship to the client), for which client, on what evidence, and the request's life cycle.
// It validates what arrives from outside and decides every change: each method of Request takes
// the decision and the time and returns the new state and the events that must follow, moving
// only through the transitions table. It also says what an evidence file's scan facts add up to,
// when a grant gives access, the checks of the four facts a published document carries
// (DocumentFields), and the words people read for its values. It does no I/O.
package access
