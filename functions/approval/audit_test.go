package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/staff"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// fakeTrail is the audit trail in memory; with err set, every write fails.
type fakeTrail struct {
	events []store.AuditEvent
	err    error
}

// AuditTrail answers as the store does: the list named, within the range, newest first.
func (f *fakeTrail) AuditTrail(_ context.Context, of store.AuditOf, in store.AuditRange, limit int) ([]store.AuditEvent, bool, error) {
	if f.err != nil {
		return nil, false, f.err
	}
	var out []store.AuditEvent
	for i := len(f.events) - 1; i >= 0; i-- {
		e := f.events[i]
		mine := (of.Client != "" && e.ClientReference == of.Client) || (of.By != "" && e.Email == of.By) || (of.About != "" && e.Subject == of.About)
		if mine && (in.From.IsZero() || !e.At.Before(in.From)) && (in.To.IsZero() || e.At.Before(in.To)) {
			out = append(out, e)
		}
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
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

// fakeHoldings is what the store holds about people, in memory.
type fakeHoldings struct {
	accounts map[access.Email]store.Account
	requests map[access.Email][]access.Request
	grants   map[access.Email][]store.Grant
	mail     map[access.Email][]store.SentMail
}

func (f *fakeHoldings) Account(_ context.Context, e access.Email) (store.Account, error) {
	a, ok := f.accounts[e]
	if !ok {
		return a, store.ErrNotFound
	}
	return a, nil
}
func (f *fakeHoldings) RequestsOf(_ context.Context, e access.Email, _ int) ([]access.Request, error) {
	return f.requests[e], nil
}
func (f *fakeHoldings) GrantsOf(_ context.Context, e access.Email) ([]store.Grant, error) {
	return f.grants[e], nil
}
func (f *fakeHoldings) Suppressed(context.Context, access.Email) (store.Suppression, bool, error) {
	return store.Suppression{}, false, nil
}
func (f *fakeHoldings) MailTo(_ context.Context, e access.Email, _ int) ([]store.SentMail, error) {
	return f.mail[e], nil
}

// fakeArchive keeps what is written; its links name the key.
type fakeArchive struct {
	objects map[string][]byte
	ttl     time.Duration
	err     error
}

func (f *fakeArchive) Put(_ context.Context, key string, body []byte, _ string) error {
	if f.err != nil {
		return f.err
	}
	if f.objects == nil {
		f.objects = map[string][]byte{}
	}
	f.objects[key] = body
	return nil
}
func (f *fakeArchive) DownloadURL(_ context.Context, key, _ string, ttl time.Duration) (string, error) {
	f.ttl = ttl
	return "https://documents.example/" + key + "?sig=1", nil
}

// asGovernance signs an information-governance officer in and returns their cookie.
func asGovernance(h Handler) string {
	fs := h.Staff.(*fakeStaff)
	tok := secret.New()
	fs.sessions[tok.Hash()] = staff.Session{Hash: tok.Hash(), Person: staff.Person{Email: "ig@council.example", Name: "Ida", Roles: []staff.Role{staff.Governance}}, CreatedAt: now, LastSeen: now}
	return "staff=" + tok.Reveal()
}

// trailOf is a trail with staff and citizen events about dee@example.com and client 1234567.
func trailOf(h Handler) *fakeTrail {
	t := h.Trail.(*fakeTrail)
	t.events = []store.AuditEvent{
		{ID: "a1", At: now.AddDate(0, 0, -10), Action: store.AuditStaffViewRequest, Email: teamAddr, Subject: "dee@example.com", ClientReference: "1234567", RequestID: "r1", SourceIP: "192.0.2.1"},
		{ID: "a2", At: now.AddDate(0, 0, -2), Action: store.AuditListDocuments, Email: "dee@example.com", ClientReference: "1234567", GrantID: "r1", UserAgent: "=HYPERLINK(\"http://evil\")"},
		{ID: "a3", At: now.Add(-time.Hour), Action: store.AuditStaffDecide, Email: teamAddr, Subject: "dee@example.com", ClientReference: "1234567", RequestID: "r1", Detail: "approve"},
		{ID: "a4", At: now.Add(-time.Hour), Action: store.AuditStaffViewClient, Email: teamAddr, ClientReference: "7654321"},
	}
	return t
}

func auditGet(h Handler, cookie, resource string, query map[string]string) web.Response {
	return call(h, "GET", resource, resource, cookie, nil, query, "")
}

// The audit page answers by client or by person, within dates, and records that it was read.
func TestAuditPageByClientAndPerson(t *testing.T) {
	h, _, _ := setup()
	ig := asGovernance(h)
	trail := trailOf(h)
	empty := auditGet(h, ig, "/staff/audit", nil)
	if empty.StatusCode != 200 || !strings.Contains(empty.Body, `id="client"`) || !strings.Contains(empty.Body, `id="from"`) || strings.Contains(empty.Body, "govuk-error-summary") {
		t.Fatalf("the empty audit page: %d\n%s", empty.StatusCode, empty.Body)
	}
	resp := auditGet(h, ig, "/staff/audit", map[string]string{"client": "1234567"})
	if resp.StatusCode != 200 || strings.Count(resp.Body, `<tr class="govuk-table__row">`) != 4 || !strings.Contains(resp.Body, "view request") ||
		!strings.Contains(resp.Body, "list documents") || strings.Contains(resp.Body, "7654321") || strings.Contains(resp.Body, "Subject access") ||
		!strings.Contains(resp.Body, `href="/staff/audit/csv?client=1234567"`) {
		t.Errorf("client audit: %d\n%s", resp.StatusCode, resp.Body)
	}
	if got := trail.events[len(trail.events)-1]; got.Action != store.AuditStaffViewAudit || got.Email != "ig@council.example" || got.ClientReference != "1234567" {
		t.Errorf("reading the trail was recorded as %+v", got)
	}
	// A person: what they did, and what staff did about them; the dates keep the last week only.
	q := map[string]string{"email": " Dee@Example.com ", "from-day": "23", "from-month": "2", "from-year": "2026", "to-day": "2", "to-month": "3", "to-year": "2026"}
	resp = auditGet(h, ig, "/staff/audit", q)
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, "What dee@example.com did") || !strings.Contains(resp.Body, "What staff did about dee@example.com") ||
		!strings.Contains(resp.Body, "decide") || strings.Contains(resp.Body, "request r1</td>") && strings.Contains(resp.Body, "20 February") ||
		!strings.Contains(resp.Body, `action="/staff/audit/export"`) || !strings.Contains(resp.Body, exportKey(strings.TrimPrefix(ig, "staff="), "dee@example.com")) {
		t.Errorf("person audit: %d\n%s", resp.StatusCode, resp.Body)
	}
	if strings.Contains(resp.Body, "20 February 2026") { // a1, ten days ago, is before the from date
		t.Error("an event before the from date is shown")
	}
	if got := trail.events[len(trail.events)-1]; got.Subject != "dee@example.com" || got.Action != store.AuditStaffViewAudit {
		t.Errorf("reading a person's trail was recorded as %+v", got)
	}
}

// Bad questions are answered with the form, its error summary and each field's message; nothing is read.
func TestAuditPageValidation(t *testing.T) {
	h, _, _ := setup()
	ig := asGovernance(h)
	trail := trailOf(h)
	before := len(trail.events)
	for name, c := range map[string]struct {
		q     map[string]string
		field string
		text  string
	}{
		"nothing asked": {map[string]string{"from-day": "1"}, "client", "Enter a client reference or an email address"},
		"both":          {map[string]string{"client": "1234567", "email": "a@b.example"}, "client", "not both"},
		"bad reference": {map[string]string{"client": "12#REQ"}, "client", "as the council"},
		"bad email":     {map[string]string{"email": "dee at example"}, "email", "correct format"},
		"half a date":   {map[string]string{"client": "1234567", "from-day": "1", "from-year": "2026"}, "from", "must include a month"},
		"not a date":    {map[string]string{"client": "1234567", "to-day": "31", "to-month": "2", "to-year": "2026"}, "to", "real date"},
		"future":        {map[string]string{"client": "1234567", "to-day": "1", "to-month": "1", "to-year": "2030"}, "to", "in the past"},
		"reversed":      {map[string]string{"client": "1234567", "from-day": "2", "from-month": "3", "from-year": "2026", "to-day": "1", "to-month": "3", "to-year": "2026"}, "to", "after the from date"},
	} {
		for _, resource := range []string{"/staff/audit", "/staff/audit/csv"} {
			resp := auditGet(h, ig, resource, c.q)
			if resp.StatusCode != 400 || !strings.Contains(resp.Body, "govuk-error-summary") || !strings.Contains(resp.Body, `href="#`+c.field+`"`) ||
				!strings.Contains(resp.Body, c.text) || !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") || !strings.Contains(resp.Body, "<title>Error: ") {
				t.Errorf("%s at %s: %d\n%s", name, resource, resp.StatusCode, resp.Body)
			}
		}
	}
	if len(trail.events) != before {
		t.Errorf("refused questions were recorded as reads: %+v", trail.events[before:])
	}
}

