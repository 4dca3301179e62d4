package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
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

// fakeFiles presigns nothing: it says what it was asked for.
type fakeFiles struct{}

func (fakeFiles) DownloadURL(_ context.Context, key, name string, ttl time.Duration) (string, error) {
	return "https://documents.example/" + key + "?name=" + name + "&ttl=" + ttl.String(), nil
}

func (fakeFiles) VersionURL(_ context.Context, key, version, name string, ttl time.Duration) (string, error) {
	return "https://documents.example/" + key + "?versionId=" + version + "&name=" + name + "&ttl=" + ttl.String(), nil
}

// fixture is a handler over a memStore, with a clock tests can move.
type fixture struct {
	h  Handler
	s  *memStore
	at time.Time
	mu sync.Mutex
}

func newFixture(testing.TB) *fixture {
	f := &fixture{at: time.Now()}
	clock := func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.at }
	f.s = newMemStore(clock)
	f.h = newHandler(f.s, clock)
	return f
}

// newHandler is the handler main.go wires, over fakes: the memStore for every store interface.
func newHandler(s *memStore, clock func() time.Time) Handler {
	return Handler{
		Accounts: s, Sessions: s, Portal: s, Files: fakeFiles{},
		Origin: origin, Bases: mail.Bases{Portal: origin}, Brand: brand.Sample(),
		Now: clock, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
}

// later moves the fixture's clock (handler and store) forward.
func (f *fixture) later(d time.Duration) {
	f.mu.Lock()
	f.at = f.at.Add(d)
	f.mu.Unlock()
}

func (f *fixture) do(t testing.TB, r web.Request) web.Response {
	t.Helper()
	resp, err := f.h.Handle(bg, r)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Headers["Access-Control-Allow-Origin"] != origin || resp.Headers["Access-Control-Allow-Credentials"] != "true" {
		t.Fatalf("%s %s: CORS headers %v", r.HTTPMethod, r.Resource, resp.Headers)
	}
	if resp.Headers["Cache-Control"] != "no-store" {
		t.Fatalf("%s %s: Cache-Control %q", r.HTTPMethod, r.Resource, resp.Headers["Cache-Control"])
	}
	return resp
}

// invite stores an invitation token for an address as the notifier does when it sends the
// approval email, and returns the token the email's link carries.
func (f *fixture) invite(t testing.TB, e access.Email, ttl time.Duration) string {
	t.Helper()
	return f.link(t, mail.Invitation, "r-invited", e, ttl)
}

func (f *fixture) link(t testing.TB, p mail.Purpose, subject string, e access.Email, ttl time.Duration) string {
	t.Helper()
	tok := secret.New()
	now := f.h.Now()
	if err := f.s.PutToken(bg, store.Token{Hash: tok.Hash(), Purpose: p, Subject: subject, Email: e, IssuedAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
		t.Fatal(err)
	}
	return tok.Reveal()
}

// account registers and verifies an address through the handler.
func (f *fixture) account(t testing.TB, e access.Email, name string) {
	t.Helper()
	if resp := f.do(t, webtest.Request("POST", "/api/account/register", nil, map[string]string{"invitation": f.invite(t, e, time.Hour), "name": name}, "")); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("register: %d %s", resp.StatusCode, resp.Body)
	}
	v := f.link(t, mail.Verify, string(e), e, 24*time.Hour)
	if resp := f.do(t, webtest.Request("POST", "/api/account/verify", nil, map[string]string{"token": v}, "")); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("verify: %d %s", resp.StatusCode, resp.Body)
	}
}

// signIn starts a session for an address as functions/signin does once its code is right, and
// returns the Cookie header a browser would send next.
func (f *fixture) signIn(t testing.TB, e access.Email) string {
	t.Helper()
	return web.SessionCookieName(f.h.Insecure) + "=" + f.s.startSession(e).Reveal()
}

// cookieOf turns a Set-Cookie answer into the Cookie header a browser sends back.
func cookieOf(t testing.TB, resp web.Response) string {
	t.Helper()
	sc := resp.Headers["Set-Cookie"]
	name, rest, ok := strings.Cut(sc, "=")
	if !ok {
		t.Fatalf("no cookie in %v", resp.Headers)
	}
	value, _, _ := strings.Cut(rest, ";")
	return name + "=" + value
}

// grant gives an address a grant for a client as approving its request does, and returns the
// grant's id (the request's).
func (f *fixture) grant(t testing.TB, e access.Email, rel access.Relationship, ref, clientName, endsOn string) access.RequestID {
	t.Helper()
	return f.s.addGrant(store.Grant{Email: e, Name: "Grantee " + strings.Split(string(e), "@")[0], ClientName: clientName,
		ClientReference: ref, Relationship: rel, EndsOn: endsOn})
}

// documents publishes n documents for a client, one a day going back from 2026-06-30, types in turn.
func (f *fixture) documents(t testing.TB, ref string, n int) []store.Document {
	t.Helper()
	types := []store.DocumentType{store.CareInvoice, store.AssessmentOutcome, store.DirectPaymentRemittance, store.DeferredPaymentStatement}
	day := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	docs := make([]store.Document, n)
	for i := range docs {
		id := store.DocumentID(fmt.Sprintf("d%sx%05d", ref, i))
		docs[i] = store.Document{ID: id, ClientReference: ref, Type: types[i%len(types)], Title: fmt.Sprintf("Document %d", i),
			DocumentDate: day.AddDate(0, 0, -i).Format("2006-01-02"), PublishedAt: day.Add(time.Hour), Size: int64(1000 + i),
			Key: "published/" + ref + "/" + string(id) + ".pdf"}
	}
	f.s.publish(docs...)
	return docs
}

// deputy gives a new account a deputy's grant for a client with n documents and signs it in: the
// cookie, the grant and the documents.
func (f *fixture) deputy(t testing.TB, e access.Email, ref string, n int) (string, access.RequestID, []store.Document) {
	t.Helper()
	f.account(t, e, "Deputy "+strings.Split(string(e), "@")[0])
	g := f.grant(t, e, access.Deputy, ref, "Client", "")
	docs := f.documents(t, ref, n)
	return f.signIn(t, e), g, docs
}

func decodeBody[T any](t testing.TB, resp web.Response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(resp.Body), &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, resp.Body)
	}
	return v
}
