package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

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
		"CFP_COUNCIL_NAME": "Example Borough Council", "CFP_CONTACT_PHONE": "020 7946 0000",
		"CFP_CONTACT_EMAIL": "client.finance@council.example",
		"CFP_STAFF_ISSUER":  staffIssuer, "CFP_STAFF_CLIENT_ID": "cfp-portal",
		"CFP_STAFF_CLIENT_SECRET_ARN": staffSecret, "CFP_STAFF_ROLE_GROUPS": staffGroups,
	})
}

// The staff identity provider's settings, which a deployment must make.
const (
	staffIssuer = "https://login.microsoftonline.com/00000000-0000-4000-8000-000000000000/v2.0"
	staffSecret = "arn:aws:secretsmanager:eu-west-2:111122223333:secret:cfp/staff-oidc-client-AbCdEf"
	staffGroups = "11111111-0000-4000-8000-000000000001=reviewer,11111111-0000-4000-8000-000000000002=support"
)

func TestDeploySynthesisWithEveryOptionalSetting(t *testing.T) {
	synthAsDeploy(t, map[string]string{
		"CFP_MAIL_FROM": "no-reply@portal.council.example", "CFP_MAIL_DOMAIN": "council.example",
		"CFP_REVIEWERS":  "client.finance@council.example,cfs.lead@council.example",
		"CFP_PORTAL_URL": "https://portal.council.example", "CFP_ALARM_EMAIL": "ops@council.example",
		"CFP_CLIENT_REFERENCE_PATTERN": `^C[0-9]{7}$`,
		"CFP_API_DOMAIN_NAME":          "portal.council.example",
		"CFP_API_CERTIFICATE_ARN":      "arn:aws:acm:eu-west-2:111122223333:certificate/0a1b2c3d-0000-4000-8000-000000000000",
		"CFP_STAFF_CIDRS":              "192.0.2.0/24,2001:db8::/32",
		"CFP_EVIDENCE_RETENTION_DAYS":  "30", "CFP_DOCUMENT_RETENTION_DAYS": "2190", "CFP_REJECTED_RETENTION_DAYS": "60",
		"CFP_NOTICE_QUIET_PERIOD": "5m", "CFP_NOTICE_MAX_DELAY": "1h",
		"CFP_MAIL_MAX_PER_SECOND": "14", "CFP_REQUEST_LIMIT_PER_IP_HOUR": "40",
		"CFP_RATE_LIMIT_PER_5_MIN": "500", "CFP_SCAN_UPLOAD_CONCURRENCY": "5",
		"CFP_SENDING_SYSTEMS": "billing,finance", "CFP_BUSINESS_SUPPORT": "business.support@council.example", "CFP_BATCH_WINDOW": "12h",
		"CFP_STAFF_ISSUER": staffIssuer, "CFP_STAFF_CLIENT_ID": "cfp-portal",
		"CFP_STAFF_CLIENT_SECRET_ARN": staffSecret, "CFP_STAFF_ROLE_GROUPS": staffGroups,
		"CFP_COUNCIL_NAME": "Example Borough Council", "CFP_CONTACT_PHONE": "020 7946 0000",
		"CFP_CONTACT_EMAIL": "client.finance@council.example", "CFP_COUNCIL_URL": "https://www.council.example/",
		"CFP_SERVICE_NAME": "Client Finance Portal", "CFP_OPENING_HOURS": "Monday to Friday, 9am to 5pm",
		"CFP_LOGO_URL": "/assets/logo.svg", "CFP_PRIVACY_URL": "https://www.council.example/privacy",
		"CFP_ACCESSIBILITY_URL": "/accessibility",
	})
}
