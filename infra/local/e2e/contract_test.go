package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/contract"
)

var (
	routerOnce sync.Once
	router     routers.Router
	routerErr  error
)

func contractRouter(t *testing.T) routers.Router {
	t.Helper()
	routerOnce.Do(func() {
		var doc *openapi3.T
		if doc, routerErr = contract.Load(context.Background()); routerErr != nil {
			return
		}
		// The API as the tests call it (no prefix), and on the site under /api.
		doc.Servers = openapi3.Servers{{URL: stk.APIURL}, {URL: portal + wiring.APIPrefix}}
		for _, item := range doc.Paths.Map() {
			if len(item.Servers) > 0 { // the pages, which sit on the site
				item.Servers = openapi3.Servers{{URL: portal}}
			}
		}
		router, routerErr = gorillamux.NewRouter(doc)
	})
	if routerErr != nil {
		t.Fatalf("contract: %v", routerErr)
	}
	return router
}

// checkContract holds every exchange with the API to the OpenAPI description: every response must
// be one the description allows, and a request the description forbids must not succeed.
func checkContract(t *testing.T, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	t.Helper()
	route, params, err := contractRouter(t).FindRoute(req)
	if err != nil {
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("contract: %s %s is not described, yet answered %d", req.Method, req.URL.Path, resp.StatusCode)
		}
		return
	}
	ctx := context.Background()
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil && resp.StatusCode < 400 {
		t.Errorf("contract: %s %s answered %d to a request the description forbids: %v", req.Method, route.Path, resp.StatusCode, err)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("contract: %s %s answered %d, which the description does not allow: %v", req.Method, route.Path, resp.StatusCode, err)
	}
}
