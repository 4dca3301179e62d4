package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
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
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

var now = time.Date(2026, 3, 2, 14, 5, 0, 0, time.UTC)

const (
	goodToken = "good-token-abcdefghijklmnopqrstuvwxyz0123456789"
	teamAddr  = access.Email("client.finance@council.example")
)

// fakeReviews is an in-memory store: one request, its tokens, and a record of every change asked for.
type fakeReviews struct {
	tokens  map[string]store.Token // by hash
	req     access.Request
	ev      []access.Evidence
	calls   []string
	err     error // returned by every change
	readErr error // returned by Token
}

func (f *fakeReviews) Token(_ context.Context, hash string, p mail.Purpose) (store.Token, error) {
	if f.readErr != nil {
		return store.Token{}, f.readErr
	}
	t, ok := f.tokens[hash]
	if !ok || t.Purpose != p {
		return store.Token{}, store.ErrNotFound
	}
	return t, nil
}

func (f *fakeReviews) Request(_ context.Context, id access.RequestID) (access.Request, []access.Evidence, error) {
	if id != f.req.ID {
		return access.Request{}, nil, store.ErrNotFound
	}
	return f.req, f.ev, nil
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

func setup() (Handler, *fakeReviews, *fakeFiles) {
	req := access.Request{
		ID: "r1", Status: access.ReadyForReview, Relationship: access.AttorneyLPA,
		Requester:     access.Requester{Name: "<script>alert(1)</script>", Email: "dee@example.com", Phone: "01632 960001"},
		Client:        access.Client{Name: `Cli "Ent" & <b>co</b>`, DateOfBirth: "1941-03-04", Postcode: "SW1A 1AA"},
		LPAAccessCode: "V-ABCD-EFGH-JKLM", DonorSurname: "O'Brien<img src=x>",
		CreatedAt: now.Add(-time.Hour), SubmittedAt: now.Add(-50 * time.Minute),
	}
	f := &fakeReviews{req: req, tokens: map[string]store.Token{}, ev: []access.Evidence{
		rendered(access.Evidence{ID: "eclean", RequestID: "r1", File: access.File{FileName: "lpa<1>.pdf"}}),
		{ID: "einfected", RequestID: "r1", File: access.File{FileName: "bad.pdf"}, Status: access.Infected},
	}}
	f.tokens[secret.From(goodToken).Hash()] = store.Token{Purpose: mail.Review, Subject: "r1", Email: teamAddr, ExpiresAt: now.Add(time.Hour)}
	files := &fakeFiles{}
	h := Handler{Reviews: f, Files: files, Reviewers: map[access.Email]bool{"client.finance@council.example": true, "other@council.example": true},
		ClientRef: setting.From(nil).Pattern(setting.ClientRefFormat), Now: func() time.Time { return now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return h, f, files
}

func get(h Handler, token string, extra ...string) web.Response {
	r := web.Request{HTTPMethod: "GET", Resource: "/review/{token}", PathParameters: map[string]string{"token": token}}
	if len(extra) == 1 {
		r.Resource = "/review/{token}/evidence/{evidenceId}"
		r.PathParameters["evidenceId"] = extra[0]
	}
	resp, _ := h.Handle(context.Background(), r)
	return resp
}

func post(h Handler, token string, form url.Values) web.Response {
	r := web.Request{HTTPMethod: "POST", Resource: "/review/{token}", PathParameters: map[string]string{"token": token},
		Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"}, Body: form.Encode()}
	resp, _ := h.Handle(context.Background(), r)
	return resp
}

// signed is a form with the page's anti-forgery field for the good token.
func signed(kv ...string) url.Values {
	v := url.Values{"csrf": {formKey(goodToken, "r1")}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func TestReviewPageShowsTheRequestEscapedAndChangesNothing(t *testing.T) {
	h, f, _ := setup()
	resp := get(h, goodToken)
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
		`href="./` + goodToken + `/evidence/eclean"`, "Removed: a virus was found", "2 March 2026 at 1:05pm"} {
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
		"page": get(h, goodToken), "404": get(h, "nope"), "303": post(h, goodToken, signed("action", "record_security_check", "note", "ok")),
		"evidence": get(h, goodToken, "eclean"),
	} {
		hd := resp.Headers
		csp := hd["Content-Security-Policy"]
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "script-src") ||
			!strings.Contains(csp, "frame-ancestors 'none'") || hd["X-Frame-Options"] != "DENY" || hd["Referrer-Policy"] != "no-referrer" ||
			hd["Cache-Control"] != "no-store" {
			t.Errorf("%s: headers %v", name, hd)
		}
	}
	// The inline stylesheet is exactly the one the policy's hash allows, so the page is styled.
	body := get(h, goodToken).Body
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no inline style")
	}
	sum := sha256.Sum256([]byte(m[1]))
	if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, want) {
		t.Errorf("the style's hash %s is not in the policy %s", want, csp)
	}
}

func TestBadLinksGetTheirPages(t *testing.T) {
	h, f, _ := setup()
	f.tokens[secret.From("expired").Hash()] = store.Token{Purpose: mail.Review, Subject: "r1", Email: teamAddr, ExpiresAt: now}
	f.tokens[secret.From("left-team").Hash()] = store.Token{Purpose: mail.Review, Subject: "r1", Email: "gone@council.example", ExpiresAt: now.Add(time.Hour)}
	f.tokens[secret.From("gone-request").Hash()] = store.Token{Purpose: mail.Review, Subject: "r2", Email: teamAddr, ExpiresAt: now.Add(time.Hour)}
	f.tokens[secret.From("invitation").Hash()] = store.Token{Purpose: mail.Invitation, Subject: "r1", Email: teamAddr, ExpiresAt: now.Add(time.Hour)}
	cases := map[string]int{"nope": 404, "": 404, strings.Repeat("x", 300): 404, "expired": 410, "left-team": 404, "gone-request": 404, "invitation": 404}
	for tok, want := range cases {
		if resp := get(h, tok); resp.StatusCode != want || !strings.Contains(resp.Body, "<h1>") {
			t.Errorf("GET %.20q: %d, want %d", tok, resp.StatusCode, want)
		}
		if resp := post(h, tok, url.Values{"csrf": {formKey(tok, "r1")}, "action": {"approve"}, "clientReference": {"1234567"}}); resp.StatusCode != want {
			t.Errorf("POST %.20q: %d, want %d", tok, resp.StatusCode, want)
		}
	}
	if len(f.calls) != 0 {
		t.Fatalf("a bad link changed something: %v", f.calls)
	}
	f.readErr = errors.New("throttled")
	if resp := get(h, goodToken); resp.StatusCode != 503 || !strings.Contains(resp.Body, "Try again in a moment") {
		t.Errorf("store failure: %d", resp.StatusCode)
	}
}

func TestPostsNeedTheAntiForgeryField(t *testing.T) {
	h, f, _ := setup()
	for name, v := range map[string]url.Values{
		"missing":           {"action": {"approve"}, "clientReference": {"1234567"}},
		"wrong":             {"csrf": {"x"}, "action": {"approve"}, "clientReference": {"1234567"}},
		"another request":   {"csrf": {formKey(goodToken, "r2")}, "action": {"approve"}, "clientReference": {"1234567"}},
		"another link's":    {"csrf": {formKey("other-token", "r1")}, "action": {"approve"}, "clientReference": {"1234567"}},
		"the token's hash":  {"csrf": {secret.From(goodToken).Hash()}, "action": {"approve"}, "clientReference": {"1234567"}},
		"twice, first good": {"csrf": {"x", formKey(goodToken, "r1")}, "action": {"approve"}, "clientReference": {"1234567"}},
	} {
		if resp := post(h, goodToken, v); resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Body, "Nothing was changed") {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
	r := web.Request{HTTPMethod: "POST", Resource: "/review/{token}", PathParameters: map[string]string{"token": goodToken},
		Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"action":"approve"}`}
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
		{signed("action", "approve", "clientReference", " 1234567 "), "approve r1 client.finance@council.example 1234567 "},
		{signed("action", "approve", "clientReference", "1234567", "accessEndsOn", "31/3/2027"), "approve r1 client.finance@council.example 1234567 2027-03-31"},
		{signed("action", "reject", "reason", "Not named in the order."), "reject r1 client.finance@council.example Not named in the order."},
		{signed("action", "request_information", "message", "Send page 2."), "more r1 client.finance@council.example Send page 2."},
		{signed("action", "record_security_check", "note", "Phoned; confirmed."), "check r1 client.finance@council.example Phoned; confirmed."},
		{signed("action", "end_access", "endReason", "client_died"), "end r1 client.finance@council.example The client has died"},
		{signed("action", "end_access", "endReason", "other", "endReasonOther", "Moved abroad"), "end r1 client.finance@council.example Moved abroad"},
	}
	for _, tc := range cases {
		h, f, _ := setup()
		resp := post(h, goodToken, tc.form)
		if resp.StatusCode != http.StatusSeeOther || resp.Headers["Location"] != "./"+goodToken+"?done="+tc.form.Get("action") {
			t.Errorf("%s: %d %v %s", tc.form.Get("action"), resp.StatusCode, resp.Headers, resp.Body)
		}
		if len(f.calls) != 1 || f.calls[0] != tc.call {
			t.Errorf("calls %q, want %q", f.calls, tc.call)
		}
	}
	// The page after the redirect confirms what was done.
	h, _, _ := setup()
	r := web.Request{HTTPMethod: "GET", Resource: "/review/{token}", PathParameters: map[string]string{"token": goodToken},
		QueryStringParameters: map[string]string{"done": "approve"}}
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
		{signed("action", "approve", "clientReference", "1234567", "accessEndsOn", "2026-02-30"), "accessEndsOn", "real date"},
		{signed("action", "approve", "clientReference", "1234567", "accessEndsOn", "2026-03-02"), "accessEndsOn", "in the future"},
		{signed("action", "reject", "reason", "   "), "reason", "Enter the reason"},
		{signed("action", "request_information"), "message", "Enter the information"},
		{signed("action", "record_security_check", "note", strings.Repeat("n", 2001)), "note", "2,000 characters"},
		{signed("action", "end_access"), "endReason", "Select why"},
		{signed("action", "end_access", "endReason", "bored"), "endReason", "Select why"},
		{signed("action", "end_access", "endReason", "other"), "endReasonOther", "Enter why"},
		{signed("action", "launch_missiles"), "action", "Select whether"},
	}
	for _, tc := range cases {
		h, f, _ := setup()
		if tc.form.Get("action") == "end_access" { // its form is on an approved request's page
			f.req.Status, f.req.Decision = access.Approved, &access.Decision{Outcome: access.Approved, By: teamAddr, At: now, ClientReference: "1234567"}
		}
		resp := post(h, goodToken, tc.form)
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
	b := post(h, goodToken, signed("action", "approve", "clientReference", `"><script>x</script>`)).Body
	if strings.Contains(b, "<script>x") || !strings.Contains(b, `value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"`) {
		t.Error("the typed value is not kept escaped")
	}
}

func TestAConflictSaysWhoDecidedAndWhen(t *testing.T) {
	h, f, _ := setup()
	f.err = store.ErrConflict
	f.req.Status = access.Approved
	f.req.Decision = &access.Decision{Outcome: access.Approved, By: "other@council.example", At: now.Add(-time.Minute), ClientReference: "7654321"}
	resp := post(h, goodToken, signed("action", "reject", "reason", "x"))
	if resp.StatusCode != http.StatusConflict || !strings.Contains(resp.Body, "other@council.example") ||
		!strings.Contains(resp.Body, "2 March 2026 at 2:04pm") || !strings.Contains(resp.Body, "already been decided") {
		t.Fatalf("conflict: %d %s", resp.StatusCode, resp.Body)
	}
	f.err = errors.New("throttled")
	if resp := post(h, goodToken, signed("action", "reject", "reason", "x")); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("store failure: %d", resp.StatusCode)
	}
}

func TestEvidenceLinksOnlyForCleanFilesOfTheLinksRequest(t *testing.T) {
	h, f, files := setup()
	f.ev = append(f.ev, rendered(access.Evidence{ID: "eother", RequestID: "r2"}))
	resp := get(h, goodToken, "eclean")
	if resp.StatusCode != http.StatusFound || resp.Headers["Location"] != "https://uploads.example/renditions/r1/eclean?versionId=rv7&sig=1" || files.ttl > 5*time.Minute || files.ttl <= 0 {
		t.Fatalf("clean evidence: %d %v ttl %s", resp.StatusCode, resp.Headers, files.ttl)
	}
	for _, id := range []string{"einfected", "eother", "nope"} {
		if resp := get(h, goodToken, id); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", id, resp.StatusCode)
		}
	}
	if resp := get(h, "nope", "eclean"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown token: %d", resp.StatusCode)
	}
}

func TestFormsFollowTheRequestsState(t *testing.T) {
	h, f, _ := setup()
	f.ev = append(f.ev, access.Evidence{ID: "eold", RequestID: "r1", File: access.File{FileName: "old.pdf"}, Status: access.EvRejected, Round: access.ReplacedRound, Reason: "not a PDF"})
	if b := get(h, goodToken).Body; !strings.Contains(b, "Replaced by a later upload") || !strings.Contains(b, "Not accepted: not a PDF") {
		t.Error("a replaced file is not shown as replaced, with why it was refused")
	}
	f.req.Status = access.Approved
	f.req.Decision = &access.Decision{Outcome: access.Approved, By: teamAddr, At: now, ClientReference: "1234567"}
	b := get(h, goodToken).Body
	if strings.Contains(b, `value="approve"`) || !strings.Contains(b, `value="end_access"`) || !strings.Contains(b, "Client reference 1234567") {
		t.Error("an approved request's page should offer ending access and no decision")
	}
	f.req.Decision.EndedAt, f.req.Decision.EndedBy, f.req.Decision.EndReason = now, teamAddr, "The client has died"
	if b := get(h, goodToken).Body; strings.Contains(b, `value="end_access"`) || !strings.Contains(b, "Access ended by") {
		t.Error("an ended grant's page should say so and offer nothing")
	}
	f.req.Status, f.req.Decision = access.MoreInfoRequested, &access.Decision{Outcome: access.MoreInfoRequested, By: teamAddr, At: now, Reason: "page 2"}
	if b := get(h, goodToken).Body; strings.Contains(b, `value="approve"`) || !strings.Contains(b, `value="reject"`) {
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
		if !routed || ev.PathParameters["token"] == "" {
			t.Errorf("%s: %s %s is not a route of the function", name, ev.HTTPMethod, ev.Resource)
		}
		h, _, _ := setup()
		if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: the sample's token is unknown here, want 404, got %d", name, resp.StatusCode)
		}
	}
}

// BenchmarkReviewPage is the cost of the page a reviewer opens: token check, request read, render.
func BenchmarkReviewPage(b *testing.B) {
	h, _, _ := setup()
	for b.Loop() {
		if resp := get(h, goodToken); resp.StatusCode != 200 {
			b.Fatal(resp.StatusCode)
		}
	}
}
