package main

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
	"github.com/council/cfp/shared/web/webtest"
)

// browser sends the pages' requests as a browser would, over this fixture's handler.
func (f *fixture) browser(t *testing.T) *webtest.Browser { return webtest.NewBrowser(t, &f.h) }

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
	if resp := b.Get(pathSignIn, map[string]string{"confirmed": "1"}); !strings.Contains(resp.Body, "Your email address is confirmed") {
		t.Fatalf("sign-in page: %s", webtest.MainOf(resp.Body))
	}
	webtest.WantStatus(t, b.Submit(pathSignIn, map[string]string{"email": "Kim@Example.com"}), http.StatusSeeOther, pathCode)
	if resp := b.Get(pathCode, nil); !strings.Contains(resp.Body, "kim@example.com") {
		t.Fatalf("code page: %s", webtest.MainOf(resp.Body))
	}
	webtest.WantStatus(t, b.Submit(pathCode, map[string]string{"code": f.mail.lastCode(t, e)}), http.StatusSeeOther, pathClients)
	if b.Jar["session"] == "" || b.Jar["signin"] != "" {
		t.Fatalf("cookies after sign-in: %v", b.Jar)
	}
	if len(f.s.sessions) != 1 {
		t.Fatalf("%d sessions", len(f.s.sessions))
	}
	// The code page without having asked for a code goes back to the first sign-in page.
	webtest.WantStatus(t, f.browser(t).Get(pathCode, nil), http.StatusSeeOther, pathSignIn)
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
		return b.Do("POST", path, nil, nil, form)
	}
	b.Get(pathSignIn, nil)
	n := f.s.changes()
	webtest.WantError(t, forged(pathSignIn, map[string]string{"email": string(e)}), "did not come from this service")
	webtest.WantError(t, b.Submit(pathSignIn, map[string]string{"email": ""}), "Enter your email address")
	webtest.WantError(t, b.Submit(pathSignIn, map[string]string{"email": "kim at example"}), "correct format")
	// A form from another site carries no signin cookie either.
	webtest.WantError(t, f.browser(t).Do("POST", pathSignIn, nil, nil, url.Values{"email": {string(e)}}), "did not come from this service")
	if f.s.changes() != n || len(f.mail.sent) != 0 {
		t.Fatal("a bad sign-in sent a code")
	}
	webtest.WantStatus(t, b.Submit(pathSignIn, map[string]string{"email": string(e)}), http.StatusSeeOther, pathCode)
	b.Get(pathCode, nil)
	n = f.s.changes()
	webtest.WantError(t, forged(pathCode, map[string]string{"code": f.mail.lastCode(t, e)}), "did not come from this service")
	webtest.WantError(t, b.Submit(pathCode, map[string]string{"code": ""}), "Enter the 6-digit code")
	webtest.WantError(t, b.Submit(pathCode, map[string]string{"code": "12ab56"}), "must be 6 digits")
	bad := wrong(f.mail.lastCode(t, e))
	webtest.WantError(t, b.Submit(pathCode, map[string]string{"code": bad}), "The code is not right")
	if f.s.changes() != n || len(f.s.sessions) != 0 || b.Jar["session"] != "" {
		t.Fatal("a bad code started a session")
	}
	for range 4 {
		b.Submit(pathCode, map[string]string{"code": bad})
	}
	webtest.WantError(t, b.Submit(pathCode, map[string]string{"code": f.mail.lastCode(t, e)}), "tried too many times")
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
		b.Get(pathSignIn, nil)
		webtest.WantStatus(t, b.Submit(pathSignIn, map[string]string{"email": string(e)}), http.StatusSeeOther, pathCode)
		b.Get(pathCode, nil)
		f.s.takeCalls()
		guess := wrong(f.mail.lastCode(t, active))
		var run []string
		for i := 1; i <= store.CodeAttempts+1; i++ {
			resp := b.Submit(pathCode, map[string]string{"code": guess})
			page := token.ReplaceAllString(strings.ReplaceAll(webtest.MainOf(resp.Body), string(e), "ADDRESS"), "")
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

// Past the connection's limit the sign-in page says so in its error summary, as 429 with when to
// try again; nothing is sent.
func TestPagesSayWhenAConnectionHasAskedTooOften(t *testing.T) {
	f := newPages(t)
	b := f.browser(t)
	for i := 0; i < sourceCodesPerHour; i++ {
		b.Get(pathSignIn, nil)
		webtest.WantStatus(t, b.Submit(pathSignIn, map[string]string{"email": fmt.Sprintf("p%d@example.com", i)}), http.StatusSeeOther, pathCode)
	}
	b.Get(pathSignIn, nil)
	n := f.s.changes()
	resp := b.Submit(pathSignIn, map[string]string{"email": "late@example.com"})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Headers["Retry-After"] == "" ||
		!strings.Contains(resp.Body, "govuk-error-summary") || !strings.Contains(resp.Body, "too many sign-in attempts from this connection") {
		t.Fatalf("over the connection's limit: %d %v %s", resp.StatusCode, resp.Headers, webtest.MainOf(resp.Body))
	}
	if f.s.changes() != n {
		t.Fatal("a refused request stored a code")
	}
}
