package e2e

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
)

type staffRun struct {
	Pages []struct {
		axePage
		Who string
	}
	PageErrors []string
}

// A reviewer signs in at the local OpenID Provider's login page and sees the queue, a request, the
// look-up's error state and a client's page, and signs out; a person with no role sees "no access"
// only. axe finds no WCAG 2.2 A or AA violation on the staff pages.
func TestStaffSignInInABrowser(t *testing.T) {
	// A client with a grant and a document, for the client page.
	ref := strconv.Itoa(6000000 + int(time.Now().UnixNano()%3999999))
	if _, err := storetest.SeedGrant(context.Background(), db, store.Grant{Email: access.Email(uniqueEmail(t)), Name: "Sam Other",
		ClientReference: ref, ClientName: "Cli Ent", ClientBirth: "1941-03-04"}); err != nil {
		t.Fatal(err)
	}
	var run staffRun
	runBrowserScript(t, &run, "staff.mjs", portal, ref)
	seen := map[string]bool{}
	for _, p := range run.Pages {
		seen[p.Who+" "+p.Path] = true
		switch {
		case p.Who == "reviewer" && p.Path == "/staff" && (p.Status != 200 || p.H1 != "Requests to work on"):
			t.Errorf("the reviewer's queue: %d %q", p.Status, p.H1)
		case p.Who == "norole" && (p.Status != 403 || p.H1 != "You do not have access"):
			t.Errorf("no role: %s %d %q", p.Path, p.Status, p.H1)
		case p.Who == "reviewer" && p.Path == "/staff/find" && (p.Status != 400 || p.H1 != "Find a request"):
			t.Errorf("the look-up's error state: %d %q", p.Status, p.H1)
		case p.Who == "reviewer" && p.Path == "/staff/clients/"+ref && (p.Status != 200 || p.H1 != "Client reference "+ref):
			t.Errorf("the client page: %d %q", p.Status, p.H1)
		case p.Who == "reviewer" && p.Path == "/staff/sign-out" && (p.Status != 200 || p.H1 != "You have signed out"):
			t.Errorf("signed out: %d %q", p.Status, p.H1)
		}
		axeClean(t, p.Who+" "+p.Path, p.axePage)
	}
	if !seen["reviewer /staff"] || !seen["reviewer /staff/find"] || !seen["reviewer /staff/clients/"+ref] || !seen["reviewer /staff/sign-out"] ||
		!seen["norole /staff"] || len(run.PageErrors) > 0 {
		t.Errorf("pages %+v, errors %v", run.Pages, run.PageErrors)
	}
}
