package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
)

// noEvidence is a store that knows no evidence and must never be written to.
type noEvidence struct{ t *testing.T }

func (n noEvidence) Evidence(context.Context, access.RequestID, access.EvidenceID) (access.Evidence, store.Scan, error) {
	return access.Evidence{}, store.Scan{}, store.ErrNotFound
}
func (n noEvidence) RecordCheck(context.Context, access.RequestID, access.EvidenceID, store.Check) (access.Evidence, store.Scan, error) {
	n.t.Fatal("recorded a check for unknown evidence")
	return access.Evidence{}, store.Scan{}, nil
}
func (n noEvidence) RecordVerdict(context.Context, access.RequestID, access.EvidenceID, store.Verdict) (access.Evidence, store.Scan, error) {
	n.t.Fatal("recorded a verdict for unknown evidence")
	return access.Evidence{}, store.Scan{}, nil
}
func (n noEvidence) PromoteIfReady(context.Context, access.RequestID, []access.Email) (access.Status, error) {
	n.t.Fatal("promoted a request from an unknown event")
	return "", nil
}

// FuzzEvent: any S3 event body, with any keys, is handled without panic; records for keys outside
// evidence/<request>/<evidence>, for other buckets, for missing objects or unknown evidence are
// ignored without error and change nothing.
func FuzzEvent(f *testing.F) {
	f.Add(`{"Records":[{"eventName":"ObjectCreated:Post","s3":{"bucket":{"name":"cfp-uploads"},"object":{"key":"evidence/r1/e1","eTag":"x"}}}]}`)
	f.Add(`{"Records":[{"eventName":"ObjectTagging:Put","s3":{"bucket":{"name":"cfp-uploads"},"object":{"key":"evidence/r+1/%C3%A9"}}}]}`)
	f.Add(`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"other"},"object":{"key":"evidence/r/e"}}},{"eventName":"x","s3":{"object":{"key":"%zz"}}}]}`)
	f.Add(`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"cfp-uploads"},"object":{"key":"inbound%2F..%2Fevidence%2Fr%2Fe"}}}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var ev Event
		if json.Unmarshal([]byte(body), &ev) != nil {
			return
		}
		s3 := newFakeS3()
		s3.put("evidence/r1/e1", "application/pdf", []byte("%PDF-1.4\n%%EOF\n"))
		h := Handler{Evidence: noEvidence{t}, S3: s3, Bucket: "cfp-uploads", Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
		if err := h.Handle(context.Background(), ev); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if !s3.exists("evidence/r1/e1") {
			t.Fatal("an event about unknown evidence deleted an object")
		}
	})
}
