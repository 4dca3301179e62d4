package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// siteGet fetches a path of the site, as a browser at the portal's address does.
func siteGet(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(portal + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var stylesheetRE = regexp.MustCompile(`<link rel="stylesheet" href="(/assets/portal\.[0-9a-f]+\.css)"`)

// One site, one shape: the portal's address serves the pages at / and the API at /api, as the AWS
// custom domain does.
func TestTheSiteServesPagesAndTheAPIAtOneOrigin(t *testing.T) {
	resp, start := siteGet(t, "/")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("start page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(start, "Start now") || !strings.Contains(start, `href="/request/relationship"`) {
		t.Errorf("the start page has no start button: %.500s", start)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") ||
		resp.Header.Get("Referrer-Policy") != "no-referrer" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("start page headers: %v", resp.Header)
	}

	if resp, page := siteGet(t, "/privacy"); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Privacy notice") {
		t.Errorf("privacy notice: %d %.300s", resp.StatusCode, page)
	}

	m := stylesheetRE.FindStringSubmatch(start)
	if m == nil {
		t.Fatalf("the start page links no stylesheet: %.800s", start)
	}
	resp, css := siteGet(t, m[1])
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") ||
		resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.Contains(css, ".govuk-") {
		t.Errorf("stylesheet: %d %v (%d bytes)", resp.StatusCode, resp.Header, len(css))
	}

	if resp, page := siteGet(t, "/no/such/page"); resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "Page not found") {
		t.Errorf("an unknown path: %d %.300s", resp.StatusCode, page)
	}

	// The API under /api, from the site's own origin: same-origin, so no CORS is involved.
	body, _ := json.Marshal(requestBody(uniqueEmail(t), pdfFile("order.pdf", len(minimalPDF()))))
	req, _ := http.NewRequest(http.MethodPost, portal+"/api/access-requests", bytes.NewReader(body))
	req.Header.Set("Origin", portal)
	req.Header.Set("Content-Type", "application/json")
	out, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	answer, _ := io.ReadAll(out.Body)
	checkContract(t, req, body, out, answer)
	if out.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/access-requests on the site: %d %s", out.StatusCode, answer)
	}
	created := decode[Created](t, answer)
	if created.ID == "" || len(created.Uploads) != 1 {
		t.Errorf("created: %s", answer)
	}
	// The same request is there through the API without the prefix.
	if resp, got := newBrowser().call(t, http.MethodGet, "/access-requests/"+created.ID, nil, "Authorization", "Bearer "+created.ContinuationToken); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /access-requests/{id} on :3000: %d %s", resp.StatusCode, got)
	}
}
