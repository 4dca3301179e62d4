package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/web"
)

// fakeMine lists the in-memory store's sent requests by address, newest first, as the store does.
type fakeMine struct {
	m    *memory
	fail error
}

func (f fakeMine) RequestsOf(_ context.Context, e access.Email, limit int) ([]access.Request, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	var out []access.Request
	for _, r := range f.m.reqs {
		if r.Requester.Email == e && !r.Draft {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// signedInVisitor is a visitor whose browser also holds a session cookie (sessions in
// signedin_test.go knows it as Sig Nedin, signed.in@example.com).
type signedInVisitor struct {
	*visitor
	session secret.Secret
}

func newSignedInVisitor(t *testing.T) (*signedInVisitor, *memory) {
	v, m, _, _ := newVisitor(t, false)
	tok := secret.New()
	v.h.Sessions = sessions{tok.Hash()}
	v.h.Mine = fakeMine{m: m}
	return &signedInVisitor{v, tok}, m
}

func (s *signedInVisitor) do(method, path string, form url.Values, query map[string]string) web.Response {
	s.t.Helper()
	resource, params := path, map[string]string{}
	if strings.HasPrefix(path, "/access-requests/") {
		id := strings.Split(path, "/")[2]
		params["id"] = id
		resource = "/access-requests/{id}" + strings.TrimPrefix(path, "/access-requests/"+id)
	}
	cookie := "__Host-session=" + s.session.Reveal()
	if s.cookie != "" {
		cookie = s.cookie + "; " + cookie
	}
	r := events.APIGatewayProxyRequest{HTTPMethod: method, Resource: resource, Path: path, PathParameters: params,
		QueryStringParameters: query, Headers: map[string]string{"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}}
	if form != nil {
		f := url.Values{page.FormField: {s.token}}
		for k, vs := range form {
			f[k] = vs
		}
		r.Body = f.Encode()
	}
	resp, _ := s.h.Handle(context.Background(), r)
	if c := resp.Headers["Set-Cookie"]; c != "" {
		s.cookie, _, _ = strings.Cut(c, ";")
	}
	if m := csrfRE.FindStringSubmatch(resp.Body); m != nil {
		s.token = m[1]
	}
	return resp
}

func TestSignedInTheDetailsComeFromTheSessionAndTheAddressCannotBeChanged(t *testing.T) {
	s, _ := newSignedInVisitor(t)
	s.do(http.MethodGet, pathRelationship, nil, nil)
	wantRedirect(t, s.do(http.MethodPost, pathRelationship, url.Values{"relationship": {"deputy"}}, nil), pathDetails)

	// A query string names nobody: only the session does.
	r := s.do(http.MethodGet, pathDetails, nil, map[string]string{"email": "victim@example.com", "name": "Vic Tim"})
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `value="Sig Nedin"`) || !strings.Contains(r.Body, "You are signed in as signed.in@example.com") {
		t.Fatalf("details not filled in from the session: %d\n%s", r.StatusCode, r.Body)
	}
	if strings.Contains(r.Body, `id="email"`) || strings.Contains(r.Body, "victim@example.com") {
		t.Fatalf("a signed-in person is asked for their address again, or another's is shown:\n%s", r.Body)
	}
	// A forged form field does not put another address on the request either.
	wantRedirect(t, s.do(http.MethodPost, pathDetails, url.Values{"name": {"Sig Nedin"}, "email": {"victim@example.com"}, "phone": {""}}, nil), pathClient)
	if got := s.journey().Answers.Requester; got.Email != "signed.in@example.com" || got.Name != "Sig Nedin" {
		t.Fatalf("requester %+v", got)
	}
	// Bad input still shows the error summary, with the address still shown and not asked.
	r = s.do(http.MethodPost, pathDetails, url.Values{"name": {""}}, nil)
	wantError(t, r, "Enter your full name")
	if !strings.Contains(r.Body, "You are signed in as signed.in@example.com") || strings.Contains(r.Body, `id="email"`) {
		t.Errorf("the error page lost the signed-in address:\n%s", r.Body)
	}
	if got := s.journey().Answers.Requester; got.Name != "Sig Nedin" {
		t.Errorf("a refused answer changed the journey: %+v", got)
	}
}

func TestWithoutASessionTheDetailsAreAskedAndNothingIsFilledIn(t *testing.T) {
	v, _, _, _ := newVisitor(t, false)
	v.get(pathRelationship)
	v.post(pathRelationship, url.Values{"relationship": {"deputy"}})
	r := v.do(http.MethodGet, pathDetails, nil, map[string]string{"email": "victim@example.com"})
	if !strings.Contains(r.Body, `id="email"`) || strings.Contains(r.Body, "victim@example.com") || strings.Contains(r.Body, "signed in") {
		t.Fatalf("%s", r.Body)
	}
}

// sent stores a sent request from an address, made at a time.
func sent(m *memory, email access.Email, client string, st access.Status, at time.Time) access.Request {
	r := access.Request{ID: access.NewRequestID(), Reference: access.NewReference(), Requester: access.Requester{Name: "X", Email: email},
		Relationship: access.Deputy, Client: access.Client{Name: client}, Status: st, CreatedAt: at}
	m.reqs[r.ID] = r
	return r
}

func TestASignedInPersonSeesTheirOwnRequestsNewestFirstWithEachStatus(t *testing.T) {
	s, m := newSignedInVisitor(t)
	older := sent(m, "signed.in@example.com", "Mum Smith", access.Approved, linkNow.Add(-48*time.Hour))
	newer := sent(m, "signed.in@example.com", "Dad Smith", access.ReadyForReview, linkNow.Add(-time.Hour))
	theirs := sent(m, "someone.else@example.com", "Their Client", access.Rejected, linkNow)

	r := s.do(http.MethodGet, pathRequests, nil, nil)
	if r.StatusCode != http.StatusOK || r.Headers["Cache-Control"] != "no-store" {
		t.Fatalf("%d %v\n%s", r.StatusCode, r.Headers, r.Body)
	}
	iNewer, iOlder := strings.Index(r.Body, string(newer.Reference)), strings.Index(r.Body, string(older.Reference))
	if iNewer < 0 || iOlder < 0 || iNewer > iOlder {
		t.Fatalf("want both requests, newest first:\n%s", r.Body)
	}
	for _, want := range []string{"Dad Smith", "With the Client Finance team", "Mum Smith", "Approved", "21 November 2026",
		`href="/access-requests/` + string(newer.ID) + `"`, `href="/request/relationship"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the list lacks %q", want)
		}
	}
	if strings.Contains(r.Body, string(theirs.Reference)) || strings.Contains(r.Body, "Their Client") {
		t.Errorf("another person's request is listed")
	}

	// Each row's link opens the status page for its requester without the emailed link...
	r = s.do(http.MethodGet, "/access-requests/"+string(newer.ID), nil, nil)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, string(newer.Reference)) || !strings.Contains(r.Body, "With the Client Finance team") ||
		!strings.Contains(r.Body, `href="/requests"`) {
		t.Fatalf("own request's status: %d\n%s", r.StatusCode, r.Body)
	}
	// ...and nobody else's: another person's request looks like a link that does not work.
	if r := s.do(http.MethodGet, "/access-requests/"+string(theirs.ID), nil, nil); r.StatusCode != http.StatusNotFound || strings.Contains(r.Body, "Their Client") {
		t.Errorf("another person's request: %d\n%s", r.StatusCode, r.Body)
	}
}

func TestTheRequestsPageNeedsASessionAndSaysSoWhenTheStoreFails(t *testing.T) {
	v, m, _, _ := newVisitor(t, false)
	v.h.Sessions, v.h.Mine = sessions{"not this one"}, fakeMine{m: m}
	wantRedirect(t, v.get(pathRequests), pathSignIn)
	v.cookie = "__Host-session=" + secret.New().Reveal() // a session that has ended
	wantRedirect(t, v.get(pathRequests), pathSignIn)

	s, m := newSignedInVisitor(t)
	if r := s.do(http.MethodGet, pathRequests, nil, nil); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "You have not sent any requests") {
		t.Errorf("no requests yet: %d\n%s", r.StatusCode, r.Body)
	}
	s.h.Mine = fakeMine{m: m, fail: errors.New("throttled")}
	if r := s.do(http.MethodGet, pathRequests, nil, nil); r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.Body, "Sorry, there is a problem with the service") ||
		strings.Contains(r.Body, "throttled") {
		t.Errorf("a failing store: %d\n%s", r.StatusCode, r.Body)
	}
}
