package e2e

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

// accountRun is what infra/local/browser/account.mjs prints.
type accountRun struct {
	JavaScript bool
	Pages      []struct {
		axePage
		Name, Title, ErrorSummary, Styled string
	}
	Clients   []struct{ Name, Href string }
	Documents [][]string
	Download  struct {
		Name string
		Size int64
	}
	Filtered      []string
	Requests      [][]string
	RequestStatus string
	Prefilled     struct {
		Name        string
		EmailInputs int
		Intro       string
	}
	AfterSignOut              string
	CSPViolations, PageErrors []string
}

// A person approved for their mother and father (two requests through the real review path) opens
// the approval email's registration link in Chromium, makes a mistake, registers, confirms their
// address from the verification email's link, signs in with the code from the mailbox, sees both
// clients, opens one, sees the published document, downloads it, filters the list and signs out.
// A second person, seeded, does the same with JavaScript off. axe finds no WCAG 2.2 A or AA violation
// on any page. CFP_SCREENSHOTS=<dir> keeps a picture of every page.
func TestAccountPagesInABrowser(t *testing.T) {
	// With JavaScript: the real approval path, and a published document for mum.
	email := uniqueEmail(t)
	mumRef, dadRef := publishClient(), publishClient()
	portalApprove(t, email, "Mum Example", mumRef, "")
	portalApprove(t, email, "Dad Example", dadRef, "2099-12-31")
	docs := portalPublish(t, mumRef,
		portalDoc("care_invoice", "2026-05-01", "Care invoice May"),
		portalDoc("assessment_outcome", "2026-04-01", "Assessment outcome"))
	first := portalNextMail(t, email, approvedSubject, 0)
	m := registerLinkRE.FindString(first)
	if m == "" || !strings.Contains(first, portal+m) {
		t.Fatalf("no registration link in: %s", first)
	}
	link := portal + m
	run := accountBrowse(t, link, email, mumRef, true)
	accountJudge(t, run, 2, docs)
	names := []string{run.Clients[0].Name, run.Clients[1].Name}
	if names[0] != "Dad Example" || names[1] != "Mum Example" {
		t.Errorf("clients %v: want Dad Example and Mum Example", names)
	}

	// Without JavaScript: a person seeded with a grant for the same client and an invitation.
	email2 := uniqueEmail(t)
	if _, err := storetest.SeedGrant(context.Background(), db, store.Grant{Email: access.Email(email2), Name: "Kim", ClientReference: mumRef,
		ClientName: "Mum Example", Relationship: access.AttorneyLPA}); err != nil {
		t.Fatal(err)
	}
	inv := secret.New()
	now := time.Now()
	if err := db.PutToken(context.Background(), store.Token{Hash: inv.Hash(), Purpose: mail.Invitation, Subject: "r-seeded",
		Email: access.Email(email2), IssuedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	run = accountBrowse(t, mail.Bases{Portal: portal}.URL(mail.Link{Purpose: mail.Invitation}, inv.Reveal()), email2, mumRef, false)
	accountJudge(t, run, 1, docs)
}

func accountBrowse(t *testing.T, link, email, ref string, javaScript bool) accountRun {
	t.Helper()
	js := map[bool]string{true: "js", false: "nojs"}[javaScript]
	args := []string{portal, link, email, mailbox.URL, ref, js}
	if shots := os.Getenv("CFP_SCREENSHOTS"); shots != "" {
		args = append(args, shots)
	}
	var run accountRun
	runBrowserScript(t, &run, "account.mjs", args...)
	return run
}

// refRE is a request's short reference at the start of a cell.
var refRE = regexp.MustCompile(`^CFP-[0-9A-Z]{4}-[0-9A-Z]{4}\b`)

// accountJudge checks one run: every page reached with its status, styled, with no WCAG violation;
// the mistakes shown in error summaries; the clients, the documents newest first, the download, the
// filter and the sign-out.
func accountJudge(t *testing.T, run accountRun, clients int, docs []store.Document) {
	t.Helper()
	js := map[bool]string{true: "JavaScript on", false: "JavaScript off"}[run.JavaScript]
	want := map[string]int{"register": 200, "register-error": 400, "check-email": 200, "verify": 200, "signed-in-confirmed": 200,
		"sign-in-error": 400, "code": 200, "clients": 200, "documents": 200, "documents-filtered": 200, "signed-out": 200,
		"requests": 200, "request-status": 200, "request-details": 200}
	for _, p := range run.Pages {
		if p.Status != want[p.Name] {
			t.Errorf("%s (%s): status %d, want %d", p.Name, js, p.Status, want[p.Name])
		}
		delete(want, p.Name)
		axeClean(t, p.Name+" ("+js+")", p.axePage)
		if p.Styled == "" || p.Styled == "rgba(0, 0, 0, 0)" || p.Styled == "rgb(255, 255, 255)" {
			t.Errorf("%s (%s): the stylesheet did not apply (%q)", p.Name, js, p.Styled)
		}
		if strings.HasSuffix(p.Name, "-error") != strings.HasPrefix(p.Title, "Error: ") || strings.HasSuffix(p.Name, "-error") == (p.ErrorSummary == "") {
			t.Errorf("%s (%s): title %q, error summary %q", p.Name, js, p.Title, p.ErrorSummary)
		}
	}
	if len(want) != 0 {
		t.Errorf("pages not reached (%s): %v", js, want)
	}
	if len(run.Clients) != clients {
		t.Errorf("clients (%s): %+v", js, run.Clients)
	}
	if len(run.Documents) != 2 || !strings.Contains(run.Documents[0][2], docs[0].Title) || run.Documents[0][0] != "1 May 2026" ||
		!strings.Contains(run.Documents[1][2], docs[1].Title) {
		t.Errorf("documents (%s): %v", js, run.Documents)
	}
	if !strings.HasSuffix(run.Download.Name, ".pdf") || run.Download.Size != docs[0].Size {
		t.Errorf("download (%s): %+v, want %d bytes", js, run.Download, docs[0].Size)
	}
	if len(run.Filtered) != 1 || run.Filtered[0] != "Care invoice" {
		t.Errorf("filtered (%s): %v", js, run.Filtered)
	}
	// Their own requests: one per client they were approved for, each approved, each opening its
	// status; a new request knows who they are without asking their address again.
	if len(run.Requests) != clients {
		t.Errorf("requests (%s): %v, want %d", js, run.Requests, clients)
	}
	for _, r := range run.Requests {
		// A seeded grant's request (JavaScript off) has no short reference: its id stands in.
		if len(r) != 4 || run.JavaScript && !refRE.MatchString(r[0]) || r[3] != "Approved" {
			t.Errorf("request row (%s): %q", js, r)
		}
	}
	if len(run.Requests) > 0 && (!strings.Contains(run.RequestStatus, "Approved") || !strings.Contains(run.RequestStatus, strings.Split(run.Requests[0][0], ",")[0])) {
		t.Errorf("request status (%s): %q", js, run.RequestStatus)
	}
	if run.Prefilled.Name != "Dee Puty" || run.Prefilled.EmailInputs != 0 || !strings.Contains(run.Prefilled.Intro, "You are signed in as") {
		t.Errorf("new request's details (%s): %+v", js, run.Prefilled)
	}
	if run.AfterSignOut != "/sign-in" {
		t.Errorf("after sign-out (%s), /clients leads to %q", js, run.AfterSignOut)
	}
	if len(run.CSPViolations) > 0 || len(run.PageErrors) > 0 {
		t.Errorf("the browser reported (%s): CSP %v, errors %v", js, run.CSPViolations, run.PageErrors)
	}
}
