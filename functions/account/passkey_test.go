package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/passkey"
	"github.com/council/cfp/shared/passkey/passkeytest"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
	"github.com/council/cfp/shared/web/webtest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// signedInOver makes an active account and a session for it in s, and returns the session cookie.
func signedInOver(t *testing.T, s *store.Store, e access.Email) string {
	t.Helper()
	if err := storetest.SeedAccount(bg, s, e, "Person"); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	code := secret.NewCode(6)
	if err := s.PutCode(bg, e, "browser-1", code.Hash(), store.Limit{Kind: "t", Key: string(e), Window: time.Hour, Max: 5}); err != nil {
		t.Fatal(err)
	}
	tok := secret.New()
	if err := s.StartSession(bg, "browser-1", code.Hash(), store.Session{Hash: tok.Hash(), Email: e, Name: "Person", CreatedAt: now, LastSeen: now}); err != nil {
		t.Fatal(err)
	}
	return web.SessionCookieName(false) + "=" + tok.Reveal()
}

func TestAddingListingAndRemovingPasskeys(t *testing.T) {
	s, _ := storetest.New(t)
	rp, _ := passkey.New(origin, "Client Finance Portal")
	h := Handler{Accounts: s, Sessions: s, Portal: s, Passkeys: s, RP: rp, Origin: origin, Brand: brand.Sample(),
		Now: time.Now, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	call := func(r web.Request) web.Response {
		resp, err := h.Handle(bg, r)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	pat, sam := signedInOver(t, s, "pat@example.com"), signedInOver(t, s, "sam@example.com")

	// A name that cannot be kept, no session, another origin: no ceremony.
	if r := call(webtest.Request("POST", "/api/passkeys/registration", nil, map[string]string{"name": " "}, pat)); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.Body, "name") {
		t.Errorf("blank name: %d %s", r.StatusCode, r.Body)
	}
	if r := call(webtest.Request("POST", "/api/passkeys/registration", nil, map[string]string{"name": "x"}, "")); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("no session: %d", r.StatusCode)
	}
	bad := webtest.Request("POST", "/api/passkeys/registration", nil, map[string]string{"name": "x"}, pat)
	bad.Headers["Origin"] = "https://evil.example"
	if r := call(bad); r.StatusCode != http.StatusForbidden {
		t.Errorf("another origin: %d", r.StatusCode)
	}

	begin := func(cookie string) string {
		r := call(webtest.Request("POST", "/api/passkeys/registration", nil, map[string]string{"name": "My phone"}, cookie))
		if r.StatusCode != http.StatusOK {
			t.Fatalf("begin: %d %s", r.StatusCode, r.Body)
		}
		return r.Body
	}
	a := passkeytest.New(origin, "portal.council.example")
	answer, err := a.Create([]byte(begin(pat)))
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]json.RawMessage{"credential": answer}
	// Sam cannot finish Pat's ceremony; having tried, Pat cannot either (a challenge is taken once).
	if r := call(webtest.Request("POST", "/api/passkeys", nil, in, sam)); r.StatusCode != http.StatusBadRequest {
		t.Errorf("Sam finishing Pat's ceremony: %d %s", r.StatusCode, r.Body)
	}
	if r := call(webtest.Request("POST", "/api/passkeys", nil, in, pat)); r.StatusCode != http.StatusBadRequest {
		t.Errorf("a taken challenge: %d %s", r.StatusCode, r.Body)
	}
	answer, _ = a.Create([]byte(begin(pat)))
	in = map[string]json.RawMessage{"credential": answer}
	r := call(webtest.Request("POST", "/api/passkeys", nil, in, pat))
	var added passkeyBody
	if r.StatusCode != http.StatusCreated || json.Unmarshal([]byte(r.Body), &added) != nil || added.Name != "My phone" || added.LastUsedAt != nil {
		t.Fatalf("finish: %d %s", r.StatusCode, r.Body)
	}
	if r := call(webtest.Request("POST", "/api/passkeys", nil, in, pat)); r.StatusCode != http.StatusBadRequest {
		t.Errorf("the same answer again: %d %s", r.StatusCode, r.Body)
	}
	// Pat sees it, Sam does not; Pat was emailed.
	if r := call(webtest.Request("GET", "/api/passkeys", nil, nil, pat)); !strings.Contains(r.Body, string(added.ID)) {
		t.Errorf("Pat's list: %s", r.Body)
	}
	if r := call(webtest.Request("GET", "/api/passkeys", nil, nil, sam)); r.Body != `{"passkeys":[]}` {
		t.Errorf("Sam's list: %s", r.Body)
	}
	// Sam cannot remove it (as unknown); Pat can, once, and is emailed.
	del := func(cookie string) int {
		return call(webtest.Request("DELETE", "/api/passkeys/{id}", map[string]string{"id": string(added.ID)}, nil, cookie)).StatusCode
	}
	if got := del(sam); got != http.StatusNotFound {
		t.Errorf("Sam removing Pat's passkey: %d", got)
	}
	if got := del(pat); got != http.StatusNoContent {
		t.Errorf("Pat removing it: %d", got)
	}
	if got := del(pat); got != http.StatusNotFound {
		t.Errorf("removed twice: %d", got)
	}
	due, _ := s.DueMail(bg, 20)
	told := map[mail.Template]int{}
	for _, m := range due {
		if m.To == "pat@example.com" && m.Passkey == "My phone" {
			told[m.Template]++
		}
	}
	if told[mail.PasskeyAdded] != 1 || told[mail.PasskeyRemoved] != 1 {
		t.Errorf("emails to Pat: %v", told)
	}
}
