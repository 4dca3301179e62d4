package main

import (
	"encoding/json"
	"os"
	"os/exec"
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

func from(values map[setting]string) func(setting) string {
	return func(s setting) string { return values[s] }
}

func TestEverySettingIsRead(t *testing.T) {
	root := repo(t)
	c, err := configure(from(map[setting]string{
		stackName:        "cfp-prod",
		mailFrom:         "no-reply@portal.council.gov.uk",
		mailDomain:       "council.gov.uk",
		reviewers:        "a@council.gov.uk, b@council.gov.uk",
		portalURL:        "https://portal.council.gov.uk",
		clientRefPattern: `^C[0-9]{7}$`,
		staffCIDRs:       "192.0.2.0/24,2001:db8::/32",
		alarmEmail:       "ops@council.gov.uk",
		evidenceDays:     "30",
		noticeQuiet:      "5m",
		noticeMaxDelay:   "1h",
		mailRate:         "14",
		requestLimit:     "40",
		rateLimit:        "500",
		strict:           "true",
	}), root)
	if err != nil {
		t.Fatal(err)
	}
	p := c.props
	if c.stackName != "cfp-prod" || p.MailDomain != "council.gov.uk" || !slices.Equal(p.Reviewers, []string{"a@council.gov.uk", "b@council.gov.uk"}) ||
		p.ClientReferencePattern != `^C[0-9]{7}$` || len(p.StaffCIDRs) != 2 || p.AlarmEmail != "ops@council.gov.uk" ||
		p.EvidenceRetentionDays != 30 || p.NoticeQuietPeriod != 5*time.Minute || p.NoticeMaxDelay != time.Hour ||
		p.MailMaxPerSecond != 14 || p.RequestsPerIPPerHour != 40 || p.RateLimitPer5Min != 500 {
		t.Errorf("settings not carried into props: %+v", p)
	}
	if p.AssetRoot != filepath.Join(root, ".local", "build") {
		t.Errorf("asset root %q; want the repository's .local/build", p.AssetRoot)
	}
	if len(c.examples) != 0 {
		t.Errorf("examples used although everything is set: %v", c.examples)
	}
}

func TestSynthWithoutSettingsUsesExamplesButDeployRefuses(t *testing.T) {
	root := repo(t)
	c, err := configure(from(nil), root)
	if err != nil {
		t.Fatalf("plain synth must work without settings: %v", err)
	}
	if !strings.HasSuffix(c.props.MailFrom, ".example") || len(c.examples) != 4 {
		t.Errorf("examples %v, mail from %q", c.examples, c.props.MailFrom)
	}

	_, err = configure(from(map[setting]string{strict: "true"}), root)
	if err == nil {
		t.Fatal("strict (deploy) accepted missing settings")
	}
	for _, s := range []setting{mailFrom, reviewers, portalURL, alarmEmail} {
		if !strings.Contains(err.Error(), s.env) {
			t.Errorf("error does not name %s: %v", s.env, err)
		}
	}
}

func TestBadValuesAreRejectedWithTheirName(t *testing.T) {
	_, err := configure(from(map[setting]string{evidenceDays: "ninety", noticeQuiet: "soon", portalURL: "http://x.example"}), repo(t))
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, want := range []string{"CFP_EVIDENCE_RETENTION_DAYS", "CFP_NOTICE_QUIET_PERIOD"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	if _, err := configure(from(map[setting]string{portalURL: "http://x.example"}), repo(t)); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("plain-HTTP portal accepted: %v", err)
	}
}

// synthAsDeploy runs the app as the CDK CLI does for `make deploy` with credentials present: the
// CLI sets CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION, so the stack is pinned to an environment and
// every ARN carries the real region and account. It fails on any error the synthesis recorded
// (cdk-nag's among them), which is what makes the CLI abort the deployment.
func synthAsDeploy(t *testing.T, settings map[string]string) {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command("go", "run", ".")
	cmd.Env = append(os.Environ(),
		"CDK_DEFAULT_ACCOUNT=111122223333", "CDK_DEFAULT_REGION=eu-west-2", "CDK_OUTDIR="+out,
		"CFP_ASSET_ROOT="+filepath.Join(repo(t), ".local", "build"), "CFP_STRICT=true")
	for k, v := range settings {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("synthesis failed: %v\n%s", err, b)
	}
	raw, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	type metadata map[string][]struct {
		Type string
		Data any
	}
	var manifest struct {
		Artifacts map[string]struct {
			Environment            string
			Metadata               metadata
			AdditionalMetadataFile string
		}
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	stack, ok := manifest.Artifacts["cfp"]
	if !ok {
		t.Fatalf("no stack cfp in the cloud assembly: %s", raw)
	}
	if stack.Environment != "aws://111122223333/eu-west-2" {
		t.Errorf("stack environment %q; want it pinned to the deploy account and region", stack.Environment)
	}
	// The cloud assembly keeps a stack's metadata (cdk-nag's findings among it) in a file of its own.
	all := stack.Metadata
	if f := stack.AdditionalMetadataFile; f != "" {
		raw, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &all); err != nil {
			t.Fatal(err)
		}
	}
	if len(all) == 0 {
		t.Fatal("the stack has no metadata at all: where did cdk-nag's findings go?")
	}
	for path, entries := range all {
		for _, e := range entries {
			if e.Type == "aws:cdk:error" {
				t.Errorf("%s: %v", path, e.Data)
			}
		}
	}
}

func TestDeploySynthesisWithAccountAndRegion(t *testing.T) {
	synthAsDeploy(t, map[string]string{
		"CFP_MAIL_FROM": "no-reply@portal.council.example", "CFP_REVIEWERS": "client.finance@council.example",
		"CFP_PORTAL_URL": "https://portal.council.example", "CFP_ALARM_EMAIL": "ops@council.example",
	})
}

func TestDeploySynthesisWithEveryOptionalSetting(t *testing.T) {
	synthAsDeploy(t, map[string]string{
		"CFP_MAIL_FROM": "no-reply@portal.council.example", "CFP_MAIL_DOMAIN": "council.example",
		"CFP_REVIEWERS":  "client.finance@council.example,cfs.lead@council.example",
		"CFP_PORTAL_URL": "https://portal.council.example", "CFP_ALARM_EMAIL": "ops@council.example",
		"CFP_CLIENT_REFERENCE_PATTERN": `^C[0-9]{7}$`,
		"CFP_API_DOMAIN_NAME":          "portal.council.example",
		"CFP_API_CERTIFICATE_ARN":      "arn:aws:acm:eu-west-2:111122223333:certificate/0a1b2c3d-0000-4000-8000-000000000000",
		"CFP_STAFF_CIDRS":              "192.0.2.0/24,2001:db8::/32",
		"CFP_EVIDENCE_RETENTION_DAYS":  "30", "CFP_NOTICE_QUIET_PERIOD": "5m", "CFP_NOTICE_MAX_DELAY": "1h",
		"CFP_MAIL_MAX_PER_SECOND": "14", "CFP_REQUEST_LIMIT_PER_IP_HOUR": "40", "CFP_REVIEW_LINK_DAYS": "5",
		"CFP_RATE_LIMIT_PER_5_MIN": "500",
	})
}

func TestCertificateFromAnotherRegionIsRefused(t *testing.T) {
	t.Setenv("CDK_DEFAULT_ACCOUNT", "111122223333")
	t.Setenv("CDK_DEFAULT_REGION", "eu-west-2")
	_, err := configure(from(map[setting]string{
		apiDomain:      "portal.council.example",
		apiCertificate: "arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d-0000-4000-8000-000000000000",
	}), repo(t))
	if err == nil || !strings.Contains(err.Error(), "us-east-1") || !strings.Contains(err.Error(), "eu-west-2") {
		t.Errorf("a certificate from us-east-1 for a stack in eu-west-2: %v", err)
	}
	t.Setenv("CDK_DEFAULT_REGION", "us-east-1")
	if _, err := configure(from(map[setting]string{
		apiDomain:      "portal.council.example",
		apiCertificate: "arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d-0000-4000-8000-000000000000",
	}), repo(t)); err != nil {
		t.Errorf("a certificate in the stack's own region refused: %v", err)
	}
}
