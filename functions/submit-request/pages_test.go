package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// fakeDrafts is the store's draft side over the in-memory store, deciding as the store does
// (access.Request.Revise, Send).
type fakeDrafts struct {
	m      *memory
	links  []access.Event
	sends  int
	limits int
}

func (d *fakeDrafts) ReviseDraft(_ context.Context, id access.RequestID, n access.NewRequest) (access.Request, error) {
	r, _, err := d.m.reqs[id].Revise(n, linkNow)
	if err != nil {
		return r, store.ErrConflict
	}
	d.m.reqs[id] = r
	return r, nil
}

func (d *fakeDrafts) SendRequest(_ context.Context, id access.RequestID, uploaded map[access.EvidenceID]bool) (access.Request, error) {
	r := d.m.reqs[id]
	var kept, ev []access.Evidence
	for _, e := range d.m.ev[id] {
		if e.Round == r.Round && e.Status == access.AwaitingUpload && !uploaded[e.ID] {
			continue // an empty slot goes
		}
		ev = append(ev, e)
		if e.Round == r.Round {
			kept = append(kept, e)
		}
	}
	sent, events, err := r.Send(kept, linkNow)
	switch {
	case err == access.ErrNoEvidence || err == access.ErrRefusedEvidence:
		return r, err
	case err != nil:
		return r, store.ErrConflict
	}
	d.sends++
	d.m.reqs[id], d.m.ev[id] = sent, ev
	for _, e := range events {
		if msg, ok := mail.For(e); ok {
			d.m.mails = append(d.m.mails, msg)
		}
	}
	return sent, nil
}

func (d *fakeDrafts) ResendLinks(_ context.Context, email access.Email, _ store.Limit) error {
	d.limits++
	for _, r := range d.m.reqs {
		if r.Requester.Email == email {
			d.links = append(d.links, r.LinkAgain()...)
		}
	}
	return nil
}

// visitor is a browser on the journey: it keeps the journey cookie and posts each page's
// anti-forgery field back.
type visitor struct {
	t      *testing.T
	h      Handler
	cookie string
	token  string // the last page's anti-forgery field
}

