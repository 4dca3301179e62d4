// Package webtest owns what the functions' tests need to drive a Lambda proxy handler as the portal's
// browser would: the API Gateway event a request arrives as, a cookie-keeping browser over a page
// handler that checks every answer carries the page headers, and the checks of a page's answer. It is
// imported only by tests (_test.go files); no function links it.
package webtest
