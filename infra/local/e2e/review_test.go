package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

// The staff review, end to end: a person submits a request and uploads its evidence, the uploads are
// scanned, the Client Finance team receives "ready for review" with a link to the request in the
// staff workspace (no token), and a reviewer signed in through the local OpenID Provider works there.
// Every email is read from the SES mailbox.

// reviewerAddr is the sample reviewer's address, as the local OpenID Provider's ID token gives it:
// every decision is recorded against it.
const reviewerAddr = "reviewer@council.example"

// reviewClient is the signed-in reviewer's browser (staffSignIn): it keeps cookies and follows no
// redirects, so tests see each 303 and 302.
var reviewClient = newStaffClient()

var reviewSignIn sync.Once

func newStaffClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

var loginFormRE = regexp.MustCompile(`<form[^>]*action="([^"]+)"[^>]*method="post"`)

// staffSignIn signs c in to the staff workspace as login, through the local OpenID Provider's
// login page, as a person does in a browser: sign-in, the provider, its login form, the callback.
func staffSignIn(t *testing.T, c *http.Client, login string) {
	t.Helper()
	follow := *c
	follow.CheckRedirect = nil // this client follows the redirects, into the same cookie jar
	resp, err := follow.Get(portal + "/staff/sign-in")
	if err != nil {
		t.Fatalf("staff sign-in: %v", err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := loginFormRE.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("the provider's login page: %d %.300s", resp.StatusCode, page)
	}
	action, _ := resp.Request.URL.Parse(string(m[1]))
	resp, err = follow.PostForm(action.String(), url.Values{"prompt": {"login"}, "login": {login}, "password": {"any password"}})
	if err != nil {
		t.Fatalf("staff sign-in: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.String(), portal+"/staff") {
		t.Fatalf("after the provider's login: %d at %s", resp.StatusCode, resp.Request.URL)
	}
}

// reviewSignedIn signs the shared reviewer's browser in, once.
func reviewSignedIn(t *testing.T) {
	t.Helper()
	reviewSignIn.Do(func() { staffSignIn(t, reviewClient, "reviewer") })
}

// reviewTeam is the first address on the reviewers' list: where "ready for review" emails go.
func reviewTeam() string {
	return strings.TrimSpace(strings.Split(stk.Settings[wiring.Reviewers], ",")[0])
}

// reviewSubmit makes a request with the given body, uploads a clean PDF for each declared file, and
// submits it, as the portal does.
func reviewSubmit(t *testing.T, body map[string]any) Created {
	t.Helper()
	b := newBrowser()
	resp, out := b.call(t, "POST", "/access-requests", body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, out)
	}
	c := decode[Created](t, out)
	for _, u := range c.Uploads {
		if code, out := upload(t, u, "evidence.pdf", "application/pdf", minimalPDF()); code != http.StatusNoContent {
			t.Fatalf("upload: %d %s", code, out)
		}
	}
	if resp, out := b.call(t, "POST", "/access-requests/"+c.ID+"/submit", nil, "Authorization", "Bearer "+c.ContinuationToken); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("submit: %d %s", resp.StatusCode, out)
	}
	return c
}

var reviewLinkRE = regexp.MustCompile(`https?://[^\s"<>]+/staff/requests/[A-Za-z0-9_-]+`)

// reviewLink waits for the n-th (1-based) "ready for review" email about a request to the team and
// returns the link in it.
func reviewLink(t *testing.T, id string, n int) string {
	t.Helper()
	var link string
	eventually(t, 90*time.Second, "review email "+strconv.Itoa(n)+" about "+id, func() bool {
		var found []string
		for _, m := range mailTo(t, reviewTeam()) {
			if strings.Contains(m.Subject, "ready for review") && strings.Contains(m.Text, id) {
				found = append(found, reviewLinkRE.FindString(m.Text))
			}
		}
		if len(found) >= n {
			link = found[n-1]
			return true
		}
		return false
	})
	if link != portal+"/staff/requests/"+id {
		t.Fatalf("the review email does not link to the request in the staff workspace: %q", link)
	}
	return link
}

