package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
)

type auditRun struct {
	Pages []struct {
		axePage
		Errors []string
	}
	CSV, CSVName, ZipName string
	Zip                   string // base64
	PageErrors            []string
}

// An information-governance officer signs in at the local OpenID Provider, looks a person up on the
// audit trail (a mistyped address first: the error summary), downloads the CSV and exports the
// person; the archive holds what the portal holds about them: their grant and the audit events by
// and about them, as the store returns them. axe finds no WCAG 2.2 A or AA violation.
func TestAuditAndSubjectAccessExportInABrowser(t *testing.T) {
	ctx := context.Background()
	who := access.Email(strings.ToLower(uniqueEmail(t)))
	ref := strconv.Itoa(6000000 + int(time.Now().UnixNano()%3999999))
	grant, err := storetest.SeedGrant(ctx, db, store.Grant{Email: who, Name: "Pat Person", ClientReference: ref, ClientName: "Cli Ent", ClientBirth: "1941-03-04"})
	if err != nil {
		t.Fatal(err)
	}
	// What the person did in the portal, and a reviewer's look at their request.
	for _, e := range []store.AuditEvent{
		{Action: store.AuditListDocuments, Email: who, ClientReference: ref, GrantID: grant, UserAgent: "=cmd|' /C calc'!A0"},
		{Action: store.AuditStaffViewRequest, Email: "reviewer@council.example", Subject: who, ClientReference: ref, RequestID: grant},
	} {
		if err := db.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	var run auditRun
	runBrowserScript(t, &run, "audit.mjs", portal, string(who))
	if len(run.Pages) != 4 || run.Pages[0].H1 != "Audit trail" || run.Pages[1].Status != 400 || !slices.Equal(run.Pages[1].Errors, []string{"Enter an email address in the correct format, like name@example.com"}) ||
		run.Pages[2].Status != 200 || len(run.Pages[2].Errors) != 0 || run.Pages[3].H1 != "Export ready" || len(run.PageErrors) > 0 {
		t.Errorf("pages %+v, errors %v", run.Pages, run.PageErrors)
	}
	for _, p := range run.Pages {
		axeClean(t, p.Path, p.axePage)
	}

	// The CSV: the person's events, the formula defused.
	rows, err := csv.NewReader(strings.NewReader(run.CSV)).ReadAll()
	if err != nil || run.CSVName != "audit-person.csv" || len(rows) < 3 {
		t.Fatalf("csv %q: %q %v", run.CSVName, rows, err)
	}
	actions := map[string]bool{}
	for _, r := range rows[1:] {
		actions[r[1]] = true
		if r[1] == store.AuditListDocuments && r[10] != "'=cmd|' /C calc'!A0" {
			t.Errorf("the user agent is written as %q", r[10])
		}
	}
	if !actions[store.AuditListDocuments] || !actions[store.AuditStaffViewRequest] || !actions[store.AuditStaffViewAudit] {
		t.Errorf("csv actions %v", actions)
	}

	// The archive holds what the store holds about the person.
	raw, err := base64.StdEncoding.DecodeString(run.Zip)
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("the export is not a zip (%s): %v", run.ZipName, err)
	}
	files := map[string][]byte{}
	for _, f := range z.File {
		r, _ := f.Open()
		files[f.Name], _ = io.ReadAll(r)
	}
	var grants []store.Grant
	var by, about []store.AuditEvent
	for name, v := range map[string]any{"grants.json": &grants, "audit-by-them.json": &by, "audit-about-them.json": &about} {
		if err := json.Unmarshal(files[name], v); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, files[name])
		}
	}
	held, _ := db.GrantsOf(ctx, who)
	if len(grants) != 1 || len(held) != 1 || grants[0].RequestID != held[0].RequestID || grants[0].ClientReference != ref {
		t.Errorf("grants in the export %+v; the store holds %+v", grants, held)
	}
	heldBy, _, _ := db.AuditTrail(ctx, store.AuditOf{By: who}, store.AuditRange{}, 100)
	if len(by) != len(heldBy) || len(by) != 1 || by[0].ID != heldBy[0].ID {
		t.Errorf("events by them in the export %+v; the store holds %+v", by, heldBy)
	}
	// About them: the reviewer's look and the officer's reads, then the export itself, recorded
	// once it was built (so the archive has all but that one).
	heldAbout, _, _ := db.AuditTrail(ctx, store.AuditOf{About: who}, store.AuditRange{}, 100)
	if len(heldAbout) != len(about)+1 || heldAbout[0].Action != store.AuditStaffExport || heldAbout[0].Email != "governance@council.example" {
		t.Fatalf("events about them in the export %+v; the store holds %+v", about, heldAbout)
	}
	for i, e := range about {
		if e.ID != heldAbout[i+1].ID {
			t.Errorf("event %d about them: %+v; the store holds %+v", i, e, heldAbout[i+1])
		}
	}
	if !strings.Contains(string(files["README.txt"]), string(who)) {
		t.Errorf("README.txt:\n%s", files["README.txt"])
	}
}
