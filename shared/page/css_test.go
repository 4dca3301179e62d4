package page

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "write what the pinned packages build into static/ (make css)")

// static/ is what the pinned packages make from assets/: a rebuild with npm and sass gives the
// same files under the same names. `make css` (this test with -update) writes them.
func TestStylesheetIsCurrent(t *testing.T) {
	start := time.Now()
	built := buildStatic(t, installAssets(t))
	if *update {
		old, _ := filepath.Glob("static/*")
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
		for name, b := range built {
			if err := os.WriteFile(filepath.Join("static", name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	committed, _ := filepath.Glob("static/*")
	for i := range committed {
		committed[i] = filepath.Base(committed[i])
	}
	var want []string
	for name, b := range built {
		want = append(want, name)
		got, err := os.ReadFile(filepath.Join("static", name))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("shared/page/static/%s is not what the pinned packages build from assets/: run `make css` and commit static/", name)
		}
	}
	slices.Sort(want)
	if !slices.Equal(committed, want) {
		t.Errorf("shared/page/static holds %v, the build makes %v: run `make css` and commit static/", committed, want)
	}
	t.Logf("rebuilt in %s", time.Since(start).Round(time.Millisecond))
}

// buildStatic compiles the stylesheet and names each file by its content.
func buildStatic(t *testing.T, dir string) map[string][]byte {
	t.Helper()
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
	read := func(name string) []byte {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	css := read(out)
	for _, banned := range []string{"GDS Transport", "@font-face", "woff"} {
		if bytes.Contains(css, []byte(banned)) {
			t.Errorf("the stylesheet holds %q: the GOV.UK font must not be used", banned)
		}
	}
	if !bytes.Contains(bytes.ToLower(css), []byte(themeColour)) {
		t.Errorf("the stylesheet does not use the brand colour %s that the layout's theme-color names", themeColour)
	}

	files := map[string][]byte{}
	js := hashName("govuk-frontend.min.js", read(filepath.Join(dir, "node_modules", "govuk-frontend", "dist", "govuk", "govuk-frontend.min.js")), files)
	// govuk-frontend's bundle is a module that only exports; init.js starts it, naming it by its
	// hashed address.
	hashName("init.js", []byte(`import { initAll } from "`+AssetPrefix+js+"\";\ninitAll();\n"), files)
	hashName("portal.css", css, files)
	hashName("favicon.svg", read("assets/favicon.svg"), files)
	hashName("passkey.js", read("assets/passkey.js"), files)
	return files
}

// hashName files b under name with its hash after the first dot: portal.3f2a9c1b0d4e.css.
func hashName(name string, b []byte, files map[string][]byte) string {
	sum := sha256.Sum256(b)
	base, ext, _ := strings.Cut(name, ".")
	h := base + "." + hex.EncodeToString(sum[:6]) + "." + ext
	files[h] = b
	return h
}

// Each committed file's name carries its own content's hash, so a year-long cache never keeps old
// bytes under a current name (this needs no npm).
func TestStaticNamesAreHashes(t *testing.T) {
	names, _ := filepath.Glob("static/*")
	if len(names) != 5 {
		t.Errorf("static/ holds %v", names)
	}
	for _, n := range names {
		b, _ := os.ReadFile(n)
		files := map[string][]byte{}
		if h := hashName(plainName(filepath.Base(n)), b, files); h != filepath.Base(n) {
			t.Errorf("%s: its content's name is %s", n, h)
		}
	}
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
