// Command submit-request serves the access-request routes: create a request with its upload forms,
// submit it once the files are uploaded, and show its status to the holder of its continuation token.
// It also serves the pages of the same journey (pages.go, files.go): the questions, the evidence
// uploads, "check your answers", the confirmation, and the status, "more information" and "I lost
// my link" pages the emails lead to, and withdrawing a request not yet decided (withdraw.go). For a signed-in person (the account function's session
// cookie) it lists their own requests (/requests, mine.go), opens each one's status page without
// the emailed link, and fills in the details page from the session: the address is the session's,
// shown and not asked, so no link or form field can make a request from someone else's address.
package main
