package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/council/cfp/infra/local/stack"
	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

// The portal, end to end: a person approved through the real review path registers from the
// approval email's link, confirms their address from the verification email, signs in with the code
// from the sign-in email, and reads their clients' documents as published by the back office. Every
// email is read from the SES mailbox; every document goes through the publish function.

const (
	approvedSubject = "Your request for access was approved"
	verifySubject   = "Confirm your email address"
	codeSubject     = "Your sign-in code"
)

var (
	registerLinkRE = regexp.MustCompile(`/register\?invitation=([A-Za-z0-9_%-]+)`)
	verifyLinkRE   = regexp.MustCompile(`/verify\?token=([A-Za-z0-9_%-]+)`)
	signInCodeRE   = regexp.MustCompile(`\bis ([0-9]{6})\b`)
)

// portalMails returns the emails to an address whose subject contains subject, oldest first.
func portalMails(t *testing.T, to, subject string) []string {
	t.Helper()
	var out []string
	for _, m := range mailTo(t, to) {
		if strings.Contains(m.Subject, subject) {
			out = append(out, m.Text)
		}
	}
	return out
}

// portalNextMail waits for the (n+1)-th email to an address about subject, and returns its text.
func portalNextMail(t *testing.T, to, subject string, n int) string {
	t.Helper()
	var text string
	eventually(t, 60*time.Second, fmt.Sprintf("email %d to %s about %q", n+1, to, subject), func() bool {
		ms := portalMails(t, to, subject)
		if len(ms) > n {
			text = ms[n]
			return true
		}
		return false
	})
	return text
}

// portalLink takes the token out of a link in an email, as the portal page does from its URL.
func portalLink(t *testing.T, re *regexp.Regexp, text string) string {
	t.Helper()
	m := re.FindStringSubmatch(text)
	if m == nil || !strings.Contains(text, stk.Settings[wiring.PortalURL]+m[0]) {
		t.Fatalf("no portal link %s in: %s", re, text)
	}
	tok, err := url.QueryUnescape(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// portalRegister registers with an invitation token and confirms the address from the email.
func portalRegister(t *testing.T, b browser, email, invitation, name string) {
	t.Helper()
	before := len(portalMails(t, email, verifySubject))
	if resp, out := b.call(t, "POST", "/account/register", map[string]string{"invitation": invitation, "name": name}); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("register: %d %s", resp.StatusCode, out)
	}
	tok := portalLink(t, verifyLinkRE, portalNextMail(t, email, verifySubject, before))
	if resp, out := b.call(t, "POST", "/account/verify", map[string]string{"token": tok}); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("verify: %d %s", resp.StatusCode, out)
	}
}

// portalCode asks for a sign-in code and returns it from the email.
func portalCode(t *testing.T, b browser, email string) string {
	t.Helper()
	before := len(portalMails(t, email, codeSubject))
	if resp, out := b.call(t, "POST", "/session", map[string]string{"email": email}); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("ask for a code: %d %s", resp.StatusCode, out)
	}
	m := signInCodeRE.FindStringSubmatch(portalNextMail(t, email, codeSubject, before))
	if m == nil {
		t.Fatal("no code in the sign-in email")
	}
	return m[1]
}

// portalSignIn signs a browser in and returns its session cookie as a Cookie header value.
func portalSignIn(t *testing.T, b browser, email string) string {
	t.Helper()
	code := portalCode(t, b, email)
	resp, out := b.call(t, "POST", "/session/verify", map[string]string{"email": email, "code": code})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("sign in: %d %s", resp.StatusCode, out)
	}
	return portalCookie(t, b)
}

