package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/batch"
	"github.com/council/cfp/shared/store"
)

type staffRun struct {
	Pages []struct {
		axePage
		Who, Styled string
		Nav         []string
		JSEnabled   bool
	}
	PageErrors    []string
	CSPViolations []string
}

// A reviewer signs in at the local OpenID Provider's login page and sees the queue, a request, the
// look-up (from the navigation) and its error state and a client's page with a replaced and a
// withdrawn document, and signs out; the same pages work with JavaScript off; the administrator's
// navigation has the sections an administrator may open, the reviewer's only theirs; a person with no role sees "no access"
// only. The pages are styled by the site's GOV.UK Frontend stylesheet under their own policy, and
// axe finds no WCAG 2.2 A or AA violation on any.
func TestStaffSignInInABrowser(t *testing.T) {
	// A client with a grant and a document, for the client page.
	ref := strconv.Itoa(6000000 + int(time.Now().UnixNano()%3999999))
	if _, err := storetest.SeedGrant(context.Background(), db, store.Grant{Email: access.Email(uniqueEmail(t)), Name: "Sam Other",
		ClientReference: ref, ClientName: "Cli Ent", ClientBirth: "1941-03-04"}); err != nil {
		t.Fatal(err)
	}
	// Its documents: one current, one replaced by it, one withdrawn (the batch path is
	// TestBatchReplaceAndWithdrawSeenFromThePortal's; here they are seeded, for the pictures).
	bg, b := context.Background(), batch.ID{System: "billing", Name: "staff-" + ref}
	docs := []store.Document{
		{ID: store.DocumentID("old" + ref), ClientReference: ref, Type: store.CareInvoice, Title: "Care invoice, October", DocumentDate: "2026-10-31", PublishedAt: time.Now().Add(-time.Hour), Key: "published/x.pdf"},
		{ID: store.DocumentID("gone" + ref), ClientReference: ref, Type: store.CareInvoice, Title: "Care invoice, September", DocumentDate: "2026-09-30", PublishedAt: time.Now().Add(-time.Hour), Key: "published/y.pdf"},
	}
	fresh := store.Document{ID: store.DocumentID("new" + ref), ClientReference: ref, Type: store.CareInvoice, Title: "Care invoice, October (corrected)", DocumentDate: "2026-10-31", PublishedAt: time.Now(), Key: "published/z.pdf"}
	if err := storetest.SeedDocuments(bg, db, docs...); err != nil {
		t.Fatal(err)
	}
	if err := db.PublishFromBatch(bg, b, batch.File{Name: "z.pdf", Row: &batch.Row{Line: 2}, Outcome: batch.Replaced, Document: string(fresh.ID)}, fresh,
		&store.Correction{Document: docs[0].ID, Client: ref, How: string(batch.Replaced), By: fresh.ID}); err != nil {
		t.Fatal(err)
	}
	if err := db.Withdraw(bg, b, batch.File{Row: &batch.Row{Line: 3}, Outcome: batch.Withdrawn}, store.Correction{Document: docs[1].ID, Client: ref, How: string(batch.Withdrawn)}); err != nil {
		t.Fatal(err)
	}
	var run staffRun
	runBrowserScript(t, &run, "staff.mjs", portal, ref)
	seen := map[string]int{}
	for _, p := range run.Pages {
		seen[p.Who+" "+p.Path]++
		switch {
		case p.Who != "norole" && p.Path == "/staff" && (p.Status != 200 || p.H1 != "Requests to work on"):
			t.Errorf("%s's queue: %d %q", p.Who, p.Status, p.H1)
		case p.Who == "norole" && (p.Status != 403 || p.H1 != "You do not have access" || len(p.Nav) != 0):
			t.Errorf("no role: %s %d %q %v", p.Path, p.Status, p.H1, p.Nav)
		case p.Who == "reviewer" && p.Path == "/staff/find" && (p.Status != 200 && p.Status != 400 || p.H1 != "Find a request"):
			t.Errorf("the look-up: %d %q", p.Status, p.H1)
		case p.Who != "norole" && p.Path == "/staff/clients/"+ref && (p.Status != 200 || p.H1 != "Client reference "+ref):
			t.Errorf("the client page: %d %q", p.Status, p.H1)
		case p.Who == "reviewer" && p.Path == "/staff/sign-out" && (p.Status != 200 || p.H1 != "You have signed out"):
			t.Errorf("signed out: %d %q", p.Status, p.H1)
		}
		wantNav := map[string]string{"reviewer": "Queue Find", "reviewer-nojs": "Queue Find", "admin": "Queue Find"}[p.Who]
		if p.Status == 200 && p.Path != "/staff/sign-out" && strings.Join(p.Nav, " ") != wantNav {
			t.Errorf("%s %s: navigation %v, want %s", p.Who, p.Path, p.Nav, wantNav)
		}
		// The site's stylesheet applied: the header is the council's colour, not bare (the pictures
		// show it with JavaScript off, where nothing can be measured).
		if p.Who != "reviewer-nojs" && p.Styled == "" || p.Styled == "rgba(0, 0, 0, 0)" || p.Styled == "rgb(255, 255, 255)" {
			t.Errorf("%s %s: the header's background is %q: the stylesheet did not apply", p.Who, p.Path, p.Styled)
		}
		if p.JSEnabled != (p.Who != "reviewer-nojs") {
			t.Errorf("%s %s: GOV.UK Frontend ran: %v", p.Who, p.Path, p.JSEnabled)
		}
		if p.Who != "reviewer-nojs" { // axe needs JavaScript
			axeClean(t, p.Who+" "+p.Path, p.axePage)
		}
	}
	if seen["reviewer /staff"] == 0 || seen["reviewer /staff/find"] != 2 || seen["reviewer /staff/clients/"+ref] == 0 || seen["reviewer /staff/sign-out"] == 0 ||
		seen["reviewer-nojs /staff/clients/"+ref] == 0 || seen["admin /staff"] == 0 || seen["norole /staff"] == 0 || len(run.PageErrors) > 0 || len(run.CSPViolations) > 0 {
		t.Errorf("pages %+v, errors %v, CSP %v", run.Pages, run.PageErrors, run.CSPViolations)
	}
}
