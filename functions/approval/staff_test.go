package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/staff"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// fakeStaff is the staff part of the store, in memory.
type fakeStaff struct {
	signIns  map[string]staff.SignIn
	sessions map[string]staff.Session
	now      func() time.Time
}

func newFakeStaff() *fakeStaff {
	return &fakeStaff{signIns: map[string]staff.SignIn{}, sessions: map[string]staff.Session{}, now: func() time.Time { return now }}
}

func (f *fakeStaff) StartStaffSignIn(_ context.Context, h string, in staff.SignIn) error {
	f.signIns[h] = in
	return nil
}
func (f *fakeStaff) TakeStaffSignIn(_ context.Context, h string) (staff.SignIn, error) {
	in, ok := f.signIns[h]
	delete(f.signIns, h)
	if !ok {
		return in, store.ErrNotFound
	}
	return in, nil
}
func (f *fakeStaff) StartStaffSession(_ context.Context, s staff.Session) error {
	f.sessions[s.Hash] = s
	return nil
}
func (f *fakeStaff) StaffSession(_ context.Context, h string) (staff.Session, error) {
	s, ok := f.sessions[h]
	if !ok || !s.Live(f.now()) {
		return staff.Session{}, store.ErrNotFound
	}
	return s, nil
}
func (f *fakeStaff) EndStaffSession(_ context.Context, h string) error {
	delete(f.sessions, h)
	return nil
}
func (f *fakeStaff) Queue(context.Context) ([]store.Waiting, error) {
	return []store.Waiting{{Request: access.Request{ID: "r1", Status: access.ReadyForReview, Client: access.Client{Name: "Cli Ent"}}, Since: now.Add(-72 * time.Hour)}}, nil
}

// op is a forging OpenID Provider: it serves discovery, its key, and a token endpoint whose ID
// token the test shapes (claims), signed with a test key.
type op struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	claims func(nonce string) map[string]any
	nonce  string // the nonce of the last authorization request
	pkce   string // the code_challenge of the last authorization request
}

func newOP(t *testing.T) *op {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	o := &op{key: key}
	mux := http.NewServeMux()
	o.srv = httptest.NewServer(mux)
	t.Cleanup(o.srv.Close)
	iss := o.srv.URL
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": iss, "authorization_endpoint": iss + "/auth", "token_endpoint": iss + "/token",
			"jwks_uri": iss + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		b64 := base64.RawURLEncoding.EncodeToString
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]any{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}}})
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
		if r.Form.Get("code") != "the-code" || base64.RawURLEncoding.EncodeToString(sum[:]) != o.pkce {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "a", "token_type": "Bearer", "expires_in": 60, "id_token": o.sign(o.claims(o.nonce))})
	})
	o.claims = func(nonce string) map[string]any { return o.good(nonce, "cfp-reviewers") }
	return o
}

func (o *op) good(nonce string, groups ...string) map[string]any {
	return map[string]any{"iss": o.srv.URL, "aud": "cfp-staff", "sub": "u1", "email": "Riya@Council.example", "name": "Riya",
		"groups": groups, "nonce": nonce, "iat": time.Now().Unix(), "exp": time.Now().Add(5 * time.Minute).Unix()}
}

func (o *op) sign(claims map[string]any) string {
	b64 := base64.RawURLEncoding.EncodeToString
	head, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "k1"})
	body, _ := json.Marshal(claims)
	in := b64(head) + "." + b64(body)
	sum := sha256.Sum256([]byte(in))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, o.key, crypto.SHA256, sum[:])
	return in + "." + b64(sig)
}

// fixedSecret stands in for the client secret vault reads from Secrets Manager.
type fixedSecret string

func (f fixedSecret) Text(context.Context) (string, error) { return string(f), nil }

func staffSetup(t *testing.T) (Handler, *fakeStaff, *op) {
	h, _, _ := setup()
	o := newOP(t)
	fs := newFakeStaff()
	h.Staff, h.Insecure = fs, true
	h.IdP = &OIDC{Issuer: o.srv.URL, ClientID: "cfp-staff", ClientSecret: fixedSecret("s"), RedirectURL: "http://localhost:8080/staff/callback"}
	h.Groups, _ = staff.ParseGroups("cfp-reviewers=reviewer,cfp-support=support,cfp-ig=information-governance,cfp-admins=administrator")
	return h, fs, o
}

