package main

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
	"github.com/council/cfp/shared/web/webtest"
)

// browser sends the pages' requests as a browser would, over this fixture's handler.
func (p *pages) browser(t *testing.T) *webtest.Browser { return webtest.NewBrowser(t, &p.h) }

func (p *pages) link(pur mail.Purpose, subject string, e access.Email, ttl time.Duration) string {
	tok := secret.New()
	p.s.tokens[tok.Hash()] = store.Token{Hash: tok.Hash(), Purpose: pur, Subject: subject, Email: e, IssuedAt: p.at, ExpiresAt: p.at.Add(ttl)}
	return tok.Reveal()
}

func (p *pages) grant(e access.Email, name string, rel access.Relationship, ref, client, endsOn string) {
	p.s.grants = append(p.s.grants, store.Grant{RequestID: access.NewRequestID(), Email: e, Name: name, ClientReference: ref,
		ClientName: client, Relationship: rel, Start: p.at.AddDate(0, -1, 0), EndsOn: endsOn})
}

func (p *pages) documents(ref string, n int) {
	types := []store.DocumentType{store.CareInvoice, store.AssessmentOutcome, store.DirectPaymentRemittance, store.DeferredPaymentStatement}
	day := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	for i := range n {
		id := store.DocumentID(fmt.Sprintf("d%sx%05d", ref, i))
		p.s.documents = append(p.s.documents, store.Document{ID: id, ClientReference: ref, Type: types[i%4], Title: fmt.Sprintf("Document %d", i),
			DocumentDate: day.AddDate(0, 0, -i).Format(time.DateOnly), PublishedAt: day, Size: 2048, Key: "published/" + string(id) + ".pdf"})
	}
}

// startSession gives the browser a session for e as functions/signin's code page does.
func (p *pages) startSession(b *webtest.Browser, e access.Email) {
	b.Jar[web.SessionCookieName(true)] = p.s.startSession(e).Reveal()
}

// signedIn registers and verifies an address through the pages, then signs it in.
func (p *pages) signedIn(t *testing.T, e access.Email, name string) *webtest.Browser {
	t.Helper()
	b := p.browser(t)
	b.Get(pathRegister, map[string]string{"invitation": p.link(mail.Invitation, "r-1", e, 14*24*time.Hour)})
	webtest.WantStatus(t, b.Submit(pathRegister, map[string]string{"name": name}), http.StatusSeeOther, pathCheckEmail)
	b.Get(pathVerify, map[string]string{"token": p.link(mail.Verify, string(e), e, 24*time.Hour)})
	webtest.WantStatus(t, b.Submit(pathVerify, nil), http.StatusSeeOther, pathSignIn+"?confirmed=1")
	p.startSession(b, e)
	return b
}

