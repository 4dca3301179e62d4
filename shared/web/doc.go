// Package web owns the HTTP conventions of the API and the pages as seen from a Lambda proxy
// handler: each function's route table and the preamble its routes share (time to answer in,
// request logging), reading JSON bodies strictly and pages' forms, answering with JSON, RFC 9457
// problem details or a 303 after a form, the browser protections (JSON content type and the
// portal's Origin on every state change), cookies and request ids. No error body ever carries
// internal detail: handlers log the cause and answer a problem.
package web