func call(h Handler, method, resource, path string, cookie string, params map[string]string, query map[string]string, body string) web.Response {
	r := web.Request{HTTPMethod: method, Resource: resource, Path: path, PathParameters: params, QueryStringParameters: query, Body: body,
		Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"}}
	if cookie != "" {
		r.Headers["Cookie"] = cookie
	}
	resp, _ := h.Handle(context.Background(), r)
	return resp
}

// startSignIn runs GET /staff/sign-in and plays the provider's part: it returns the state and the
// sign-in cookie's value.
func startSignIn(t *testing.T, h Handler, o *op) (state, cookie string) {
	t.Helper()
	resp := call(h, "GET", "/staff/sign-in", "/staff/sign-in", "", nil, map[string]string{"return": "/staff"}, "")
	loc, err := url.Parse(resp.Headers["Location"])
	if resp.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), o.srv.URL+"/auth?") {
		t.Fatalf("sign-in: %d %q", resp.StatusCode, resp.Headers["Location"])
	}
	q := loc.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("client_id") != "cfp-staff" || q.Get("nonce") == "" {
		t.Fatalf("authorization request %v", q)
	}
	o.nonce, o.pkce = q.Get("nonce"), q.Get("code_challenge")
	set := resp.MultiValueHeaders["Set-Cookie"]
	if len(set) != 1 || !strings.Contains(set[0], "Path=/staff; HttpOnly; SameSite=Lax") {
		t.Fatalf("sign-in cookie %q", set)
	}
	return q.Get("state"), strings.TrimPrefix(strings.Split(set[0], ";")[0], "staff-sign-in=")
}

func callback(h Handler, state, cookie string) web.Response {
	return call(h, "GET", "/staff/callback", "/staff/callback", "staff-sign-in="+cookie, nil, map[string]string{"state": state, "code": "the-code"}, "")
}