func newVisitor(t *testing.T, exists bool) (*visitor, *memory, *fakeDrafts, *fakeScans) {
	m := newMemory()
	h := newHandler(m, exists)
	s := &fakeScans{m: m, tokens: map[string]store.Token{}}
	d := &fakeDrafts{m: m}
	h.Scans, h.Drafts, h.Brand = s, d, brand.Sample()
	h.Now = func() time.Time { return linkNow }
	return &visitor{t: t, h: h}, m, d, s
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (v *visitor) do(method, path string, form url.Values, query map[string]string) web.Response {
	v.t.Helper()
	resource, params := path, map[string]string{}
	if strings.HasPrefix(path, "/access-requests/") {
		parts := strings.Split(path, "/")
		params["id"] = parts[2]
		resource = "/access-requests/{id}" + strings.TrimPrefix(path, "/access-requests/"+parts[2])
	}
	r := events.APIGatewayProxyRequest{HTTPMethod: method, Resource: resource, Path: path, PathParameters: params,
		QueryStringParameters: query, Headers: map[string]string{"Cookie": v.cookie, "Content-Type": "application/x-www-form-urlencoded"}}
	if form != nil {
		r.Body = form.Encode()
	}
	resp, _ := v.h.Handle(context.Background(), r)
	if c := resp.Headers["Set-Cookie"]; c != "" {
		v.cookie, _, _ = strings.Cut(c, ";")
	}
	if m := csrfRE.FindStringSubmatch(resp.Body); m != nil {
		v.token = m[1]
	}
	return resp
}

func (v *visitor) get(path string) web.Response { return v.do(http.MethodGet, path, nil, nil) }

// post sends a page's form with its anti-forgery field.
func (v *visitor) post(path string, form url.Values) web.Response {
	f := url.Values{page.FormField: {v.token}}
	for k, vs := range form {
		f[k] = vs
	}
	return v.do(http.MethodPost, path, f, nil)
}

func (v *visitor) journey() journey {
	_, val, _ := strings.Cut(v.cookie, "=")
	b, _ := base64.RawURLEncoding.DecodeString(val)
	var j journey
	_ = json.Unmarshal(b, &j)
	return j
}

func wantRedirect(t *testing.T, r web.Response, to string) {
	t.Helper()
	if r.StatusCode != http.StatusSeeOther || r.Headers["Location"] != to {
		t.Fatalf("want 303 to %s, got %d %v\n%s", to, r.StatusCode, r.Headers, r.Body)
	}
}

// wantError checks the page shows its error summary with msg, answers 400, and is titled "Error: ".
func wantError(t *testing.T, r web.Response, msg string) {
	t.Helper()
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.Body, "govuk-error-summary") ||
		!strings.Contains(r.Body, "<title>Error: ") || !strings.Contains(r.Body, htmlEscape(msg)) {
		t.Fatalf("want the error summary with %q, got %d\n%s", msg, r.StatusCode, r.Body)
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("'", "&#39;", `"`, "&#34;", "&", "&amp;").Replace(s)
}

// answered walks the questions up to the evidence page, with good answers.
func answered(t *testing.T, v *visitor, rel string) {
	t.Helper()
	v.get(pathRelationship)
	wantRedirect(t, v.post(pathRelationship, url.Values{"relationship": {rel}}), pathDetails)
	v.get(pathDetails)
	wantRedirect(t, v.post(pathDetails, url.Values{"name": {"Dee Puty"}, "email": {"Dee@Example.com"}, "phone": {"01632 960001"}}), pathClient)
	v.get(pathClient)
	next := pathEvidence
	if rel == string(access.AttorneyLPA) {
		next = pathCode
	}
	wantRedirect(t, v.post(pathClient, url.Values{"client-name": {"Cli Ent"}, "dob-day": {"4"}, "dob-month": {"3"}, "dob-year": {"1941"}, "postcode": {"sw1a1aa"}}), next)
}

func TestQuestionsKeepTheAnswersInTheCookieUntilTheDraft(t *testing.T) {
	v, m, _, _ := newVisitor(t, false)
	r := v.get(pathRelationship)
	if r.StatusCode != 200 || !strings.Contains(r.Headers["Set-Cookie"], "HttpOnly; SameSite=Lax") || r.Headers["Cache-Control"] != "no-store" {
		t.Fatalf("%d %v", r.StatusCode, r.Headers)
	}
	answered(t, v, string(access.Deputy))
	j := v.journey()
	if j.Answers.Relationship != access.Deputy || j.Answers.Requester.Name != "Dee Puty" || j.Answers.Client.DateOfBirth != "1941-03-04" || j.ID != "" {
		t.Fatalf("cookie %+v", j)
	}
	if len(m.reqs) != 0 {
		t.Fatal("a request was stored before the evidence page")
	}
	// The answers show again on their page.
	if r := v.get(pathClient); !strings.Contains(r.Body, `value="Cli Ent"`) || !strings.Contains(r.Body, `value="1941"`) {
		t.Errorf("client page does not show its answers:\n%s", r.Body)
	}
}

func TestAHealthAndWelfareLPAIsRefusedWithTheReason(t *testing.T) {
	v, _, _, _ := newVisitor(t, false)
	v.get(pathRelationship)
	wantRedirect(t, v.post(pathRelationship, url.Values{"relationship": {access.HealthAndWelfare}}), pathNotEligible)
	if r := v.get(pathNotEligible); r.StatusCode != 200 || !strings.Contains(r.Body, "It does not cover their money") {
		t.Fatalf("%d %s", r.StatusCode, r.Body)
	}
	if v.journey().Answers.Relationship != "" {
		t.Error("the refused answer was kept")
	}
}

// Every bad answer shows the error summary and changes nothing: the cookie is not reset and the
// store is not written.
func TestBadAnswersShowTheErrorSummaryAndChangeNothing(t *testing.T) {
	long := strings.Repeat("a", 101)
	nextYear := fmt.Sprint(linkNow.Year() + 1)
	cases := []struct {
		name, path string
		form       url.Values
		msg        string
	}{
		{"no relationship", pathRelationship, url.Values{}, "Select how you are related to the client"},
		{"unknown relationship", pathRelationship, url.Values{"relationship": {"friend"}}, "Select how you are related to the client"},
		{"empty name", pathDetails, url.Values{"name": {""}, "email": {"a@b.example"}}, "Enter your full name"},
		{"name too long", pathDetails, url.Values{"name": {long}, "email": {"a@b.example"}}, "Your full name must be 100 characters or fewer"},
		{"empty email", pathDetails, url.Values{"name": {"Dee"}, "email": {""}}, "Enter your email address"},
		{"email wrong format", pathDetails, url.Values{"name": {"Dee"}, "email": {"dee at example"}}, "Enter an email address in the correct format, like name@example.com"},
		{"phone wrong format", pathDetails, url.Values{"name": {"Dee"}, "email": {"a@b.example"}, "phone": {"call me"}}, "Enter a telephone number"},
		{"empty client name", pathClient, url.Values{"dob-day": {"4"}, "dob-month": {"3"}, "dob-year": {"1941"}, "postcode": {"SW1A 1AA"}}, "Enter the client's full name"},
		{"empty date", pathClient, url.Values{"client-name": {"Cli"}, "postcode": {"SW1A 1AA"}}, "Enter the client's date of birth"},
		{"date in the future", pathClient, url.Values{"client-name": {"Cli"}, "dob-day": {"4"}, "dob-month": {"3"}, "dob-year": {nextYear}, "postcode": {"SW1A 1AA"}}, "The client's date of birth must be in the past"},
		{"date not real", pathClient, url.Values{"client-name": {"Cli"}, "dob-day": {"31"}, "dob-month": {"2"}, "dob-year": {"1941"}, "postcode": {"SW1A 1AA"}}, "The client's date of birth must be a real date"},
		{"date too old", pathClient, url.Values{"client-name": {"Cli"}, "dob-day": {"1"}, "dob-month": {"1"}, "dob-year": {"1850"}, "postcode": {"SW1A 1AA"}}, "The client's date of birth must be a real date"},
		{"postcode wrong format", pathClient, url.Values{"client-name": {"Cli"}, "dob-day": {"4"}, "dob-month": {"3"}, "dob-year": {"1941"}, "postcode": {"12345"}}, "Enter a real postcode, like SW1A 1AA"},
		{"code wrong format", pathCode, url.Values{"code": {"12345"}, "donor": {"Smith"}}, "Enter the access code as it is shown"},
		{"code without donor", pathCode, url.Values{"code": {"V-1234-ABCD-5678"}}, "Enter the donor's last name, or leave both answers blank"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, m, _, _ := newVisitor(t, false)
			answered(t, v, string(access.AttorneyLPA))
			before := v.cookie
			v.get(c.path)
			if v.cookie != before {
				t.Fatal("showing a page changed the cookie")
			}
			wantError(t, v.post(c.path, c.form), c.msg)
			if v.cookie != before || len(m.reqs) != 0 {
				t.Error("a bad answer changed something")
			}
		})
	}
}

