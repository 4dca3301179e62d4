// Package contract holds the OpenAPI 3.1 description of the API (openapi.yaml), the contract the
// portal frontend, the back office and staff depend on. Tests check that it names exactly the routes
// the wiring serves, and the end-to-end tests validate every request they send and every response
// they get against it, so the description cannot drift from the handlers. `make run` serves it.
package contract
