// Package apigw is the local API Gateway: a REST API with Lambda proxy integrations.
//
// New returns an http.Handler that matches each request to a route template ("/review/{token}",
// greedy "{proxy+}" too), turns it into the events.APIGatewayProxyRequest that API Gateway would
// send, invokes the route's function, and turns its events.APIGatewayProxyResponse back into HTTP.
//
// What it keeps of API Gateway:
//   - path is passed as received (still percent-encoded); path parameters and query strings are
//     decoded; headers and queries come both single-valued (the last value) and multi-valued; query
//     maps are null when there is no query;
//   - the body is text, or base64 with isBase64Encoded when its media type is one of BinaryMediaTypes
//     (the REST API's binaryMediaTypes, which the AWS stack must set to the same list);
//   - the body is capped at 10 MiB (413); the integration at 29 s (504);
//   - headers and multiValueHeaders of the response are merged, so several Set-Cookie all arrive;
//     Content-Type defaults to application/json;
//   - a function error or a malformed response is 502 {"message": "Internal server error"}, a timeout
//     504 {"message": "Endpoint request timed out"}.
//
// Where it differs, on purpose: an unknown path is 404 {"message":"Not Found"} and a known path with
// another method 405 with Allow (API Gateway says 403 "Missing Authentication Token" for both).
// Header names reach the function in Go's canonical form (API Gateway keeps the client's case):
// functions must read headers case-insensitively, as they must in AWS anyway.
//
// Each request is logged as one line: method, route template, status, duration, request id. Never the
// path's values, the query, headers or body: they carry tokens and personal data.
package apigw
