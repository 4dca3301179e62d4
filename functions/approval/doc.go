// Command approval serves the staff workspace at /staff: sign-in with the council's identity
// provider (staff.go, oidc.go) and sign-out, the queue, and each request's review page, where a
// reviewer sees the request, its evidence and history, records security checks, and approves,
// rejects, asks for more information, or ends an approved request's access. The staff session and
// its roles authorise every page, and whatever is recorded is recorded in the signed-in person's
// name; the "ready for review" email links here with no token. Pages are plain HTML forms (GOV.UK
// Design System patterns) without JavaScript; GET changes nothing.
package main
