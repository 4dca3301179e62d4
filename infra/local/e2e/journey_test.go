package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
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
			Reference, StatusText                                           string
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
// confirmation email's link to the status page, and asks for a new link ("I lost my link"). axe
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
		for _, want := range []string{"start", "relationship", "relationship-error", "your-details-error", "client-error", "evidence-uploaded", "check-answers", "confirmation", "status", "lost-link-error", "lost-link-sent", "status-from-fresh-link"} {
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
