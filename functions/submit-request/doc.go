// Command submit-request serves the access-request routes: create a request with its upload forms,
// submit it once the files are uploaded, and show its status to the holder of its continuation token.
// It also serves the pages of the same journey (pages.go, files.go): the questions, the evidence
// uploads, "check your answers", the confirmation, and the status, "more information" and "I lost
// my link" pages the emails lead to.
package main
