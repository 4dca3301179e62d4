// Package ses sends rendered emails through Amazon SES (v2), each with the brand's contact address
// as its Reply-To. It is apart from package mail so that only the functions that send (notify, and
// account for sign-in codes) link the SES client: its package initialisation is a measurable share
// of every other function's cold start.
package ses
