package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/council/cfp/shared/web"
)

// The sample events are what API Gateway sends; replayed, their made-up session is not signed in.
func TestSampleEventsAreRoutedAndNeedASession(t *testing.T) {
	f := newFixture(t)
	files, _ := filepath.Glob(filepath.Join("..", "..", "events", "account-*.json"))
	if len(files) < 2 {
		t.Fatalf("sample events: %v", files)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var r web.Request
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if resp := f.do(t, r); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d %s", name, resp.StatusCode, resp.Body)
		}
	}
}
