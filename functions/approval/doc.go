// Command approval serves the staff review pages: GET/POST /review/{token} and
// GET /review/{token}/evidence/{evidenceId}. A reviewer opens the link from their "ready for review"
// email, sees the request, its evidence and its history, records security checks, and approves,
// rejects, asks for more information, or ends an approved request's access. Pages are plain HTML
// forms (GOV.UK Design System patterns) that work without JavaScript; GET never changes anything.
package main
