package contract

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/council/cfp/infra/wiring"
)

// The description names exactly the JSON routes the wiring serves: neither can gain a route alone.
// A described path sits under its server's URL (/api, or / for the review pages), which the wiring
// writes in the route; every route under /api is described, and pages elsewhere may be.
func TestDescriptionMatchesTheWiring(t *testing.T) {
	doc, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi %s, want 3.1", doc.OpenAPI)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != wiring.APIPrefix {
		t.Errorf("servers %v, want the one %s", doc.Servers, wiring.APIPrefix)
	}
	described := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		base := doc.Servers[0].URL
		if len(item.Servers) > 0 {
			base = item.Servers[0].URL
		}
		for method := range item.Operations() {
			described[method+" "+strings.TrimSuffix(base, "/")+path] = true
		}
	}
	served := map[string]bool{}
	for _, f := range wiring.Functions {
		for _, r := range f.Routes {
			k := r.Method + " " + r.Path
			if strings.HasPrefix(r.Path, wiring.APIPrefix+"/") || described[k] {
				served[k] = true
			}
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
