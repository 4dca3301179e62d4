package webtest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/council/cfp/shared/web"
)

// Origin is the portal's address the tests configure their handlers with: a browser's state
// changes carry it.
const Origin = "https://portal.council.example"

// Handler is a function's handler: one method over API Gateway's proxy event.
type Handler interface {
	Handle(context.Context, web.Request) (web.Response, error)
}

// Request builds the event API Gateway sends for a request from the portal in a browser: the path
// with its {params} filled in, Origin and a JSON content type on state changes, the cookie when
// there is one.
func Request(method, resource string, params map[string]string, body any, cookie string) web.Request {
	path := resource
	for k, v := range params {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	r := web.Request{
		HTTPMethod: method, Resource: resource, Path: path, PathParameters: params,
		Headers: map[string]string{"User-Agent": "TestBrowser/1.0"},
		RequestContext: events.APIGatewayProxyRequestContext{RequestID: "req-1",
			Identity: events.APIGatewayRequestIdentity{SourceIP: "192.0.2.10", UserAgent: "TestBrowser/1.0"}},
	}
	if method != http.MethodGet {
		r.Headers["Origin"] = Origin
	}
	if body != nil {
		b, _ := json.Marshal(body)
		r.Body = string(b)
		r.Headers["Content-Type"] = "application/json"
	}
	if cookie != "" {
		r.Headers["Cookie"] = cookie
	}
	return r
}

// Browser sends a page handler's requests as a browser would: its cookies, forms with their fields.
// Every answer must carry the page headers (no-store, the page's policy, no CORS) and neither a
// trace nor a problem document, or the test fails there.
type Browser struct {
	T    testing.TB
	H    Handler
	Jar  map[string]string // cookie name to value, as the handler set them
	Last web.Response      // the last answer, whose form Submit posts
}

// NewBrowser is a browser with no cookies over h (pass a pointer where the test changes the
// handler afterwards).
func NewBrowser(t testing.TB, h Handler) *Browser {
	return &Browser{T: t, H: h, Jar: map[string]string{}}
}

// Do sends one request for a route (resource with {params}) and keeps the cookies it sets.
func (b *Browser) Do(method, resource string, params, query map[string]string, form url.Values) web.Response {
	b.T.Helper()
	r := Request(method, resource, params, nil, "")
	r.QueryStringParameters = query
	path := r.Path
	// A page's Origin comes with its form: a bare POST is the one a forger's page would send.
	delete(r.Headers, "Origin")
	if form != nil {
		r.Body = form.Encode()
		r.Headers["Content-Type"] = "application/x-www-form-urlencoded"
		r.Headers["Origin"] = Origin
	}
	var c []string
	for k, v := range b.Jar {
		c = append(c, k+"="+v)
	}
	if len(c) > 0 {
		r.Headers["Cookie"] = strings.Join(c, "; ")
	}
	resp, err := b.H.Handle(context.Background(), r)
	if err != nil {
		b.T.Fatal(err)
	}
	sets := resp.MultiValueHeaders["Set-Cookie"]
	if s := resp.Headers["Set-Cookie"]; s != "" {
		sets = append(sets, s)
	}
	for _, s := range sets {
		kv, attrs, _ := strings.Cut(s, ";")
		k, v, _ := strings.Cut(kv, "=")
		if v == "" || strings.Contains(attrs, "Max-Age=0") {
			delete(b.Jar, k)
		} else {
			b.Jar[k] = v
		}
	}
	if cc := resp.Headers["Cache-Control"]; cc != "no-store" {
		b.T.Fatalf("%s %s: Cache-Control %q", method, path, cc)
	}
	if resp.Headers["Access-Control-Allow-Origin"] != "" {
		b.T.Fatalf("%s %s: a page answered with CORS headers", method, path)
	}
	if resp.StatusCode != http.StatusSeeOther && !strings.Contains(resp.Headers["Content-Security-Policy"], "default-src 'none'") {
		b.T.Fatalf("%s %s: %d without the page headers: %v", method, path, resp.StatusCode, resp.Headers)
	}
	if strings.Contains(resp.Body, "goroutine") || strings.Contains(resp.Body, "application/problem") {
		b.T.Fatalf("%s %s: a trace or a problem: %s", method, path, MainOf(resp.Body))
	}
	b.Last = resp
	return resp
}

// Get opens a page.
func (b *Browser) Get(resource string, query map[string]string) web.Response {
	b.T.Helper()
	return b.Do(http.MethodGet, resource, nil, query, nil)
}

var (
	csrfRE   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	hiddenRE = regexp.MustCompile(`type="hidden" name="([^"]+)" value="([^"]*)"`)
)

// CSRF is the anti-forgery field's value on a page, "" when it has none.
func CSRF(body string) string {
	if m := csrfRE.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// Submit posts the last page's form with fields, as a browser would: with the page's anti-forgery
// field and the hidden fields it carries (an invitation, a link's token), fields overriding them.
func (b *Browser) Submit(resource string, fields map[string]string) web.Response {
	b.T.Helper()
	form := url.Values{}
	for _, h := range hiddenRE.FindAllStringSubmatch(b.Last.Body, -1) {
		form.Set(h[1], h[2])
	}
	if token := CSRF(b.Last.Body); token != "" {
		form.Set("csrf", token)
	}
	for k, v := range fields {
		form.Set(k, v)
	}
	return b.Do(http.MethodPost, resource, nil, nil, form)
}

// WantStatus fails the test unless the answer has the status, and the location where one is given.
func WantStatus(t testing.TB, resp web.Response, status int, location string) {
	t.Helper()
	if resp.StatusCode != status || location != "" && resp.Headers["Location"] != location {
		t.Fatalf("answer %d %q, want %d %q: %s", resp.StatusCode, resp.Headers["Location"], status, location, MainOf(resp.Body))
	}
}

// WantError fails the test unless a form answered 400 with the error summary naming the problem.
func WantError(t testing.TB, resp web.Response, message string) {
	t.Helper()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, "govuk-error-summary") ||
		!strings.Contains(resp.Body, "<title>Error: ") || !strings.Contains(resp.Body, message) {
		t.Fatalf("want the error summary with %q, got %d: %s", message, resp.StatusCode, MainOf(resp.Body))
	}
}

// MainOf is a page's main content, what a failing test shows of it.
func MainOf(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if i := strings.Index(body, "</main>"); i >= 0 {
		body = body[:i]
	}
	return body
}