// reviewReady takes a new deputy's request through the real path to the reviewer's link.
func reviewReady(t *testing.T) (email, id, link string) {
	t.Helper()
	email = uniqueEmail(t)
	c := reviewSubmit(t, requestBody(email, pdfFile("order.pdf", len(minimalPDF()))))
	return email, c.ID, reviewLink(t, c.ID, 1)
}

func reviewGet(t *testing.T, link string) (*http.Response, string) {
	t.Helper()
	reviewSignedIn(t)
	resp, err := reviewClient.Get(link)
	if err != nil {
		t.Fatalf("GET review link: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func reviewPost(t *testing.T, link string, form url.Values) (*http.Response, string) {
	t.Helper()
	reviewSignedIn(t)
	resp, err := reviewClient.PostForm(link, form)
	if err != nil {
		t.Fatalf("POST review link: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// formKeyRE finds the anti-forgery field of the page's own forms (posting to "./<id>"), not the
// header's sign-out form's.
var formKeyRE = regexp.MustCompile(`action="\./[^"]*"[^>]*><input type="hidden" name="csrf" value="([^"]+)"`)

// reviewForm opens the review page and returns a form carrying its anti-forgery field.
func reviewForm(t *testing.T, link string, kv ...string) url.Values {
	t.Helper()
	resp, page := reviewGet(t, link)
	m := formKeyRE.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("review page: %d, anti-forgery field found: %v", resp.StatusCode, m != nil)
	}
	v := url.Values{"csrf": {m[1]}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	// The reviewer types the client reference twice; a test that means otherwise says so.
	if _, typed := v["clientReferenceConfirm"]; !typed && v.Has("clientReference") {
		v.Set("clientReferenceConfirm", v.Get("clientReference"))
	}
	return v
}

// reviewAct posts a form and expects the 303 back to the page, which it then opens.
func reviewAct(t *testing.T, link string, kv ...string) string {
	t.Helper()
	resp, body := reviewPost(t, link, reviewForm(t, link, kv...))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("%v: %d %.400s", kv, resp.StatusCode, body)
	}
	loc, err := resp.Location()
	if err != nil || !strings.HasPrefix(loc.String(), link) {
		t.Fatalf("303 to %v (%v), want the review page", loc, err)
	}
	resp, page := reviewGet(t, loc.String())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("page after %v: %d", kv, resp.StatusCode)
	}
	return page
}

func reviewRequest(t *testing.T, id string) access.Request {
	t.Helper()
	r, _, err := db.Request(context.Background(), access.RequestID(id))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReviewApproveEndToEnd(t *testing.T) {
	email, id, link := reviewReady(t)
	if st := reviewRequest(t, id).Status; st != access.ReadyForReview {
		t.Fatalf("status before review: %s", st)
	}

	resp, page := reviewGet(t, link)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("review page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	h := resp.Header
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") ||
		h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("security headers: %v", h)
	}
	for _, want := range []string{"Dee Puty", "Cli Ent", email, "order.pdf", "Ready for review"} {
		if !strings.Contains(page, want) {
			t.Errorf("review page lacks %q", want)
		}
	}

	// The clean evidence opens through a short-lived presigned link to its rendition (once made),
	// never to the file uploaded.
	ev := regexp.MustCompile(`href="(\./[^"]+/evidence/[^"]+)"`).FindStringSubmatch(page)
	if ev == nil {
		t.Fatal("no evidence link on the page")
	}
	evURL, _ := url.Parse(link)
	evURL = evURL.ResolveReference(&url.URL{Path: ev[1]})
	eventually(t, 3*time.Minute, "the evidence's rendition", func() bool {
		resp, _ = reviewGet(t, evURL.String())
		return resp.StatusCode == http.StatusFound
	})
	signed := resp.Header.Get("Location")
	u, _ := url.Parse(signed)
	if secs, err := strconv.Atoi(u.Query().Get("X-Amz-Expires")); err != nil || secs <= 0 || secs > 300 {
		t.Errorf("the evidence link is not a presigned URL valid for at most 5 minutes: %s", signed)
	}
	file, err := http.Get(signed)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(file.Body)
	file.Body.Close()
	if file.StatusCode != http.StatusOK || !strings.HasPrefix(string(got), "%PDF-") || string(got) == string(minimalPDF()) {
		t.Fatalf("evidence download: %d, %d bytes, the upload itself: %v", file.StatusCode, len(got), string(got) == string(minimalPDF()))
	}

	page = reviewAct(t, link, "action", "record_security_check", "note", "Phoned 01632 960001; identity confirmed.")
	if !strings.Contains(page, "Security check recorded") || !strings.Contains(page, "Security check: Phoned 01632 960001; identity confirmed.") {
		t.Error("the page does not show the recorded security check")
	}
	page = reviewAct(t, link, "action", "approve", "clientReference", "1234567", "accessEndsOn", "2099-12-31")
	if !strings.Contains(page, "Request approved") || !strings.Contains(page, "Approved by "+reviewerAddr) || !strings.Contains(page, "31 December 2099") {
		t.Errorf("the page after approving does not show the outcome: %.2000s", page)
	}

	// The request is the grant, recording who approved it.
	r := reviewRequest(t, id)
	if r.Status != access.Approved || r.Decision == nil || string(r.Decision.By) != reviewerAddr || r.Decision.ClientReference != "1234567" ||
		r.Decision.AccessEndsOn != "2099-12-31" || len(r.Notes) != 2 || r.Notes[0].Kind != "security_check" {
		t.Fatalf("approved request: %+v %+v", r.Decision, r.Notes)
	}
	grants, err := db.GrantsOf(context.Background(), access.Email(email))
	if err != nil || len(grants) != 1 || grants[0].ClientReference != "1234567" || !grants[0].Active(time.Now()) {
		t.Fatalf("grants: %+v %v", grants, err)
	}

	// The requester has no account: the email carries the registration link, whose invitation token
	// is bound to the request and to their address.
	m := waitMail(t, email, "Your request for access was approved")
	reg := regexp.MustCompile(regexp.QuoteMeta(stk.Settings[wiring.PortalURL]) + `/register\?invitation=([A-Za-z0-9_%-]+)`).FindStringSubmatch(m.Text)
	if reg == nil {
		t.Fatalf("no registration link in the approval email: %s", m.Text)
	}
	raw, _ := url.QueryUnescape(reg[1])
	inv, err := db.Token(context.Background(), secret.From(raw).Hash(), mail.Invitation)
	if err != nil || inv.Subject != id || string(inv.Email) != email || time.Until(inv.ExpiresAt) < 13*24*time.Hour {
		t.Fatalf("invitation token: %+v %v", inv, err)
	}

	// A second decision on the decided request is refused, naming who decided.
	resp, body := reviewPost(t, link, reviewForm(t, link, "action", "reject", "reason", "Too late"))
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, reviewerAddr) || !strings.Contains(body, "already been decided") {
		t.Fatalf("second decision: %d %.1000s", resp.StatusCode, body)
	}
	if r := reviewRequest(t, id); r.Status != access.Approved || len(r.Notes) != 2 {
		t.Fatal("a refused decision changed the request")
	}
}

func TestReviewRejectEndToEnd(t *testing.T) {
	email, id, link := reviewReady(t)
	// Leaving the reason out re-renders the page with the error, and changes nothing.
	resp, body := reviewPost(t, link, reviewForm(t, link, "action", "reject", "reason", " "))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "There is a problem") || !strings.Contains(body, `href="#reason"`) {
		t.Fatalf("reject without a reason: %d", resp.StatusCode)
	}
	if reviewRequest(t, id).Status != access.ReadyForReview {
		t.Fatal("an invalid form changed the request")
	}
	reviewAct(t, link, "action", "reject", "reason", "The court order names someone else.")
	m := waitMail(t, email, "Your request for access was not approved")
	if !strings.Contains(m.Text, "The court order names someone else.") || !strings.Contains(m.Text, id) {
		t.Fatalf("rejection email: %s", m.Text)
	}
	r := reviewRequest(t, id)
	if r.Status != access.Rejected || string(r.Decision.By) != reviewerAddr {
		t.Fatalf("rejected request: %+v", r.Decision)
	}
	if g, _ := db.GrantsOf(context.Background(), access.Email(email)); len(g) != 0 {
		t.Fatal("a rejected request gives access")
	}
}

func TestReviewEndAccess(t *testing.T) {
	email, id, link := reviewReady(t)
	reviewAct(t, link, "action", "approve", "clientReference", "2345678")
	if g, _ := db.GranteesOf(context.Background(), "2345678"); len(g) != 1 {
		t.Fatalf("grantees before: %+v", g)
	}
	// The form as the page shows it, kept to send again below.
	end := reviewForm(t, link, "action", "end_access", "endReason", "deputyship_ended")
	if resp, body := reviewPost(t, link, end); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("end access: %d %.500s", resp.StatusCode, body)
	}
	if _, page := reviewGet(t, link); !strings.Contains(page, "Access ended by "+reviewerAddr) || strings.Contains(page, `value="end_access"`) {
		t.Errorf("the page does not show the ended access")
	}
	// The grant stops working at once: no reader can find it.
	if g, _ := db.GrantsOf(context.Background(), access.Email(email)); len(g) != 0 {
		t.Fatalf("the ended grant is still found for the person: %+v", g)
	}
	if g, _ := db.GranteesOf(context.Background(), "2345678"); len(g) != 0 {
		t.Fatalf("the ended grant is still found for the client: %+v", g)
	}
	m := waitMail(t, email, "Your access to a client's documents has ended")
	if !strings.Contains(m.Text, "The deputyship has ended") {
		t.Errorf("access-ended email: %s", m.Text)
	}
	r := reviewRequest(t, id)
	if r.Decision.EndedAt.IsZero() || string(r.Decision.EndedBy) != reviewerAddr || r.Decision.EndReason != "The deputyship has ended" {
		t.Fatalf("ended decision: %+v", r.Decision)
	}
	// Ending twice (the same form sent again) is refused, saying who ended it.
	if resp, body := reviewPost(t, link, end); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Access has already ended") {
		t.Fatalf("ending twice: %d %.500s", resp.StatusCode, body)
	}
}

