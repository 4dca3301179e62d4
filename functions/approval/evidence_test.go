package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/council/cfp/shared/access"
)

// A reviewer's "View" never gives the upload: until its rendition is made the page says the copy
// is being prepared, and when rendering refused the file it says so; neither links to a file.
func TestViewGivesTheRenditionOrSaysWhyNot(t *testing.T) {
	h, f, files := setup()
	f.ev[0].Rendition = nil
	resp := get(h, "r1", "eclean")
	if resp.StatusCode != http.StatusOK || resp.Headers["Location"] != "" || files.ttl != 0 ||
		!strings.Contains(resp.Body, "The copy of this file is being prepared") {
		t.Fatalf("no rendition yet: %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
	// "Check again" asks for this page again (a GET form, no refresh of its own); the way back is
	// the review page, from <page>/evidence/<id>.
	for _, want := range []string{`<form method="get" action="./eclean"`, `>Check again</button>`, `href="../../r1"`} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("no %s in %s", want, resp.Body)
		}
	}
	if strings.Contains(resp.Body, "http-equiv") || strings.Contains(withoutLayoutScripts(resp.Body), "<script") {
		t.Error("the page refreshes itself")
	}

	f.ev[0] = rendered(f.ev[0])
	f.ev[0].Rendition.Key, f.ev[0].Rendition.Object, f.ev[0].Rendition.Refused = "", "", "PDFium cannot open the file."
	resp = get(h, "r1", "eclean")
	if resp.StatusCode != http.StatusOK || resp.Headers["Location"] != "" || files.ttl != 0 ||
		!strings.Contains(resp.Body, "This file cannot be shown") || !strings.Contains(resp.Body, "PDFium cannot open the file.") {
		t.Fatalf("refused: %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}

	// A record that names anything but the rendition's own key and version is not followed.
	f.ev[0] = rendered(f.ev[0])
	f.ev[0].Rendition.Key = access.EvidenceKey("r1", "eclean")
	if resp := get(h, "r1", "eclean"); resp.StatusCode != http.StatusOK || files.ttl != 0 || resp.Headers["Location"] != "" {
		t.Fatalf("a rendition record naming the upload was followed: %d %v", resp.StatusCode, resp.Headers)
	}
}
