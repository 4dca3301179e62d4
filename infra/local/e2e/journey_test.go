package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/shared/access"
)

// journeyRun is what infra/local/browser/journey.mjs prints.
type journeyRun struct {
	Runs []struct {
		JavaScript bool
		Pages      []struct {
			Name, Path, Title, H1, Summary string
			Status, RulesPassed            int
			Violations                     []struct {
				ID, Impact, Help string
				Nodes            []string
			}
		}
		Steps struct {
			Files                                                           []string
			Reference, StatusText, WithdrawnText                            string
			ReceivedHasReference, FreshLinkDiffers, FreshStatusHasReference bool
		}
	}
	CSPViolations []string
	PageErrors    []string
	Error         string
}

// A person walks the request journey in Chromium, with JavaScript on and then off: from the start
// page, through each question (making a mistake on each form), uploading two evidence files
// through their presigned POST forms, to the confirmation with its short reference; then opens the
// confirmation email's link to the status page, asks for a new link ("I lost my link"), and with
// it withdraws the request (confirmation page, "Request withdrawn", the status page says so). axe
// finds no WCAG 2.2 A or AA violation on any page. CFP_SCREENSHOTS=<dir> keeps a picture of each.
func TestRequestJourneyInABrowser(t *testing.T) {
	root, err := services.Root()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "infra", "local", "browser")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("playwright-core is not installed in %s: run `make deps` (infra/local/install.sh): %v", dir, err)
	}
	files := t.TempDir()
	pdf, img := filepath.Join(files, "lpa.pdf"), filepath.Join(files, "page2.png")
	if err := os.WriteFile(pdf, minimalPDF(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(img, smallPNG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	prefix := strings.TrimSuffix(uniqueEmail(t), "@example.com")
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	args := []string{"journey.mjs", portal, stk.MailboxURL, prefix, pdf, img}
	if shots := os.Getenv("CFP_SCREENSHOTS"); shots != "" {
		args = append(args, shots)
	}
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var run journeyRun
	if err := json.Unmarshal(stdout.Bytes(), &run); err != nil {
		t.Fatalf("the browser script printed no result (%v, %v): %s %s", runErr, err, stdout.String(), stderr.String())
	}
	if runErr != nil || run.Error != "" {
		t.Fatalf("the browser run failed: %v %s\n%s", runErr, run.Error, stderr.String())
	}
	if len(run.Runs) != 2 {
		t.Fatalf("%d runs, want one with JavaScript and one without", len(run.Runs))
	}
	for _, r := range run.Runs {
		mode := map[bool]string{true: "JavaScript on", false: "JavaScript off"}[r.JavaScript]
		for _, p := range r.Pages {
			name := p.Name + " (" + mode + ")"
			wantStatus, errorPage := 200, strings.HasSuffix(p.Name, "-error")
			if errorPage {
				wantStatus = 400
			}
			if p.Status != wantStatus || p.H1 == "" || !strings.Contains(p.Title, "Example Borough Council") {
				t.Errorf("%s: status %d, title %q, h1 %q", name, p.Status, p.Title, p.H1)
			}
			if errorPage != strings.HasPrefix(p.Title, "Error: ") || errorPage != (p.Summary != "") {
				t.Errorf("%s: title %q, error summary %q", name, p.Title, p.Summary)
			}
			if p.RulesPassed == 0 {
				t.Errorf("%s: axe checked nothing", name)
			}
			for _, v := range p.Violations {
				t.Errorf("%s: WCAG violation %s (%s): %s at %v", name, v.ID, v.Impact, v.Help, v.Nodes)
			}
		}
		s := r.Steps
		if len(s.Files) != 2 || s.Files[0] != "Accepted" || s.Files[1] != "Accepted" {
			t.Errorf("%s: the files' checks: %v", mode, s.Files)
		}
		if _, ok := access.ParseReference(s.Reference); !ok {
			t.Errorf("%s: the confirmation's reference %q", mode, s.Reference)
		}
		if !s.ReceivedHasReference || !strings.Contains(s.StatusText, s.Reference) || !s.FreshLinkDiffers || !s.FreshStatusHasReference {
			t.Errorf("%s: emails and status page: %+v", mode, s)
		}
		if !strings.Contains(s.WithdrawnText, "This request was withdrawn.") || strings.Contains(s.WithdrawnText, "Withdraw this request") {
			t.Errorf("%s: the status page after withdrawing: %q", mode, s.WithdrawnText)
		}
		for _, want := range []string{"start", "relationship", "relationship-error", "your-details-error", "client-error", "evidence-uploaded", "check-answers", "confirmation", "status", "lost-link-error", "lost-link-sent", "status-from-fresh-link", "withdraw", "withdrawn", "status-withdrawn"} {
			found := false
			for _, p := range r.Pages {
				found = found || p.Name == want
			}
			if !found {
				t.Errorf("%s: page %s not reached", mode, want)
			}
		}
	}
	if len(run.CSPViolations) > 0 || len(run.PageErrors) > 0 {
		t.Errorf("the browser reported: CSP %v, errors %v", run.CSPViolations, run.PageErrors)
	}
}

// smallPNG is a real 8x8 PNG image.
func smallPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.Black)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pageClient walks the pages as a browser without JavaScript: it keeps the journey cookie, and
// posts each page's form with its anti-forgery field. Redirects are not followed, so each answer
// can be checked.
type pageClient struct {
	t      *testing.T
	c      *http.Client
	fields map[string]string // the last page's hidden fields
	action string            // the last page's upload form's action
}

var (
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)
	actionRE = regexp.MustCompile(`<form method="post" action="([^"]+)" enctype="multipart/form-data"`)
)

