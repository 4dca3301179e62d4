package wiring

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Shared code and the functions depend on nothing under infra/: the local stack and the AWS stack
// run the code, never the other way round. Tests may import infra/local (storetest starts DynamoDB
// Local), so the check is on what the packages themselves build from (go list -deps leaves tests out).
func TestSharedAndFunctionsImportNothingFromInfra(t *testing.T) {
	const module = "github.com/council/cfp/"
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "./shared/...", "./functions/...")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	n := 0
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, module+"shared/") || strings.HasPrefix(p, module+"functions/") {
			n++
		}
		if strings.HasPrefix(p, module+"infra/") {
			t.Errorf("%s is a dependency of shared/ or functions/", p)
		}
	}
	if n == 0 {
		t.Fatal("go list named no package under shared/ or functions/")
	}
}
