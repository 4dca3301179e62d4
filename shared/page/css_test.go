package page

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "write what the pinned packages compile into static/ (make css)")

// The committed stylesheet and bundle are what the pinned packages make from assets/: a rebuild
// with npm and sass gives the same bytes. `make css` (this test with -update) writes them.
func TestStylesheetIsCurrent(t *testing.T) {
	start := time.Now()
	dir := installAssets(t)
	scss, err := os.ReadFile("assets/portal.scss")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "portal.scss"), scss, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "portal.css")
	sass := exec.Command(filepath.Join(dir, "node_modules", ".bin", "sass"),
		"--pkg-importer=node", "--style=compressed", "--no-source-map", "portal.scss", out)
	sass.Dir = dir
	if msg, err := sass.CombinedOutput(); err != nil {
		t.Fatalf("sass: %v\n%s", err, msg)
	} else if len(bytes.TrimSpace(msg)) > 0 {
		t.Errorf("sass warned (fix assets/portal.scss):\n%s", msg)
	}
	built := map[string]string{
		"portal.css":            out,
		"govuk-frontend.min.js": filepath.Join(dir, "node_modules", "govuk-frontend", "dist", "govuk", "govuk-frontend.min.js"),
	}
	for name, from := range built {
		want, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		committed := filepath.Join("static", name)
		if *update {
			if err := os.WriteFile(committed, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(committed)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("shared/page/%s is not what the pinned packages build from assets/ (%d bytes committed, %d built): run `make css` and commit it",
				committed, len(got), len(want))
		}
	}
	css, _ := os.ReadFile(out)
	for _, banned := range []string{"GDS Transport", "@font-face", "woff"} {
		if bytes.Contains(css, []byte(banned)) {
			t.Errorf("the stylesheet holds %q: the GOV.UK font must not be used", banned)
		}
	}
	if !bytes.Contains(bytes.ToLower(css), []byte(themeColour)) {
		t.Errorf("the stylesheet does not use the brand colour %s that the layout's theme-color names", themeColour)
	}
	t.Logf("rebuilt in %s", time.Since(start).Round(time.Millisecond))
}

// installAssets installs the pinned packages into <repo>/.local/portal-assets, outside the module
// tree (go ./... must not walk node_modules), and again only when the lock file changes.
func installAssets(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", ".local", "portal-assets"))
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile("assets/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	have, _ := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", ".bin", "sass")); err == nil && bytes.Equal(have, lock) {
		return dir
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join("assets", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	npm := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	npm.Dir = dir
	if msg, err := npm.CombinedOutput(); err != nil {
		os.RemoveAll(filepath.Join(dir, "node_modules")) // the next run starts clean
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, strings.TrimSpace(string(msg)))
	}
	return dir
}