// portalCookie is the session cookie the browser holds for the API.
func portalCookie(t *testing.T, b browser) string {
	t.Helper()
	u, _ := url.Parse(stk.APIURL)
	for _, c := range b.Jar.Cookies(u) {
		if c.Name == "session" || c.Name == "__Host-session" {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatal("the browser holds no session cookie")
	return ""
}

// portalPerson is a person with an account, signed in, holding the grants seeded for them (states
// no API reaches quickly: an ended grant, an end date in the past).
func portalPerson(t *testing.T, who string, grants ...store.Grant) (email, cookie string, ids []access.RequestID) {
	t.Helper()
	email = who + "." + uniqueEmail(t)
	for _, g := range grants {
		g.Email, g.Name = access.Email(email), "Person "+who
		id, err := storetest.SeedGrant(context.Background(), db, g)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// The invitation as the notifier stores it when it sends an approval email.
	inv := secret.New()
	now := time.Now()
	if err := db.PutToken(context.Background(), store.Token{Hash: inv.Hash(), Purpose: mail.Invitation, Subject: "r-seeded", Email: access.Email(email), IssuedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser()
	portalRegister(t, b, email, inv.Reveal(), "Person "+who)
	return email, portalSignIn(t, b, email), ids
}

// portalApprove takes a request for a client through the real review path: submitted with its
// evidence, scanned, reviewed from the team's email link and approved with a client reference.
func portalApprove(t *testing.T, email, clientName, ref, endsOn string) string {
	t.Helper()
	body := requestBody(email, pdfFile("order.pdf", len(minimalPDF())))
	body["client"] = map[string]any{"name": clientName, "dateOfBirth": "1941-03-04", "postcode": "SW1A 1AA"}
	c := reviewSubmit(t, body)
	reviewAct(t, reviewLink(t, c.ID, 1), "action", "approve", "clientReference", ref, "accessEndsOn", endsOn)
	return c.ID
}

// portalPublish drops documents for a client as the back office does and waits until each is published.
func portalPublish(t *testing.T, ref string, docs ...map[string]string) []store.Document {
	t.Helper()
	var out []store.Document
	for i, meta := range docs {
		meta["client-reference"] = ref
		key := fmt.Sprintf("inbound/portal-%s-%d-%d.pdf", ref, i, time.Now().UnixNano())
		out = append(out, publishWait(t, key, publishPut(t, key, publishPDF(i), meta)))
	}
	return out
}

func portalDoc(typ, date, title string) map[string]string {
	return map[string]string{"document-type": typ, "document-date": date, "title": title}
}

type portalList struct {
	Documents []struct {
		ID, Type, Title, DocumentDate, PublishedAt string
		Size                                       int64
	}
	NextCursor *string
}

func (b browser) portalGet(t *testing.T, path, cookie string) (*http.Response, []byte) {
	t.Helper()
	if cookie == "" {
		return b.call(t, "GET", path, nil)
	}
	return b.call(t, "GET", path, nil, "Cookie", cookie)
}

// The whole journey of one person acting for their mother and father.
func TestPortalJourney(t *testing.T) {
	email := uniqueEmail(t)
	mumRef, dadRef := publishClient(), publishClient()
	portalApprove(t, email, "Mum Example", mumRef, "")
	portalApprove(t, email, "Dad Example", dadRef, "2099-12-31")

	// Both approval emails carry a registration link: there is no account yet.
	first := portalNextMail(t, email, approvedSubject, 0)
	portalNextMail(t, email, approvedSubject, 1)
	invitation := portalLink(t, registerLinkRE, first)

	b := newBrowser()
	portalRegister(t, b, email, invitation, "Dee Puty")
	// The registration link a second time: a clear refusal.
	resp, out := b.call(t, "POST", "/account/register", map[string]string{"invitation": invitation, "name": "Dee Puty"})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(out), "already been used") {
		t.Fatalf("registration link used twice: %d %s", resp.StatusCode, out)
	}

	// Sign in with the emailed code: the session cookie comes back HttpOnly, SameSite=Strict, Path=/.
	code := portalCode(t, b, email)
	resp, out = b.call(t, "POST", "/session/verify", map[string]string{"email": strings.ToUpper(email), "code": code})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("sign in: %d %s", resp.StatusCode, out)
	}
	sc := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"} {
		if !strings.Contains(sc, want) {
			t.Errorf("Set-Cookie %q lacks %s", sc, want)
		}
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != portal || resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("CORS headers: %v", resp.Header)
	}
	// The code's email is not in the outbox: it went straight to SES.
	if strings.Contains(fmt.Sprint(queuedTemplates(t)), string(mail.SignInCode)) {
		t.Error("a sign-in code email is queued in the table")
	}

	resp, out = b.call(t, "GET", "/me", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("me: %d %v %s", resp.StatusCode, resp.Header, out)
	}
	me := decode[struct {
		Email, Name string
		Clients     []struct {
			ClientReference, Name, Relationship string
			AccessEndsOn                        *string
		}
		EmailDeliveryFailing bool
	}](t, out)
	if me.Email != email || me.Name != "Dee Puty" || len(me.Clients) != 2 || me.EmailDeliveryFailing {
		t.Fatalf("me: %s", out)
	}
	byRef := map[string]string{}
	for _, c := range me.Clients {
		byRef[c.ClientReference] = c.Name
		if c.ClientReference == dadRef && (c.AccessEndsOn == nil || *c.AccessEndsOn != "2099-12-31") {
			t.Errorf("Dad's end date: %v", c.AccessEndsOn)
		}
	}
	if byRef[mumRef] != "Mum Example" || byRef[dadRef] != "Dad Example" {
		t.Fatalf("clients: %s", out)
	}

	// The back office publishes Mum's documents and one of Dad's.
	mum := portalPublish(t, mumRef,
		portalDoc("care_invoice", "2026-08-31", "Care invoice August"),
		portalDoc("assessment_outcome", "2026-07-15", "Financial assessment"),
		portalDoc("care_invoice", "2026-09-30", "Care invoice September"),
		portalDoc("direct_payment_remittance", "2026-09-02", "Remittance advice"),
		portalDoc("care_invoice", "2026-10-28", "Care invoice October"))
	dad := portalPublish(t, dadRef, portalDoc("deferred_payment_statement", "2026-10-01", "Deferred payment statement"))

	// Newest first, two a page, through the cursors.
	var titles []string
	cursor := ""
	for pages := 0; ; pages++ {
		path := "/clients/" + mumRef + "/documents?limit=2"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		resp, out := b.call(t, "GET", path, nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("documents page %d: %d %s", pages+1, resp.StatusCode, out)
		}
		page := decode[portalList](t, out)
		for _, d := range page.Documents {
			titles = append(titles, d.Title)
		}
		if page.NextCursor == nil {
			break
		}
		if pages > 3 {
			t.Fatal("more pages than documents")
		}
		cursor = *page.NextCursor
	}
	want := []string{"Care invoice October", "Care invoice September", "Remittance advice", "Care invoice August", "Financial assessment"}
	if strings.Join(titles, "|") != strings.Join(want, "|") {
		t.Fatalf("Mum's documents: %q, want %q", titles, want)
	}
	_, out = b.call(t, "GET", "/clients/"+mumRef+"/documents?type=care_invoice", nil)
	invoices := decode[portalList](t, out)
	if len(invoices.Documents) != 3 || invoices.Documents[0].DocumentDate != "2026-10-28" || invoices.NextCursor != nil {
		t.Fatalf("invoices: %s", out)
	}
	// Each client separately: Mum's cursor does not page Dad's list, and Dad's list is Dad's.
	_, out = b.call(t, "GET", "/clients/"+mumRef+"/documents?limit=1", nil)
	mumCursor := *decode[portalList](t, out).NextCursor
	if resp, _ := b.call(t, "GET", "/clients/"+dadRef+"/documents?cursor="+url.QueryEscape(mumCursor), nil); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("Mum's cursor on Dad's list: %d", resp.StatusCode)
	}
	_, out = b.call(t, "GET", "/clients/"+dadRef+"/documents", nil)
	if l := decode[portalList](t, out); len(l.Documents) != 1 || l.Documents[0].ID != string(dad[0].ID) {
		t.Fatalf("Dad's documents: %s", out)
	}

	// A download is a redirect to a short-lived link that saves the very bytes published.
	doc := mum[4]
	resp, _ = b.call(t, "GET", "/documents/"+string(doc.ID)+"/download", nil)
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("download: %d %v", resp.StatusCode, resp.Header)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if secs, err := strconv.Atoi(loc.Query().Get("X-Amz-Expires")); err != nil || secs <= 0 || secs > 60 {
		t.Errorf("download link lives %q seconds", loc.Query().Get("X-Amz-Expires"))
	}
	file, err := http.Get(loc.String())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(file.Body)
	file.Body.Close()
	stored, err := stack.S3Client(stk.S3URL).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(publishBucket()), Key: aws.String(doc.Key)})
	if err != nil {
		t.Fatal(err)
	}
	published, _ := io.ReadAll(stored.Body)
	stored.Body.Close()
	if file.StatusCode != http.StatusOK || string(got) != string(published) || !strings.HasPrefix(string(got), "%PDF") || int64(len(got)) != doc.Size {
		t.Fatalf("downloaded %d: %d bytes, want the %d published", file.StatusCode, len(got), doc.Size)
	}
	if cd := file.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Errorf("Content-Disposition %q", cd)
	}

	// Lists and the download were audited: who, which client, which document, which grant, from where.
	events, err := db.AuditOfClient(context.Background(), mumRef, 20)
	if err != nil {
		t.Fatal(err)
	}
	var lists, downloads int
	for _, e := range events {
		if strings.HasPrefix(e.Action, "staff_") { // the reviewer's look and decision, in their own name
			if e.Email == access.Email(email) {
				t.Errorf("a staff event in the requester's name: %+v", e)
			}
			continue
		}
		if string(e.Email) != email || e.GrantID == "" || e.SourceIP == "" || e.UserAgent == "" {
			t.Errorf("audit event %+v", e)
		}
		switch e.Action {
		case store.AuditListDocuments:
			lists++
		case store.AuditDownloadDocument:
			downloads++
			if e.DocumentID != doc.ID {
				t.Errorf("download event for %s", e.DocumentID)
			}
		}
	}
	if lists != 5 || downloads != 1 { // three pages, the invoices, the one-document page
		t.Errorf("audit: %d lists, %d downloads; want 5 and 1", lists, downloads)
	}

	// Signed in, a request for another client takes the requester from the session.
	resp, out = b.call(t, "POST", "/access-requests", map[string]any{
		"relationship": "appointee", "client": map[string]any{"name": "Aunt Example", "dateOfBirth": "1939-01-02", "postcode": "SW1A 2AA"},
		"evidence": []map[string]any{pdfFile("appointee.pdf", 1000)},
	})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("signed-in access request: %d %s", resp.StatusCode, out)
	}
	if r := reviewRequest(t, decode[Created](t, out).ID); string(r.Requester.Email) != email || r.Requester.Name != "Dee Puty" {
		t.Fatalf("signed-in request's requester: %+v", r.Requester)
	}

	// Signing out ends the session: the same cookie is refused afterwards.
	cookie := portalCookie(t, b)
	if resp, _ := b.call(t, "DELETE", "/session", nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	if resp, _ := newBrowser().portalGet(t, "/me", cookie); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the signed-out cookie: %d", resp.StatusCode)
	}
}