// Two reviewers deciding the same request at once: exactly one decision is made, the other reviewer
// is told who decided, and the requester gets one email.
func TestReviewConcurrentDecisions(t *testing.T) {
	const rounds = 10
	type ready struct{ email, id, link string }
	var all []ready
	for i := 0; i < rounds; i++ {
		email := uniqueEmail(t)
		c := reviewSubmit(t, requestBody(email, pdfFile("order.pdf", len(minimalPDF()))))
		all = append(all, ready{email: email, id: c.ID})
	}
	for i := range all {
		all[i].link = reviewLink(t, all[i].id, 1)
	}
	for _, r := range all {
		forms := []url.Values{
			reviewForm(t, r.link, "action", "approve", "clientReference", "3456789"),
			reviewForm(t, r.link, "action", "reject", "reason", "Not enough evidence."),
		}
		codes := make([]int, len(forms))
		bodies := make([]string, len(forms))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range forms {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				resp, err := reviewClient.PostForm(r.link, forms[i])
				if err != nil {
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				codes[i], bodies[i] = resp.StatusCode, string(b)
			}(i)
		}
		close(start)
		wg.Wait()
		won, lost := -1, -1
		for i, c := range codes {
			switch c {
			case http.StatusSeeOther:
				won = i
			case http.StatusConflict:
				lost = i
			}
		}
		if won < 0 || lost < 0 {
			t.Fatalf("racing decisions answered %v, want one 303 and one 409", codes)
		}
		if !strings.Contains(bodies[lost], reviewerAddr) || !strings.Contains(bodies[lost], "already been decided") {
			t.Errorf("the 409 page does not say who decided: %.600s", bodies[lost])
		}
		want := []access.Status{access.Approved, access.Rejected}[won]
		if got := reviewRequest(t, r.id); got.Status != want || len(got.Notes) != 1 {
			t.Fatalf("after the race: %s with %d history entries, want %s with 1", got.Status, len(got.Notes), want)
		}
	}
	// Each requester gets exactly one outcome email.
	for _, r := range all {
		eventually(t, 60*time.Second, "the outcome email", func() bool { return len(mailTo(t, r.email)) >= 2 })
		var outcomes int
		for _, m := range mailTo(t, r.email) {
			if strings.Contains(m.Subject, "approved") || strings.Contains(m.Subject, "not approved") {
				outcomes++
			}
		}
		if outcomes != 1 {
			t.Errorf("%d outcome emails for one request", outcomes)
		}
	}
}

