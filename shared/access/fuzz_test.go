package access

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzValidate: whatever JSON arrives, validation names fields it knows, never panics, and never
// accepts a request the contract forbids.
func FuzzValidate(f *testing.F) {
	f.Add(`{"requester":{"name":"A","email":"a@b.co"},"relationship":"deputy","client":{"name":"C","dateOfBirth":"1940-01-01","postcode":"SW1A 1AA"},"evidence":[{"fileName":"a.pdf","contentType":"application/pdf","size":1}]}`)
	f.Add(`{"relationship":"attorney_health_welfare"}`)
	f.Add(`{"relationship":"attorney_lpa","lpaAccessCode":"V-ABCD-1234-EFGH","donorSurname":"X","evidence":[]}`)
	f.Add(`{"evidence":[{"size":-1},{"size":99999999999}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var n NewRequest
		if json.Unmarshal([]byte(body), &n) != nil {
			return
		}
		errs := n.Validate(now, false)
		for _, e := range errs {
			if e.Field == "" || e.Message == "" {
				t.Fatalf("unnamed error %+v", e)
			}
		}
		if len(errs) > 0 {
			return
		}
		if !n.Relationship.Valid() || len(n.Evidence) > MaxFiles || n.Requester == nil || strings.TrimSpace(n.Client.Name) == "" {
			t.Fatalf("accepted a forbidden request: %s", body)
		}
		for _, e := range n.Evidence {
			if e.Size <= 0 || e.Size > MaxFileSize || !AllowedTypes[e.ContentType] {
				t.Fatalf("accepted a forbidden file: %s", body)
			}
		}
	})
}

// FuzzEvidenceKey: only keys of the form evidence/<request>/<evidence> parse, and they round-trip.
func FuzzEvidenceKey(f *testing.F) {
	for _, k := range []string{"evidence/r1/e1", "evidence/r1", "evidence//e", "evidence/r/e/x", "inbound/x.pdf", "evidence/r 1/é"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		r, e, ok := ParseEvidenceKey(key)
		if ok && EvidenceKey(r, e) != key {
			t.Fatalf("%q parsed to %q %q", key, r, e)
		}
	})
}