// queuedTemplates lists the templates of the emails waiting in the outbox.
func queuedTemplates(t *testing.T) []mail.Template {
	t.Helper()
	due, err := db.DueMail(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []mail.Template
	for _, q := range due {
		out = append(out, q.Template)
	}
	return out
}

// Two joint attorneys each see the same client through their own grant, and the client sees both.
func TestPortalJointAttorneys(t *testing.T) {
	ref := publishClient()
	_, clientCookie, _ := portalPerson(t, "client", store.Grant{ClientReference: ref, ClientName: "Joint Client", Relationship: access.Self})
	a1, c1, _ := portalPerson(t, "attorney1", store.Grant{ClientReference: ref, ClientName: "Joint Client", Relationship: access.AttorneyLPA})
	a2, c2, _ := portalPerson(t, "attorney2", store.Grant{ClientReference: ref, ClientName: "Joint Client", Relationship: access.AttorneyLPA})
	docs := portalPublish(t, ref, portalDoc("care_invoice", "2026-10-28", "Care invoice October"))
	b := newBrowser()
	for who, cookie := range map[string]string{a1: c1, a2: c2} {
		resp, out := b.portalGet(t, "/clients/"+ref+"/documents", cookie)
		if resp.StatusCode != http.StatusOK || len(decode[portalList](t, out).Documents) != 1 {
			t.Fatalf("%s: %d %s", who, resp.StatusCode, out)
		}
		if resp, _ := b.portalGet(t, "/documents/"+string(docs[0].ID)+"/download", cookie); resp.StatusCode != http.StatusFound {
			t.Fatalf("%s download: %d", who, resp.StatusCode)
		}
	}
	events, _ := db.AuditOfClient(context.Background(), ref, 20)
	grants := map[access.RequestID]bool{}
	for _, e := range events {
		grants[e.GrantID] = true
	}
	if len(events) != 4 || len(grants) != 2 {
		t.Fatalf("audit: %d events through %d grants, want 4 through 2", len(events), len(grants))
	}
	resp, out := b.portalGet(t, "/clients/"+ref+"/grantees", clientCookie)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("grantees: %d %s", resp.StatusCode, out)
	}
	var names []string
	for _, g := range decode[struct {
		Grantees []struct{ Name, Relationship string }
	}](t, out).Grantees {
		names = append(names, g.Name+"/"+g.Relationship)
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "Person attorney1/attorney_lpa,Person attorney2/attorney_lpa,Person client/self" {
		t.Fatalf("grantees: %v", names)
	}
}

// Every portal route against every kind of caller.
func TestPortalAuthorisationMatrix(t *testing.T) {
	ref, otherRef := publishClient(), publishClient()
	self := func(r string) store.Grant {
		return store.Grant{ClientReference: r, ClientName: "Matrix Client", Relationship: access.Self}
	}
	_, valid, _ := portalPerson(t, "valid", self(ref))
	_, noGrant, _ := portalPerson(t, "nogrant")
	_, otherClient, _ := portalPerson(t, "otherclient", self(otherRef))
	ended := self(ref)
	ended.Ended = true
	_, endedGrant, _ := portalPerson(t, "ended", ended)
	past := self(ref)
	past.EndsOn = time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")
	_, pastEnd, _ := portalPerson(t, "pastend", past)
	_, revoked, _ := portalPerson(t, "revoked", self(ref))
	if resp, _ := newBrowser().call(t, "DELETE", "/session", nil, "Cookie", revoked); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	expired := portalExpiredSession(t, self(ref))
	tampered := valid[:len(valid)-3] + "abc"
	if tampered == valid {
		tampered = valid[:len(valid)-3] + "xyz"
	}
	docs := portalPublish(t, ref, portalDoc("care_invoice", "2026-10-28", "Care invoice October"))
	portalPublish(t, otherRef, portalDoc("care_invoice", "2026-10-28", "Care invoice October"))

	routes := map[string]string{
		"me":        "/me",
		"documents": "/clients/" + ref + "/documents",
		"grantees":  "/clients/" + ref + "/grantees",
		"download":  "/documents/" + string(docs[0].ID) + "/download",
	}
	anon := map[string]int{"me": 401, "documents": 401, "grantees": 401, "download": 401}
	signedInNoAccess := map[string]int{"me": 200, "documents": 404, "grantees": 404, "download": 404}
	matrix := []struct {
		who, cookie string
		want        map[string]int
	}{
		{"anonymous", "", anon},
		{"expired session", expired, anon},
		{"revoked session", revoked, anon},
		{"tampered cookie", tampered, anon},
		{"signed in, no grant", noGrant, signedInNoAccess},
		{"grant for another client", otherClient, signedInNoAccess},
		{"ended grant", endedGrant, signedInNoAccess},
		{"grant past its end date", pastEnd, signedInNoAccess},
		{"valid grant", valid, map[string]int{"me": 200, "documents": 200, "grantees": 200, "download": 302}},
	}
	b := newBrowser()
	notFound := ""
	for _, m := range matrix {
		for route, path := range routes {
			resp, out := b.portalGet(t, path, m.cookie)
			if resp.StatusCode != m.want[route] {
				t.Errorf("%s, %s: %d, want %d (%s)", m.who, route, resp.StatusCode, m.want[route], out)
			}
			if resp.StatusCode != http.StatusFound && resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s, %s: Cache-Control %q", m.who, route, resp.Header.Get("Cache-Control"))
			}
			if resp.StatusCode == http.StatusNotFound {
				if notFound == "" {
					notFound = string(out)
				} else if string(out) != notFound {
					t.Errorf("%s, %s: a different 404: %s", m.who, route, out)
				}
			}
		}
	}
	// Unknown clients and documents look exactly like forbidden ones.
	for _, path := range []string{"/clients/1999999999/documents", "/documents/dunknown/download", "/clients/1999999999/grantees"} {
		if resp, out := b.portalGet(t, path, valid); resp.StatusCode != http.StatusNotFound || string(out) != notFound {
			t.Errorf("%s: %d %s", path, resp.StatusCode, out)
		}
	}
}