func TestAForgedOrStaleFormChangesNothing(t *testing.T) {
	v, _, _, _ := newVisitor(t, false)
	answered(t, v, string(access.Deputy))
	before := v.cookie
	v.get(pathDetails)
	good := v.token
	for name, tok := range map[string]string{
		"forged":                  "1999999999.AAAA",
		"none":                    "",
		"another browser's field": (&visitor{h: v.h}).h.formToken(journey{Bind: "another-browser-binding-value"}),
	} {
		v.token = tok
		r := v.do(http.MethodPost, pathDetails, url.Values{page.FormField: {tok}, "name": {"Mallory"}, "email": {"m@evil.example"}}, nil)
		wantError(t, r, "Your answer was not saved")
		if v.cookie != before {
			t.Errorf("%s: the answers changed", name)
		}
	}
	// The page's own field, once it has expired.
	later := v.h
	later.Now = func() time.Time { return linkNow.Add(formLife + time.Minute) }
	v.h = later
	v.token = good
	wantError(t, v.post(pathDetails, url.Values{"name": {"Mallory"}, "email": {"m@evil.example"}}), "Your answer was not saved")
	if v.journey().Answers.Requester.Name != "Dee Puty" {
		t.Error("an expired form changed the answers")
	}
	// No cookie at all (another site's POST carries none): nothing is kept.
	v.cookie = ""
	if r := v.post(pathDetails, url.Values{"name": {"Mallory"}, "email": {"m@evil.example"}}); r.StatusCode != http.StatusBadRequest || strings.Contains(r.Headers["Set-Cookie"], "Mallory") {
		t.Errorf("a post without the cookie: %d %v", r.StatusCode, r.Headers)
	}
}

