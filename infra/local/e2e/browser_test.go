package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/shared/access"
)

// browserRun is what infra/local/browser/review.mjs prints.
type browserRun struct {
	Pages []struct {
		Name, Title, H1, Styled string
		StatusTag               string `json:"status_tag"`
		Status, RulesPassed     int
		Violations              []struct {
			ID, Impact, Help string
			Nodes            []string
		}
	}
	Steps struct {
		SecurityCheck struct {
			Banner    string
			InHistory bool
		}
		Error   struct{ Summary string }
		Approve struct{ Banner, Outcome, URL string }
	}
	CSPViolations []string
	PageErrors    []string
	Error         string
}

// A reviewer opens the link from their email in headless Chromium, with the page's security headers in
// force, records a telephone security check, makes a mistake, and approves. axe-core finds no WCAG 2.2
// A or AA violation on the review page, the error state or the confirmation.
func TestReviewInABrowser(t *testing.T) {
	root, err := services.Root()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "infra", "local", "browser")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("playwright-core is not installed in %s: run `make deps` (infra/local/install.sh): %v", dir, err)
	}
	email, id, link := reviewReady(t)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "review.mjs", link, "4567890")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var run browserRun
	if err := json.Unmarshal(stdout.Bytes(), &run); err != nil {
		t.Fatalf("the browser script printed no result (%v, %v): %s %s", runErr, err, stdout.String(), stderr.String())
	}
	if runErr != nil || run.Error != "" {
		t.Fatalf("the browser run failed: %v %s\n%s", runErr, run.Error, stderr.String())
	}

	want := map[string]int{"review": 200, "error": 400, "confirmation": 200}
	for _, p := range run.Pages {
		if p.Status != want[p.Name] {
			t.Errorf("%s page: status %d, want %d", p.Name, p.Status, want[p.Name])
		}
		delete(want, p.Name)
		if p.RulesPassed == 0 {
			t.Errorf("%s page: axe checked nothing", p.Name)
		}
		for _, v := range p.Violations {
			t.Errorf("%s page: WCAG violation %s (%s): %s at %v", p.Name, v.ID, v.Impact, v.Help, v.Nodes)
		}
		// The site's stylesheet applied under the page's policy: the header is the council's colour.
		if p.Styled == "" || p.Styled == "rgba(0, 0, 0, 0)" || p.Styled == "rgb(255, 255, 255)" {
			t.Errorf("%s page: the header's background is %q: the stylesheet did not apply", p.Name, p.Styled)
		}
	}
	if len(want) != 0 {
		t.Errorf("pages not reached: %v", want)
	}
	if run.Pages[1].Title == "" || !strings.HasPrefix(run.Pages[1].Title, "Error: ") || !strings.Contains(run.Steps.Error.Summary, "Enter the client reference") {
		t.Errorf("error state: title %q, summary %q", run.Pages[1].Title, run.Steps.Error.Summary)
	}
	if len(run.CSPViolations) > 0 || len(run.PageErrors) > 0 {
		t.Errorf("the browser reported: CSP %v, errors %v", run.CSPViolations, run.PageErrors)
	}
	if !strings.Contains(run.Steps.SecurityCheck.Banner, "Security check recorded") || !run.Steps.SecurityCheck.InHistory {
		t.Errorf("security check: %+v", run.Steps.SecurityCheck)
	}
	if !strings.Contains(run.Steps.Approve.Banner, "Request approved") || !strings.Contains(run.Steps.Approve.Outcome, "Client reference 4567890") {
		t.Errorf("approval: %+v", run.Steps.Approve)
	}

	r := reviewRequest(t, id)
	if r.Status != access.Approved || r.Decision.ClientReference != "4567890" || len(r.Notes) != 2 || r.Notes[0].Kind != "security_check" ||
		!strings.Contains(r.Notes[0].Text, "identity confirmed") {
		t.Fatalf("after the browser: %s %+v %+v", r.Status, r.Decision, r.Notes)
	}
	waitMail(t, email, "Your request for access was approved")
}

// siteRun is what infra/local/browser/site.mjs prints.
type siteRun struct {
	Pages []struct {
		Path, Title, H1, Styled, Start string
		JavaScript, JSEnabledClass     bool
		Status, RulesPassed            int
		Violations                     []struct {
			ID, Impact, Help string
			Nodes            []string
		}
	}
	CSPViolations []string
	PageErrors    []string
	Error         string
}

// The start page and the four footer pages open in Chromium through the portal's address, with
// JavaScript on and off, styled by the council's stylesheet, and axe finds no WCAG 2.2 A or AA
// violation on any. CFP_SCREENSHOT=<file.png> keeps a picture of the start page.
func TestSitePagesInABrowser(t *testing.T) {
	root, err := services.Root()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "infra", "local", "browser")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("playwright-core is not installed in %s: run `make deps` (infra/local/install.sh): %v", dir, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := []string{"site.mjs", portal}
	if shot := os.Getenv("CFP_SCREENSHOT"); shot != "" {
		args = append(args, shot)
	}
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var run siteRun
	if err := json.Unmarshal(stdout.Bytes(), &run); err != nil {
		t.Fatalf("the browser script printed no result (%v, %v): %s %s", runErr, err, stdout.String(), stderr.String())
	}
	if runErr != nil || run.Error != "" {
		t.Fatalf("the browser run failed: %v %s\n%s", runErr, run.Error, stderr.String())
	}
	if len(run.Pages) != 10 {
		t.Fatalf("%d pages checked, want 5 with JavaScript and 5 without", len(run.Pages))
	}
	for _, p := range run.Pages {
		name := p.Path + map[bool]string{true: " (JavaScript on)", false: " (JavaScript off)"}[p.JavaScript]
		if p.Status != 200 || p.H1 == "" || !strings.Contains(p.Title, "Example Borough Council") {
			t.Errorf("%s: status %d, title %q, h1 %q", name, p.Status, p.Title, p.H1)
		}
		if p.RulesPassed == 0 {
			t.Errorf("%s: axe checked nothing", name)
		}
		for _, v := range p.Violations {
			t.Errorf("%s: WCAG violation %s (%s): %s at %v", name, v.ID, v.Impact, v.Help, v.Nodes)
		}
		if p.Styled == "" || p.Styled == "rgba(0, 0, 0, 0)" || p.Styled == "rgb(255, 255, 255)" {
			t.Errorf("%s: the header's background is %q: the stylesheet did not apply", name, p.Styled)
		}
		if p.JSEnabledClass != p.JavaScript {
			t.Errorf("%s: the page's script ran: %v", name, p.JSEnabledClass)
		}
		if p.Path == "/" && p.Start != "/request/relationship" {
			t.Errorf("%s: the start button links to %q", name, p.Start)
		}
	}
	if len(run.CSPViolations) > 0 || len(run.PageErrors) > 0 {
		t.Errorf("the browser reported: CSP %v, errors %v", run.CSPViolations, run.PageErrors)
	}
}