func TestStaffSignInStartsASession(t *testing.T) {
	h, fs, o := staffSetup(t)
	state, cookie := startSignIn(t, h, o)
	resp := callback(h, state, cookie)
	if resp.StatusCode != http.StatusSeeOther || resp.Headers["Location"] != "/staff" {
		t.Fatalf("callback: %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
	set := strings.Join(resp.MultiValueHeaders["Set-Cookie"], "\n")
	if !strings.Contains(set, "staff=") || !strings.Contains(set, "SameSite=Lax") || strings.Contains(set, "Secure") {
		t.Errorf("cookies %q", set)
	}
	if len(fs.sessions) != 1 {
		t.Fatalf("sessions %v", fs.sessions)
	}
	for _, s := range fs.sessions {
		if s.Person.Email != "riya@council.example" || !s.Person.Can(staff.Reviewer) || len(s.Person.Roles) != 1 {
			t.Errorf("session person %+v", s.Person)
		}
	}
	// A replayed callback finds no sign-in under way.
	if again := callback(h, state, cookie); again.StatusCode != http.StatusBadRequest || len(fs.sessions) != 1 {
		t.Errorf("replayed callback: %d, %d sessions", again.StatusCode, len(fs.sessions))
	}
}

// Every forged or unsuitable answer is refused, and no session starts.
func TestStaffCallbackRefusesForgeries(t *testing.T) {
	for name, c := range map[string]struct {
		claims     func(o *op, nonce string) map[string]any
		wrongState bool
	}{
		"wrong state":    {wrongState: true},
		"wrong nonce":    {claims: func(o *op, _ string) map[string]any { return o.good("another") }},
		"wrong issuer":   {claims: func(o *op, n string) map[string]any { c := o.good(n); c["iss"] = "https://evil.example"; return c }},
		"wrong audience": {claims: func(o *op, n string) map[string]any { c := o.good(n); c["aud"] = "someone-else"; return c }},
		"expired": {claims: func(o *op, n string) map[string]any {
			c := o.good(n)
			c["iat"], c["exp"] = time.Now().Add(-time.Hour).Unix(), time.Now().Add(-30*time.Minute).Unix()
			return c
		}},
	} {
		t.Run(name, func(t *testing.T) {
			h, fs, o := staffSetup(t)
			if c.claims != nil {
				o.claims = func(n string) map[string]any { return c.claims(o, n) }
			}
			state, cookie := startSignIn(t, h, o)
			if c.wrongState {
				cookie = secret.New().Reveal()
			}
			resp := callback(h, state, cookie)
			if resp.StatusCode != http.StatusBadRequest || len(fs.sessions) != 0 {
				t.Errorf("%d, %d sessions; want 400 and none", resp.StatusCode, len(fs.sessions))
			}
			if c.wrongState {
				return
			}
			// A state from elsewhere, with a matching cookie but no sign-in under way, is refused too.
			other := secret.New().Reveal()
			if resp := callback(h, other, other); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("unknown state: %d", resp.StatusCode)
			}
		})
	}
}

// The authorisation matrix over the staff pages.
func TestStaffRoutesAuthorisation(t *testing.T) {
	h, fs, _ := staffSetup(t)
	h.Reviews.(*fakeReviews).grants = map[string][]access.Grant{"1234567": {{RequestID: "r0", Name: "Sam", ClientName: "Cli Ent"}}}
	session := func(roles ...staff.Role) string {
		tok := secret.New()
		fs.sessions[tok.Hash()] = staff.Session{Hash: tok.Hash(), Person: staff.Person{Email: "x@council.example", Name: "X", Roles: roles}, CreatedAt: now, LastSeen: now}
		return "staff=" + tok.Reveal()
	}
	expired := secret.New()
	fs.sessions[expired.Hash()] = staff.Session{Hash: expired.Hash(), Person: staff.Person{Roles: []staff.Role{staff.Reviewer}},
		CreatedAt: now.Add(-time.Hour), LastSeen: now.Add(-staff.SessionIdle)}
	reviewer := session(staff.Reviewer)
	callers := map[string]string{
		"anonymous": "", "citizen": "session=" + secret.New().Reveal(), "expired": "staff=" + expired.Reveal(),
		"support": session(staff.Support), "governance": session(staff.Governance), "administrator": session(staff.Administrator),
		"no role": session(), "reviewer": reviewer,
	}
	id := map[string]string{"id": "r1"}
	csrfOf := func(cookie string) string {
		return url.Values{"csrf": {formKey(strings.TrimPrefix(cookie, "staff="), "r1")}, "action": {"record_security_check"}, "note": {"checked"}}.Encode()
	}
	for name, cookie := range callers {
		// find looks up a reference that is no request's: readers learn only that.
		want := map[string]int{"queue": http.StatusSeeOther, "page": http.StatusSeeOther, "evidence": http.StatusSeeOther, "post": http.StatusForbidden, "client": http.StatusSeeOther, "find": http.StatusSeeOther,
			"audit": http.StatusSeeOther, "audit csv": http.StatusSeeOther, "export": http.StatusForbidden,
			"people": http.StatusSeeOther, "person": http.StatusSeeOther, "person post": http.StatusForbidden}
		forbidden := map[string]int{"people": 403, "person": 403, "person post": 403} // the person pages are support's alone
		switch name {
		case "reviewer":
			want = map[string]int{"queue": 200, "page": 200, "evidence": http.StatusFound, "post": http.StatusSeeOther, "client": 200, "find": 404, "audit": 403, "audit csv": 403, "export": 403}
			maps.Copy(want, forbidden)
		case "support": // they read, without the files or the forms; and the person pages
			want = map[string]int{"queue": 200, "page": 200, "evidence": 403, "post": 403, "client": 200, "find": 404, "audit": 403, "audit csv": 403, "export": 403,
				"people": 200, "person": 200, "person post": http.StatusSeeOther}
		case "administrator": // reads as support does, without the person pages
			want = map[string]int{"queue": 200, "page": 200, "evidence": 403, "post": 403, "client": 200, "find": 404, "audit": 403, "audit csv": 403, "export": 403}
			maps.Copy(want, forbidden)
		case "governance": // as support, and alone the audit trail and the export
			want = map[string]int{"queue": 200, "page": 200, "evidence": 403, "post": 403, "client": 200, "find": 404, "audit": 200, "audit csv": 200, "export": 200}
			maps.Copy(want, forbidden)
		case "no role":
			want = map[string]int{"queue": 403, "page": 403, "evidence": 403, "post": 403, "client": 403, "find": 403, "audit": 403, "audit csv": 403, "export": 403}
			maps.Copy(want, forbidden)
		}
		exportForm := url.Values{"csrf": {exportKey(strings.TrimPrefix(cookie, "staff="), "dee@example.com")}, "email": {"dee@example.com"}}.Encode()
		got := map[string]int{
			"queue": call(h, "GET", "/staff", "/staff", cookie, nil, nil, "").StatusCode,
			"page":  call(h, "GET", "/staff/requests/{id}", "/staff/requests/r1", cookie, id, nil, "").StatusCode,
			"evidence": call(h, "GET", "/staff/requests/{id}/evidence/{evidenceId}", "/staff/requests/r1/evidence/eclean", cookie,
				map[string]string{"id": "r1", "evidenceId": "eclean"}, nil, "").StatusCode,
			"post": call(h, "POST", "/staff/requests/{id}", "/staff/requests/r1", cookie, id, nil, csrfOf(cookie)).StatusCode,
			"client": call(h, "GET", "/staff/clients/{clientReference}", "/staff/clients/1234567", cookie,
				map[string]string{"clientReference": "1234567"}, nil, "").StatusCode,
			"find":      call(h, "GET", "/staff/find", "/staff/find", cookie, nil, map[string]string{"reference": string(access.NewReference())}, "").StatusCode,
			"audit":     call(h, "GET", "/staff/audit", "/staff/audit", cookie, nil, map[string]string{"client": "1234567"}, "").StatusCode,
			"audit csv": call(h, "GET", "/staff/audit/csv", "/staff/audit/csv", cookie, nil, map[string]string{"email": "dee@example.com"}, "").StatusCode,
			"export":    call(h, "POST", "/staff/audit/export", "/staff/audit/export", cookie, nil, nil, exportForm).StatusCode,
			"people":    call(h, "GET", "/staff/people", "/staff/people", cookie, nil, map[string]string{"q": "smi"}, "").StatusCode,
			"person":    call(h, "GET", "/staff/people/{email}", "/staff/people/ann@example.com", cookie, personParams("ann@example.com"), nil, "").StatusCode,
			"person post": call(h, "POST", "/staff/people/{email}", "/staff/people/ann@example.com", cookie, personParams("ann@example.com"), nil,
				url.Values{"csrf": {personKey(strings.TrimPrefix(cookie, "staff="), "ann@example.com")}, "action": {actUnlock}}.Encode()).StatusCode,
		}
		for k := range want {
			if got[k] != want[k] {
				t.Errorf("%s, %s: %d; want %d", name, k, got[k], want[k])
			}
		}
	}
	// Anonymous is sent to sign in, and back to the page asked for.
	if loc := call(h, "GET", "/staff/requests/{id}", "/staff/requests/r1", "", id, nil, "").Headers["Location"]; loc != "/staff/sign-in?return=/staff/requests/r1" {
		t.Errorf("anonymous sent to %q", loc)
	}
	if loc := call(h, "GET", "/staff/clients/{clientReference}", "/staff/clients/1234567", "", map[string]string{"clientReference": "1234567"}, nil, "").Headers["Location"]; loc != "/staff/sign-in?return=/staff/clients/1234567" {
		t.Errorf("anonymous at a client page sent to %q", loc)
	}
	if loc := call(h, "GET", "/staff/audit", "/staff/audit", "", nil, nil, "").Headers["Location"]; loc != "/staff/sign-in?return=/staff/audit" {
		t.Errorf("anonymous at the audit page sent to %q", loc)
	}
	if loc := call(h, "GET", "/staff/people/{email}", "/staff/people/ann@example.com", "", personParams("ann@example.com"), nil, "").Headers["Location"]; loc != "/staff/sign-in?return=/staff/people/ann@example.com" {
		t.Errorf("anonymous at a person page sent to %q", loc)
	}
	// The queue shows the request, linked, with its age; the review page names the signed-in reviewer.
	if b := call(h, "GET", "/staff", "/staff", reviewer, nil, nil, "").Body; !strings.Contains(b, `href="/staff/requests/r1"`) || !strings.Contains(b, "3 days") {
		t.Errorf("queue page:\n%s", b)
	}
	if b := call(h, "GET", "/staff/requests/{id}", "/staff/requests/r1", reviewer, id, nil, "").Body; !strings.Contains(b, "recorded in your name, x@council.example") || !strings.Contains(b, `action="./r1"`) {
		t.Errorf("review page under /staff:\n%s", b)
	}
	// A reader's page has neither the files' links nor a form but the sign-out.
	for _, who := range []string{"support", "governance", "administrator"} {
		b := call(h, "GET", "/staff/requests/{id}", "/staff/requests/r1", callers[who], id, nil, "").Body
		if strings.Contains(b, "/evidence/") || strings.Contains(b, `action="./r1"`) || !strings.Contains(b, "only reviewers decide") || !strings.Contains(b, "lpa&lt;1&gt;.pdf") {
			t.Errorf("%s's page:\n%s", who, b)
		}
	}
	// Everyone may sign out, with or without a role or a live session (last: it ends the sessions).
	for name, cookie := range callers {
		form := url.Values{"csrf": {signOutKey(strings.TrimPrefix(cookie, "staff="))}}.Encode()
		if got := call(h, "POST", "/staff/sign-out", "/staff/sign-out", cookie, nil, nil, form).StatusCode; got != 200 {
			t.Errorf("%s, sign-out: %d; want 200", name, got)
		}
	}
	if len(fs.sessions) != 0 {
		t.Errorf("sessions left after everyone signed out: %d", len(fs.sessions))
	}
}

// Signing out deletes the session and clears the cookie; the cookie's token then opens nothing.
// The form needs its anti-forgery field, so another site cannot sign a member of staff out.
func TestStaffSignOut(t *testing.T) {
	h, f, _ := setup()
	fs := h.Staff.(*fakeStaff)
	cookie := "staff=" + goodToken
	if b := call(h, "GET", "/staff", "/staff", cookie, nil, nil, "").Body; !strings.Contains(b, `action="/staff/sign-out"`) ||
		!strings.Contains(b, `value="`+signOutKey(goodToken)+`"`) {
		t.Errorf("the queue has no sign-out form:\n%s", b)
	}
	if b := get(h, "r1").Body; !strings.Contains(b, `action="/staff/sign-out"`) {
		t.Error("the request page has no sign-out form")
	}
	for name, body := range map[string]string{
		"no field": "", "a review form's field": url.Values{"csrf": {formKey(goodToken, "r1")}}.Encode(), "another session's": url.Values{"csrf": {signOutKey("other")}}.Encode(),
	} {
		resp := call(h, "POST", "/staff/sign-out", "/staff/sign-out", cookie, nil, nil, body)
		if resp.StatusCode != http.StatusForbidden || len(fs.sessions) != 1 || len(resp.MultiValueHeaders["Set-Cookie"]) != 0 {
			t.Errorf("%s: %d, %d sessions, cookies %v", name, resp.StatusCode, len(fs.sessions), resp.MultiValueHeaders)
		}
	}
	resp := call(h, "POST", "/staff/sign-out", "/staff/sign-out", cookie, nil, nil, url.Values{"csrf": {signOutKey(goodToken)}}.Encode())
	set := strings.Join(resp.MultiValueHeaders["Set-Cookie"], "\n")
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, "You have signed out") || !strings.Contains(set, "staff=; Path=/staff") || !strings.Contains(set, "Max-Age=0") {
		t.Fatalf("sign-out: %d %q\n%s", resp.StatusCode, set, resp.Body)
	}
	if len(fs.sessions) != 0 {
		t.Fatalf("the session was not deleted: %v", fs.sessions)
	}
	// The old cookie, replayed, opens nothing and records nothing.
	if resp := get(h, "r1"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("page after sign-out: %d", resp.StatusCode)
	}
	if resp := post(h, "r1", signed("action", "record_security_check", "note", "x")); resp.StatusCode != http.StatusForbidden || len(f.calls) != 0 {
		t.Errorf("post after sign-out: %d, calls %v", resp.StatusCode, f.calls)
	}
	// Signing out with no session is the same page, and clears any stale cookie.
	if resp := call(h, "POST", "/staff/sign-out", "/staff/sign-out", "", nil, nil, ""); resp.StatusCode != 200 || len(resp.MultiValueHeaders["Set-Cookie"]) != 1 {
		t.Errorf("anonymous sign-out: %d %v", resp.StatusCode, resp.MultiValueHeaders)
	}
}