// The CSV is the page's question as a file: an attachment, formulas defused, the download recorded.
func TestAuditCSV(t *testing.T) {
	h, _, _ := setup()
	ig := asGovernance(h)
	trail := trailOf(h)
	resp := auditGet(h, ig, "/staff/audit/csv", map[string]string{"email": "dee@example.com"})
	if resp.StatusCode != 200 || resp.Headers["Content-Type"] != "text/csv; charset=utf-8" || resp.Headers["Content-Disposition"] != `attachment; filename="audit-person.csv"` {
		t.Fatalf("csv: %d %v", resp.StatusCode, resp.Headers)
	}
	rows, err := csv.NewReader(strings.NewReader(resp.Body)).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "time (UTC)" || rows[1][1] != store.AuditStaffDecide || rows[2][1] != store.AuditListDocuments {
		t.Fatalf("csv rows %q %v", rows, err)
	}
	if ua := rows[2][10]; ua != `'=HYPERLINK("http://evil")` {
		t.Errorf("a user agent that is a formula is written as %q", ua)
	}
	if got := trail.events[len(trail.events)-1]; got.Action != store.AuditStaffDownloadAudit || got.Email != "ig@council.example" || got.Subject != "dee@example.com" {
		t.Errorf("the download was recorded as %+v", got)
	}
	if got := safeCells("+1", "-1", "@x", "\t=1", "a=b", ""); !slices.Equal(got, []string{"'+1", "'-1", "'@x", "'\t=1", "a=b", ""}) {
		t.Errorf("safeCells = %q", got)
	}
}

