// Package access owns the domain of an access request: who is asking (the requester and their
// relationship to the client), for which client, on what evidence, and the request's life cycle.
// It validates what arrives from outside and decides every change: each method of Request takes
// the decision and the time and returns the new state and the events that must follow, moving
// only through the transitions table. It also says what an evidence file's scan facts add up to,
// when a grant gives access, the checks of the four facts a published document carries
// (DocumentFields), and the words people read for its values. A request made through the pages
// starts as a draft that tells nobody, is confirmed (sent) once, or expires (draft.go); every
// request has a short reference people read out (reference.go). It does no I/O.
package access
