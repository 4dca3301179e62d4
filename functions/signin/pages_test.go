package main

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// browser sends the pages' requests as a browser would: its cookies, forms with their fields.
type browser struct {
	t    *testing.T
	f    *fixture
	jar  map[string]string
	last web.Response
}

func (f *fixture) browser(t *testing.T) *browser {
	return &browser{t: t, f: f, jar: map[string]string{}}
}

// do sends one request for a page and keeps the cookies it sets.
func (b *browser) do(method, path string, query map[string]string, form url.Values) web.Response {
	b.t.Helper()
	r := web.Request{HTTPMethod: method, Resource: path, Path: path, QueryStringParameters: query,
		Headers: map[string]string{"User-Agent": "TestBrowser/1.0"},
		RequestContext: events.APIGatewayProxyRequestContext{RequestID: "req-1",
			Identity: events.APIGatewayRequestIdentity{SourceIP: "192.0.2.10", UserAgent: "TestBrowser/1.0"}}}
	if form != nil {
		r.Body = form.Encode()
		r.Headers["Content-Type"] = "application/x-www-form-urlencoded"
		r.Headers["Origin"] = origin
	}
	var c []string
	for k, v := range b.jar {
		c = append(c, k+"="+v)
	}
	if len(c) > 0 {
		r.Headers["Cookie"] = strings.Join(c, "; ")
	}
	resp, err := b.f.h.Handle(bg, r)
	if err != nil {
		b.t.Fatal(err)
	}
	sets := resp.MultiValueHeaders["Set-Cookie"]
	if s := resp.Headers["Set-Cookie"]; s != "" {
		sets = append(sets, s)
	}
	for _, s := range sets {
		kv, attrs, _ := strings.Cut(s, ";")
		k, v, _ := strings.Cut(kv, "=")
		if v == "" || strings.Contains(attrs, "Max-Age=0") {
			delete(b.jar, k)
		} else {
			b.jar[k] = v
		}
	}
	if cc := resp.Headers["Cache-Control"]; cc != "no-store" {
		b.t.Fatalf("%s %s: Cache-Control %q", method, path, cc)
	}
	if resp.Headers["Access-Control-Allow-Origin"] != "" {
		b.t.Fatalf("%s %s: a page answered with CORS headers", method, path)
	}
	if resp.StatusCode != http.StatusSeeOther && !strings.Contains(resp.Headers["Content-Security-Policy"], "default-src 'none'") {
		b.t.Fatalf("%s %s: %d without the page headers: %v", method, path, resp.StatusCode, resp.Headers)
	}
	if strings.Contains(resp.Body, "goroutine") || strings.Contains(resp.Body, "application/problem") {
		b.t.Fatalf("%s %s: a trace or a problem: %s", method, path, mainOf(resp.Body))
	}
	b.last = resp
	return resp
}

func (b *browser) get(path string, query map[string]string) web.Response {
	b.t.Helper()
	return b.do("GET", path, query, nil)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// submit posts the last page's form with fields, as a browser would.
func (b *browser) submit(path string, fields map[string]string) web.Response {
	b.t.Helper()
	form := url.Values{}
	if m := csrfRE.FindStringSubmatch(b.last.Body); m != nil {
		form.Set("csrf", m[1])
	}
	for k, v := range fields {
		form.Set(k, v)
	}
	return b.do("POST", path, nil, form)
}

func wantStatus(t *testing.T, resp web.Response, status int, location string) {
	t.Helper()
	if resp.StatusCode != status || location != "" && resp.Headers["Location"] != location {
		t.Fatalf("answer %d %q, want %d %q: %s", resp.StatusCode, resp.Headers["Location"], status, location, mainOf(resp.Body))
	}
}

// wantError checks a form answered 400 with the error summary naming the problem.
func wantError(t *testing.T, resp web.Response, message string) {
	t.Helper()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, "govuk-error-summary") ||
		!strings.Contains(resp.Body, "<title>Error: ") || !strings.Contains(resp.Body, message) {
		t.Fatalf("want the error summary with %q, got %d: %s", message, resp.StatusCode, mainOf(resp.Body))
	}
}

// mainOf is a page's main content, what a failing test shows of it.
func mainOf(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if i := strings.Index(body, "</main>"); i >= 0 {
		body = body[:i]
	}
	return body
}

func newPages(t *testing.T) *fixture {
	f := newFixture(t)
	f.h.Insecure = true
	return f
}

