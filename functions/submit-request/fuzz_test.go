package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzIdempotencyKey: whatever Idempotency-Key arrives, a create answers 400 for a malformed one and
// otherwise makes exactly one request however often it is sent; never a 5xx, never a second request.
func FuzzIdempotencyKey(f *testing.F) {
	for _, k := range []string{"3f1e7c2a-5b7d-4c1e-9a53-1d2f8b6e0c4a", "short", "", "a b c d e f g h i j k", "ééééééééééééééééé", "AAAAAAAAAAAAAAAA_-", "../../../../etc/passwd#x"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		m := newMemory()
		h := newHandler(m, false)
		headers := map[string]string{"Idempotency-Key": key}
		var ids []string
		for i := 0; i < 2; i++ {
			resp, _ := h.Handle(context.Background(), post("/api/access-requests", "", body, headers))
			switch {
			case key != "" && !validKey(key):
				if resp.StatusCode != http.StatusBadRequest || len(m.reqs) != 0 {
					t.Fatalf("malformed key %q: %d, %d requests", key, resp.StatusCode, len(m.reqs))
				}
				return
			case resp.StatusCode != http.StatusCreated:
				t.Fatalf("key %q, sending %d: %d %s", key, i+1, resp.StatusCode, resp.Body)
			}
			var c created
			if err := json.Unmarshal([]byte(resp.Body), &c); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, string(c.ID))
		}
		if key == "" { // no key: each sending is a new request, as before
			if len(m.reqs) != 2 {
				t.Fatalf("without a key: %d requests, want 2", len(m.reqs))
			}
			return
		}
		if len(m.reqs) != 1 || ids[0] != ids[1] || len(m.mails) != 1 {
			t.Fatalf("key %q: %d requests (%v), %d emails; want one", key, len(m.reqs), ids, len(m.mails))
		}
	})
}
