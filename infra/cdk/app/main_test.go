package main

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
