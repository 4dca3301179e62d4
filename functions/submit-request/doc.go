// Command submit-request serves the access-request routes: create a request with its upload forms,
// submit it once the files are uploaded, and show its status to the holder of its continuation token.
package main
