package contract

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/council/cfp/infra/wiring"
)

// The description names exactly the routes the wiring serves: neither can gain a route alone.
func TestDescriptionMatchesTheWiring(t *testing.T) {
	doc, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi %s, want 3.1", doc.OpenAPI)
	}
	described := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			described[method+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, f := range wiring.Functions {
		for _, r := range f.Routes {
			served[r.Method+" "+r.Path] = true
		}
	}
	var missing, extra []string
	for k := range served {
		if !described[k] {
			missing = append(missing, k)
		}
	}
	for k := range described {
		if !served[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 {
		t.Errorf("served but not described: %v; described but not served: %v", missing, extra)
	}
}