func TestPagesRegisterVerifySignInAndSeeClients(t *testing.T) {
	p := newPages()
	e := access.Email("kim@example.com")
	b := p.browser(t)

	inv := p.link(mail.Invitation, "r-1", e, 14*24*time.Hour)
	resp := b.Get(pathRegister, map[string]string{"invitation": inv})
	webtest.WantStatus(t, resp, http.StatusOK, "")
	if !strings.Contains(resp.Body, "Set up your account") || p.s.changes() != 0 {
		t.Fatalf("register page: %d changes: %s", p.s.changes(), webtest.MainOf(resp.Body))
	}
	webtest.WantStatus(t, b.Submit(pathRegister, map[string]string{"name": " Kim Lee "}), http.StatusSeeOther, pathCheckEmail)
	if a := p.s.accounts[e]; a.Name != "Kim Lee" || a.Status != store.AccountUnverified || len(p.s.queued) != 1 {
		t.Fatalf("account %+v, queued %d", a, len(p.s.queued))
	}
	if resp := b.Get(pathCheckEmail, nil); !strings.Contains(resp.Body, "Check your email") {
		t.Fatalf("check email: %s", webtest.MainOf(resp.Body))
	}

	// Opening the verification link changes nothing; the button does.
	v := p.link(mail.Verify, string(e), e, 24*time.Hour)
	resp = b.Get(pathVerify, map[string]string{"token": v})
	if !strings.Contains(resp.Body, "Confirm email address") || p.s.accounts[e].Status != store.AccountUnverified {
		t.Fatalf("verify page changed the account or shows no button: %s", webtest.MainOf(resp.Body))
	}
	webtest.WantStatus(t, b.Submit(pathVerify, nil), http.StatusSeeOther, pathSignIn+"?confirmed=1")
	if p.s.accounts[e].Status != store.AccountActive {
		t.Fatal("not verified")
	}
	// Opening the link again leads to sign-in.
	webtest.WantStatus(t, b.Get(pathVerify, map[string]string{"token": v}), http.StatusSeeOther, pathSignIn+"?confirmed=1")

	// functions/signin's pages sign in (its tests); the session is what they leave.
	p.startSession(b, e)

	// Acting for mum and dad: two clients, each opened separately.
	p.grant(e, "Kim Lee", access.Deputy, "200001", "Mary Lee", "")
	p.grant(e, "Kim Lee", access.AttorneyLPA, "200002", "John Lee", "2027-03-31")
	resp = b.Get(pathClients, nil)
	if !strings.Contains(resp.Body, "Mary Lee") || !strings.Contains(resp.Body, "John Lee") || !strings.Contains(resp.Body, "31 March 2027") ||
		strings.Index(resp.Body, "John Lee") > strings.Index(resp.Body, "Mary Lee") {
		t.Fatalf("client list: %s", webtest.MainOf(resp.Body))
	}

	// Sign out: the session ends, and the pages ask to sign in again.
	before := len(p.s.sessions)
	webtest.WantStatus(t, b.Submit(pathSignOut, nil), http.StatusSeeOther, pathSignedOut)
	if len(p.s.sessions) != before-1 || b.Jar["session"] != "" {
		t.Fatalf("sessions %d, cookies %v", len(p.s.sessions), b.Jar)
	}
	b.Get(pathSignedOut, nil)
	webtest.WantStatus(t, b.Get(pathClients, nil), http.StatusSeeOther, pathSignIn)
}

func TestPagesClientDocuments(t *testing.T) {
	p := newPages()
	e := access.Email("kim@example.com")
	b := p.signedIn(t, e, "Kim Lee")
	p.grant(e, "Kim Lee", access.Deputy, "200001", "Mary Lee", "")
	p.documents("200001", 45)
	p.documents("200002", 3)
	ref := map[string]string{"clientReference": "200001"}

	resp := b.Do("GET", pathClients+"/{clientReference}", ref, nil, nil)
	webtest.WantStatus(t, resp, http.StatusOK, "")
	for _, want := range []string{"Mary Lee", "Document 0", "30 June 2026", "/api/documents/d200001x00000/download", "Document 19", "Next"} {
		if !strings.Contains(resp.Body, want) {
			t.Fatalf("first page lacks %q: %s", want, webtest.MainOf(resp.Body))
		}
	}
	if strings.Contains(resp.Body, "Document 20<") || strings.Contains(resp.Body, "d200002") || strings.Index(resp.Body, "Document 0") > strings.Index(resp.Body, "Document 1 ") {
		t.Fatal("first page shows the wrong documents or order")
	}
	if len(p.s.audits) != 1 || p.s.audits[0].Action != store.AuditListDocuments {
		t.Fatalf("audits %+v", p.s.audits)
	}

	// Next, next, then previous.
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`)
	prev := regexp.MustCompile(`href="([^"]+)" rel="prev"`)
	follow := func(href string) web.Response {
		u, _ := url.Parse(strings.ReplaceAll(href, "&amp;", "&"))
		q := map[string]string{}
		for k, v := range u.Query() {
			q[k] = v[0]
		}
		return b.Do("GET", pathClients+"/{clientReference}", ref, q, nil)
	}
	page2 := follow(next.FindStringSubmatch(resp.Body)[1])
	page3 := follow(next.FindStringSubmatch(page2.Body)[1])
	if !strings.Contains(page3.Body, "Document 44") || next.MatchString(page3.Body) || !strings.Contains(page3.Body, "page 3") {
		t.Fatalf("third page: %s", webtest.MainOf(page3.Body))
	}
	back := follow(prev.FindStringSubmatch(page3.Body)[1])
	if !strings.Contains(back.Body, "Document 20") || !strings.Contains(back.Body, "Document 39") || !prev.MatchString(back.Body) {
		t.Fatalf("back to page 2: %s", webtest.MainOf(back.Body))
	}
	first := follow(prev.FindStringSubmatch(back.Body)[1])
	if !strings.Contains(first.Body, "Document 0") || prev.MatchString(first.Body) {
		t.Fatalf("back to page 1: %s", webtest.MainOf(first.Body))
	}

	// Filter by type.
	resp = b.Do("GET", pathClients+"/{clientReference}", ref, map[string]string{"type": "assessment_outcome"}, nil)
	if !strings.Contains(resp.Body, "Financial assessment outcome</td>") || !strings.Contains(resp.Body, "Document 41") {
		t.Fatalf("filtered: %s", webtest.MainOf(resp.Body))
	}
	if strings.Contains(resp.Body, "Care invoice</td>") {
		t.Fatal("filter shows other types")
	}
	// A bad type or an old cursor: the error summary and the first page.
	webtest.WantError(t, b.Do("GET", pathClients+"/{clientReference}", ref, map[string]string{"type": "payslip"}, nil), "Choose a type of document")
	webtest.WantError(t, b.Do("GET", pathClients+"/{clientReference}", ref, map[string]string{"cursor": "nonsense"}, nil), "out of date")

	// Another client, an unknown one, or a malformed reference: the same page not found.
	for _, other := range []string{"200002", "999999", "x"} {
		resp := b.Do("GET", pathClients+"/{clientReference}", map[string]string{"clientReference": other}, nil, nil)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(resp.Body, "Page not found") {
			t.Fatalf("%s: %d %s", other, resp.StatusCode, webtest.MainOf(resp.Body))
		}
	}
	// Who has access is the client's own page: a deputy gets page not found.
	if resp := b.Do("GET", pathClients+"/{clientReference}/access", ref, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("access page for a deputy: %d", resp.StatusCode)
	}
}