// Addresses and forms that must not work: each gets its page, and none changes anything.
func TestReviewBadLinksAndForms(t *testing.T) {
	email, id, link := reviewReady(t)
	_, otherID, otherLink := reviewReady(t)
	before := reviewRequest(t, id)
	form := reviewForm(t, link, "action", "approve", "clientReference", "1234567")

	// The retired emailed-token pages are gone: an old link opens nothing.
	if resp, _ := reviewGet(t, portal+"/review/"+secret.New().Reveal()); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an old /review link: %d", resp.StatusCode)
	}

	// A tampered address: one character changed, one dropped, one added.
	for _, bad := range []string{"x" + id[1:], id[1:], id + "x", strings.ToUpper(id)} {
		if resp, _ := reviewGet(t, portal+"/staff/requests/"+bad); resp.StatusCode != http.StatusNotFound {
			t.Errorf("tampered address: %d", resp.StatusCode)
		}
		if resp, _ := reviewPost(t, portal+"/staff/requests/"+bad, form); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST to a tampered address: %d", resp.StatusCode)
		}
	}

	// Without a staff session: the page sends the browser to sign in, and a form changes nothing.
	anon := newStaffClient()
	if resp, err := anon.Get(link); err != nil || resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/staff/sign-in") {
		t.Errorf("the page without a session: %v %v", resp, err)
	}
	if resp, err := anon.PostForm(link, form); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a form without a session: %v %v", resp, err)
	}

	// The other request's page cannot reach this request's evidence, and its form key does not work here.
	_, page := reviewGet(t, link)
	evID := regexp.MustCompile(`/evidence/([a-z0-9]+)"`).FindStringSubmatch(page)
	if evID == nil {
		t.Fatal("no evidence link")
	}
	if resp, _ := reviewGet(t, otherLink+"/evidence/"+evID[1]); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another request's evidence through this page: %d", resp.StatusCode)
	}
	otherForm := reviewForm(t, otherLink, "action", "approve", "clientReference", "1234567")
	if resp, _ := reviewPost(t, link, otherForm); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another page's anti-forgery field: %d", resp.StatusCode)
	}

	// Without the anti-forgery field, or with a wrong one, nothing is decided.
	for name, csrf := range map[string][]string{"missing": nil, "empty": {""}, "wrong": {"x" + form.Get("csrf")[1:]}} {
		f := url.Values{"action": {"approve"}, "clientReference": {"1234567"}}
		if csrf != nil {
			f["csrf"] = csrf
		}
		if resp, body := reviewPost(t, link, f); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Nothing was changed") {
			t.Errorf("%s anti-forgery field: %d", name, resp.StatusCode)
		}
	}

	// Nothing above changed either request, and the requester got no outcome email.
	if after := reviewRequest(t, id); !reflect.DeepEqual(after, before) {
		t.Fatalf("refused forms changed the request:\nbefore %+v\nafter  %+v", before, after)
	}
	if r := reviewRequest(t, otherID); r.Status != access.ReadyForReview {
		t.Fatalf("the other request changed: %s", r.Status)
	}
	// The good form still works afterwards; once its email has arrived, anything the refused posts
	// had queued would have arrived before it (the outbox sends oldest first).
	if resp, _ := reviewPost(t, link, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the real form: %d", resp.StatusCode)
	}
	waitMail(t, email, "was approved")
	if n := len(mailTo(t, email)); n != 2 {
		t.Errorf("%d emails to the requester, want 2 (received, approved)", n)
	}
}