// The evidence page makes the draft (no email), and gives a form per file that posts straight to
// the bucket: any of the three types (the checks read it from the bytes), 1 byte to 10 MiB, back to
// the evidence page. Its policy lets the form post to the bucket.
func TestTheEvidencePageMakesTheDraftAndItsUploadForm(t *testing.T) {
	v, m, _, _ := newVisitor(t, false)
	answered(t, v, string(access.Deputy))
	r := v.get(pathEvidence)
	j := v.journey()
	if r.StatusCode != 200 || j.ID == "" || j.Token == "" || j.Answers.Requester != nil {
		t.Fatalf("%d %+v\n%s", r.StatusCode, j, r.Body)
	}
	req := m.reqs[j.ID]
	if !req.Draft || req.Status != access.AwaitingEvidence || req.Requester.Email != "dee@example.com" || req.Client.Postcode != "SW1A 1AA" ||
		!req.ExpiresAt.Equal(linkNow.Add(access.DraftLifetime)) || len(m.mails) != 0 {
		t.Fatalf("draft %+v, mails %v", req, m.mails)
	}
	if _, ok := access.ParseReference(string(req.Reference)); !ok {
		t.Errorf("reference %q", req.Reference)
	}
	if len(m.ev[j.ID]) != 1 || m.ev[j.ID][0].Status != access.AwaitingUpload || m.ev[j.ID][0].File.ContentType != "" {
		t.Fatalf("slots %+v", m.ev[j.ID])
	}
	key := access.EvidenceKey(j.ID, m.ev[j.ID][0].ID)
	if !strings.Contains(r.Body, `action="http://127.0.0.1:9/cfp-uploads"`) || !strings.Contains(r.Body, `enctype="multipart/form-data"`) ||
		!strings.Contains(r.Body, `name="key" value="`+key+`"`) ||
		!strings.Contains(r.Body, `name="success_action_redirect" value="http://localhost:8080/request/evidence"`) {
		t.Fatalf("upload form:\n%s", r.Body)
	}
	if csp := r.Headers["Content-Security-Policy"]; !strings.Contains(csp, "form-action 'self' http://127.0.0.1:9;") {
		t.Errorf("policy %q", csp)
	}
	policy := regexp.MustCompile(`(?i)name="policy" value="([^"]+)"`).FindStringSubmatch(r.Body)
	if policy == nil {
		t.Fatal("no policy field")
	}
	doc, _ := base64.StdEncoding.DecodeString(policy[1])
	if !strings.Contains(string(doc), `["content-length-range",1,10485760]`) || strings.Contains(string(doc), "Content-Type") {
		t.Errorf("policy %s", doc)
	}
	// Opening the page again keeps the one empty slot.
	v.get(pathEvidence)
	if len(m.ev[j.ID]) != 1 {
		t.Errorf("%d slots", len(m.ev[j.ID]))
	}
}