func TestPagesTheClientSeesWhoHasAccess(t *testing.T) {
	p := newPages()
	e := access.Email("mary@example.com")
	b := p.signedIn(t, e, "Mary Lee")
	p.grant(e, "Mary Lee", access.Self, "200001", "Mary Lee", "")
	p.grant("kim@example.com", "Kim Lee", access.Deputy, "200001", "Mary Lee", "2027-03-31")
	ref := map[string]string{"clientReference": "200001"}
	resp := b.Do("GET", pathClients+"/{clientReference}", ref, nil, nil)
	if !strings.Contains(resp.Body, "/clients/200001/access") || !strings.Contains(resp.Body, "There are no documents") {
		t.Fatalf("client page: %s", webtest.MainOf(resp.Body))
	}
	resp = b.Do("GET", pathClients+"/{clientReference}/access", ref, nil, nil)
	for _, want := range []string{"Kim Lee", "Mary Lee", "31 March 2027", "1 June 2026", "No end date"} {
		if !strings.Contains(resp.Body, want) {
			t.Fatalf("access page lacks %q: %s", want, webtest.MainOf(resp.Body))
		}
	}
}

// Every form refuses a missing or forged anti-forgery field, and each bad answer shows the error
// summary and changes nothing.
func TestPagesBadInputChangesNothing(t *testing.T) {
	p := newPages()
	e := access.Email("kim@example.com")
	inv := p.link(mail.Invitation, "r-1", e, 14*24*time.Hour)
	b := p.browser(t)
	b.Get(pathRegister, map[string]string{"invitation": inv})

	forged := func(resource string, fields map[string]string) web.Response {
		form := url.Values{"csrf": {"1999999999.forged"}}
		for k, v := range fields {
			form.Set(k, v)
		}
		return b.Do("POST", resource, nil, nil, form)
	}
	webtest.WantError(t, forged(pathRegister, map[string]string{"invitation": inv, "name": "Kim"}), "did not come from this service")
	webtest.WantError(t, b.Submit(pathRegister, map[string]string{"name": "  "}), "Enter your full name")
	webtest.WantError(t, b.Submit(pathRegister, map[string]string{"name": strings.Repeat("x", 101)}), "100 characters or fewer")
	if p.s.changes() != 0 {
		t.Fatalf("%d changes after bad registrations", p.s.changes())
	}
	// A form from another site carries no signin cookie either.
	other := p.browser(t)
	webtest.WantError(t, other.Do("POST", pathRegister, nil, nil, url.Values{"invitation": {inv}, "name": {"Kim"}}), "did not come from this service")

	webtest.WantStatus(t, b.Submit(pathRegister, map[string]string{"name": "Kim"}), http.StatusSeeOther, pathCheckEmail)
	v := p.link(mail.Verify, string(e), e, 24*time.Hour)
	b.Get(pathVerify, map[string]string{"token": v})
	n := p.s.changes()
	webtest.WantError(t, forged(pathVerify, map[string]string{"token": v}), "did not come from this service")
	if p.s.changes() != n || p.s.accounts[e].Status != store.AccountUnverified {
		t.Fatal("a forged confirmation changed something")
	}
	webtest.WantStatus(t, b.Submit(pathVerify, nil), http.StatusSeeOther, pathSignIn+"?confirmed=1")

	// Signing out with a forged field ends nothing.
	s := p.signedIn(t, "lee@example.com", "Lee")
	n = len(p.s.sessions)
	s.Get(pathClients, nil)
	webtest.WantStatus(t, s.Do("POST", pathSignOut, nil, nil, url.Values{"csrf": {"1999999999.forged"}}), http.StatusSeeOther, pathClients)
	if len(p.s.sessions) != n || s.Jar["session"] == "" {
		t.Fatal("a forged sign-out ended the session")
	}
}

