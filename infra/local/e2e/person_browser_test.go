package e2e

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

type personRun struct {
	Pages []struct {
		axePage
		Step, Banner, ErrorSummary string
	}
	PageErrors []string
}

// Support helps a person whose approval email bounced: signed in at the local OpenID Provider as
// the sample support member, they find the person by the start of their surname, clear the
// suppression SES's bounce put on the address, and send a new invitation. The new invitation's
// link then registers the person; the first one, sent before, no longer does. axe finds no WCAG
// 2.2 A or AA violation on the pages.
func TestSupportHelpsAPersonInABrowser(t *testing.T) {
	ctx := context.Background()
	// A surname of letters nobody else in the table has, so the search finds this person alone.
	surname := "Q"
	for n := time.Now().UnixNano(); n > 0; n /= 26 {
		surname += string(rune('a' + n%26))
	}
	email := uniqueEmail(t)
	name := "Pat " + surname
	ref := strconv.Itoa(5000000 + int(time.Now().UnixNano()%3999999))
	id, err := storetest.SeedGrant(ctx, db, store.Grant{Email: access.Email(email), Name: name, ClientReference: ref, ClientName: "Cli Ent", ClientBirth: "1941-03-04"})
	if err != nil {
		t.Fatal(err)
	}
	// The approval email, as approving queues it; the notifier sends it with the first invitation.
	approval, _ := mail.For(access.RequestApproved{Request: id, To: access.Email(email)})
	if err := db.QueueMail(ctx, approval); err != nil {
		t.Fatal(err)
	}
	first := portalLink(t, registerLinkRE, portalNextMail(t, email, approvedSubject, 0))

	// SES reports the address bounced (the notifier's real feedback path, with the sample event).
	sesBounce(t, email)
	if _, off, err := db.Suppressed(ctx, access.Email(email)); err != nil || !off {
		t.Fatalf("the bounce did not suppress the address: %v %v", off, err)
	}

	var run personRun
	runBrowserScript(t, &run, "person.mjs", portal, strings.ToLower(surname[:6]), email)
	personPath := "/staff/people/" + email
	want := map[string]struct {
		path, h1 string
		status   int
		banner   string
	}{
		"search":       {"/staff/people", "Find a person", 200, ""},
		"search-error": {"/staff/people", "Find a person", 400, ""},
		"found":        {"/staff/people", "Find a person", 200, ""},
		"person":       {personPath, name, 200, ""},
		"cleared":      {personPath, name, 200, "emails will be sent to this address again"},
		"reissued":     {personPath, name, 200, "A new invitation is on its way"},
	}
	seen := map[string]bool{}
	for _, p := range run.Pages {
		seen[p.Step] = true
		w := want[p.Step]
		if p.Path != w.path || p.H1 != w.h1 || p.Status != w.status || !strings.Contains(p.Banner, w.banner) || (w.banner == "") != (p.Banner == "") {
			t.Errorf("%s: %s %d %q banner %q; want %s %d %q %q", p.Step, p.Path, p.Status, p.H1, p.Banner, w.path, w.status, w.h1, w.banner)
		}
		axeClean(t, p.Step, p.axePage)
		switch p.Step {
		case "search-error":
			if !strings.Contains(p.ErrorSummary, "There is a problem") {
				t.Errorf("the bad search has no error summary: %q", p.ErrorSummary)
			}
		case "found":
			if !slices.Contains(p.Links, personPath) {
				t.Errorf("the search does not link to the person: %v", p.Links)
			}
		case "person":
			if !slices.Contains(p.Links, "/staff/requests/"+string(id)) || !slices.Contains(p.Links, "/staff/clients/"+ref) {
				t.Errorf("the person page does not link to the request and the client: %v", p.Links)
			}
		}
	}
	for step := range want {
		if !seen[step] {
			t.Errorf("the browser did not reach %q: %+v", step, run.Pages)
		}
	}
	if len(run.PageErrors) > 0 {
		t.Errorf("page errors: %v", run.PageErrors)
	}
	if t.Failed() {
		t.FailNow()
	}
	if _, off, _ := db.Suppressed(ctx, access.Email(email)); off {
		t.Fatal("the address is still suppressed")
	}

	// The new invitation arrives (the address is no longer suppressed); the first link is dead.
	second := portalLink(t, registerLinkRE, portalNextMail(t, email, approvedSubject, 1))
	b := newBrowser()
	resp, out := b.call(t, "POST", "/account/register", map[string]string{"invitation": first, "name": name})
	if resp.StatusCode != http.StatusGone || !strings.Contains(string(out), "replaced by a newer one") {
		t.Fatalf("the first invitation: %d %s", resp.StatusCode, out)
	}
	portalRegister(t, b, email, second, name)
	if a, err := db.Account(ctx, access.Email(email)); err != nil || a.Status != store.AccountActive || a.Name != name {
		t.Fatalf("account after registering with the new invitation: %+v %v", a, err)
	}
}
