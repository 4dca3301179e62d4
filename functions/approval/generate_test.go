package main

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// The committed *_templ.go files are what `go tool templ generate` makes of the *.templ files, in the
// whole repository (these pages were its first): generated code is never edited by hand, nor left
// behind a change to its source.
func TestGeneratedTemplCodeIsCurrent(t *testing.T) {
	cmd := exec.Command("go", "tool", "templ", "generate", "-check", "-keep-orphaned-files", "-log-level", "error")
	cmd.Dir = filepath.Join("..", "..") // the module's root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run `go tool templ generate` at the repository's root and commit what it changes (%v):\n%s", err, out)
	}
}