// An expired, used or forged link shows a page in plain words with the next step, and changes nothing.
func TestPagesBadLinks(t *testing.T) {
	p := newPages()
	e := access.Email("kim@example.com")
	b := p.browser(t)
	expired := p.link(mail.Invitation, "r-1", e, time.Hour)
	p.at = p.at.Add(2 * time.Hour)
	used := p.link(mail.Invitation, "r-2", e, time.Hour)
	p.s.tokens[secret.From(used).Hash()] = func(t store.Token) store.Token { t.UsedAt = p.at; return t }(p.s.tokens[secret.From(used).Hash()])

	cases := []struct {
		name, resource, param, token string
		status                       int
		words                        []string
	}{
		{"expired invitation", pathRegister, "invitation", expired, http.StatusGone, []string{"has expired", "new invitation", p.h.Brand.Phone, p.h.Brand.Email}},
		{"used invitation", pathRegister, "invitation", used, http.StatusConflict, []string{"already been used", `href="/sign-in"`}},
		{"forged invitation", pathRegister, "invitation", "forged-token", http.StatusNotFound, []string{"does not work", p.h.Brand.Phone}},
		{"no invitation", pathRegister, "invitation", "", http.StatusNotFound, []string{"does not work"}},
		{"expired verification", pathVerify, "token", func() string {
			v := p.link(mail.Verify, string(e), e, time.Hour)
			p.at = p.at.Add(2 * time.Hour)
			return v
		}(), http.StatusGone, []string{"has expired", `href="/sign-in"`}},
		{"forged verification", pathVerify, "token", "forged-token", http.StatusNotFound, []string{"does not work", `href="/sign-in"`}},
		{"invitation as verification", pathVerify, "token", used, http.StatusNotFound, []string{"does not work"}},
	}
	for _, c := range cases {
		resp := b.Get(c.resource, map[string]string{c.param: c.token})
		if resp.StatusCode != c.status || !strings.Contains(resp.Body, "<h1") {
			t.Fatalf("%s: %d %s", c.name, resp.StatusCode, webtest.MainOf(resp.Body))
		}
		for _, w := range c.words {
			if !strings.Contains(resp.Body, w) {
				t.Errorf("%s: lacks %q", c.name, w)
			}
		}
	}
	// Posting a bad link (from a page opened before it expired) shows the same pages.
	b.Get(pathRegister, map[string]string{"invitation": p.link(mail.Invitation, "r-3", e, time.Hour)})
	token := webtest.CSRF(b.Last.Body)
	resp := b.Do("POST", pathRegister, nil, nil, url.Values{"csrf": {token}, "invitation": {expired}, "name": {"Kim"}})
	if resp.StatusCode != http.StatusGone || !strings.Contains(resp.Body, "new invitation") {
		t.Fatalf("posting an expired invitation: %d %s", resp.StatusCode, webtest.MainOf(resp.Body))
	}
	resp = b.Do("POST", pathVerify, nil, nil, url.Values{"csrf": {token}, "token": {"forged"}})
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(resp.Body, "does not work") {
		t.Fatalf("posting a forged verification: %d %s", resp.StatusCode, webtest.MainOf(resp.Body))
	}
	if p.s.changes() != 0 {
		t.Fatalf("%d changes", p.s.changes())
	}
}