// portalExpiredSession is a session that started 13 hours ago: past the absolute limit. The store's
// clock is set back to make it, as waiting is not an option.
func portalExpiredSession(t *testing.T, g store.Grant) string {
	t.Helper()
	email := "expired." + uniqueEmail(t)
	g.Email = access.Email(email)
	if _, err := storetest.SeedGrant(context.Background(), db, g); err != nil {
		t.Fatal(err)
	}
	inv := secret.New()
	now := time.Now()
	if err := db.PutToken(context.Background(), store.Token{Hash: inv.Hash(), Purpose: mail.Invitation, Subject: "r-seeded", Email: access.Email(email), IssuedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	portalRegister(t, newBrowser(), email, inv.Reveal(), "Expired")
	then := now.Add(-13 * time.Hour)
	past := db.WithClock(func() time.Time { return then })
	code, tok := secret.NewCode(6), secret.New()
	if err := past.PutCode(context.Background(), access.Email(email), "seeded-browser", code.HashWith(email), store.Limit{Kind: "test", Key: email, Window: time.Hour, Max: 5}); err != nil {
		t.Fatal(err)
	}
	s := store.Session{Hash: tok.Hash(), Email: access.Email(email), Name: "Expired", CreatedAt: then, LastSeen: then}
	if err := past.StartSession(context.Background(), "seeded-browser", code.HashWith(email), s); err != nil {
		t.Fatal(err)
	}
	return "session=" + tok.Reveal()
}

// Guessing, reusing and borrowing codes; links that no longer work.
func TestPortalCodesAndLinksThatMustNotWork(t *testing.T) {
	a, _, _ := portalPerson(t, "a")
	other, _, _ := portalPerson(t, "b")
	b := newBrowser()

	// Five wrong guesses, then even the right code is refused.
	code := portalCode(t, b, a)
	wrong := fmt.Sprintf("%06d", (mustAtoi(t, code)+1)%1000000)
	for i := 1; i <= 5; i++ {
		if resp, out := b.call(t, "POST", "/session/verify", map[string]string{"email": a, "code": wrong}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong guess %d: %d %s", i, resp.StatusCode, out)
		}
	}
	if resp, out := b.call(t, "POST", "/session/verify", map[string]string{"email": a, "code": code}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("sixth attempt with the right code: %d %s", resp.StatusCode, out)
	}

	// A new code works once; used again it is refused.
	code = portalCode(t, b, a)
	if resp, _ := b.call(t, "POST", "/session/verify", map[string]string{"email": a, "code": code}); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("new code: %d", resp.StatusCode)
	}
	if resp, _ := newBrowser().call(t, "POST", "/session/verify", map[string]string{"email": a, "code": code}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("code reused: %d", resp.StatusCode)
	}

	// One address's code does not sign in another.
	otherCode := portalCode(t, b, other)
	if resp, _ := newBrowser().call(t, "POST", "/session/verify", map[string]string{"email": a, "code": otherCode}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("another address's code: %d", resp.StatusCode)
	}

	// An unknown address gets the same 202 as a known one, and no email.
	nobody := "nobody." + uniqueEmail(t)
	resp, out := b.call(t, "POST", "/session", map[string]string{"email": nobody})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("unknown address: %d %s", resp.StatusCode, out)
	}
	_, known := b.call(t, "POST", "/session", map[string]string{"email": other})
	if string(out) != string(known) {
		t.Fatalf("answers differ: %s and %s", out, known)
	}
	// And /session/verify then answers both alike, attempt by attempt, in the browser that asked:
	// five 401s, then 429.
	guess := fmt.Sprintf("%06d", (mustAtoi(t, portalCode(t, b, other))+1)%1000000)
	var answers [2][]string
	for j, e := range []string{other, nobody} {
		for i := 1; i <= 6; i++ {
			resp, out := b.call(t, "POST", "/session/verify", map[string]string{"email": e, "code": guess})
			answers[j] = append(answers[j], fmt.Sprint(resp.StatusCode, " ", string(out)))
		}
	}
	if fmt.Sprint(answers[0]) != fmt.Sprint(answers[1]) || !strings.HasPrefix(answers[0][5], "429 ") {
		t.Fatalf("/session/verify tells who has an account:\n account:    %q\n no account: %q", answers[0], answers[1])
	}

	// An expired invitation: a clear 410, and no account.
	late := "late." + uniqueEmail(t)
	inv := secret.New()
	then := time.Now().Add(-15 * 24 * time.Hour)
	if err := db.PutToken(context.Background(), store.Token{Hash: inv.Hash(), Purpose: mail.Invitation, Subject: "r-old", Email: access.Email(late), IssuedAt: then, ExpiresAt: then.Add(14 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	resp, out = b.call(t, "POST", "/account/register", map[string]string{"invitation": inv.Reveal(), "name": "Late"})
	if resp.StatusCode != http.StatusGone || !strings.Contains(string(out), "expired") {
		t.Fatalf("expired invitation: %d %s", resp.StatusCode, out)
	}
	if _, err := db.Account(context.Background(), access.Email(late)); err != store.ErrNotFound {
		t.Fatalf("an expired invitation made an account: %v", err)
	}
	// Browser protections: another origin, or a form post, changes nothing.
	if resp, _ := b.call(t, "POST", "/session", map[string]string{"email": a}, "Origin", "https://evil.example"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin sign-in: %d", resp.StatusCode)
	}
	if resp, _ := b.call(t, "POST", "/session", "email="+url.QueryEscape(a), "Content-Type", "application/x-www-form-urlencoded"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("form post: %d", resp.StatusCode)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
