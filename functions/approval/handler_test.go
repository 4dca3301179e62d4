package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/staff"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

var now = time.Date(2026, 3, 2, 14, 5, 0, 0, time.UTC)

const (
	// goodToken is the signed-in reviewer's staff session token (the cookie's value).
	goodToken = "good-token-abcdefghijklmnopqrstuvwxyz0123456789"
	teamAddr  = access.Email("riya@council.example") // the signed-in reviewer, as their ID token named them
)

// fakeReviews is an in-memory store: one request and a record of every change asked for.
type fakeReviews struct {
	req     access.Request
	ev      []access.Evidence
	calls   []string
	err     error // returned by every change
	readErr error // returned by Request
	grants  map[string][]access.Grant
	open    map[string][]access.Request
	docs    map[string][]store.Document
	audit   map[string][]store.AuditEvent
}

func (f *fakeReviews) GranteesOf(_ context.Context, ref string) ([]access.Grant, error) {
	return f.grants[ref], nil
}

func (f *fakeReviews) OpenRequestsFor(_ context.Context, ref string) ([]access.Request, error) {
	return f.open[ref], nil
}

func (f *fakeReviews) AuditOfClient(_ context.Context, ref string, _ int) ([]store.AuditEvent, error) {
	return f.audit[ref], nil
}

// Documents and HiddenDocuments split a client's documents as the store's partitions do.
func (f *fakeReviews) Documents(_ context.Context, ref string, _ store.DocumentType, _ string, _ int) (store.DocumentPage, error) {
	var p store.DocumentPage
	for _, d := range f.docs[ref] {
		if d.Current() {
			p.Documents = append(p.Documents, d)
		}
	}
	return p, nil
}

func (f *fakeReviews) HiddenDocuments(_ context.Context, ref string, _ int) ([]store.Document, bool, error) {
	var out []store.Document
	for _, d := range f.docs[ref] {
		if !d.Current() {
			out = append(out, d)
		}
	}
	return out, false, nil
}

func (f *fakeReviews) Request(_ context.Context, id access.RequestID) (access.Request, []access.Evidence, error) {
	if f.readErr != nil {
		return access.Request{}, nil, f.readErr
	}
	if id != f.req.ID {
		return access.Request{}, nil, store.ErrNotFound
	}
	return f.req, f.ev, nil
}

func (f *fakeReviews) RequestByReference(ctx context.Context, ref access.Reference) (access.Request, []access.Evidence, error) {
	if f.req.Reference == "" || ref != f.req.Reference {
		return access.Request{}, nil, store.ErrNotFound
	}
	return f.Request(ctx, f.req.ID)
}

func (f *fakeReviews) record(s string) error { f.calls = append(f.calls, s); return f.err }

func (f *fakeReviews) Approve(_ context.Context, id access.RequestID, a access.Approval) error {
	return f.record("approve " + string(id) + " " + string(a.By) + " " + a.ClientReference + " " + a.AccessEndsOn)
}
func (f *fakeReviews) Reject(_ context.Context, id access.RequestID, by access.Email, reason string) error {
	return f.record("reject " + string(id) + " " + string(by) + " " + reason)
}
func (f *fakeReviews) RequestInformation(_ context.Context, id access.RequestID, by access.Email, m string) error {
	return f.record("more " + string(id) + " " + string(by) + " " + m)
}
func (f *fakeReviews) RecordSecurityCheck(_ context.Context, id access.RequestID, by access.Email, n string) error {
	return f.record("check " + string(id) + " " + string(by) + " " + n)
}
func (f *fakeReviews) EndAccess(_ context.Context, id access.RequestID, by access.Email, reason string) error {
	return f.record("end " + string(id) + " " + string(by) + " " + reason)
}

func (f *fakeReviews) ChangeEndDate(_ context.Context, id access.RequestID, by access.Email, endsOn string) error {
	return f.record("end date " + string(id) + " " + string(by) + " " + endsOn)
}

type fakeFiles struct{ ttl time.Duration }

func (f *fakeFiles) VersionURL(_ context.Context, key, version, name string, ttl time.Duration) (string, error) {
	f.ttl = ttl
	return "https://uploads.example/" + key + "?versionId=" + version + "&sig=1", nil
}