// A reviewer signs out: the session ends, and the cookie the browser held opens nothing any more.
func TestStaffSignOutEndToEnd(t *testing.T) {
	_, _, link := reviewReady(t)
	c := newStaffClient()
	staffSignIn(t, c, "reviewer")
	resp, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`action="/staff/sign-out"[^>]*><input type="hidden" name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("the request page has no sign-out form: %d", resp.StatusCode)
	}
	u, _ := url.Parse(portal + "/staff")
	held := c.Jar.Cookies(u) // what a copy of the cookie would replay
	resp, err = c.PostForm(portal+"/staff/sign-out", url.Values{"csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(out), "You have signed out") {
		t.Fatalf("sign-out: %d %.300s", resp.StatusCode, out)
	}
	replay := newStaffClient()
	replay.Jar.SetCookies(u, held)
	if resp, err := replay.Get(link); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the signed-out cookie, replayed: %v %v", resp, err)
	}
}

// Email scanners open links: opening the page and the evidence, many times, changes nothing.
func TestReviewGetChangesNothing(t *testing.T) {
	email, id, link := reviewReady(t)
	before := reviewRequest(t, id)
	for i := 0; i < 3; i++ {
		resp, page := reviewGet(t, link)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET: %d", resp.StatusCode)
		}
		if ev := regexp.MustCompile(`/evidence/([a-z0-9]+)"`).FindStringSubmatch(page); ev != nil {
			reviewGet(t, link+"/evidence/"+ev[1])
		}
		// A GET with a decision in its query string is still only a read.
		reviewGet(t, link+"?action=approve&clientReference=1234567&done=approve")
	}
	if after := reviewRequest(t, id); !reflect.DeepEqual(after, before) {
		t.Fatalf("GET changed the request:\nbefore %+v\nafter  %+v", before, after)
	}
	// The outbox sends oldest first: once the outcome of a real decision has arrived, anything a GET
	// had queued would have arrived before it.
	reviewAct(t, link, "action", "reject", "reason", "Test")
	waitMail(t, email, "was not approved")
	if n := len(mailTo(t, email)); n != 2 {
		t.Errorf("%d emails to the requester, want 2 (received, rejected)", n)
	}
}

