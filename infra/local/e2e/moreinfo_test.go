package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/council/cfp/shared/access"
)

var moreInfoLinkRE = regexp.MustCompile(`https?://[^\s"<>]+/access-requests/([a-z0-9]+)/more-information\?token=([A-Za-z0-9_%-]+)`)

// A reviewer asks for more information; the requester, holding only the email's link, uploads a new
// file and submits; the same request comes back to the team with a second email, linking to the
// same request page, and is approved.
func TestReviewMoreInformationRound(t *testing.T) {
	email, id, link := reviewReady(t)
	reviewAct(t, link, "action", "request_information", "message", "Please send page 2 of the court order.")
	if st := reviewRequest(t, id).Status; st != access.MoreInfoRequested {
		t.Fatalf("status %s", st)
	}

	m := waitMail(t, email, "more information")
	if !strings.Contains(m.Text, "page 2 of the court order") {
		t.Errorf("the message is not in the email: %s", m.Text)
	}
	found := moreInfoLinkRE.FindStringSubmatch(m.Text)
	if found == nil || found[1] != id {
		t.Fatalf("no more-information link for %s in: %s", id, m.Text)
	}
	token, _ := url.QueryUnescape(found[2])
	bearer := "Bearer " + token
	b := newBrowser()

	// Submitting again without a new file is refused.
	if resp, body := b.call(t, "POST", "/access-requests/"+id+"/submit", nil, "Authorization", bearer); resp.StatusCode != http.StatusConflict {
		t.Fatalf("submit with no new file: %d %s", resp.StatusCode, body)
	}
	resp, body := b.call(t, "POST", "/access-requests/"+id+"/evidence", map[string]any{"evidence": []map[string]any{pdfFile("page2.pdf", len(minimalPDF()))}}, "Authorization", bearer)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("new forms: %d %s", resp.StatusCode, body)
	}
	added := decode[Created](t, body)
	if code, out := upload(t, added.Uploads[0], "page2.pdf", "application/pdf", minimalPDF()); code != http.StatusNoContent {
		t.Fatalf("upload: %d %s", code, out)
	}
	if resp, body := b.call(t, "POST", "/access-requests/"+id+"/submit", nil, "Authorization", bearer); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("submit with the link: %d %s", resp.StatusCode, body)
	}

	// Back to the team, with a second email; the request, and so its page, is the same one.
	second := reviewLink(t, id, 2)
	if second != link {
		t.Fatalf("the second review email links to %s, not the request's page %s", second, link)
	}
	page := reviewAct(t, second, "action", "approve", "clientReference", "12345678")
	if st := reviewRequest(t, id).Status; st != access.Approved {
		t.Fatalf("after approval: %s (page %.200s)", st, page)
	}
	waitMail(t, email, "approved")
	resp, body = b.call(t, "GET", "/access-requests/"+id, nil, "Authorization", bearer)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"approved"`) || !strings.Contains(string(body), "page2.pdf") {
		t.Fatalf("status: %d %s", resp.StatusCode, body)
	}
}
