package e2e

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
)

// Staff see only rebuilt copies (issue 16): a PDF with active content hidden where the checks used
// not to look is refused, or the reviewer's "View" gives only its rendition, and never the bytes
// uploaded.

// activeNames are the PDF names of active content that must never reach a reviewer.
var activeNames = []string{"/JavaScript", "/JS", "/Launch", "/EmbeddedFile", "/AcroForm"}

// hiddenAction is an object whose header has a comment in it (whitespace to a reader), so that no
// literal "6 0 obj" shows: a sequential reading takes it for a stream's data.
const hiddenAction = "6 0 %x\nobj\n<< /S /JavaScript /JS (app.alert\\(1\\)) /Next << /S /Launch /F (cmd.exe) >> " +
	"/EmbeddedFile 7 0 R /AcroForm << /XFA 8 0 R >> >>\n"

// renditionPDF is a one-page PDF with a blue box drawn on it, whose object 5 is a stream holding
// data, and whose cross-reference table gives the offset of every object; with hidden, it also
// gives object 6 at its offset inside that stream, as a reader follows it.
func renditionPDF(data []byte, hidden bool) []byte {
	box := "0 0 1 rg 72 500 300 200 re f\n"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(box), box),
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(data), data),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := []int{}
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	if hidden {
		offs = append(offs, bytes.Index(b.Bytes(), []byte("6 0 %x")))
	}
	at := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, at)
	return b.Bytes()
}

// realNumberObjStm is a deflated stream that pdf.js reads as an object stream (/N and /First
// written as real numbers, no /Type /ObjStm) holding a JavaScript action, as object 5's data.
func realNumberObjStm() []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	_, _ = w.Write([]byte("6 0 << /S /JavaScript /JS (app.alert(1)) >>"))
	_ = w.Close()
	return z.Bytes()
}

// renditionSubmit makes a deputy's request with one PDF, uploads content and submits it.
func renditionSubmit(t *testing.T, content []byte) (access.RequestID, access.EvidenceID) {
	t.Helper()
	b := newBrowser()
	resp, out := b.call(t, "POST", "/access-requests", requestBody(uniqueEmail(t), pdfFile("order.pdf", len(content))))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, out)
	}
	c := decode[Created](t, out)
	if code, out := upload(t, c.Uploads[0], "order.pdf", "application/pdf", content); code != http.StatusNoContent {
		t.Fatalf("upload: %d %s", code, out)
	}
	if resp, out := b.call(t, "POST", "/access-requests/"+c.ID+"/submit", nil, "Authorization", "Bearer "+c.ContinuationToken); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("submit: %d %s", resp.StatusCode, out)
	}
	return access.RequestID(c.ID), access.EvidenceID(c.Uploads[0].EvidenceID)
}

// TestHiddenActiveContentIsRefused: an object reached through the cross-reference table from inside
// a stream, and an object stream with real-number /N and /First, are refused: the upload is
// deleted, no rendition is made, and the request does not reach the reviewers.
func TestHiddenActiveContentIsRefused(t *testing.T) {
	stm := realNumberObjStm()
	for name, c := range map[string]struct {
		pdf    []byte
		reason string // the refusal's words for this way of hiding
	}{
		"xref-into-a-stream": {renditionPDF([]byte("q Q\n"+hiddenAction), true), "hidden inside other parts"},
		"objstm-with-real-numbers": {bytes.Replace(renditionPDF(stm, false),
			[]byte(fmt.Sprintf("<< /Length %d >>\nstream\n%s", len(stm), stm)),
			[]byte(fmt.Sprintf("<< /Filter /FlateDecode /N 1.0 /First 4.0 /Length %d >>\nstream\n%s", len(stm), stm)), 1), "contains JavaScript"},
	} {
		t.Run(name, func(t *testing.T) {
			r, e := renditionSubmit(t, c.pdf)
			ev := scanSettled(t, r, e)
			if ev.Status != access.EvRejected || !strings.Contains(ev.Reason, c.reason) || ev.Rendition != nil {
				t.Fatalf("status %s (%q), rendition %+v", ev.Status, ev.Reason, ev.Rendition)
			}
			if scanExists(t, access.RenditionKey(r, e)) || scanExists(t, ev.Key()) {
				t.Fatal("the refused upload, or a rendition of it, is in the bucket")
			}
			if st := reviewRequest(t, string(r)).Status; st == access.ReadyForReview {
				t.Fatalf("the request reached the reviewers: %s", st)
			}
		})
	}
}

