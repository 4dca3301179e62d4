package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

// TestWithdrawingWithTheEmailedLink: the status page offers it, the confirmation page asks, a
// forged form changes nothing, the confirmed one withdraws and the requester alone is emailed;
// the status page then says withdrawn and offers it no more, and a second try is refused.
func TestWithdrawingWithTheEmailedLink(t *testing.T) {
	v, m, _, s, id := sentRequest(t)
	m.mails = nil
	tok := secret.New()
	s.tokens[tok.Hash()] = store.Token{Purpose: mail.Status, Subject: string(id), ExpiresAt: linkNow.Add(time.Hour)}
	v.cookie = "" // the email opens in another browser
	status := map[string]string{"token": tok.Reveal()}
	r := v.do(http.MethodGet, "/access-requests/"+string(id), nil, status)
	link := "/access-requests/" + string(id) + "/withdraw?token=" + url.QueryEscape(tok.Reveal())
	if r.StatusCode != 200 || !strings.Contains(r.Body, "Withdraw this request") || !strings.Contains(r.Body, `href="`+link+`"`) {
		t.Fatalf("status page: %d\n%s", r.StatusCode, r.Body)
	}
	r = v.do(http.MethodGet, "/access-requests/"+string(id)+"/withdraw", nil, status)
	wantRedirect(t, r, "/access-requests/"+string(id)+"/withdraw")
	r = v.get("/access-requests/" + string(id) + "/withdraw")
	if r.StatusCode != 200 || !strings.Contains(r.Body, "Are you sure you want to withdraw your request?") || !strings.Contains(r.Body, `name="`+page.FormField+`"`) {
		t.Fatalf("confirmation: %d\n%s", r.StatusCode, r.Body)
	}

	good := v.token
	v.token = good + "x"
	wantError(t, v.post("/access-requests/"+string(id)+"/withdraw", nil), "Your request was not withdrawn")
	if m.reqs[id].Status != access.Scanning || len(m.mails) != 0 {
		t.Fatalf("a forged form withdrew: %s %v", m.reqs[id].Status, m.mails)
	}
	v.token = good
	r = v.post("/access-requests/"+string(id)+"/withdraw", nil)
	if r.StatusCode != 200 || !strings.Contains(r.Body, "Request withdrawn") || m.reqs[id].Status != access.Withdrawn {
		t.Fatalf("withdraw: %d %s\n%s", r.StatusCode, m.reqs[id].Status, r.Body)
	}
	if len(m.mails) != 1 || m.mails[0].Template != mail.Withdrawn || m.mails[0].To != m.reqs[id].Requester.Email {
		t.Fatalf("emails %+v", m.mails)
	}

	r = v.do(http.MethodGet, "/access-requests/"+string(id), nil, status)
	if r.StatusCode != 200 || !strings.Contains(r.Body, "This request was withdrawn.") || strings.Contains(r.Body, "Withdraw this request") {
		t.Fatalf("status after: %d\n%s", r.StatusCode, r.Body)
	}
	if r := v.post("/access-requests/"+string(id)+"/withdraw", nil); r.StatusCode != http.StatusConflict || len(m.mails) != 1 {
		t.Errorf("withdrawn twice: %d, %d emails", r.StatusCode, len(m.mails))
	}
}

// TestWithdrawingSignedInAndNobodyElse: the signed-in requester withdraws without the link;
// another person's request looks unknown, and a decided one cannot be withdrawn.
func TestWithdrawingSignedInAndNobodyElse(t *testing.T) {
	s, m := newSignedInVisitor(t)
	mine := sent(m, "signed.in@example.com", "Mum Smith", access.ReadyForReview, linkNow)
	decided := sent(m, "signed.in@example.com", "Dad Smith", access.Approved, linkNow)
	theirs := sent(m, "someone.else@example.com", "Their Client", access.ReadyForReview, linkNow)

	r := s.do(http.MethodGet, "/access-requests/"+string(mine.ID), nil, nil)
	if !strings.Contains(r.Body, `href="/access-requests/`+string(mine.ID)+`/withdraw"`) {
		t.Fatalf("own status page offers no withdrawal:\n%s", r.Body)
	}
	if r := s.do(http.MethodGet, "/access-requests/"+string(decided.ID), nil, nil); strings.Contains(r.Body, "Withdraw this request") {
		t.Error("a decided request offers withdrawal")
	}
	if r := s.do(http.MethodGet, "/access-requests/"+string(decided.ID)+"/withdraw", nil, nil); r.StatusCode != http.StatusConflict {
		t.Errorf("decided: %d", r.StatusCode)
	}
	if r := s.do(http.MethodGet, "/access-requests/"+string(theirs.ID)+"/withdraw", nil, nil); r.StatusCode != http.StatusNotFound || strings.Contains(r.Body, "Their Client") {
		t.Errorf("another's confirmation page: %d", r.StatusCode)
	}
	r = s.do(http.MethodGet, "/access-requests/"+string(mine.ID)+"/withdraw", nil, nil)
	if r.StatusCode != 200 || !strings.Contains(r.Body, string(mine.Reference)) {
		t.Fatalf("confirmation: %d\n%s", r.StatusCode, r.Body)
	}
	// The anti-forgery field of one's own page does not withdraw another's request.
	if r := s.do(http.MethodPost, "/access-requests/"+string(theirs.ID)+"/withdraw", url.Values{}, nil); r.StatusCode != http.StatusNotFound || m.reqs[theirs.ID].Status != access.ReadyForReview {
		t.Errorf("another's withdrawn: %d %s", r.StatusCode, m.reqs[theirs.ID].Status)
	}
	if r := s.do(http.MethodPost, "/access-requests/"+string(decided.ID)+"/withdraw", url.Values{}, nil); r.StatusCode != http.StatusConflict || m.reqs[decided.ID].Status != access.Approved {
		t.Errorf("decided withdrawn: %d %s", r.StatusCode, m.reqs[decided.ID].Status)
	}
	if r := s.do(http.MethodPost, "/access-requests/"+string(mine.ID)+"/withdraw", url.Values{}, nil); r.StatusCode != 200 || m.reqs[mine.ID].Status != access.Withdrawn {
		t.Errorf("own: %d %s\n%s", r.StatusCode, m.reqs[mine.ID].Status, r.Body)
	}
	if len(m.mails) != 1 {
		t.Errorf("%d emails", len(m.mails))
	}
}