// After an upload S3 sends the browser back with the object's key: that file shows as being
// checked, and a new slot takes the next file.
func TestAnUploadAddsTheNextSlotAndShowsTheChecks(t *testing.T) {
	v, m, _, _ := newVisitor(t, false)
	answered(t, v, string(access.Deputy))
	v.get(pathEvidence)
	id := v.journey().ID
	first := m.ev[id][0]
	r := v.do(http.MethodGet, pathEvidence, nil, map[string]string{"key": first.Key(), "bucket": "cfp-uploads", "etag": `"x"`})
	if len(m.ev[id]) != 2 || !strings.Contains(r.Body, "File 1") || !strings.Contains(r.Body, "Checking") || !strings.Contains(r.Body, "Upload file 2") ||
		!strings.Contains(r.Body, "Check again") || strings.Contains(r.Body, "http-equiv") {
		t.Fatalf("%d slots\n%s", len(m.ev[id]), r.Body)
	}
	// The checks refuse it: the page says so in plain words, and the refused file leaves the round.
	m.ev[id][0].Status, m.ev[id][0].Reason = access.EvRejected, "The file was sent as a PDF document, but its contents are a web page (HTML)."
	r = v.get(pathEvidence)
	if !strings.Contains(r.Body, "Not accepted") || !strings.Contains(r.Body, "its contents are a web page (HTML). Upload another file in its place.") ||
		m.ev[id][0].Round != access.ReplacedRound {
		t.Fatalf("%+v\n%s", m.ev[id][0], r.Body)
	}
	m.ev[id][0].Status = access.Infected
	if r = v.get(pathEvidence); !strings.Contains(r.Body, "Our virus check found a threat in this file") {
		t.Errorf("infected:\n%s", r.Body)
	}
}

func TestCheckAnswersSendsTheRequestOnce(t *testing.T) {
	v, m, d, _ := newVisitor(t, false)
	answered(t, v, string(access.Deputy))
	v.get(pathEvidence)
	id := v.journey().ID
	r := v.get(pathCheck)
	if r.StatusCode != 200 || !strings.Contains(r.Body, "Dee Puty") || !strings.Contains(r.Body, "4 March 1941") || !strings.Contains(r.Body, `href="/request/client"`) {
		t.Fatalf("%d\n%s", r.StatusCode, r.Body)
	}
	// No file uploaded yet (the slot is empty): the error summary, nothing sent.
	wantError(t, v.post(pathCheck, nil), "Upload a copy of your authority")
	if !m.reqs[id].Draft || len(m.mails) != 0 {
		t.Fatal("sent without evidence")
	}
	// The file is in the bucket (its checks not begun): it goes with the request.
	v.h.Uploads = presignOnly{v.h.Uploads.(presignOnly).Bucket, true}
	wantRedirect(t, v.post(pathCheck, nil), pathDone)
	req := m.reqs[id]
	if req.Draft || req.Status != access.Scanning || len(m.mails) != 1 || m.mails[0].Template != mail.RequestReceived ||
		m.mails[0].Reference != req.Reference || m.mails[0].Link == nil || m.mails[0].Link.Purpose != mail.Status {
		t.Fatalf("%+v %+v", req, m.mails)
	}
	r = v.get(pathDone)
	if r.StatusCode != 200 || !strings.Contains(r.Body, string(req.Reference)) || !strings.Contains(r.Body, "dee@example.com") {
		t.Fatalf("confirmation:\n%s", r.Body)
	}
	// The same page sent again: nothing changes, no second email.
	wantRedirect(t, v.post(pathCheck, nil), pathDone)
	if d.sends != 1 || len(m.mails) != 1 {
		t.Errorf("%d sends, %d mails", d.sends, len(m.mails))
	}
	// A question page left open and sent after the request: the error summary, nothing changed.
	v.get(pathDetails)
	wantError(t, v.post(pathDetails, url.Values{"name": {"Other"}, "email": {"o@x.example"}}), "You have already sent this request")
	if m.reqs[id].Requester.Name != "Dee Puty" {
		t.Error("a sent request changed")
	}
	// Starting again begins a new request.
	v.get(pathRelationship)
	if v.journey().ID != "" {
		t.Error("the new journey still names the sent request")
	}
}

