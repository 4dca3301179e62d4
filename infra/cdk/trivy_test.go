package cdk

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// trivyArgs run trivy's built-in checks only, offline: no check bundle download, no version check,
// no telemetry. Trivy itself is pinned in trivy.mod, a module file of its own, so that its
// dependencies never enter the functions' module; `go tool` builds it once into the build cache
// (make trivy does that ahead of make test).
var trivyArgs = []string{"tool", "-modfile=trivy.mod", "trivy", "config",
	"--skip-check-update", "--skip-version-check", "--disable-telemetry", "--quiet",
	"--ignorefile=trivyignore.yaml", "--format=json", "--exit-code=0"}

// trivyEnv: trivy is built with Go's encoding/json/v2, still an experiment in Go 1.26.
const trivyEnv = "GOEXPERIMENT=jsonv2"

// A second opinion besides cdk-nag: trivy's CloudFormation checks find nothing in the synthesized
// template that trivyignore.yaml does not accept with its reason.
func TestTrivyFindsNothingUnaccepted(t *testing.T) {
	_, doc := synth(t)
	dir := t.TempDir()
	raw, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cfp.template.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{}, trivyArgs...), "--cache-dir="+filepath.Join(dir, "cache"), dir)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), trivyEnv)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, stderr.String())
	}
	var report struct {
		Results []struct {
			Target            string
			Misconfigurations []struct {
				ID, AVDID, Title, Severity, Status, Message string
				CauseMetadata                               struct{ Resource string }
			}
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("trivy's report: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	scanned := false
	for _, r := range report.Results {
		scanned = scanned || r.Target != ""
		for _, m := range r.Misconfigurations {
			if m.Status == "FAIL" {
				t.Errorf("trivy %s (%s, %s) at %s: %s: %s; fix it, or accept it in trivyignore.yaml with the reason",
					m.ID, m.AVDID, m.Severity, m.CauseMetadata.Resource, m.Title, m.Message)
			}
		}
	}
	if !scanned {
		t.Errorf("trivy scanned nothing: %s", stdout.String())
	}
}