// TestWithdrawingThroughTheAPI: the continuation token withdraws (and works no more after); no
// token, another origin, or a decided request change nothing.
func TestWithdrawingThroughTheAPI(t *testing.T) {
	m := newMemory()
	h := newHandler(m, true)
	resp, _ := h.Handle(context.Background(), post("/api/access-requests", "", body, nil))
	var c created
	_ = json.Unmarshal([]byte(resp.Body), &c)
	path := "/api/access-requests/{id}/withdraw"
	ok := map[string]string{"Authorization": "Bearer " + c.ContinuationToken, "Content-Type": ""}
	for name, hd := range map[string]map[string]string{
		"no token":     {"Content-Type": ""},
		"wrong token":  {"Authorization": "Bearer " + c.ContinuationToken + "x", "Content-Type": ""},
		"cross-origin": {"Authorization": "Bearer " + c.ContinuationToken, "Origin": "https://evil.example"},
	} {
		if resp, _ := h.Handle(context.Background(), post(path, string(c.ID), "", hd)); resp.StatusCode < 400 || m.reqs[c.ID].Status != access.AwaitingEvidence {
			t.Errorf("%s: %d %s", name, resp.StatusCode, m.reqs[c.ID].Status)
		}
	}
	resp, _ = h.Handle(context.Background(), post(path, string(c.ID), "", ok))
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `"withdrawn"`) || m.reqs[c.ID].Status != access.Withdrawn {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	if resp, _ := h.Handle(context.Background(), post(path, string(c.ID), "", ok)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the continuation token still works: %d", resp.StatusCode)
	}

	decided := m.reqs[c.ID]
	decided.ID, decided.Status, decided.ContinuationHash = "rdecided", access.Rejected, secret.From(c.ContinuationToken).Hash()
	m.reqs[decided.ID] = decided
	if resp, _ := h.Handle(context.Background(), post(path, string(decided.ID), "", ok)); resp.StatusCode != http.StatusConflict || m.reqs[decided.ID].Status != access.Rejected {
		t.Errorf("decided: %d %s", resp.StatusCode, resp.Body)
	}
}

// TestALeftoverLinkCannotAddToAWithdrawnRequest: the emailed links are not deleted (the store
// cannot find them from the request), so each use must refuse a withdrawn request.
func TestALeftoverLinkCannotAddToAWithdrawnRequest(t *testing.T) {
	v, m, d, s, id := sentRequest(t)
	req := m.reqs[id]
	req.Status, req.Round = access.Withdrawn, 1
	m.reqs[id] = req
	tok := secret.New()
	s.tokens[tok.Hash()] = store.Token{Purpose: mail.MoreInfo, Subject: string(id), ExpiresAt: linkNow.Add(time.Hour)}
	v.cookie = ""
	wantRedirect(t, v.do(http.MethodGet, "/access-requests/"+string(id)+"/more-information", nil, map[string]string{"token": tok.Reveal()}), "/access-requests/"+string(id)+"/more-information")
	r := v.get("/access-requests/" + string(id) + "/more-information")
	if r.StatusCode != 200 || !strings.Contains(r.Body, "This request was withdrawn.") || strings.Contains(r.Body, "Upload file") {
		t.Fatalf("more information page: %d\n%s", r.StatusCode, r.Body)
	}
	v.post("/access-requests/"+string(id)+"/more-information", nil)
	add := map[string]string{"Authorization": "Bearer " + tok.Reveal()}
	resp, _ := v.h.Handle(context.Background(), post("/api/access-requests/{id}/evidence", string(id), `{"evidence":[{"fileName":"a.pdf","contentType":"application/pdf","size":10}]}`, add))
	sub, _ := v.h.Handle(context.Background(), post("/api/access-requests/{id}/submit", string(id), "", add))
	if m.reqs[id].Status != access.Withdrawn || resp.StatusCode != http.StatusConflict || sub.StatusCode != http.StatusAccepted || !strings.Contains(sub.Body, `"withdrawn"`) || d.sends != 1 {
		t.Errorf("a withdrawn request moved: %s; evidence %d, submit %d %s, sends %d", m.reqs[id].Status, resp.StatusCode, sub.StatusCode, sub.Body, d.sends)
	}
}