func TestChangingAnAnswerRevisesTheDraft(t *testing.T) {
	v, m, _, _ := newVisitor(t, false)
	answered(t, v, string(access.AttorneyLPA))
	wantRedirect(t, v.post(pathCode, url.Values{"code": {"v-1234-abcd-5678"}, "donor": {"Smith"}}), pathEvidence)
	v.get(pathEvidence)
	id := v.journey().ID
	if m.reqs[id].LPAAccessCode != "V-1234-ABCD-5678" {
		t.Fatalf("%+v", m.reqs[id])
	}
	v.get(pathDetails)
	wantRedirect(t, v.post(pathDetails, url.Values{"name": {"Dee Other"}, "email": {"dee@example.com"}}), pathCheck)
	// A relationship that has no access code drops it.
	v.get(pathRelationship)
	wantRedirect(t, v.post(pathRelationship, url.Values{"relationship": {"deputy"}}), pathCheck)
	if r := m.reqs[id]; r.Requester.Name != "Dee Other" || r.Relationship != access.Deputy || r.LPAAccessCode != "" {
		t.Fatalf("%+v", r)
	}
	// With an access code an LPA needs no file.
	v.get(pathRelationship)
	v.post(pathRelationship, url.Values{"relationship": {"attorney_lpa"}})
	v.get(pathCode)
	v.post(pathCode, url.Values{"code": {"V-1234-ABCD-5678"}, "donor": {"Smith"}})
	v.get(pathCheck)
	wantRedirect(t, v.post(pathCheck, nil), pathDone)
}

func TestAnExpiredDraftIsGone(t *testing.T) {
	v, m, _, _ := newVisitor(t, false)
	answered(t, v, string(access.Deputy))
	v.get(pathEvidence)
	id := v.journey().ID
	v.h.Now = func() time.Time { return linkNow.Add(access.DraftLifetime) }
	if r := v.get(pathCheck); !strings.Contains(r.Body, "Your answers have been deleted") {
		t.Fatalf("%s", r.Body)
	}
	delete(m.reqs, id) // the table's TTL removed it
	if r := v.get(pathEvidence); !strings.Contains(r.Body, "Your answers have been deleted") {
		t.Fatalf("%s", r.Body)
	}
}

func sentRequest(t *testing.T) (*visitor, *memory, *fakeDrafts, *fakeScans, access.RequestID) {
	v, m, d, s := newVisitor(t, true)
	answered(t, v, string(access.Deputy))
	v.get(pathEvidence)
	v.get(pathCheck)
	wantRedirect(t, v.post(pathCheck, nil), pathDone)
	return v, m, d, s, v.journey().ID
}

func TestTheStatusPageNeedsItsLink(t *testing.T) {
	v, m, _, s, id := sentRequest(t)
	tok := secret.New()
	s.tokens[tok.Hash()] = store.Token{Purpose: mail.Status, Subject: string(id), ExpiresAt: linkNow.Add(time.Hour)}
	r := v.do(http.MethodGet, "/access-requests/"+string(id), nil, map[string]string{"token": tok.Reveal()})
	if r.StatusCode != 200 || !strings.Contains(r.Body, string(m.reqs[id].Reference)) || !strings.Contains(r.Body, "Checking your documents") ||
		r.Headers["Cache-Control"] != "no-store" || r.Headers["Referrer-Policy"] != "no-referrer" {
		t.Fatalf("%d %v\n%s", r.StatusCode, r.Headers, r.Body)
	}
	other := secret.New()
	s.tokens[other.Hash()] = store.Token{Purpose: mail.Status, Subject: "another", ExpiresAt: linkNow.Add(time.Hour)}
	for name, q := range map[string]map[string]string{"none": nil, "wrong": {"token": tok.Reveal() + "x"}, "another request's": {"token": other.Reveal()}} {
		if r := v.do(http.MethodGet, "/access-requests/"+string(id), nil, q); r.StatusCode != http.StatusNotFound || !strings.Contains(r.Body, "This link does not work") {
			t.Errorf("%s token: %d", name, r.StatusCode)
		}
	}
}