// The client page: who has access under the reference, since and until when, by which request, and
// the documents published; a reviewer may end each grant from it, a reader may not. A reference in
// nothing, or not a reference, is not found.
func TestClientPage(t *testing.T) {
	h, f, _ := setup()
	f.grants = map[string][]access.Grant{"1234567": {
		{RequestID: "r0", Reference: "CFP-7K3M-9Q2X", Name: "Sam <Other>", Relationship: access.Deputy, ClientName: "Cli Ent", ClientBirth: "1941-03-04", Start: now.AddDate(0, -1, 0), EndsOn: "2027-03-31"},
	}}
	f.docs = map[string][]store.Document{"1234567": {{ID: "d1", Title: "Care invoice, October", Type: access.CareInvoice, DocumentDate: "2026-10-31", PublishedAt: now},
		{ID: "d2", Title: "Remittance", Type: access.CareInvoice, DocumentDate: "2026-09-30", PublishedAt: now},
		{ID: "d0", Title: "Care invoice, October (wrong)", Type: access.CareInvoice, DocumentDate: "2026-10-31", PublishedAt: now.Add(-time.Hour),
			Hidden: "replaced", HiddenAt: now.Add(-time.Minute), ReplacedBy: "d1"},
		{ID: "d9", Title: "Sent in error", Type: access.CareInvoice, DocumentDate: "2026-08-31", PublishedAt: now.Add(-2 * time.Hour),
			Hidden: "withdrawn", HiddenAt: now.Add(-time.Minute)}}}
	f.audit = map[string][]store.AuditEvent{"1234567": {{Action: store.AuditDownloadDocument, Email: "sam@example.com", DocumentID: "d1", At: now.Add(-time.Hour)},
		{Action: store.AuditListDocuments, Email: "lists@example.com", At: now}, {Action: store.AuditReplaceDocument, DocumentID: "d0", At: now.Add(-time.Minute)}}}
	open := func(ref, cookie string) web.Response {
		return call(h, "GET", "/staff/clients/{clientReference}", "/staff/clients/"+ref, cookie, map[string]string{"clientReference": ref}, nil, "")
	}
	resp := open("1234567", "staff="+goodToken)
	b := resp.Body
	for _, want := range []string{"Client reference 1234567", "Sam &lt;Other&gt;", "Deputy", "born 4 March 1941", "2 February 2026", "31 March 2027",
		`href="/staff/requests/r0">CFP-7K3M-9Q2X<`, `action="/staff/requests/r0"`, `value="` + formKey(goodToken, "r0") + `"`, `value="end_access"`, `value="change_end_date"`,
		"Care invoice, October", "31 October 2026", "sam@example.com on 2 March 2026 at 1:05pm", "Not opened",
		// The replaced and withdrawn documents are there, marked, with when; the replaced one links the new one.
		`id="document-d0"`, "Care invoice, October (wrong)", ">Replaced<", `href="#document-d1">Care invoice, October<`, ">Withdrawn<", "Sent in error",
		"on 2 March 2026 at 2:04pm"} {
		if resp.StatusCode != 200 || !strings.Contains(b, want) {
			t.Errorf("the client page (%d) lacks %q", resp.StatusCode, want)
		}
	}
	if strings.Contains(b, "lists@example.com") {
		t.Error("a list, which opens no document, is shown as opening one")
	}
	if strings.Count(b, "Not opened") != 3 { // d0's replacement is no opening
		t.Error("a batch's correction is shown as someone opening the document")
	}
	if strings.Count(b, ">Current<") != 2 || !(strings.Index(b, "document-d1") < strings.Index(b, "document-d0") &&
		strings.Index(b, "document-d0") < strings.Index(b, "document-d2") && strings.Index(b, "document-d2") < strings.Index(b, "document-d9")) {
		t.Error("the documents are not listed newest dated first with two current")
	}
	// Ending access from it goes through the request's own decision, in the reviewer's name.
	f.req = access.Request{ID: "r0", Status: access.Approved, Decision: &access.Decision{Outcome: access.Approved, ClientReference: "1234567"}}
	form := url.Values{"csrf": {formKey(goodToken, "r0")}, "action": {"end_access"}, "endReason": {"client_died"}}
	if resp := post(h, "r0", form); resp.StatusCode != http.StatusSeeOther || len(f.calls) != 1 || f.calls[0] != "end r0 riya@council.example The client has died" {
		t.Errorf("ending access from the client page: %d %v", resp.StatusCode, f.calls)
	}
	// A reader sees the same, without the forms.
	fs := h.Staff.(*fakeStaff)
	tok := secret.New()
	fs.sessions[tok.Hash()] = staff.Session{Hash: tok.Hash(), Person: staff.Person{Email: "s@council.example", Roles: []staff.Role{staff.Support}}, CreatedAt: now, LastSeen: now}
	if b := open("1234567", "staff="+tok.Reveal()).Body; !strings.Contains(b, "Sam &lt;Other&gt;") || strings.Contains(b, `value="end_access"`) || strings.Contains(b, `value="change_end_date"`) {
		t.Error("a reader's client page is wrong")
	}
	for _, ref := range []string{"7654321", "12ab", "1234567#REQ#x", ""} {
		if resp := open(ref, "staff="+goodToken); resp.StatusCode != http.StatusNotFound {
			t.Errorf("client %q: %d", ref, resp.StatusCode)
		}
	}
}

