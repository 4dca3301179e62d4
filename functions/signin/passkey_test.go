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

// passkeyFixture is the sign-in handler over a real table (DynamoDB Local), with an active account
// that has one passkey, made by a software authenticator as the Passkeys page would.
type passkeyFixture struct {
	h   Handler
	s   *store.Store
	rp  *passkey.RP
	key *passkeytest.Authenticator
	e   access.Email
}

func newPasskeyFixture(t *testing.T) *passkeyFixture {
	t.Helper()
	s, _ := storetest.New(t)
	rp, err := passkey.New(origin, "Client Finance Portal")
	if err != nil {
		t.Fatal(err)
	}
	f := &passkeyFixture{s: s, rp: rp, e: "pat@example.com", key: passkeytest.New(origin, "portal.council.example")}
	f.h = Handler{Accounts: s, Codes: s, Passkeys: s, RP: rp, Origin: origin, Brand: brand.Sample(),
		CodeKey: fixedKey(testKeyText), Now: time.Now, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	activate(t, s, f.e, "Pat")
	f.add(t, f.e, f.key)
	return f
}

// activate makes an active account, as the emailed links do.
func activate(t *testing.T, s *store.Store, e access.Email, name string) {
	t.Helper()
	if err := storetest.SeedAccount(bg, s, e, name); err != nil {
		t.Fatal(err)
	}
}

// add makes a passkey for e on a, as functions/account does.
func (f *passkeyFixture) add(t *testing.T, e access.Email, a *passkeytest.Authenticator) {
	t.Helper()
	u := passkey.User{Handle: passkey.NewHandle(), Email: e, Name: string(e)}
	b, err := f.rp.BeginAdding(u)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := a.Create(b.Options)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.rp.FinishAdding(u, b.Data, answer, "My phone", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	m, _ := mail.For(access.PasskeyAdded{To: e, Name: p.Name})
	if err := f.s.AddPasskey(bg, p, u.Handle, true, access.MaxPasskeys, m); err != nil {
		t.Fatal(err)
	}
}

func (f *passkeyFixture) call(t *testing.T, r web.Request) (int, string, string) {
	t.Helper()
	resp, err := f.h.Handle(bg, r)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Body, resp.Headers["Set-Cookie"]
}

// answer begins a sign-in through the handler and answers it with a.
func (f *passkeyFixture) answer(t *testing.T, a *passkeytest.Authenticator) map[string]json.RawMessage {
	t.Helper()
	status, body, _ := f.call(t, webtest.Request("POST", "/api/session/passkey/options", nil, nil, ""))
	if status != http.StatusOK || strings.Contains(body, string(f.e)) {
		t.Fatalf("options: %d %s", status, body)
	}
	answer, err := a.Get([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]json.RawMessage{"credential": answer}
}

func TestAPasskeySignsInOnceAndStartsASession(t *testing.T) {
	f := newPasskeyFixture(t)
	in := f.answer(t, f.key)
	status, body, cookie := f.call(t, webtest.Request("POST", "/api/session/passkey", nil, in, ""))
	if status != http.StatusNoContent || !strings.HasPrefix(cookie, "__Host-session=") {
		t.Fatalf("sign-in: %d %s %q", status, body, cookie)
	}
	tok := strings.TrimPrefix(strings.SplitN(cookie, ";", 2)[0], "__Host-session=")
	if s, err := f.s.Session(bg, secret.From(tok).Hash()); err != nil || s.Email != f.e || s.Name != "Pat" {
		t.Fatalf("session %+v %v", s, err)
	}
	// The same answer again: its challenge is spent.
	if status, _, cookie := f.call(t, webtest.Request("POST", "/api/session/passkey", nil, in, "")); status != http.StatusUnauthorized || cookie != "" {
		t.Fatalf("replayed answer: %d %q", status, cookie)
	}
}

func TestPasskeysThatMustNotSignIn(t *testing.T) {
	f := newPasskeyFixture(t)
	refused := func(what string, in map[string]json.RawMessage) {
		t.Helper()
		status, body, cookie := f.call(t, webtest.Request("POST", "/api/session/passkey", nil, in, ""))
		if status != http.StatusUnauthorized || cookie != "" {
			t.Errorf("%s: %d %s %q", what, status, body, cookie)
		}
	}
	// Answered on a phishing site (another origin), or for another RP id.
	phished := *f.key
	phished.Origin = "https://portal-council.example.net"
	refused("another origin", f.answer(t, &phished))
	other := *f.key
	other.RPID = "council.example.net"
	refused("another RP id", f.answer(t, &other))
	// Another person's passkey, claiming Pat's handle.
	activate(t, f.s, "sam@example.com", "Sam")
	sams := passkeytest.New(origin, "portal.council.example")
	f.add(t, "sam@example.com", sams)
	forged := *sams
	forged.Handle = f.key.Handle
	refused("Sam's passkey as Pat's", f.answer(t, &forged))
	// A sign count that went backwards.
	back := *f.key
	back.Count = 0 // the authenticator counted; it now says 0
	refused("count back to 0", f.answer(t, &back))
	// A challenge nobody began, and bad bodies.
	refused("made-up challenge", map[string]json.RawMessage{"credential": json.RawMessage(`{"response":{"clientDataJSON":"eyJjaGFsbGVuZ2UiOiJ4In0"}}`)})
	if status, _, _ := f.call(t, webtest.Request("POST", "/api/session/passkey", nil, map[string]string{"nope": "x"}, "")); status != http.StatusBadRequest {
		t.Errorf("unknown field: %d", status)
	}
	r := webtest.Request("POST", "/api/session/passkey/options", nil, nil, "")
	r.Headers["Origin"] = "https://portal-council.example.net"
	if status, _, _ := f.call(t, r); status != http.StatusForbidden {
		t.Errorf("options from another origin: %d", status)
	}
	// Removed: it signs nobody in, though it still signs.
	keys, _ := f.s.Passkeys(bg, f.e)
	m, _ := mail.For(access.PasskeyRemoved{To: f.e, Name: keys[0].Name})
	if err := f.s.RemovePasskey(bg, f.e, keys[0].ID(), m); err != nil {
		t.Fatal(err)
	}
	refused("removed passkey", f.answer(t, f.key))
}