func TestMoreInformationAddsFilesAndSendsAgain(t *testing.T) {
	v, m, d, s, id := sentRequest(t)
	req := m.reqs[id]
	req.Status, req.Round = access.MoreInfoRequested, 1
	req.Decision = &access.Decision{Outcome: access.MoreInfoRequested, Reason: "Send every page of the order"}
	m.reqs[id] = req
	tok := secret.New()
	s.tokens[tok.Hash()] = store.Token{Purpose: mail.MoreInfo, Subject: string(id), ExpiresAt: linkNow.Add(time.Hour)}
	v.cookie = "" // the email opens in another browser
	r := v.do(http.MethodGet, "/access-requests/"+string(id)+"/more-information", nil, map[string]string{"token": tok.Reveal()})
	wantRedirect(t, r, "/access-requests/"+string(id)+"/more-information")
	if j := v.journey(); !j.Link || j.ID != id || j.Token != tok.Reveal() {
		t.Fatalf("cookie %+v", j)
	}
	r = v.get("/access-requests/" + string(id) + "/more-information")
	if r.StatusCode != 200 || !strings.Contains(r.Body, "Send every page of the order") || !strings.Contains(r.Body, "Upload file") {
		t.Fatalf("%d\n%s", r.StatusCode, r.Body)
	}
	// Sent with no file: the error summary; then with one, it goes back for checks.
	v.h.Uploads = presignOnly{v.h.Uploads.(presignOnly).Bucket, false}
	wantError(t, v.post("/access-requests/"+string(id)+"/more-information", nil), "Upload at least one file")
	v.h.Uploads = presignOnly{v.h.Uploads.(presignOnly).Bucket, true}
	r = v.post("/access-requests/"+string(id)+"/more-information", nil)
	if r.StatusCode != 200 || m.reqs[id].Status != access.Scanning || d.sends != 2 {
		t.Fatalf("%d %s\n%s", r.StatusCode, m.reqs[id].Status, r.Body)
	}
}

// "I lost my link" answers the same whatever the address, and sends links only to the address a
// request was made from.
func TestLostLinkAnswersTheSameWhateverTheAddress(t *testing.T) {
	v, m, d, _, id := sentRequest(t)
	main := regexp.MustCompile(`(?s)<main.*</main>`)
	var answers []string
	for _, email := range []string{"DEE@example.com", "nobody@example.com"} {
		v.get(pathLostLink)
		r := v.post(pathLostLink, url.Values{"email": {email}})
		if r.StatusCode != 200 {
			t.Fatalf("%s: %d\n%s", email, r.StatusCode, r.Body)
		}
		answers = append(answers, main.FindString(r.Body))
	}
	if answers[0] != answers[1] || !strings.Contains(answers[0], "Check your email") {
		t.Errorf("the answers differ:\n%s\n%s", answers[0], answers[1])
	}
	if len(d.links) != 1 || d.links[0].(access.StatusLinkRequested).Request != id || d.links[0].(access.StatusLinkRequested).To != m.reqs[id].Requester.Email {
		t.Errorf("links %+v", d.links)
	}
	v.get(pathLostLink)
	wantError(t, v.post(pathLostLink, url.Values{"email": {""}}), "Enter your email address")
	wantError(t, v.post(pathLostLink, url.Values{"email": {"dee@"}}), "Enter an email address in the correct format")
	v.token = "forged"
	wantError(t, v.do(http.MethodPost, pathLostLink, url.Values{"email": {"dee@example.com"}, page.FormField: {"forged"}}, nil), "We could not send a link")
	if d.limits != 2 {
		t.Errorf("%d sends", d.limits)
	}
}

// A request made through the API has its short reference too, in the answer and the email.
func TestTheAPIGivesTheShortReference(t *testing.T) {
	m := newMemory()
	resp, _ := newHandler(m, false).Handle(context.Background(), post("/api/access-requests", "", body, nil))
	var c created
	_ = json.Unmarshal([]byte(resp.Body), &c)
	if _, ok := access.ParseReference(string(c.Reference)); !ok || m.reqs[c.ID].Reference != c.Reference || m.mails[0].Reference != c.Reference {
		t.Fatalf("%s %+v", resp.Body, m.mails)
	}
}

// A page whose store fails answers a page that says so, never JSON.
func TestAPageThatFailsSaysSoInAPage(t *testing.T) {
	v, m, _, _ := newVisitor(t, false)
	answered(t, v, string(access.Deputy))
	m.fail = &smithyThrottle{}
	r := v.get(pathEvidence)
	if r.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(r.Headers["Content-Type"], "text/html") ||
		!strings.Contains(r.Body, "Sorry, there is a problem with the service") || r.Headers["Retry-After"] == "" || strings.Contains(r.Body, "Throttl") {
		t.Fatalf("%d %v\n%s", r.StatusCode, r.Headers, r.Body)
	}
}