// rendered is a clean file's rendition, as function render records it.
func rendered(e access.Evidence) access.Evidence {
	e.Status, e.SHA256 = access.Clean, "abc"
	e.Rendition = &access.Rendition{Version: "v1", SHA256: "abc", Key: access.RenditionKey(e.RequestID, e.ID), Object: "rv7", Type: "application/pdf", Pages: 1}
	return e
}

// setup is the handler over fakes with one request, r1, and a reviewer signed in with goodToken.
func setup() (Handler, *fakeReviews, *fakeFiles) {
	req := access.Request{
		ID: "r1", Status: access.ReadyForReview, Relationship: access.AttorneyLPA,
		Requester:     access.Requester{Name: "<script>alert(1)</script>", Email: "dee@example.com", Phone: "01632 960001"},
		Client:        access.Client{Name: `Cli "Ent" & <b>co</b>`, DateOfBirth: "1941-03-04", Postcode: "SW1A 1AA"},
		LPAAccessCode: "V-ABCD-EFGH-JKLM", DonorSurname: "O'Brien<img src=x>",
		CreatedAt: now.Add(-time.Hour), SubmittedAt: now.Add(-50 * time.Minute),
	}
	f := &fakeReviews{req: req, ev: []access.Evidence{
		rendered(access.Evidence{ID: "eclean", RequestID: "r1", File: access.File{FileName: "lpa<1>.pdf"}}),
		{ID: "einfected", RequestID: "r1", File: access.File{FileName: "bad.pdf"}, Status: access.Infected},
	}}
	fs := newFakeStaff()
	h := secret.From(goodToken).Hash()
	fs.sessions[h] = staff.Session{Hash: h, Person: staff.Person{Subject: "u1", Email: string(teamAddr), Name: "Riya Reviewer", Roles: []staff.Role{staff.Reviewer}},
		CreatedAt: now, LastSeen: now}
	files := &fakeFiles{}
	hd := Handler{Reviews: f, Files: files, Staff: fs, Trail: &fakeTrail{}, Holdings: &fakeHoldings{}, Archive: &fakeArchive{}, People: newFakePeople(), Insecure: true,
		ClientRef: setting.From(nil).Pattern(setting.ClientRefFormat), Now: func() time.Time { return now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return hd, f, files
}

// get opens request id's page, or with an evidence id that file, as the signed-in reviewer.
func get(h Handler, id string, extra ...string) web.Response {
	r := web.Request{HTTPMethod: "GET", Resource: "/staff/requests/{id}", Path: "/staff/requests/" + id, PathParameters: map[string]string{"id": id},
		Headers: map[string]string{"Cookie": "staff=" + goodToken}}
	if len(extra) == 1 {
		r.Resource = "/staff/requests/{id}/evidence/{evidenceId}"
		r.PathParameters["evidenceId"] = extra[0]
	}
	resp, _ := h.Handle(context.Background(), r)
	return resp
}

// post sends a form to request id's page as the signed-in reviewer.
func post(h Handler, id string, form url.Values) web.Response {
	r := web.Request{HTTPMethod: "POST", Resource: "/staff/requests/{id}", Path: "/staff/requests/" + id, PathParameters: map[string]string{"id": id},
		Headers: map[string]string{"content-type": "application/x-www-form-urlencoded", "Cookie": "staff=" + goodToken}, Body: form.Encode()}
	resp, _ := h.Handle(context.Background(), r)
	return resp
}

// signed is a form with the page's anti-forgery field for the reviewer's session.
func signed(kv ...string) url.Values {
	v := url.Values{"csrf": {formKey(goodToken, "r1")}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func TestReviewPageShowsTheRequestEscapedAndChangesNothing(t *testing.T) {
	h, f, _ := setup()
	resp := get(h, "r1")
	if resp.StatusCode != 200 || resp.Headers["Content-Type"] != "text/html; charset=utf-8" {
		t.Fatalf("status %d %v", resp.StatusCode, resp.Headers)
	}
	b := resp.Body
	for _, bad := range []string{"<script>", "<b>co</b>", "<img src=x>"} {
		if strings.Contains(b, bad) {
			t.Errorf("requester-supplied %q is in the page unescaped", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "V-ABCD-EFGH-JKLM", "O&#39;Brien&lt;img src=x&gt;", ViewLPA,
		"dee@example.com", "01632 960001", `name="csrf" value="` + formKey(goodToken, "r1") + `"`, "Ready for review",
		`href="./r1/evidence/eclean"`, "Removed: a virus was found", "2 March 2026 at 1:05pm"} {
		if !strings.Contains(b, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(b, "/evidence/einfected") {
		t.Error("an infected file has a view link")
	}
	if len(f.calls) != 0 {
		t.Fatalf("a GET changed something: %v", f.calls)
	}
}

func TestEveryAnswerCarriesTheSecurityHeaders(t *testing.T) {
	h, _, _ := setup()
	for name, resp := range map[string]web.Response{
		"page": get(h, "r1"), "404": get(h, "nope"), "303": post(h, "r1", signed("action", "record_security_check", "note", "ok")),
		"evidence": get(h, "r1", "eclean"),
	} {
		hd := resp.Headers
		csp := hd["Content-Security-Policy"]
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "style-src 'sha") ||
			!strings.Contains(csp, "frame-ancestors 'none'") || hd["X-Frame-Options"] != "DENY" || hd["Referrer-Policy"] != "no-referrer" ||
			hd["Cache-Control"] != "no-store" {
			t.Errorf("%s: headers %v", name, hd)
		}
	}
	// A page takes GOV.UK Frontend's stylesheet and scripts from the site's /assets/, which its
	// policy allows ('self'), and its one inline script runs by the answer's nonce alone.
	resp := get(h, "r1")
	csp := resp.Headers["Content-Security-Policy"]
	nonce := regexp.MustCompile(`<script nonce="([^"]+)">`).FindStringSubmatch(resp.Body)
	if nonce == nil || !strings.Contains(csp, "script-src 'self' 'nonce-"+nonce[1]+"'") || !strings.Contains(csp, "style-src 'self'") ||
		!strings.Contains(resp.Body, `<link rel="stylesheet" href="`+page.Asset("portal.css")+`"`) || !strings.Contains(resp.Body, `src="`+page.Asset("init.js")+`"`) ||
		strings.Contains(resp.Body, "<style") || strings.Count(resp.Body, "<script") != 2 {
		t.Errorf("the page's stylesheet, scripts and policy do not agree: %s\n%.600s", csp, resp.Body)
	}
	if again := get(h, "r1").Headers["Content-Security-Policy"]; again == csp {
		t.Error("two answers share a nonce")
	}
}

func TestUnknownRequestsGetAPageAndChangeNothing(t *testing.T) {
	h, f, _ := setup()
	for _, id := range []string{"nope", "", strings.Repeat("x", 300)} {
		if resp := get(h, id); resp.StatusCode != http.StatusNotFound || !strings.Contains(resp.Body, "<h1 ") {
			t.Errorf("GET %.20q: %d, want 404", id, resp.StatusCode)
		}
		if resp := post(h, id, url.Values{"csrf": {formKey(goodToken, access.RequestID(id))}, "action": {"approve"}, "clientReference": {"1234567"}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %.20q: %d, want 404", id, resp.StatusCode)
		}
	}
	if len(f.calls) != 0 {
		t.Fatalf("an unknown request changed something: %v", f.calls)
	}
	f.readErr = errors.New("throttled")
	if resp := get(h, "r1"); resp.StatusCode != 503 || !strings.Contains(resp.Body, "Try again in a moment") {
		t.Errorf("store failure: %d", resp.StatusCode)
	}
}

func TestPostsNeedTheAntiForgeryField(t *testing.T) {
	h, f, _ := setup()
	for name, v := range map[string]url.Values{
		"missing":           {"action": {"approve"}, "clientReference": {"1234567"}},
		"wrong":             {"csrf": {"x"}, "action": {"approve"}, "clientReference": {"1234567"}},
		"another request":   {"csrf": {formKey(goodToken, "r2")}, "action": {"approve"}, "clientReference": {"1234567"}},
		"another session's": {"csrf": {formKey("other-token", "r1")}, "action": {"approve"}, "clientReference": {"1234567"}},
		"the token's hash":  {"csrf": {secret.From(goodToken).Hash()}, "action": {"approve"}, "clientReference": {"1234567"}},
		"sign-out's":        {"csrf": {signOutKey(goodToken)}, "action": {"approve"}, "clientReference": {"1234567"}},
		"twice, first good": {"csrf": {"x", formKey(goodToken, "r1")}, "action": {"approve"}, "clientReference": {"1234567"}},
	} {
		if resp := post(h, "r1", v); resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Body, "Nothing was changed") {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
	r := web.Request{HTTPMethod: "POST", Resource: "/staff/requests/{id}", PathParameters: map[string]string{"id": "r1"},
		Headers: map[string]string{"Content-Type": "application/json", "Cookie": "staff=" + goodToken}, Body: `{"action":"approve"}`}
	if resp, _ := h.Handle(context.Background(), r); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("JSON body: %d", resp.StatusCode)
	}
	if len(f.calls) != 0 {
		t.Fatalf("a refused post changed something: %v", f.calls)
	}
}

func TestEachActionIsRecordedAndAnswers303(t *testing.T) {
	cases := []struct {
		form url.Values
		call string
	}{
		{signed("action", "approve", "clientReference", " 1234567 ", "clientReferenceConfirm", "1234567"), "approve r1 riya@council.example 1234567 "},
		{signed("action", "approve", "clientReference", "1234567", "clientReferenceConfirm", "1234567", "accessEndsOn", "31/3/2027"), "approve r1 riya@council.example 1234567 2027-03-31"},
		{signed("action", "reject", "reason", "Not named in the order."), "reject r1 riya@council.example Not named in the order."},
		{signed("action", "request_information", "message", "Send page 2."), "more r1 riya@council.example Send page 2."},
		{signed("action", "record_security_check", "note", "Phoned; confirmed."), "check r1 riya@council.example Phoned; confirmed."},
		{signed("action", "end_access", "endReason", "client_died"), "end r1 riya@council.example The client has died"},
		{signed("action", "end_access", "endReason", "other", "endReasonOther", "Moved abroad"), "end r1 riya@council.example Moved abroad"},
		{signed("action", "change_end_date", "newEndsOn", "31/3/2027"), "end date r1 riya@council.example 2027-03-31"},
		{signed("action", "change_end_date", "newEndsOn", " "), "end date r1 riya@council.example "},
	}
	for _, tc := range cases {
		h, f, _ := setup()
		resp := post(h, "r1", tc.form)
		if resp.StatusCode != http.StatusSeeOther || resp.Headers["Location"] != "./r1?done="+tc.form.Get("action") {
			t.Errorf("%s: %d %v %s", tc.form.Get("action"), resp.StatusCode, resp.Headers, resp.Body)
		}
		if len(f.calls) != 1 || f.calls[0] != tc.call {
			t.Errorf("calls %q, want %q", f.calls, tc.call)
		}
	}
	// The page after the redirect confirms what was done.
	h, _, _ := setup()
	r := web.Request{HTTPMethod: "GET", Resource: "/staff/requests/{id}", PathParameters: map[string]string{"id": "r1"},
		QueryStringParameters: map[string]string{"done": "approve"}, Headers: map[string]string{"Cookie": "staff=" + goodToken}}
	if resp, _ := h.Handle(context.Background(), r); !strings.Contains(resp.Body, "Request approved") {
		t.Error("no confirmation after approving")
	}
}

func TestInvalidFormsRerenderWithErrors(t *testing.T) {
	cases := []struct {
		form  url.Values
		field string
		words string
	}{
		{signed(), "action", "Select whether"},
		{signed("action", "approve"), "clientReference", "Enter the client reference"},
		{signed("action", "approve", "clientReference", "12ab"), "clientReference", "council&#39;s format"},
		{signed("action", "approve", "clientReference", "1234567#REQ#x"), "clientReference", "council&#39;s format"},
		{signed("action", "approve", "clientReference", "1234567", "clientReferenceConfirm", "1234567", "accessEndsOn", "2026-02-30"), "accessEndsOn", "real date"},
		{signed("action", "approve", "clientReference", "1234567"), "clientReferenceConfirm", "Enter the client reference again"},
		{signed("action", "approve", "clientReference", "1234567", "clientReferenceConfirm", "1234576"), "clientReferenceConfirm", "do not match"},
		{signed("action", "approve", "clientReference", "1234567", "accessEndsOn", "2026-03-02"), "accessEndsOn", "in the future"},
		{signed("action", "reject", "reason", "   "), "reason", "Enter the reason"},
		{signed("action", "request_information"), "message", "Enter the information"},
		{signed("action", "record_security_check", "note", strings.Repeat("n", 2001)), "note", "2,000 characters"},
		{signed("action", "end_access"), "endReason", "Select why"},
		{signed("action", "change_end_date", "newEndsOn", "2026-02-30"), "newEndsOn", "real date"},
		{signed("action", "change_end_date", "newEndsOn", "2026-03-02"), "newEndsOn", "in the future"},
		{signed("action", "end_access", "endReason", "bored"), "endReason", "Select why"},
		{signed("action", "end_access", "endReason", "other"), "endReasonOther", "Enter why"},
		{signed("action", "launch_missiles"), "action", "Select whether"},
	}
	for _, tc := range cases {
		h, f, _ := setup()
		if a := tc.form.Get("action"); a == "end_access" || a == "change_end_date" { // their forms are on an approved request's page
			f.req.Status, f.req.Decision = access.Approved, &access.Decision{Outcome: access.Approved, By: teamAddr, At: now, ClientReference: "1234567"}
		}
		resp := post(h, "r1", tc.form)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%v: %d", tc.form, resp.StatusCode)
			continue
		}
		b := resp.Body
		if !strings.Contains(b, "There is a problem") || !strings.Contains(b, `href="#`+tc.field+`"`) || !strings.Contains(b, tc.words) ||
			!strings.Contains(b, `id="`+tc.field+`"`) || !strings.Contains(b, "<title>Error: ") {
			t.Errorf("%s: the error page does not name the field with %q", tc.field, tc.words)
		}
		if len(f.calls) != 0 {
			t.Errorf("an invalid form changed something: %v", f.calls)
		}
	}
	// What the reviewer typed is kept, escaped.
	h, _, _ := setup()
	b := post(h, "r1", signed("action", "approve", "clientReference", `"><script>x</script>`)).Body
	if strings.Contains(b, "<script>x") || !strings.Contains(b, `value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"`) {
		t.Error("the typed value is not kept escaped")
	}
}

func TestAConflictSaysWhoDecidedAndWhen(t *testing.T) {
	h, f, _ := setup()
	f.err = store.ErrConflict
	f.req.Status = access.Approved
	f.req.Decision = &access.Decision{Outcome: access.Approved, By: "other@council.example", At: now.Add(-time.Minute), ClientReference: "7654321"}
	resp := post(h, "r1", signed("action", "reject", "reason", "x"))
	if resp.StatusCode != http.StatusConflict || !strings.Contains(resp.Body, "other@council.example") ||
		!strings.Contains(resp.Body, "2 March 2026 at 2:04pm") || !strings.Contains(resp.Body, "already been decided") {
		t.Fatalf("conflict: %d %s", resp.StatusCode, resp.Body)
	}
	f.err = errors.New("throttled")
	if resp := post(h, "r1", signed("action", "reject", "reason", "x")); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("store failure: %d", resp.StatusCode)
	}
}

func TestEvidenceLinksOnlyForCleanFilesOfTheLinksRequest(t *testing.T) {
	h, f, files := setup()
	f.ev = append(f.ev, rendered(access.Evidence{ID: "eother", RequestID: "r2"}))
	resp := get(h, "r1", "eclean")
	if resp.StatusCode != http.StatusFound || resp.Headers["Location"] != "https://uploads.example/renditions/r1/eclean?versionId=rv7&sig=1" || files.ttl > 5*time.Minute || files.ttl <= 0 {
		t.Fatalf("clean evidence: %d %v ttl %s", resp.StatusCode, resp.Headers, files.ttl)
	}
	for _, id := range []string{"einfected", "eother", "nope"} {
		if resp := get(h, "r1", id); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", id, resp.StatusCode)
		}
	}
	if resp := get(h, "nope", "eclean"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown request: %d", resp.StatusCode)
	}
}

func TestFormsFollowTheRequestsState(t *testing.T) {
	h, f, _ := setup()
	f.ev = append(f.ev, access.Evidence{ID: "eold", RequestID: "r1", File: access.File{FileName: "old.pdf"}, Status: access.EvRejected, Round: access.ReplacedRound, Reason: "not a PDF"})
	if b := get(h, "r1").Body; !strings.Contains(b, "Replaced by a later upload") || !strings.Contains(b, "Not accepted: not a PDF") {
		t.Error("a replaced file is not shown as replaced, with why it was refused")
	}
	f.req.Status = access.Approved
	f.req.Decision = &access.Decision{Outcome: access.Approved, By: teamAddr, At: now, ClientReference: "1234567"}
	b := get(h, "r1").Body
	if strings.Contains(b, `value="approve"`) || !strings.Contains(b, `value="end_access"`) || !strings.Contains(b, `value="change_end_date"`) || !strings.Contains(b, "Client reference 1234567") {
		t.Error("an approved request's page should offer ending access and no decision")
	}
	f.req.Decision.EndedAt, f.req.Decision.EndedBy, f.req.Decision.EndReason = now, teamAddr, "The client has died"
	if b := get(h, "r1").Body; strings.Contains(b, `value="end_access"`) || strings.Contains(b, `value="change_end_date"`) || !strings.Contains(b, "Access ended by") {
		t.Error("an ended grant's page should say so and offer nothing")
	}
	f.req.Status, f.req.Decision = access.MoreInfoRequested, &access.Decision{Outcome: access.MoreInfoRequested, By: teamAddr, At: now, Reason: "page 2"}
	if b := get(h, "r1").Body; strings.Contains(b, `value="approve"`) || !strings.Contains(b, `value="reject"`) {
		t.Error("a request waiting for more information can only be rejected")
	}
}

// The sample events are the shapes API Gateway sends to this function's routes.
func TestSampleEventsMatchTheRoutes(t *testing.T) {
	fn, _ := wiring.Find("approval")
	for _, name := range []string{"approval-get-review.json", "approval-post-approve.json"} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
		if err != nil {
			t.Fatal(err)
		}
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		routed := false
		for _, r := range fn.Routes {
			routed = routed || r.Method == ev.HTTPMethod && r.Path == ev.Resource
		}
		if !routed || ev.PathParameters["id"] == "" {
			t.Errorf("%s: %s %s is not a route of the function", name, ev.HTTPMethod, ev.Resource)
		}
		h, _, _ := setup()
		if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: the sample carries no live staff session, want a sign-in or 403, got %d", name, resp.StatusCode)
		}
	}
}

// BenchmarkReviewPage is the cost of the page a reviewer opens: session check, request read, render.
func BenchmarkReviewPage(b *testing.B) {
	h, _, _ := setup()
	for b.Loop() {
		if resp := get(h, "r1"); resp.StatusCode != 200 {
			b.Fatal(resp.StatusCode)
		}
	}
}

// The page lists who has access under the client reference it knows, and warns when their client
// is not this request's. Approving under a reference whose grants name another client needs the
// reviewer's confirmation; until then nothing changes.
func TestAReferenceWithAnotherClientIsWarnedAboutAndNeedsConfirming(t *testing.T) {
	h, f, _ := setup()
	f.req.Client.ClientReference = "1234567"
	f.grants = map[string][]access.Grant{"1234567": {{RequestID: "r0", Name: "Sam Other", Relationship: access.Deputy,
		ClientName: "Someone Else", ClientBirth: "1950-01-01", Start: now.AddDate(-1, 0, 0)}}}
	b := get(h, "r1").Body
	for _, want := range []string{"Current access for client reference 1234567", "Sam Other", "Someone Else", "born 1 January 1950",
		`href="/staff/requests/r0"`, `class="govuk-warning-text"`, "record another client name or date of birth"} {
		if !strings.Contains(b, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	form := signed("action", "approve", "clientReference", "1234567", "clientReferenceConfirm", "1234567")
	resp := post(h, "r1", form)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, `href="#confirmClient"`) || !strings.Contains(resp.Body, `id="confirmClient"`) ||
		!strings.Contains(resp.Body, `class="govuk-warning-text"`) || len(f.calls) != 0 {
		t.Fatalf("approve under a stranger's reference: %d, calls %v", resp.StatusCode, f.calls)
	}
	form.Set("confirmClient", "yes")
	if resp := post(h, "r1", form); resp.StatusCode != http.StatusSeeOther || len(f.calls) != 1 {
		t.Fatalf("confirmed: %d, calls %v", resp.StatusCode, f.calls)
	}
	// The same client, however spaced or cased, needs no confirmation, and the page has no warning.
	h, f, _ = setup()
	f.req.Client.ClientReference = "1234567"
	f.grants = map[string][]access.Grant{"1234567": {{RequestID: "r0", ClientName: "cli \"ent\"  & <B>CO</B>", ClientBirth: "1941-03-04"}}}
	if b := get(h, "r1").Body; strings.Contains(b, `class="govuk-warning-text"`) || !strings.Contains(b, "Current access for client reference 1234567") {
		t.Error("the same client is warned about")
	}
	if resp := post(h, "r1", signed("action", "approve", "clientReference", "1234567", "clientReferenceConfirm", "1234567")); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the same client: %d", resp.StatusCode)
	}
}

// TestAnExpiredRequestsFilesAreShownDeletedAndNotOffered: once the expiry deleted its files, the
// page lists them with their check and when they were deleted, offers no "View", and the file's
// page is not found; the history says the portal expired it.
func TestAnExpiredRequestsFilesAreShownDeletedAndNotOffered(t *testing.T) {
	h, f, _ := setup()
	f.req.Status = access.Expired
	f.req.Notes = append(f.req.Notes, access.Note{Kind: access.NoteExpired, At: now, Text: "Expired after 28 days without a reply; its evidence files are deleted"})
	for i := range f.ev {
		f.ev[i].DeletedAt = now
	}
	b := get(h, "r1").Body
	if strings.Contains(b, "/evidence/eclean") || !strings.Contains(b, "File deleted on 2 March 2026") || !strings.Contains(b, "The portal") {
		t.Errorf("page:\n%s", b)
	}
	if resp := get(h, "r1", "eclean"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a deleted file's page: %d", resp.StatusCode)
	}
}

// TestTheRequestPageShowsOtherOpenRequestsForItsReference: beside the reference's grants, the
// other requests sent for it and not yet decided, each linked; not the page's own request.
func TestTheRequestPageShowsOtherOpenRequestsForItsReference(t *testing.T) {
	h, f, _ := setup()
	f.req.Client.ClientReference = "7654321"
	if b := get(h, "r1").Body; !strings.Contains(b, "Other open requests for client reference 7654321") || !strings.Contains(b, "No other request for this client reference is waiting for a decision.") {
		t.Fatalf("page without others:\n%s", b)
	}
	f.open = map[string][]access.Request{"7654321": {f.req, {ID: "r9", Reference: "CFP-7K3M-9Q2X", Status: access.MoreInfoRequested,
		Requester: access.Requester{Name: "Other Person"}, Relationship: access.AttorneyLPA, Client: access.Client{Name: "Cli Ent", DateOfBirth: "1941-03-04"}, CreatedAt: now}}}
	b := get(h, "r1").Body
	for _, want := range []string{`href="/staff/requests/r9"`, "CFP-7K3M-9Q2X", "Other Person", "born 4 March 1941", access.MoreInfoRequested.Title()} {
		if !strings.Contains(b, want) {
			t.Errorf("no %q on the page", want)
		}
	}
	if strings.Count(b, `href="/staff/requests/r1"`) != 0 {
		t.Error("the page lists its own request among the others")
	}
}
