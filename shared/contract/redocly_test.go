package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The description passes Redocly's recommended rules (redocly.yaml replaces one), so another frontend
// can generate a client from it: every operation has an operationId and declares its security. The
// CLI is the one pinned in infra/local/node's lock file, installed by `make deps`.
func TestRedoclyRecommended(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	redocly := filepath.Join(root, "infra", "local", "node", "node_modules", ".bin", "redocly")
	if _, err := os.Stat(redocly); err != nil {
		t.Fatalf("Redocly CLI is not installed (%v): run `make deps` (infra/local/install.sh)", err)
	}
	cmd := exec.Command(redocly, "lint", "--config=redocly.yaml", "--extends=recommended", "--format=json", "openapi.yaml")
	cmd.Dir = filepath.Join(root, "shared", "contract")
	// No telemetry and no update check: the test runs without a network.
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	var report struct {
		Totals   struct{ Errors, Warnings int }
		Problems []struct {
			RuleID, Severity, Message string
			Location                  []struct {
				Pointer string
			}
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		// stderr also carries a notice that Redocly will leave Node 20 behind: harmless.
		t.Fatalf("redocly lint: %v (%v)\nstdout:\n%s\nstderr:\n%s", runErr, err, stdout.String(), stderr.String())
	}
	for _, p := range report.Problems {
		var at []string
		for _, l := range p.Location {
			at = append(at, l.Pointer)
		}
		t.Errorf("%s %s at %s: %s", p.Severity, p.RuleID, strings.Join(at, ", "), p.Message)
	}
	if report.Totals.Errors+report.Totals.Warnings > 0 || runErr != nil {
		t.Errorf("redocly lint: %d errors, %d warnings (%v); to see them: cd shared/contract && "+
			"../../infra/local/node/node_modules/.bin/redocly lint --extends=recommended openapi.yaml",
			report.Totals.Errors, report.Totals.Warnings, runErr)
	}
}

// moduleRoot is the directory of go.mod above this package (shared/ does not import infra/, whose
// services.Root finds it the same way).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
