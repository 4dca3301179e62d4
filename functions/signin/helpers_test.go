package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
	"github.com/council/cfp/shared/web/webtest"
)

var bg = context.Background()

const origin = webtest.Origin

// fakeMailer keeps what would have gone to SES.
type fakeMailer struct {
	mu   sync.Mutex
	sent []sentMail
	fail error // what SES answers instead, when set
}

type sentMail struct {
	To access.Email
	mail.Rendered
}

func (f *fakeMailer) Send(_ context.Context, to access.Email, r mail.Rendered, _ string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return "", f.fail
	}
	f.sent = append(f.sent, sentMail{to, r})
	return "ses-1", nil
}

func (f *fakeMailer) to(e access.Email) []sentMail {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []sentMail
	for _, m := range f.sent {
		if m.To == e {
			out = append(out, m)
		}
	}
	return out
}

var codeRE = regexp.MustCompile(`\b([0-9]{6})\b`)

// lastCode is the code in the latest sign-in email to an address.
func (f *fakeMailer) lastCode(t testing.TB, e access.Email) string {
	t.Helper()
	ms := f.to(e)
	if len(ms) == 0 {
		t.Fatalf("no email to %s", e)
	}
	m := codeRE.FindStringSubmatch(ms[len(ms)-1].Text)
	if m == nil {
		t.Fatalf("no code in %q", ms[len(ms)-1].Text)
	}
	return m[1]
}

// fixture is a handler over a memStore, with a clock tests can move. Its requests come from one
// browser at a time (the person's, unless a test switches with from), which keeps the browser
// cookie the answers set and sends it back.
type fixture struct {
	h    Handler
	s    *memStore
	mail *fakeMailer
	at   time.Time
	mu   sync.Mutex
	cur  *client
	// person is the default client; stranger is another browser at another source.
	person, stranger *client
}

// client is a browser at a source address, with the browser cookie it was given.
type client struct {
	ip, cookie string
}

// from makes the fixture's next requests come from c, and returns the client it replaced.
func (f *fixture) from(c *client) *client {
	old := f.cur
	f.cur = c
	return old
}

func newFixture(testing.TB) *fixture {
	f := &fixture{mail: &fakeMailer{}, at: time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC), person: &client{ip: "192.0.2.10"}, stranger: &client{ip: "198.51.100.7"}}
	f.cur = f.person
	clock := func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.at }
	f.s = newMemStore(clock)
	f.h = Handler{
		Accounts: f.s, Codes: f.s, Mailer: f.mail, Origin: origin, Brand: brand.Sample(),
		CodeKey: fixedKey(testKeyText), Now: clock, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
	return f
}

// testKey is the sign-in code key the tests' handlers hash with.
const testKeyText = "the-tests-sign-in-code-key-32-bytes-long"

var testKey, _ = secret.HMACKey(testKeyText)

// fixedKey stands in for the key vault reads from Secrets Manager; failing says it cannot.
type fixedKey string

func (k fixedKey) Text(context.Context) (string, error) {
	if k == "" {
		return "", errors.New("Secrets Manager is away")
	}
	return string(k), nil
}

// later moves the fixture's clock (handler and store) forward.
func (f *fixture) later(d time.Duration) {
	f.mu.Lock()
	f.at = f.at.Add(d)
	f.mu.Unlock()
}

func (f *fixture) do(t testing.TB, r web.Request) web.Response {
	t.Helper()
	r.RequestContext.Identity.SourceIP = f.cur.ip
	if f.cur.cookie != "" && r.Headers["Cookie"] == "" {
		r.Headers["Cookie"] = f.cur.cookie
	}
	resp, err := f.h.Handle(bg, r)
	if err != nil {
		t.Fatal(err)
	}
	if sc := resp.Headers["Set-Cookie"]; strings.HasPrefix(sc, f.h.browserName()+"=") {
		f.cur.cookie, _, _ = strings.Cut(sc, ";")
	}
	if resp.Headers["Access-Control-Allow-Origin"] != origin || resp.Headers["Access-Control-Allow-Credentials"] != "true" {
		t.Fatalf("%s %s: CORS headers %v", r.HTTPMethod, r.Resource, resp.Headers)
	}
	if resp.Headers["Cache-Control"] != "no-store" {
		t.Fatalf("%s %s: Cache-Control %q", r.HTTPMethod, r.Resource, resp.Headers["Cache-Control"])
	}
	return resp
}

// account gives an address an account in the given state, as registering (functions/account)
// leaves it.
func (f *fixture) account(t testing.TB, e access.Email, name string) {
	f.accountIn(t, e, name, store.AccountActive)
}

func (f *fixture) accountIn(t testing.TB, e access.Email, name string, st store.AccountStatus) {
	t.Helper()
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	f.s.accounts[e] = store.Account{Email: e, Name: name, Status: st}
}

// sessionOf is the session a sign-in answer's cookie stands for, if the store holds it.
func (f *fixture) sessionOf(t testing.TB, resp web.Response) (store.Session, bool) {
	t.Helper()
	sc := resp.Headers["Set-Cookie"]
	kv, _, _ := strings.Cut(sc, ";")
	_, value, _ := strings.Cut(kv, "=")
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	s, ok := f.s.sessions[secret.From(value).Hash()]
	return s, ok
}
