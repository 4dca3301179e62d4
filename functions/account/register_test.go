package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web/webtest"
)

func TestRegisterQueuesVerificationAndVerifyActivates(t *testing.T) {
	f := newFixture(t)
	e := access.Email("ann@example.com")
	inv := f.invite(t, e, 14*24*time.Hour)
	resp := f.do(t, webtest.Request("POST", "/api/account/register", nil, map[string]string{"invitation": inv, "name": " Ann Example "}, ""))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("register: %d %s", resp.StatusCode, resp.Body)
	}
	a, err := f.s.Account(bg, e)
	if err != nil || a.Status != store.AccountUnverified || a.Name != "Ann Example" {
		t.Fatalf("account %+v %v", a, err)
	}
	due := f.s.mailQueued()
	if len(due) != 1 || due[0].To != e || due[0].Template != mail.Verification || due[0].Link == nil ||
		due[0].Link.Purpose != mail.Verify || due[0].Link.Subject != string(e) || due[0].Link.TTL != 24*time.Hour {
		t.Fatalf("verification email: %+v", due)
	}

	// The same registration link again: a clear 409, and nothing changes.
	resp = f.do(t, webtest.Request("POST", "/api/account/register", nil, map[string]string{"invitation": inv, "name": "Mallory"}, ""))
	if resp.StatusCode != http.StatusConflict || !strings.Contains(resp.Body, "already been used") {
		t.Fatalf("second registration: %d %s", resp.StatusCode, resp.Body)
	}
	if a, _ := f.s.Account(bg, e); a.Name != "Ann Example" {
		t.Fatalf("second registration changed the name to %q", a.Name)
	}

	v := f.link(t, mail.Verify, string(e), e, 24*time.Hour)
	if resp := f.do(t, webtest.Request("POST", "/api/account/verify", nil, map[string]string{"token": v}, "")); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("verify: %d %s", resp.StatusCode, resp.Body)
	}
	if a, _ := f.s.Account(bg, e); a.Status != store.AccountActive {
		t.Fatalf("not active: %+v", a)
	}
	// Following the link twice is fine once the account is active.
	if resp := f.do(t, webtest.Request("POST", "/api/account/verify", nil, map[string]string{"token": v}, "")); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("verify again: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestRegistrationLinksThatDoNotWork(t *testing.T) {
	f := newFixture(t)
	e := access.Email("bob@example.com")
	expired := f.invite(t, e, time.Hour)
	f.later(2 * time.Hour)
	// Support sent a newer invitation (store.ReissueInvitation): the older one says so.
	replaced := f.invite(t, e, time.Hour)
	gone := f.s.tokens[secret.From(replaced).Hash()]
	gone.ReplacedAt, gone.ExpiresAt = f.h.Now(), time.Unix(0, 0)
	f.s.tokens[gone.Hash] = gone
	cases := []struct {
		name   string
		body   any
		status int
		says   string
	}{
		{"expired invitation", map[string]string{"invitation": expired, "name": "Bob"}, http.StatusGone, "expired"},
		{"replaced invitation", map[string]string{"invitation": replaced, "name": "Bob"}, http.StatusGone, "replaced by a newer one"},
		{"unknown invitation", map[string]string{"invitation": "not-a-token", "name": "Bob"}, http.StatusNotFound, "not one we sent"},
		{"a verification link used to register", map[string]string{"invitation": f.link(t, mail.Verify, string(e), e, time.Hour), "name": "Bob"}, http.StatusNotFound, ""},
		{"no name", map[string]string{"invitation": f.invite(t, e, time.Hour)}, http.StatusBadRequest, "name"},
		{"name on two lines", map[string]string{"invitation": f.invite(t, e, time.Hour), "name": "Bob\nSmith"}, http.StatusBadRequest, "one line"},
		{"unknown field", map[string]any{"invitation": "x", "name": "Bob", "email": "other@example.com"}, http.StatusBadRequest, "email"},
		{"not JSON", "invitation=x", http.StatusBadRequest, ""},
	}
	for _, c := range cases {
		r := webtest.Request("POST", "/api/account/register", nil, c.body, "")
		if s, ok := c.body.(string); ok {
			r.Body = s
		}
		resp := f.do(t, r)
		if resp.StatusCode != c.status || !strings.Contains(resp.Body, c.says) {
			t.Errorf("%s: %d %s", c.name, resp.StatusCode, resp.Body)
		}
	}
	if _, err := f.s.Account(bg, e); err != store.ErrNotFound {
		t.Fatalf("a refused registration wrote an account: %v", err)
	}

	// A verification link that expired, is unknown, or names another address than it was sent to.
	f.later(-2 * time.Hour)
	old := f.link(t, mail.Verify, string(e), e, time.Hour)
	crossed := f.link(t, mail.Verify, "someone@example.com", e, 48*time.Hour)
	f.later(2 * time.Hour)
	for name, c := range map[string]struct {
		tok    string
		status int
	}{"expired": {old, http.StatusGone}, "unknown": {"nope", http.StatusNotFound}, "bound elsewhere": {crossed, http.StatusNotFound}} {
		if resp := f.do(t, webtest.Request("POST", "/api/account/verify", nil, map[string]string{"token": c.tok}, "")); resp.StatusCode != c.status {
			t.Errorf("verify %s: %d %s", name, resp.StatusCode, resp.Body)
		}
	}
}

func TestStateChangesNeedThePortalsOriginAndJSON(t *testing.T) {
	f := newFixture(t)
	routes := []struct{ method, resource string }{
		{"POST", "/api/account/register"}, {"POST", "/api/account/verify"}, {"DELETE", "/api/session"},
	}
	for _, rt := range routes {
		for name, change := range map[string]func(r *map[string]string){
			"no Origin":        func(h *map[string]string) { delete(*h, "Origin") },
			"another Origin":   func(h *map[string]string) { (*h)["Origin"] = "https://evil.example" },
			"form post":        func(h *map[string]string) { (*h)["Content-Type"] = "application/x-www-form-urlencoded" },
			"text/plain":       func(h *map[string]string) { (*h)["Content-Type"] = "text/plain" },
			"no content type":  func(h *map[string]string) { delete(*h, "Content-Type") },
			"portal but http:": func(h *map[string]string) { (*h)["Origin"] = strings.Replace(origin, "https:", "http:", 1) },
		} {
			r := webtest.Request(rt.method, rt.resource, nil, map[string]string{"email": "a@example.com"}, "")
			change(&r.Headers)
			if resp := f.do(t, r); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s with %s: %d %s", rt.method, rt.resource, name, resp.StatusCode, resp.Body)
			}
		}
	}
	if f.s.changes() != 0 {
		t.Fatal("a refused request changed something")
	}
}
