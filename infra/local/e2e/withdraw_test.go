package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/council/cfp/shared/access"
)

var statusLinkRE = regexp.MustCompile(`https?://[^\s"<>]+/access-requests/([a-z0-9]+)\?token=([A-Za-z0-9_%-]+)`)

// A requester withdraws a request under review with only the emailed status link: the status page
// offers it, a confirmation page asks, the request is withdrawn, the requester is emailed, the
// status page says so, and the reviewers' queue no longer lists it.
func TestWithdrawWithTheEmailedLink(t *testing.T) {
	email, id, _ := reviewReady(t)
	queued := "/staff/requests/" + id
	if _, q := reviewGet(t, portal+"/staff"); !strings.Contains(q, queued) {
		t.Fatalf("the queue does not list the request before it is withdrawn")
	}
	found := statusLinkRE.FindStringSubmatch(waitMail(t, email, "We have received your request").Text)
	if found == nil || found[1] != id {
		t.Fatalf("no status link for %s", id)
	}
	token, _ := url.QueryUnescape(found[2])
	statusPath := "/access-requests/" + id + "?token=" + url.QueryEscape(token)

	p := newPageClient(t)
	code, _, body := p.get(statusPath)
	withdraw := "/access-requests/" + id + "/withdraw?token=" + url.QueryEscape(token)
	if code != http.StatusOK || !strings.Contains(body, "Withdraw this request") || !strings.Contains(body, strings.ReplaceAll(withdraw, "&", "&amp;")) {
		t.Fatalf("status page: %d\n%.2000s", code, body)
	}
	code, loc, _ := p.get(withdraw)
	if code != http.StatusSeeOther || loc != "/access-requests/"+id+"/withdraw" {
		t.Fatalf("the link's token must leave the address bar: %d %q", code, loc)
	}
	code, _, body = p.get(loc)
	if code != http.StatusOK || !strings.Contains(body, "Are you sure you want to withdraw your request?") || p.fields["csrf"] == "" {
		t.Fatalf("confirmation: %d\n%.2000s", code, body)
	}
	code, _, body = p.post(loc, url.Values{})
	if code != http.StatusOK || !strings.Contains(body, "Request withdrawn") {
		t.Fatalf("withdraw: %d\n%.2000s", code, body)
	}
	if st := reviewRequest(t, id).Status; st != access.Withdrawn {
		t.Fatalf("status %s", st)
	}

	m := waitMail(t, email, "Your request has been withdrawn")
	if !strings.Contains(m.Text, string(reviewRequest(t, id).Reference)) || strings.Contains(m.Text, "token=") {
		t.Errorf("the email: %s", m.Text)
	}
	code, _, body = newPageClient(t).get(statusPath)
	if code != http.StatusOK || !strings.Contains(body, "This request was withdrawn.") || strings.Contains(body, "Withdraw this request") {
		t.Fatalf("status page after: %d\n%.2000s", code, body)
	}
	if _, q := reviewGet(t, portal+"/staff"); strings.Contains(q, queued) {
		t.Errorf("the queue still lists the withdrawn request")
	}
	for _, sent := range mailTo(t, reviewTeam()) {
		if strings.Contains(sent.Subject, "withdrawn") {
			t.Errorf("staff were emailed: %s", sent.Subject)
		}
	}
}

// Through the API, the continuation token withdraws a request once and then works no more; every
// exchange is held to the OpenAPI description.
func TestWithdrawThroughTheAPI(t *testing.T) {
	email := uniqueEmail(t)
	c := reviewSubmit(t, requestBody(email, pdfFile("order.pdf", len(minimalPDF()))))
	b := newBrowser()
	bearer := "Bearer " + c.ContinuationToken
	resp, body := b.call(t, "POST", "/access-requests/"+c.ID+"/withdraw", nil, "Authorization", bearer)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"withdrawn"`) {
		t.Fatalf("withdraw: %d %s", resp.StatusCode, body)
	}
	if resp, body := b.call(t, "POST", "/access-requests/"+c.ID+"/withdraw", nil, "Authorization", bearer); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the continuation token still works: %d %s", resp.StatusCode, body)
	}
	if st := reviewRequest(t, c.ID).Status; st != access.Withdrawn {
		t.Fatalf("status %s", st)
	}
	waitMail(t, email, "Your request has been withdrawn")
}
