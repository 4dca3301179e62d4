package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// fakeTrail is the audit trail in memory; with err set, every write fails.
type fakeTrail struct {
	events []store.AuditEvent
	err    error
}

func (f *fakeTrail) Audit(_ context.Context, e store.AuditEvent) error {
	if f.err != nil {
		return f.err
	}
	f.events = append(f.events, e)
	return nil
}

// asBrowser is a GET or POST from a browser with an address and a user agent, as the reviewer.
func asBrowser(h Handler, method, resource, path string, params map[string]string, body string) web.Response {
	r := web.Request{HTTPMethod: method, Resource: resource, Path: path, PathParameters: params, Body: body,
		Headers: map[string]string{"content-type": "application/x-www-form-urlencoded", "Cookie": "staff=" + goodToken, "User-Agent": "Firefox/" + strings.Repeat("x", 400)}}
	r.RequestContext.Identity.SourceIP = "192.0.2.7"
	resp, _ := h.Handle(context.Background(), r)
	return resp
}

// Every staff view and action is on the record, in the signed-in member of staff's name, with
// where it came from and whom it was about.
func TestEveryStaffViewAndActionIsAudited(t *testing.T) {
	h, f, _ := setup()
	f.req.Client.ClientReference = "1234567"
	f.grants = map[string][]access.Grant{"1234567": {{RequestID: "r0", Name: "Sam", ClientName: "Cli Ent"}}}
	trail := h.Trail.(*fakeTrail)
	id := map[string]string{"id": "r1"}
	steps := []struct {
		name string
		do   func() web.Response
		code int
		want store.AuditEvent
	}{
		{"queue", func() web.Response { return asBrowser(h, "GET", "/staff", "/staff", nil, "") }, 200,
			store.AuditEvent{Action: store.AuditStaffViewQueue, Detail: "shown=1"}},
		{"request page", func() web.Response { return asBrowser(h, "GET", "/staff/requests/{id}", "/staff/requests/r1", id, "") }, 200,
			store.AuditEvent{Action: store.AuditStaffViewRequest, Subject: "dee@example.com", ClientReference: "1234567", RequestID: "r1"}},
		{"evidence", func() web.Response {
			return asBrowser(h, "GET", "/staff/requests/{id}/evidence/{evidenceId}", "/staff/requests/r1/evidence/eclean", map[string]string{"id": "r1", "evidenceId": "eclean"}, "")
		}, http.StatusFound, store.AuditEvent{Action: store.AuditStaffOpenEvidence, Subject: "dee@example.com", ClientReference: "1234567", RequestID: "r1", Detail: "evidence=eclean"}},
		{"client page", func() web.Response {
			return asBrowser(h, "GET", "/staff/clients/{clientReference}", "/staff/clients/1234567", map[string]string{"clientReference": "1234567"}, "")
		}, 200, store.AuditEvent{Action: store.AuditStaffViewClient, ClientReference: "1234567"}},
		{"decision", func() web.Response {
			return asBrowser(h, "POST", "/staff/requests/{id}", "/staff/requests/r1", id, signed("action", "record_security_check", "note", "rang her").Encode())
		}, http.StatusSeeOther, store.AuditEvent{Action: store.AuditStaffDecide, Subject: "dee@example.com", ClientReference: "1234567", RequestID: "r1", Detail: "record_security_check"}},
	}
	for _, s := range steps {
		trail.events = nil
		if resp := s.do(); resp.StatusCode != s.code || len(trail.events) != 1 {
			t.Errorf("%s: %d, %d events; want %d and one", s.name, resp.StatusCode, len(trail.events), s.code)
			continue
		}
		got := trail.events[0]
		if got.Email != teamAddr || got.SourceIP != "192.0.2.7" || !strings.HasPrefix(got.UserAgent, "Firefox/") || len(got.UserAgent) != maxUA || !got.At.Equal(now) {
			t.Errorf("%s: recorded as %+v", s.name, got)
		}
		got.Email, got.SourceIP, got.UserAgent, got.At = "", "", "", now
		s.want.At = now
		if got != s.want {
			t.Errorf("%s: recorded %+v; want %+v", s.name, got, s.want)
		}
	}
}

// If the record cannot be written, nothing is shown and no evidence link is handed out.
func TestNothingIsShownUnrecorded(t *testing.T) {
	h, f, _ := setup()
	f.grants = map[string][]access.Grant{"1234567": {{RequestID: "r0", Name: "Sam", ClientName: "Cli Ent"}}}
	h.Trail.(*fakeTrail).err = errors.New("throttled")
	for name, resp := range map[string]web.Response{
		"queue":        asBrowser(h, "GET", "/staff", "/staff", nil, ""),
		"request page": asBrowser(h, "GET", "/staff/requests/{id}", "/staff/requests/r1", map[string]string{"id": "r1"}, ""),
		"evidence": asBrowser(h, "GET", "/staff/requests/{id}/evidence/{evidenceId}", "/staff/requests/r1/evidence/eclean",
			map[string]string{"id": "r1", "evidenceId": "eclean"}, ""),
		"client page": asBrowser(h, "GET", "/staff/clients/{clientReference}", "/staff/clients/1234567", map[string]string{"clientReference": "1234567"}, ""),
	} {
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Headers["Location"] != "" || strings.Contains(resp.Body, "uploads.example") ||
			strings.Contains(resp.Body, "dee@example.com") || strings.Contains(resp.Body, "Sam") {
			t.Errorf("%s with the audit down: %d %v", name, resp.StatusCode, resp.Headers)
		}
	}
	// A decision is made (and in the request's history) even if its audit record fails.
	form := url.Values{"csrf": {formKey(goodToken, "r1")}, "action": {"record_security_check"}, "note": {"rang"}}
	if resp := post(h, "r1", form); resp.StatusCode != http.StatusSeeOther || len(f.calls) != 1 {
		t.Errorf("decision with the audit down: %d %v", resp.StatusCode, f.calls)
	}
}
