package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web/webtest"
)

func TestSignOutEndsTheSession(t *testing.T) {
	f := newFixture(t)
	e := access.Email("ivy@example.com")
	f.account(t, e, "Ivy")
	cookie := f.signIn(t, e)
	other := f.signIn(t, e) // a second device
	resp := f.do(t, webtest.Request("DELETE", "/api/session", nil, nil, cookie))
	if resp.StatusCode != http.StatusNoContent || !strings.Contains(resp.Headers["Set-Cookie"], "Max-Age=0") {
		t.Fatalf("sign out: %d %v", resp.StatusCode, resp.Headers)
	}
	me := f.do(t, webtest.Request("GET", "/api/me", nil, nil, cookie))
	if me.StatusCode != http.StatusUnauthorized || !strings.Contains(me.Headers["Set-Cookie"], "Max-Age=0") {
		t.Fatalf("me after sign out: %d %v", me.StatusCode, me.Headers)
	}
	if me := f.do(t, webtest.Request("GET", "/api/me", nil, nil, other)); me.StatusCode != http.StatusOK {
		t.Fatalf("the other device's session: %d", me.StatusCode)
	}
	// Signing out again, or without a session, is fine.
	if resp := f.do(t, webtest.Request("DELETE", "/api/session", nil, nil, cookie)); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("second sign out: %d", resp.StatusCode)
	}
}

func TestSessionsEndWhenIdleAndAtTheAbsoluteLimit(t *testing.T) {
	f := newFixture(t)
	e := access.Email("jo@example.com")
	f.account(t, e, "Jo")
	cookie := f.signIn(t, e)
	for elapsed := time.Duration(0); elapsed < store.SessionMax-25*time.Minute; elapsed += 25 * time.Minute {
		f.later(25 * time.Minute)
		if me := f.do(t, webtest.Request("GET", "/api/me", nil, nil, cookie)); me.StatusCode != http.StatusOK {
			t.Fatalf("busy session after %s: %d", elapsed, me.StatusCode)
		}
	}
	f.later(25 * time.Minute)
	if me := f.do(t, webtest.Request("GET", "/api/me", nil, nil, cookie)); me.StatusCode != http.StatusUnauthorized {
		t.Fatalf("session past 12 hours: %d", me.StatusCode)
	}
	cookie = f.signIn(t, e)
	f.later(store.SessionIdle)
	if me := f.do(t, webtest.Request("GET", "/api/me", nil, nil, cookie)); me.StatusCode != http.StatusUnauthorized {
		t.Fatalf("idle session: %d", me.StatusCode)
	}
}

// The session cookie's secure name is not read when insecure, and the other way round.
func TestInsecureCookiesOnlyWhenSet(t *testing.T) {
	f := newFixture(t)
	f.h.Insecure = true
	e := access.Email("hal@example.com")
	f.account(t, e, "Hal")
	cookie := f.signIn(t, e)
	if !strings.HasPrefix(cookie, "session=") {
		t.Fatalf("insecure cookie %q", cookie)
	}
	if me := f.do(t, webtest.Request("GET", "/api/me", nil, nil, cookie)); me.StatusCode != http.StatusOK {
		t.Fatalf("me with the insecure cookie: %d", me.StatusCode)
	}
	secureName := strings.Replace(cookie, "session=", "__Host-session=", 1)
	if me := f.do(t, webtest.Request("GET", "/api/me", nil, nil, secureName)); me.StatusCode != http.StatusUnauthorized {
		t.Fatalf("me with the other cookie name: %d", me.StatusCode)
	}
	f.h.Insecure = false
	if me := f.do(t, webtest.Request("GET", "/api/me", nil, nil, cookie)); me.StatusCode != http.StatusUnauthorized {
		t.Fatalf("me with the insecure name when secure: %d", me.StatusCode)
	}
}