// A request is found by its short reference however it is typed; what is not a reference asks
// again, and an unknown reference says so, both with the search form on the page.
func TestFindByReference(t *testing.T) {
	h, f, _ := setup()
	ref := access.NewReference()
	f.req.Reference = ref
	find := func(typed string) web.Response {
		return call(h, "GET", "/staff/find", "/staff/find", "staff="+goodToken, nil, map[string]string{"reference": typed}, "")
	}
	if b := call(h, "GET", "/staff", "/staff", "staff="+goodToken, nil, nil, "").Body; !strings.Contains(b, `action="/staff/find"`) {
		t.Error("the queue has no search form")
	}
	plain := strings.ReplaceAll(strings.TrimPrefix(string(ref), "CFP-"), "-", "")
	for _, typed := range []string{string(ref), " " + strings.ToLower(strings.ReplaceAll(string(ref), "-", " ")) + " ", plain} {
		if resp := find(typed); resp.StatusCode != http.StatusSeeOther || resp.Headers["Location"] != "/staff/requests/r1" {
			t.Errorf("%q: %d %q", typed, resp.StatusCode, resp.Headers["Location"])
		}
	}
	wrongCheck := string(ref[:len(ref)-1]) + map[bool]string{true: "3", false: "2"}[ref[len(ref)-1] == '2']
	for typed, want := range map[string]int{"": 400, wrongCheck: 400, "<script>": 400, string(access.NewReference()): 404} {
		resp := find(typed)
		if resp.StatusCode != want || !strings.Contains(resp.Body, `href="#reference"`) || !strings.Contains(resp.Body, `id="reference"`) || strings.Contains(resp.Body, "<script>") {
			t.Errorf("%q: %d, want %d, with the form and its error", typed, resp.StatusCode, want)
		}
	}
}
