package e2e

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// A person submits a request with two files, uploads them with the forms, submits, sees the status,
// and receives the "we have received your request" email.
func TestSubmitRequestEndToEnd(t *testing.T) {
	b := newBrowser()
	email := uniqueEmail(t)
	resp, body := b.call(t, "POST", "/access-requests", requestBody(email, pdfFile("order.pdf", len(minimalPDF())), pdfFile("id.pdf", len(minimalPDF()))))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	c := decode[Created](t, body)
	if c.Status != "awaiting_evidence" || c.ContinuationToken == "" || len(c.Uploads) != 2 || c.ID == "" {
		t.Fatalf("created: %+v", c)
	}
	if strings.Contains(string(body), email) {
		t.Error("the answer repeats the requester's address")
	}
	bearer := "Bearer " + c.ContinuationToken

	// Submitting before the files are there is refused and changes nothing.
	if resp, body := b.call(t, "POST", "/access-requests/"+c.ID+"/submit", nil, "Authorization", bearer); resp.StatusCode != http.StatusConflict {
		t.Fatalf("early submit: %d %s", resp.StatusCode, body)
	}

	// An upload that breaks the form's policy is refused by S3 and stores nothing.
	if code, out := upload(t, withField(c.Uploads[0], "Content-Type", "text/html"), "order.pdf", "text/html", minimalPDF()); code < 400 {
		t.Fatalf("wrong content type accepted: %d %s", code, out)
	}
	if code, out := upload(t, c.Uploads[0], "order.pdf", "application/pdf", bytes.Repeat([]byte("a"), 10<<20+1)); code < 400 {
		t.Fatalf("oversized upload accepted: %d %s", code, out)
	}
	if code, out := upload(t, withField(c.Uploads[0], "key", "evidence/"+c.ID+"/chosen-by-me"), "order.pdf", "application/pdf", minimalPDF()); code < 400 {
		t.Fatalf("upload to a key of the browser's choosing accepted: %d %s", code, out)
	}
	if resp, _ := b.call(t, "POST", "/access-requests/"+c.ID+"/submit", nil, "Authorization", bearer); resp.StatusCode != http.StatusConflict {
		t.Fatalf("submit after refused uploads: %d", resp.StatusCode)
	}

	for _, u := range c.Uploads {
		if code, out := upload(t, u, "doc.pdf", "application/pdf", minimalPDF()); code != http.StatusNoContent {
			t.Fatalf("upload: %d %s", code, out)
		}
	}

	// A wrong token and an unknown id look the same.
	for _, tc := range []struct{ id, auth string }{{c.ID, "Bearer wrong"}, {c.ID, ""}, {"rnope", bearer}} {
		if resp, _ := b.call(t, "POST", "/access-requests/"+tc.id+"/submit", nil, "Authorization", tc.auth); resp.StatusCode != http.StatusNotFound {
			t.Errorf("submit %s with %q: %d", tc.id, tc.auth, resp.StatusCode)
		}
		if resp, _ := b.call(t, "GET", "/access-requests/"+tc.id, nil, "Authorization", tc.auth); resp.StatusCode != http.StatusNotFound {
			t.Errorf("status %s with %q: %d", tc.id, tc.auth, resp.StatusCode)
		}
	}

	resp, body = b.call(t, "POST", "/access-requests/"+c.ID+"/submit", nil, "Authorization", bearer)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("submit: %d %s", resp.StatusCode, body)
	}
	sub := decode[struct{ ID, Status string }](t, body)
	if sub.ID != c.ID || (sub.Status != "scanning" && sub.Status != "ready_for_review") {
		t.Fatalf("submitted: %s", body)
	}
	// The same submit again is a no-op 202.
	if resp, body := b.call(t, "POST", "/access-requests/"+c.ID+"/submit", nil, "Authorization", bearer); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("second submit: %d %s", resp.StatusCode, body)
	}

	resp, body = b.call(t, "GET", "/access-requests/"+c.ID, nil, "Authorization", bearer)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	st := decode[struct {
		ID, Status string
		Evidence   []struct{ EvidenceID, FileName, Status string }
	}](t, body)
	if st.ID != c.ID || st.Status == "awaiting_evidence" || len(st.Evidence) != 2 {
		t.Fatalf("status body: %s", body)
	}

	m := waitMail(t, email, "We have received your request")
	if !strings.Contains(m.Text, c.ID) || m.HTML == "" || !strings.Contains(m.HTML, c.ID) {
		t.Errorf("received email lacks the reference or an HTML part: %+v", m)
	}
	if strings.Contains(m.Text, c.ContinuationToken) || strings.Contains(m.HTML, c.ContinuationToken) {
		t.Error("the continuation token was emailed")
	}
}

