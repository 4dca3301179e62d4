package wiring

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The wiring must name exactly the function directories that exist.
func TestEveryFunctionDirectoryHasAnEntryAndBack(t *testing.T) {
	root := filepath.Join("..", "..")
	dirs, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	onDisk := map[string]bool{}
	for _, d := range dirs {
		if d.IsDir() {
			onDisk[d.Name()] = true
			if _, ok := Find(d.Name()); !ok {
				t.Errorf("functions/%s has no entry in the wiring description", d.Name())
			}
		}
	}
	for _, f := range Functions {
		if !onDisk[f.Name] {
			t.Errorf("wiring entry %q has no directory %s", f.Name, f.Dir())
		}
		if _, err := os.Stat(filepath.Join(root, f.Dir(), "main.go")); err != nil {
			t.Errorf("%s: no main.go", f.Dir())
		}
	}
}

func TestRoutesAreUniqueAndWellFormed(t *testing.T) {
	seen := map[string]string{}
	for _, f := range Functions {
		for _, r := range f.Routes {
			k := r.Method + " " + r.Path
			if other, dup := seen[k]; dup {
				t.Errorf("%s served by both %s and %s", k, other, f.Name)
			}
			seen[k] = f.Name
			if !strings.HasPrefix(r.Path, "/") {
				t.Errorf("%s: path must start with /", k)
			}
		}
		if f.Timeout <= 0 || f.MemoryMB < 128 {
			t.Errorf("%s: needs a timeout and memory size", f.Name)
		}
		if len(f.Routes)+len(f.Notifications) == 0 && f.Schedule == 0 {
			t.Errorf("%s: nothing triggers it", f.Name)
		}
	}
}
