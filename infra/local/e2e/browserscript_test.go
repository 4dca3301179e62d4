package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/council/cfp/infra/local/services"
)

// axePage is one page a staff browser script checked: where it was, what it said, and axe's verdict.
type axePage struct {
	Path, H1    string
	Status      int
	Links       []string
	RulesPassed int
	Violations  []struct {
		ID, Impact, Help string
		Nodes            []string
	}
}

// axeClean fails the test for each WCAG violation axe found on the page, and when axe checked nothing.
func axeClean(t *testing.T, label string, p axePage) {
	t.Helper()
	if p.RulesPassed == 0 {
		t.Errorf("%s: axe checked nothing", label)
	}
	for _, v := range p.Violations {
		t.Errorf("%s: WCAG violation %s (%s): %s at %v", label, v.ID, v.Impact, v.Help, v.Nodes)
	}
}

// runBrowserScript runs one script of infra/local/browser (bounded to 6 minutes) and decodes the
// JSON object it prints into out; a run that prints none, or reports an error, fails the test, as
// does a checkout where `make deps` has not installed playwright-core (said plainly, not as a node stack).
func runBrowserScript(t *testing.T, out any, script string, args ...string) {
	t.Helper()
	root, err := services.Root()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "infra", "local", "browser")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("playwright-core is not installed in %s: run `make deps` (infra/local/install.sh): %v", dir, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{script}, args...)...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var failed struct{ Error string }
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil || json.Unmarshal(stdout.Bytes(), &failed) != nil {
		t.Fatalf("%s printed no result (%v, %v): %s %s", script, runErr, err, stdout.String(), stderr.String())
	}
	if runErr != nil || failed.Error != "" {
		t.Fatalf("%s failed: %v %s\n%s", script, runErr, failed.Error, stderr.String())
	}
}

// sesBounce has the notifier take SES's report of a permanent bounce for an address, as SNS
// delivers it (the sample event, for that address).
func sesBounce(t *testing.T, email string) {
	t.Helper()
	root, err := services.Root()
	if err != nil {
		t.Fatal(err)
	}
	sample, err := os.ReadFile(filepath.Join(root, "events", "notify-ses-bounce.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SNSEvent
	if err := json.Unmarshal(sample, &ev); err != nil {
		t.Fatal(err)
	}
	ev.Records[0].SNS.Message = strings.ReplaceAll(ev.Records[0].SNS.Message, "no-such-person@example.com", email)
	payload, _ := json.Marshal(ev)
	if _, err := stk.Invoke(context.Background(), "notify", payload); err != nil {
		t.Fatal(err)
	}
}