// Every kind of bad input gets a clear error naming what is wrong, and creates nothing.
func TestSubmitRequestBadInput(t *testing.T) {
	b := newBrowser()
	email := uniqueEmail(t)
	withField := func(change func(map[string]any)) map[string]any {
		body := requestBody(email, pdfFile("a.pdf", 100))
		change(body)
		return body
	}
	cases := []struct {
		name   string
		body   any
		status int
		field  string // a field the problem must name
		detail string // words the problem's detail must contain
	}{
		{"malformed JSON", `{"requester": `, 400, "", "not valid JSON"},
		{"unknown field", withField(func(m map[string]any) { m["isAdmin"] = true }), 400, "isAdmin", ""},
		{"missing client", withField(func(m map[string]any) { delete(m, "client") }), 400, "client.name", ""},
		{"future date of birth", withField(func(m map[string]any) { m["client"].(map[string]any)["dateOfBirth"] = "2999-01-01" }), 400, "client.dateOfBirth", ""},
		{"invalid email", withField(func(m map[string]any) { m["requester"].(map[string]any)["email"] = "not-an-email" }), 400, "requester.email", ""},
		{"health and welfare LPA", withField(func(m map[string]any) { m["relationship"] = "attorney_health_welfare" }), 400, "relationship", "property and financial affairs"},
		{"unknown relationship", withField(func(m map[string]any) { m["relationship"] = "neighbour" }), 400, "relationship", ""},
		{"six files", withField(func(m map[string]any) {
			m["evidence"] = []map[string]any{pdfFile("1.pdf", 1), pdfFile("2.pdf", 1), pdfFile("3.pdf", 1), pdfFile("4.pdf", 1), pdfFile("5.pdf", 1), pdfFile("6.pdf", 1)}
		}), 400, "evidence", ""},
		{"file over 10 MiB", withField(func(m map[string]any) { m["evidence"] = []map[string]any{pdfFile("big.pdf", 10<<20+1)} }), 400, "evidence[0].size", ""},
		{"file of another type", withField(func(m map[string]any) {
			m["evidence"] = []map[string]any{{"fileName": "x.exe", "contentType": "application/x-msdownload", "size": 10}}
		}), 400, "evidence[0].contentType", ""},
		{"oversized name", withField(func(m map[string]any) { m["requester"].(map[string]any)["name"] = strings.Repeat("n", 500) }), 400, "requester.name", ""},
		{"body over 1 MiB", `{"requester":{"name":"` + strings.Repeat("x", 1<<20) + `"}}`, 413, "", ""},
	}
	for _, tc := range cases {
		resp, body := b.call(t, "POST", "/access-requests", tc.body)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d: %.300s", tc.name, resp.StatusCode, tc.status, body)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: content type %q", tc.name, ct)
		}
		p := decode[struct {
			Title, Detail string
			Status        int
			Errors        []struct{ Field, Message string }
		}](t, body)
		if p.Status != tc.status || p.Title == "" {
			t.Errorf("%s: problem %s", tc.name, body)
		}
		if tc.field != "" {
			named := false
			for _, e := range p.Errors {
				named = named || e.Field == tc.field && e.Message != ""
			}
			if !named {
				t.Errorf("%s: problem does not name %s: %s", tc.name, tc.field, body)
			}
		}
		if tc.detail != "" && !strings.Contains(string(body), tc.detail) {
			t.Errorf("%s: problem does not say %q: %s", tc.name, tc.detail, body)
		}
	}

	// Browser protections: another origin, no origin, or a form content type is refused.
	good := requestBody(email, pdfFile("a.pdf", 100))
	for _, h := range [][]string{{"Origin", "https://evil.example"}, {"Origin", ""}, {"Content-Type", "text/plain"}} {
		if resp, _ := b.call(t, "POST", "/access-requests", good, h...); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%v: %d, want 403", h, resp.StatusCode)
		}
	}

	// Nothing above created a request: a valid one made afterwards is the only email this address gets.
	if resp, body := b.call(t, "POST", "/access-requests", good); resp.StatusCode != http.StatusCreated {
		t.Fatalf("valid request: %d %s", resp.StatusCode, body)
	}
	waitMail(t, email, "We have received your request")
	if n := len(mailTo(t, email)); n != 1 {
		t.Errorf("%d emails to the address; bad requests must create nothing", n)
	}
}

// One address cannot flood the team with requests.
func TestSubmitRequestRateLimit(t *testing.T) {
	b := newBrowser()
	email := uniqueEmail(t)
	var last *http.Response
	for i := 0; i < 6; i++ {
		last, _ = b.call(t, "POST", "/access-requests", requestBody(email, pdfFile("a.pdf", 100)))
		if i < 5 && last.StatusCode != http.StatusCreated {
			t.Fatalf("request %d: %d", i+1, last.StatusCode)
		}
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("sixth request: %d Retry-After %q", last.StatusCode, last.Header.Get("Retry-After"))
	}
}