// Everything the requester typed is shown as text, never as markup.
func TestReviewEscapesRequesterFields(t *testing.T) {
	const evil = "<script>alert(1)</script>"
	email := uniqueEmail(t)
	body := map[string]any{
		"requester":     map[string]any{"name": evil, "email": email, "phone": "01632 960001"},
		"relationship":  "attorney_lpa",
		"client":        map[string]any{"name": evil, "dateOfBirth": "1941-03-04", "postcode": "SW1A 1AA"},
		"evidence":      []map[string]any{{"fileName": `<img src=x onerror=alert(1)>.pdf`, "contentType": "application/pdf", "size": len(minimalPDF())}},
		"lpaAccessCode": "V-ABCD-EFGH-JKLM",
		"donorSurname":  evil,
	}
	c := reviewSubmit(t, body)
	link := reviewLink(t, c.ID, 1)
	resp, page := reviewGet(t, link)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("review page: %d", resp.StatusCode)
	}
	// The layout's own two scripts (its nonce'd line and GOV.UK Frontend's module) are the only ones.
	if strings.Contains(page, evil) || strings.Count(page, "<script") != 2 || strings.Contains(page, "<img src=x") {
		t.Fatal("requester-supplied markup is in the page unescaped")
	}
	if n := strings.Count(page, "&lt;script&gt;alert(1)&lt;/script&gt;"); n < 3 {
		t.Errorf("the name, client name and donor surname are not all shown as text (%d found)", n)
	}
	if !strings.Contains(page, "&lt;img src=x onerror=alert(1)&gt;.pdf") || !strings.Contains(page, "V-ABCD-EFGH-JKLM") ||
		!strings.Contains(page, "https://www.gov.uk/view-lasting-power-of-attorney") {
		t.Error("the file name, the LPA access code or the View an LPA address is missing")
	}
	// The reviewer's own text comes back escaped too, in the history and in the error state.
	page = reviewAct(t, link, "action", "record_security_check", "note", evil)
	if strings.Contains(page, evil) || strings.Count(page, "<script") != 2 || !strings.Contains(page, "Security check: &lt;script&gt;") {
		t.Error("the security note is not escaped")
	}
	_, page = reviewPost(t, link, reviewForm(t, link, "action", "approve", "clientReference", evil))
	if strings.Contains(page, evil) || strings.Count(page, "<script") != 2 || !strings.Contains(page, "&lt;script&gt;alert(1)") {
		t.Error("a re-rendered form value is not escaped")
	}
}

