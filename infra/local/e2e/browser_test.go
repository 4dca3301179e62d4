package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/council/cfp/shared/access"
)

// browserRun is what infra/local/browser/review.mjs prints.
type browserRun struct {
	Pages []struct {
		axePage
		Name, Title, Styled string
		StatusTag           string `json:"status_tag"`
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
}

// A reviewer opens the link from their email in headless Chromium, with the page's security headers in
// force, records a telephone security check, makes a mistake, and approves. axe-core finds no WCAG 2.2
// A or AA violation on the review page, the error state or the confirmation.
func TestReviewInABrowser(t *testing.T) {
	email, id, link := reviewReady(t)

	var run browserRun
	runBrowserScript(t, &run, "review.mjs", link, "4567890")

	want := map[string]int{"review": 200, "error": 400, "confirmation": 200}
	for _, p := range run.Pages {
		if p.Status != want[p.Name] {
			t.Errorf("%s page: status %d, want %d", p.Name, p.Status, want[p.Name])
		}
		delete(want, p.Name)
		axeClean(t, p.Name+" page", p.axePage)
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
		axePage
		Title, Styled, Start       string
		JavaScript, JSEnabledClass bool
	}
	CSPViolations []string
	PageErrors    []string
}

// The start page and the four footer pages open in Chromium through the portal's address, with
// JavaScript on and off, styled by the council's stylesheet, and axe finds no WCAG 2.2 A or AA
// violation on any. CFP_SCREENSHOT=<file.png> keeps a picture of the start page.
func TestSitePagesInABrowser(t *testing.T) {
	args := []string{portal}
	if shot := os.Getenv("CFP_SCREENSHOT"); shot != "" {
		args = append(args, shot)
	}
	var run siteRun
	runBrowserScript(t, &run, "site.mjs", args...)
	if len(run.Pages) != 10 {
		t.Fatalf("%d pages checked, want 5 with JavaScript and 5 without", len(run.Pages))
	}
	for _, p := range run.Pages {
		name := p.Path + map[bool]string{true: " (JavaScript on)", false: " (JavaScript off)"}[p.JavaScript]
		if p.Status != 200 || p.H1 == "" || !strings.Contains(p.Title, "Example Borough Council") {
			t.Errorf("%s: status %d, title %q, h1 %q", name, p.Status, p.Title, p.H1)
		}
		axeClean(t, name, p.axePage)
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
