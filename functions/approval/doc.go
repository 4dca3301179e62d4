// Command approval serves the staff workspace at /staff: sign-in with the council's identity
// provider (staff.go, oidc.go) and sign-out, the queue with a look-up by a request's short reference
// (find.go), each request's page, and each client's page (client.go). A reviewer sees a request, its
// evidence, history and the current grants for its client reference, records security checks, and
// approves, rejects, asks for more information, ends a grant or changes its end date; support and
// information governance read the same pages without evidence files or forms. The staff session
// and its roles authorise every page, and whatever is recorded is recorded in the signed-in person's
// name; the "ready for review" email links here with no token. Pages are GOV.UK Frontend in
// shared/page's staff layout, its navigation showing each role only its sections (nav.go), plain
// HTML forms that work without JavaScript; GET changes nothing.
//
// Every page and action is audited (audit.go) before it is shown or handed out. Information
// governance alone reads the audit trail by client or person between dates, as a page or a CSV
// file (auditpage.go, auditcsv.go), and exports everything held about a person as one zip behind a
// 15-minute link (export.go).
//
// Support alone has the person pages (person.go): a search by address or surname prefix, each
// person's account, emails, requests and grants, and the fixes support makes (clear a suppression,
// send a new invitation or confirmation email, sign the person out everywhere, unlock their
// sign-in), each audited before it is made.
package main