// A reviewer approving under a client reference types it twice; under a reference whose current
// grants record another client (a crafted case of a mistyped reference) the page warns and asks
// for confirmation, and nothing is granted until it is given.
func TestReviewClientReferenceTypedTwiceAndAnotherClientsReference(t *testing.T) {
	_, id, link := reviewReady(t)
	ref := strconv.Itoa(7000000 + int(time.Now().UnixNano()%2999999))
	if _, err := storetest.SeedGrant(context.Background(), db, store.Grant{Email: access.Email(uniqueEmail(t)), Name: "Sam Other",
		ClientReference: ref, ClientName: "Someone Else", ClientBirth: "1950-01-01"}); err != nil {
		t.Fatal(err)
	}
	resp, body := reviewPost(t, link, reviewForm(t, link, "action", "approve", "clientReference", ref, "clientReferenceConfirm", ref+"1"))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `href="#clientReferenceConfirm"`) || !strings.Contains(body, "do not match") {
		t.Fatalf("references that differ: %d", resp.StatusCode)
	}
	resp, body = reviewPost(t, link, reviewForm(t, link, "action", "approve", "clientReference", ref))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `class="govuk-warning-text"`) || !strings.Contains(body, "Someone Else") ||
		!strings.Contains(body, `href="#confirmClient"`) {
		t.Fatalf("another client's reference: %d %.2000s", resp.StatusCode, body)
	}
	if st := reviewRequest(t, id).Status; st != access.ReadyForReview {
		t.Fatalf("a refused approval changed the request: %s", st)
	}
	if resp, body := reviewPost(t, link, reviewForm(t, link, "action", "approve", "clientReference", ref, "confirmClient", "yes")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed: %d %.500s", resp.StatusCode, body)
	}
	// The page now lists both grants under the reference, and still warns.
	if _, page := reviewGet(t, link); !strings.Contains(page, "Current access for client reference "+ref) || !strings.Contains(page, "Sam Other") ||
		!strings.Contains(page, "This request") || !strings.Contains(page, `class="govuk-warning-text"`) {
		t.Errorf("the approved request's page: %.3000s", page)
	}
	if g, _ := db.GranteesOf(context.Background(), ref); len(g) != 2 {
		t.Errorf("grantees of %s: %+v", ref, g)
	}
	// The client page lists both, each with its own end-access form for the reviewer.
	resp, page := reviewGet(t, portal+"/staff/clients/"+ref)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Sam Other") || strings.Count(page, `value="end_access"`) != 2 ||
		!strings.Contains(page, `href="/staff/requests/`+id+`"`) {
		t.Errorf("the client page: %d %.3000s", resp.StatusCode, page)
	}
}

// A request is found by the short reference a caller reads out, typed as they say it; an unknown
// reference finds nothing.
func TestStaffFindByReferenceEndToEnd(t *testing.T) {
	_, id, _ := reviewReady(t)
	ref := reviewRequest(t, id).Reference
	if ref == "" {
		t.Fatal("the request has no short reference")
	}
	typed := strings.ToLower(strings.ReplaceAll(string(ref), "-", " "))
	resp, _ := reviewGet(t, portal+"/staff/find?"+url.Values{"reference": {typed}}.Encode())
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/staff/requests/"+id {
		t.Fatalf("find %q: %d to %q", typed, resp.StatusCode, loc)
	}
	if resp, page := reviewGet(t, portal+"/staff/find?reference="+string(access.NewReference())); resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "No request has the reference") {
		t.Errorf("an unknown reference: %d", resp.StatusCode)
	}
}
