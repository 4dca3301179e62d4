// Command approval serves the staff pages. GET/POST /review/{token} and its evidence: a reviewer
// opens the link from their "ready for review" email, sees the request, its evidence and history,
// records security checks, and approves, rejects, asks for more information, or ends an approved
// request's access. /staff is the staff workspace: sign-in with the council's identity provider
// (staff.go, oidc.go), the queue, and each request's review page under the staff session. Pages
// are plain HTML forms (GOV.UK Design System patterns) without JavaScript; GET changes nothing.
package main