func TestPagesSignInWithTheCode(t *testing.T) {
	f := newPages(t)
	e := access.Email("kim@example.com")
	f.account(t, e, "Kim Lee")
	b := f.browser(t)
	if resp := b.get(pathSignIn, map[string]string{"confirmed": "1"}); !strings.Contains(resp.Body, "Your email address is confirmed") {
		t.Fatalf("sign-in page: %s", mainOf(resp.Body))
	}
	wantStatus(t, b.submit(pathSignIn, map[string]string{"email": "Kim@Example.com"}), http.StatusSeeOther, pathCode)
	if resp := b.get(pathCode, nil); !strings.Contains(resp.Body, "kim@example.com") {
		t.Fatalf("code page: %s", mainOf(resp.Body))
	}
	wantStatus(t, b.submit(pathCode, map[string]string{"code": f.mail.lastCode(t, e)}), http.StatusSeeOther, pathClients)
	if b.jar["session"] == "" || b.jar["signin"] != "" {
		t.Fatalf("cookies after sign-in: %v", b.jar)
	}
	if len(f.s.sessions) != 1 {
		t.Fatalf("%d sessions", len(f.s.sessions))
	}
	// The code page without having asked for a code goes back to the first sign-in page.
	wantStatus(t, f.browser(t).get(pathCode, nil), http.StatusSeeOther, pathSignIn)
}

func TestPagesBadInputChangesNothing(t *testing.T) {
	f := newPages(t)
	e := access.Email("kim@example.com")
	f.account(t, e, "Kim")
	b := f.browser(t)
	forged := func(path string, fields map[string]string) web.Response {
		form := url.Values{"csrf": {"1999999999.forged"}}
		for k, v := range fields {
			form.Set(k, v)
		}
		return b.do("POST", path, nil, form)
	}
	b.get(pathSignIn, nil)
	n := f.s.changes()
	wantError(t, forged(pathSignIn, map[string]string{"email": string(e)}), "did not come from this service")
	wantError(t, b.submit(pathSignIn, map[string]string{"email": ""}), "Enter your email address")
	wantError(t, b.submit(pathSignIn, map[string]string{"email": "kim at example"}), "correct format")
	// A form from another site carries no signin cookie either.
	wantError(t, f.browser(t).do("POST", pathSignIn, nil, url.Values{"email": {string(e)}}), "did not come from this service")
	if f.s.changes() != n || len(f.mail.sent) != 0 {
		t.Fatal("a bad sign-in sent a code")
	}
	wantStatus(t, b.submit(pathSignIn, map[string]string{"email": string(e)}), http.StatusSeeOther, pathCode)
	b.get(pathCode, nil)
	n = f.s.changes()
	wantError(t, forged(pathCode, map[string]string{"code": f.mail.lastCode(t, e)}), "did not come from this service")
	wantError(t, b.submit(pathCode, map[string]string{"code": ""}), "Enter the 6-digit code")
	wantError(t, b.submit(pathCode, map[string]string{"code": "12ab56"}), "must be 6 digits")
	bad := wrong(f.mail.lastCode(t, e))
	wantError(t, b.submit(pathCode, map[string]string{"code": bad}), "The code is not right")
	if f.s.changes() != n || len(f.s.sessions) != 0 || b.jar["session"] != "" {
		t.Fatal("a bad code started a session")
	}
	for range 4 {
		b.submit(pathCode, map[string]string{"code": bad})
	}
	wantError(t, b.submit(pathCode, map[string]string{"code": f.mail.lastCode(t, e)}), "tried too many times")
	if len(f.s.sessions) != 0 {
		t.Fatal("the sixth attempt signed in")
	}
}

// No account oracle on the code page: its POST answers an active account and an address with no
// account alike at every attempt (the address and the form's token aside), "tried too many times"
// after the limit included, with the same store calls.
func TestPagesCodeAnswersAlikeWithOrWithoutAnAccount(t *testing.T) {
	f := newPages(t)
	active, unknown := access.Email("ann@example.com"), access.Email("nobody@example.com")
	f.account(t, active, "Ann")
	token := regexp.MustCompile(`name="csrf" value="[^"]+"`)
	var runs [][]string
	for _, e := range []access.Email{active, unknown} {
		b := f.browser(t)
		b.get(pathSignIn, nil)
		wantStatus(t, b.submit(pathSignIn, map[string]string{"email": string(e)}), http.StatusSeeOther, pathCode)
		b.get(pathCode, nil)
		f.s.takeCalls()
		guess := wrong(f.mail.lastCode(t, active))
		var run []string
		for i := 1; i <= store.CodeAttempts+1; i++ {
			resp := b.submit(pathCode, map[string]string{"code": guess})
			page := token.ReplaceAllString(strings.ReplaceAll(mainOf(resp.Body), string(e), "ADDRESS"), "")
			run = append(run, fmt.Sprintf("%d %s %v", resp.StatusCode, page, f.s.takeCalls()))
		}
		runs = append(runs, run)
	}
	for i := range runs[0] {
		if runs[1][i] != runs[0][i] {
			t.Fatalf("attempt %d: active %q, no account %q", i+1, runs[0][i], runs[1][i])
		}
	}
	if last := runs[0][store.CodeAttempts]; !strings.Contains(last, "tried too many times") {
		t.Fatalf("after the limit: %q", last)
	}
}