// TestReviewerSeesOnlyTheRendition: a PDF whose stream data spells active content (the same hidden
// object, with nothing pointing at it) passes the checks; the reviewer's "View" gives, through a
// short-lived link to one version under renditions/, a PDF rebuilt from the page's picture that
// holds none of it, and never the bytes uploaded. Before the copy is made, the page says so.
func TestReviewerSeesOnlyTheRendition(t *testing.T) {
	pdf := renditionPDF([]byte("q Q\n"+hiddenAction), false)
	for _, n := range activeNames {
		if !bytes.Contains(pdf, []byte(n)) {
			t.Fatalf("the upload does not hold %s", n)
		}
	}
	r, _ := renditionSubmit(t, pdf)
	view := renditionView(t, r)

	var signed string
	// The first rendering of a run compiles PDFium (wazero's cache then keeps it): minutes on a busy machine.
	eventually(t, 6*time.Minute, "the rendition", func() bool {
		resp, body := reviewGet(t, view)
		switch {
		case resp.StatusCode == http.StatusFound:
			signed = resp.Header.Get("Location")
			return true
		case resp.StatusCode != http.StatusOK || !strings.Contains(body, "being prepared") || !strings.Contains(body, ">Check again</button>"):
			t.Fatalf("View before the rendition: %d %.600s", resp.StatusCode, body)
		}
		return false
	})
	u, err := url.Parse(signed)
	if err != nil || !strings.Contains(u.Path, "/renditions/") || u.Query().Get("versionId") == "" || u.Query().Get("X-Amz-Expires") == "" {
		t.Fatalf("the View link is not a presigned link to one version of a rendition: %s", signed)
	}
	file, err := http.Get(signed)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(file.Body)
	file.Body.Close()
	if file.StatusCode != http.StatusOK || !bytes.HasPrefix(got, []byte("%PDF-")) || bytes.Equal(got, pdf) {
		t.Fatalf("View gave %d, %d bytes: %.40q", file.StatusCode, len(got), got)
	}
	for _, n := range activeNames {
		if bytes.Contains(got, []byte(n)) {
			t.Errorf("the rendition holds %s", n)
		}
	}
	if !bytes.Contains(got, []byte("/DCTDecode")) {
		t.Error("the rendition holds no page picture")
	}
}

// renditionView waits for the first "ready for review" email about r and returns its View link.
func renditionView(t *testing.T, r access.RequestID) string {
	t.Helper()
	link := reviewLink(t, string(r), 1)
	_, page := reviewGet(t, link)
	m := regexp.MustCompile(`href="(\./[^"]+/evidence/[^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no View link on the review page")
	}
	base, _ := url.Parse(link)
	return base.ResolveReference(&url.URL{Path: m[1]}).String()
}

// TestReviewerIsToldWhenNoCopyCanBeMade: a PDF that passes the checks but that PDFium cannot make
// pictures of (it has no pages) is never passed through: the View page says why there is no copy.
func TestReviewerIsToldWhenNoCopyCanBeMade(t *testing.T) {
	pdf := []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	r, e := renditionSubmit(t, pdf)
	view := renditionView(t, r)
	var body string
	eventually(t, 6*time.Minute, "the refusal", func() bool {
		var resp *http.Response
		resp, body = reviewGet(t, view)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" {
			t.Fatalf("View of a file with no copy: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		return strings.Contains(body, "This file cannot be shown")
	})
	if ev := scanEvidence(t, r, e); ev.Rendition == nil || ev.Rendition.Refused == "" || !strings.Contains(body, ev.Rendition.Refused) {
		t.Errorf("the page does not say why: %+v %.800s", ev.Rendition, body)
	}
	if scanExists(t, access.RenditionKey(r, e)) {
		t.Error("a refused file has a rendition")
	}
}