func newPageClient(t *testing.T) *pageClient {
	jar, _ := cookiejar.New(nil)
	return &pageClient{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (p *pageClient) read(resp *http.Response, err error) (int, string, string) {
	p.t.Helper()
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p.fields = map[string]string{}
	for _, m := range hiddenRE.FindAllStringSubmatch(string(b), -1) {
		p.fields[m[1]] = html.UnescapeString(m[2])
	}
	if m := actionRE.FindStringSubmatch(string(b)); m != nil {
		p.action = html.UnescapeString(m[1])
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func (p *pageClient) get(path string) (int, string, string) {
	return p.read(p.c.Get(portal + path))
}

func (p *pageClient) post(path string, form url.Values) (int, string, string) {
	form.Set("csrf", p.fields["csrf"])
	return p.read(p.c.PostForm(portal+path, form))
}

// The upload form's policy is S3's to enforce: a file over 10 MiB, an empty file and a form with
// no file are refused by the bucket and store nothing; the evidence page still asks for the file.
// A good file brings the browser back to the evidence page with the object's key.
func TestJourneyUploadFormsRefuseWhatThePolicyDoesNotAllow(t *testing.T) {
	p := newPageClient(t)
	email := uniqueEmail(t)
	steps := []struct {
		path string
		form url.Values
	}{
		{"/request/relationship", url.Values{"relationship": {"appointee"}}},
		{"/request/your-details", url.Values{"name": {"Ann Pointee"}, "email": {email}}},
		{"/request/client", url.Values{"client-name": {"Cli Ent"}, "dob-day": {"4"}, "dob-month": {"3"}, "dob-year": {"1941"}, "postcode": {"SW1A 1AA"}}},
	}
	for _, s := range steps {
		p.get(s.path)
		if st, loc, body := p.post(s.path, s.form); st != http.StatusSeeOther {
			t.Fatalf("%s: %d %s\n%s", s.path, st, loc, body)
		}
	}
	st, _, body := p.get("/request/evidence")
	if st != 200 || p.action == "" || p.fields["key"] == "" {
		t.Fatalf("evidence page %d\n%s", st, body)
	}
	form := Upload{URL: p.action, Fields: map[string]string{}}
	for k, v := range p.fields {
		if k != "csrf" {
			form.Fields[k] = v
		}
	}
	if st, out := upload(t, form, "big.pdf", "application/pdf", append(minimalPDF(), make([]byte, access.MaxFileSize)...)); st != http.StatusBadRequest || !strings.Contains(out, "EntityTooLarge") {
		t.Errorf("a file over 10 MiB: %d %s", st, out)
	}
	if st, out := upload(t, form, "empty.pdf", "application/pdf", nil); st != http.StatusBadRequest || !strings.Contains(out, "EntityTooSmall") {
		t.Errorf("an empty file (none chosen): %d %s", st, out)
	}
	if st, out := upload(t, withField(form, "Content-Type", "text/html"), "x.html", "text/html", []byte("<html>")); st != http.StatusForbidden {
		t.Errorf("a type field the policy does not allow: %d %s", st, out)
	}
	if _, _, body := p.get("/request/evidence"); !strings.Contains(body, "Upload file 1") || strings.Contains(body, "Checking") {
		t.Errorf("after refused uploads the page shows:\n%s", body)
	}
	// A good file: S3 sends the browser back to the evidence page, which shows it being checked.
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range form.Fields {
		_ = w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("file", "letter.pdf")
	_, _ = fw.Write(minimalPDF())
	_ = w.Close()
	st, loc, _ := p.read(p.c.Post(form.URL, w.FormDataContentType(), &buf))
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, portal+"/request/evidence?") || !strings.Contains(loc, url.QueryEscape(form.Fields["key"])) {
		t.Fatalf("a good upload: %d %s", st, loc)
	}
	u, _ := url.Parse(loc)
	if _, _, body := p.get(u.RequestURI()); !strings.Contains(body, "File 1") || !strings.Contains(body, "Upload file 2") {
		t.Errorf("after the upload:\n%s", body)
	}
	// A web page is not a document: its bytes say so, and the page says it in plain words and
	// asks for another file.
	next := Upload{URL: p.action, Fields: map[string]string{}}
	for k, v := range p.fields {
		next.Fields[k] = v
	}
	if st, out := upload(t, next, "order.pdf", "application/pdf", []byte("<!DOCTYPE html><html><body>not an order</body></html>")); st >= 400 {
		t.Fatalf("uploading a web page: %d %s", st, out)
	}
	eventually(t, 60*time.Second, "the web page refused on the evidence page", func() bool {
		_, _, body := p.get("/request/evidence")
		return strings.Contains(body, "Not accepted") && strings.Contains(body, "The file is a web page (HTML). Only PDF, JPEG and PNG files can be accepted. Upload another file in its place.")
	})
}