// unzip is an archive's files by name.
func unzip(t *testing.T, b []byte) map[string]string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range z.File {
		r, _ := f.Open()
		c, _ := io.ReadAll(r)
		out[f.Name] = string(c)
	}
	return out
}

// The export needs the form's anti-forgery field; it writes one zip of what is held about the
// person under exports/, records itself, and shows a 15-minute link on the page.
func TestSubjectAccessExport(t *testing.T) {
	h, f, _ := setup()
	ig := asGovernance(h)
	trail := trailOf(h)
	archive := h.Archive.(*fakeArchive)
	hold := h.Holdings.(*fakeHoldings)
	dee := access.Email("dee@example.com")
	hold.accounts = map[access.Email]store.Account{dee: {Email: dee, Name: "Dee Requester", Status: "active", CreatedAt: now}}
	f.req.ContinuationHash = "secret-hash"
	hold.requests = map[access.Email][]access.Request{dee: {f.req}}
	hold.grants = map[access.Email][]store.Grant{dee: {{RequestID: "r1", Name: "Dee Requester", ClientName: "Cli Ent"}}}
	hold.mail = map[access.Email][]store.SentMail{dee: {{ID: "m1", Template: "request_approved", Request: "r1", Status: "sent", SentAt: now}}}
	send := func(cookie string, form url.Values) web.Response {
		return call(h, "POST", "/staff/audit/export", "/staff/audit/export", cookie, nil, nil, form.Encode())
	}
	key := exportKey(strings.TrimPrefix(ig, "staff="), dee)
	for name, form := range map[string]url.Values{
		"no field":          {"email": {"dee@example.com"}},
		"another person's":  {"email": {"sam@example.com"}, "csrf": {key}},
		"another session's": {"email": {"dee@example.com"}, "csrf": {exportKey(goodToken, dee)}},
	} {
		if resp := send(ig, form); resp.StatusCode != http.StatusForbidden || len(archive.objects) != 0 {
			t.Errorf("%s: %d, %d objects written", name, resp.StatusCode, len(archive.objects))
		}
	}
	before := len(trail.events)
	resp := send(ig, url.Values{"email": {"Dee@example.com"}, "csrf": {key}})
	if resp.StatusCode != 200 || len(archive.objects) != 1 || archive.ttl != 15*time.Minute {
		t.Fatalf("export: %d, %d objects, link for %v\n%s", resp.StatusCode, len(archive.objects), archive.ttl, resp.Body)
	}
	var k string
	var body []byte
	for k, body = range archive.objects {
	}
	if !strings.HasPrefix(k, "exports/") || !strings.Contains(resp.Body, `href="https://documents.example/`+k+`?sig=1"`) {
		t.Errorf("written at %q; page:\n%s", k, resp.Body)
	}
	files := unzip(t, body)
	for name, want := range map[string][]string{
		"README.txt":             {"dee@example.com", "ig@council.example"},
		"account.json":           {`"Name": "Dee Requester"`},
		"requests.json":          {"O'Brien\\u003cimg src=x\\u003e", "01632 960001", `"fileName": "lpa\u003c1\u003e.pdf"`, `"SHA256": "abc"`},
		"grants.json":            {`"ClientName": "Cli Ent"`},
		"audit-by-them.json":     {store.AuditListDocuments},
		"audit-about-them.json":  {store.AuditStaffDecide, store.AuditStaffViewRequest},
		"email-suppression.json": {"null"},
		"emails.json":            {`"Template": "request_approved"`, `"Status": "sent"`},
	} {
		for _, w := range want {
			if !strings.Contains(files[name], w) {
				t.Errorf("%s lacks %q:\n%s", name, w, files[name])
			}
		}
	}
	if strings.Contains(files["requests.json"], "secret-hash") {
		t.Error("the export holds the request's continuation hash")
	}
	got := trail.events[len(trail.events)-1]
	if len(trail.events) != before+1 || got.Action != store.AuditStaffExport || got.Email != "ig@council.example" || got.Subject != dee {
		t.Errorf("the export was recorded as %+v", trail.events[before:])
	}
	// With the audit trail down, no link is handed over.
	trail.err = errors.New("throttled")
	if resp := send(ig, url.Values{"email": {"dee@example.com"}, "csrf": {key}}); resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(resp.Body, "documents.example") {
		t.Errorf("export with the audit down: %d\n%s", resp.StatusCode, resp.Body)
	}
}
