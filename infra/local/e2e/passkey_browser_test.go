package e2e

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
)

// passkeyRun is what infra/local/browser/passkey.mjs prints.
type passkeyRun struct {
	Pages []struct {
		axePage
		Name, Title, ErrorSummary string
		Rows                      int
	}
	Credentials                              int
	AfterSignOut, AfterPasskey, AfterRemoved string
	CSPViolations, PageErrors                []string
}

// A person signs in with a code, adds a passkey in Chromium's virtual authenticator, signs out,
// signs in with the passkey alone, removes it, and the removed passkey no longer signs them in.
// axe finds no WCAG 2.2 A or AA violation on the passkey pages. CFP_SCREENSHOTS=<dir> keeps them.
func TestPasskeysInABrowser(t *testing.T) {
	email := uniqueEmail(t)
	ctx := context.Background()
	if _, err := storetest.SeedGrant(ctx, db, store.Grant{Email: access.Email(email), Name: "Kim", ClientReference: publishClient(),
		ClientName: "Mum Example", Relationship: access.AttorneyLPA}); err != nil {
		t.Fatal(err)
	}
	if err := storetest.SeedAccount(ctx, db, access.Email(email), "Kim"); err != nil {
		t.Fatal(err)
	}

	args := []string{portal, email, mailbox.URL}
	if shots := os.Getenv("CFP_SCREENSHOTS"); shots != "" {
		args = append(args, shots)
	}
	var run passkeyRun
	runBrowserScript(t, &run, "passkey.mjs", args...)

	want := map[string]int{"passkeys": 200, "passkeys-error": 400, "passkey-added": 200, "sign-in": 200, "passkey-removed": 200, "passkey-refused": 0}
	for _, p := range run.Pages {
		if p.Status != want[p.Name] {
			t.Errorf("%s: status %d, want %d", p.Name, p.Status, want[p.Name])
		}
		delete(want, p.Name)
		axeClean(t, p.Name, p.axePage)
		switch p.Name {
		case "passkeys-error":
			if !strings.Contains(p.ErrorSummary, "Enter a name for the passkey") || !strings.HasPrefix(p.Title, "Error: ") {
				t.Errorf("blank name: %q %q", p.Title, p.ErrorSummary)
			}
		case "passkey-added":
			if p.Rows != 1 || p.Path != "/account/passkeys?added=1" || p.ErrorSummary != "" {
				t.Errorf("added: %+v", p)
			}
		case "passkey-removed":
			if p.Rows != 0 || p.Path != "/account/passkeys?removed=1" {
				t.Errorf("removed: %+v", p)
			}
		case "passkey-refused":
			if !strings.Contains(p.ErrorSummary, "did not sign you in") {
				t.Errorf("removed passkey: %q", p.ErrorSummary)
			}
		}
	}
	if len(want) != 0 {
		t.Errorf("pages not reached: %v", want)
	}
	if run.Credentials != 1 || run.AfterSignOut != "/sign-in" || run.AfterPasskey != "/clients" || run.AfterRemoved != "/sign-in" {
		t.Errorf("credentials %d; after sign-out %q, after the passkey %q, after the removed passkey %q", run.Credentials, run.AfterSignOut, run.AfterPasskey, run.AfterRemoved)
	}
	if len(run.CSPViolations) > 0 || len(run.PageErrors) > 0 {
		t.Errorf("the browser reported: CSP %v, errors %v", run.CSPViolations, run.PageErrors)
	}
	// The person is told of both, in the outbox's emails.
	if text := portalNextMail(t, email, "A passkey was added", 0); !strings.Contains(text, `"Test phone"`) {
		t.Errorf("passkey added email: %s", text)
	}
	if text := portalNextMail(t, email, "A passkey was removed", 0); !strings.Contains(text, `"Test phone"`) {
		t.Errorf("passkey removed email: %s", text)
	}
}
