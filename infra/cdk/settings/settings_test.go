package settings

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/infra/wiring"
)

// repo makes a fake repository root with .local/build/<function>/bootstrap, as make build does.
func repo(t *testing.T) string {
	root := t.TempDir()
	for _, f := range wiring.Functions {
		dir := filepath.Join(root, ".local", "build", f.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func from(values map[Setting]string) func(Setting) string {
	return func(s Setting) string { return values[s] }
}

func TestEverySettingIsRead(t *testing.T) {
	root := repo(t)
	c, err := Read(from(map[Setting]string{
		StackName:        "cfp-prod",
		MailFrom:         "no-reply@portal.council.gov.uk",
		MailDomain:       "council.gov.uk",
		Reviewers:        "a@council.gov.uk, b@council.gov.uk",
		PortalURL:        "https://portal.council.gov.uk",
		ClientRefPattern: `^C[0-9]{7}$`,
		StaffCIDRs:       "192.0.2.0/24,2001:db8::/32",
		AlarmEmail:       "ops@council.gov.uk",
		EvidenceDays:     "30",
		DocumentDays:     "2190",
		RejectedDays:     "60",
		NoticeQuiet:      "5m",
		NoticeMaxDelay:   "1h",
		MailRate:         "14",
		RequestLimit:     "40",
		RateLimit:        "500",
		ScanConcurrency:  "4",
		CouncilName:      "Northshire County Council",
		CouncilURL:       "https://www.northshire.gov.uk/",
		ServiceName:      "Client Finance Portal",
		ContactPhone:     "01632 960000",
		ContactEmail:     "clientfinance@council.gov.uk",
		OpeningHours:     "Monday to Friday, 9am to 5pm",
		LogoURL:          "/assets/logo.svg",
		PrivacyURL:       "https://www.northshire.gov.uk/privacy",
		AccessibilityURL: "/accessibility",
		StaffIssuer:      "https://login.microsoftonline.com/00000000-0000-4000-8000-000000000000/v2.0",
		StaffClientID:    "cfp-portal",
		StaffSecretARN:   "arn:aws:secretsmanager:eu-west-2:111122223333:secret:cfp/staff-oidc-client-AbCdEf",
		StaffRoleGroups:  "g-reviewers=reviewer",
		SendingSystems:   "billing, finance",
		BusinessSupport:  "business.support@council.gov.uk",
		BatchWindow:      "12h",
		Strict:           "true",
	}), root, "", "")
	if err != nil {
		t.Fatal(err)
	}
	p := c.Props
	if c.StackName != "cfp-prod" || p.MailDomain != "council.gov.uk" || !slices.Equal(p.Reviewers, []string{"a@council.gov.uk", "b@council.gov.uk"}) ||
		p.ClientReferencePattern != `^C[0-9]{7}$` || len(p.StaffCIDRs) != 2 || p.AlarmEmail != "ops@council.gov.uk" ||
		p.EvidenceRetentionDays != 30 || p.DocumentRetentionDays != 2190 || p.RejectedRetentionDays != 60 || p.NoticeQuietPeriod != 5*time.Minute || p.NoticeMaxDelay != time.Hour ||
		p.MailMaxPerSecond != 14 || p.RequestsPerIPPerHour != 40 || p.RateLimitPer5Min != 500 || p.ScanUploadConcurrency != 4 ||
		p.CouncilName != "Northshire County Council" || p.CouncilURL != "https://www.northshire.gov.uk/" || p.ServiceName != "Client Finance Portal" ||
		p.ContactPhone != "01632 960000" || p.ContactEmail != "clientfinance@council.gov.uk" || p.OpeningHours != "Monday to Friday, 9am to 5pm" ||
		p.LogoURL != "/assets/logo.svg" || p.PrivacyURL != "https://www.northshire.gov.uk/privacy" || p.AccessibilityURL != "/accessibility" ||
		p.StaffIssuer != "https://login.microsoftonline.com/00000000-0000-4000-8000-000000000000/v2.0" || p.StaffClientID != "cfp-portal" ||
		p.StaffClientSecretARN != "arn:aws:secretsmanager:eu-west-2:111122223333:secret:cfp/staff-oidc-client-AbCdEf" || p.StaffRoleGroups != "g-reviewers=reviewer" ||
		!slices.Equal(p.SendingSystems, []string{"billing", "finance"}) || !slices.Equal(p.BusinessSupport, []string{"business.support@council.gov.uk"}) || p.BatchWindow != 12*time.Hour {
		t.Errorf("settings not carried into props: %+v", p)
	}
	if p.AssetRoot != filepath.Join(root, ".local", "build") {
		t.Errorf("asset root %q; want the repository's .local/build", p.AssetRoot)
	}
	if len(c.Examples) != 0 {
		t.Errorf("examples used although everything is set: %v", c.Examples)
	}
}

func TestSynthWithoutSettingsUsesExamplesButDeployRefuses(t *testing.T) {
	root := repo(t)
	c, err := Read(from(nil), root, "", "")
	if err != nil {
		t.Fatalf("plain synth must work without settings: %v", err)
	}
	if !strings.HasSuffix(c.Props.MailFrom, ".example") || len(c.Examples) != 11 {
		t.Errorf("examples %v, mail from %q", c.Examples, c.Props.MailFrom)
	}

	_, err = Read(from(map[Setting]string{Strict: "true"}), root, "", "")
	if err == nil {
		t.Fatal("strict (deploy) accepted missing settings")
	}
	for _, s := range []Setting{MailFrom, Reviewers, PortalURL, AlarmEmail, CouncilName, ContactPhone, ContactEmail,
		StaffIssuer, StaffClientID, StaffSecretARN, StaffRoleGroups} {
		if !strings.Contains(err.Error(), s.Env) {
			t.Errorf("error does not name %s: %v", s.Env, err)
		}
	}
}

// A plain synth for another region still works: the example secret is in the stack's region.
func TestExampleSecretFollowsTheStacksRegion(t *testing.T) {
	c, err := Read(from(nil), repo(t), "111122223333", "us-east-1")
	if err != nil || !strings.Contains(c.Props.StaffClientSecretARN, ":us-east-1:") {
		t.Errorf("synth for us-east-1 without settings: %v, secret %q", err, c.Props.StaffClientSecretARN)
	}
}

func TestBadValuesAreRejectedWithTheirName(t *testing.T) {
	_, err := Read(from(map[Setting]string{EvidenceDays: "ninety", NoticeQuiet: "soon", PortalURL: "http://x.example"}), repo(t), "", "")
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, want := range []string{"CFP_EVIDENCE_RETENTION_DAYS", "CFP_NOTICE_QUIET_PERIOD"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	if _, err := Read(from(map[Setting]string{PortalURL: "http://x.example"}), repo(t), "", ""); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("plain-HTTP portal accepted: %v", err)
	}
}

func TestCertificateFromAnotherRegionIsRefused(t *testing.T) {
	_, err := Read(from(map[Setting]string{
		APIDomain:      "portal.council.example",
		APICertificate: "arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d-0000-4000-8000-000000000000",
	}), repo(t), "111122223333", "eu-west-2")
	if err == nil || !strings.Contains(err.Error(), "us-east-1") || !strings.Contains(err.Error(), "eu-west-2") {
		t.Errorf("a certificate from us-east-1 for a stack in eu-west-2: %v", err)
	}
	if _, err := Read(from(map[Setting]string{
		APIDomain:      "portal.council.example",
		APICertificate: "arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d-0000-4000-8000-000000000000",
	}), repo(t), "111122223333", "us-east-1"); err != nil {
		t.Errorf("a certificate in the stack's own region refused: %v", err)
	}
}

func TestSFTPIsOffUnlessSwitchedOnWithKeys(t *testing.T) {
	root := repo(t)
	c, err := Read(from(nil), root, "", "")
	if err != nil || c.Props.SFTP || c.Props.SFTPKeys != nil {
		t.Fatalf("SFTP by default: %v %v %v", c.Props.SFTP, c.Props.SFTPKeys, err)
	}
	const k1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1R+yxuftmgXvlXcNHz55k7BKGWTBd76wMxRk1CUFPV billing export"
	const k2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHz/q9XFPneEC52OHyb7Ji+Xz0QrInIqD+X6kgbWx3ZO standby"
	c, err = Read(from(map[Setting]string{SFTP: "true", SFTPKeys: "billing=" + k1 + ", billing=" + k2 + ",finance=" + k2}), root, "", "")
	if err != nil || !c.Props.SFTP || !slices.Equal(c.Props.SFTPKeys["billing"], []string{k1, k2}) || !slices.Equal(c.Props.SFTPKeys["finance"], []string{k2}) {
		t.Fatalf("SFTP keys %v %v", c.Props.SFTPKeys, err)
	}
	for _, bad := range []map[Setting]string{
		{SFTP: "yes please"},
		{SFTP: "true"},                                // no users
		{SFTP: "true", SFTPKeys: k1},                  // no system
		{SFTP: "true", SFTPKeys: "billing=not-a-key"}, // no key
	} {
		if _, err := Read(from(bad), root, "", ""); err == nil || !strings.Contains(err.Error(), "SFTP") {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

func TestGetterPrefersContextAndJoinsLists(t *testing.T) {
	t.Setenv(Reviewers.Env, "env@council.example")
	t.Setenv(PortalURL.Env, "https://env.council.example")
	ctx := map[string]any{Reviewers.Context: []any{"a@council.example", "b@council.example"}, MailRate.Context: float64(14)}
	get := Getter(func(k string) any { return ctx[k] })
	if got := get(Reviewers); got != "a@council.example,b@council.example" {
		t.Errorf("reviewers %q; want the context's list", got)
	}
	if got := get(MailRate); got != "14" {
		t.Errorf("mail rate %q", got)
	}
	if got := get(PortalURL); got != "https://env.council.example" {
		t.Errorf("portal URL %q; want the environment's when context has none", got)
	}
}

func TestCDKJSONContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cdk.json")
	if err := os.WriteFile(path, []byte(`{"app":"go run ./app","context":{"mailFrom":"no-reply@council.example"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, err := CDKJSONContext(path)
	if err != nil || ctx[MailFrom.Context] != "no-reply@council.example" {
		t.Errorf("context %v, %v", ctx, err)
	}
}
