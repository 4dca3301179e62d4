package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/store"
)

// The fuzz targets run the handler over in-memory fakes: a bucket holding two evidence uploads the
// store knows (one with a key that needs URL-encoding) and bystander objects that no event may touch.
var (
	known      = []access.Evidence{{ID: "e1", RequestID: "r1", File: pdfFile}, {ID: "e+é", RequestID: "r 1", File: pdfFile}}
	bystanders = []string{"inbound/x.pdf", "evidence/r1/e1/more", "evidence/r1", "evidence/r9/e9", "published/r1/e1"}
)

// keyedS3 is the fake bucket, recording the key of every call.
type keyedS3 struct {
	*fakeS3
	keys []string
}

func (k *keyedS3) Head(ctx context.Context, key string) (bucket.Object, error) {
	k.keys = append(k.keys, key)
	return k.fakeS3.Head(ctx, key)
}
func (k *keyedS3) ReadVersion(ctx context.Context, key string, v bucket.Object, off int64, p []byte) (bucket.Object, int, error) {
	k.keys = append(k.keys, key)
	return k.fakeS3.ReadVersion(ctx, key, v, off, p)
}
func (k *keyedS3) VersionTags(ctx context.Context, key string, v bucket.Object) (map[string]string, error) {
	k.keys = append(k.keys, key)
	return k.fakeS3.VersionTags(ctx, key, v)
}
func (k *keyedS3) Put(ctx context.Context, key string, body []byte, contentType string) error {
	k.keys = append(k.keys, key)
	return k.fakeS3.Put(ctx, key, body, contentType)
}
func (k *keyedS3) Delete(ctx context.Context, key, etag string) error {
	k.keys = append(k.keys, key)
	return k.fakeS3.Delete(ctx, key, etag)
}

// knownEvidence is a store that knows the evidence in known, keeps its facts as the real store
// does in outline, and records the key of every evidence it is asked about.
type knownEvidence struct {
	ev    map[string]*access.Evidence
	scans map[string]*store.Scan
	keys  []string
}

func newKnownEvidence() *knownEvidence {
	k := &knownEvidence{ev: map[string]*access.Evidence{}, scans: map[string]*store.Scan{}}
	for _, e := range known {
		e.Status = access.EvScanning
		k.ev[e.Key()], k.scans[e.Key()] = &e, &store.Scan{}
	}
	return k
}

func (k *knownEvidence) find(r access.RequestID, e access.EvidenceID) (*access.Evidence, *store.Scan, error) {
	key := access.EvidenceKey(r, e)
	k.keys = append(k.keys, key)
	if k.ev[key] == nil {
		return nil, nil, store.ErrNotFound
	}
	return k.ev[key], k.scans[key], nil
}

func (k *knownEvidence) Evidence(_ context.Context, r access.RequestID, e access.EvidenceID) (access.Evidence, store.Scan, error) {
	ev, sc, err := k.find(r, e)
	if err != nil {
		return access.Evidence{}, store.Scan{}, err
	}
	return *ev, *sc, nil
}

func (k *knownEvidence) RecordCheck(_ context.Context, r access.RequestID, e access.EvidenceID, c store.Check) (access.Evidence, store.Scan, error) {
	ev, sc, err := k.find(r, e)
	if err != nil {
		return access.Evidence{}, store.Scan{}, err
	}
	*sc = sc.WithCheck(c)
	ev.Status = sc.Status()
	return *ev, *sc, nil
}

func (k *knownEvidence) RecordVerdict(_ context.Context, r access.RequestID, e access.EvidenceID, v store.Verdict) (access.Evidence, store.Scan, error) {
	ev, sc, err := k.find(r, e)
	if err != nil {
		return access.Evidence{}, store.Scan{}, err
	}
	*sc = sc.WithVerdict(v)
	ev.Status = sc.Status()
	return *ev, *sc, nil
}

func (k *knownEvidence) PromoteIfReady(_ context.Context, r access.RequestID, _ access.Reviewers) (access.Status, error) {
	k.keys = append(k.keys, "request "+string(r))
	return access.ReadyForReview, nil
}

// handleAnyEvent runs one event through the handler and checks what every event must respect: no
// error (nothing failed), S3 and the store are asked only about evidence keys named by a record of
// this bucket that the function handles, and no object but a refused upload is ever deleted.
func handleAnyEvent(t *testing.T, ev bucket.Event) {
	t.Helper()
	objs := &keyedS3{fakeS3: newFakeS3()}
	for _, e := range known {
		objs.put(e.Key(), "application/pdf", cleanPDF)
		objs.tag(e.Key(), "NO_THREATS_FOUND")
	}
	for _, k := range bystanders {
		objs.put(k, "application/pdf", cleanPDF)
	}
	db := newKnownEvidence()
	h := Handler{Evidence: db, Objects: objs, Bucket: "uploads", Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	if err := h.Handle(context.Background(), ev); err != nil {
		t.Fatalf("an event failed: %v", err)
	}

	named := map[string]bool{} // the evidence keys the event may act on
	for _, rec := range ev.Records {
		key := rec.Key // empty in a record whose key does not decode
		r, e, ok := access.ParseEvidenceKey(key)
		if ok && rec.Bucket == "uploads" &&
			(strings.HasPrefix(rec.Name, "ObjectCreated:") || rec.Name == "ObjectTagging:Put") {
			named[key], named["request "+strings.Split(key, "/")[1]] = true, true
			named[access.RenderKey(r, e)] = true // its rendition, asked for once it is clean
		}
	}
	for _, k := range slices.Concat(objs.keys, db.keys) {
		if !named[k] {
			t.Fatalf("the handler acted on %q, which no record of the event names", k)
		}
	}
	for _, k := range slices.Concat(bystanders, []string{known[0].Key(), known[1].Key()}) {
		if !objs.exists(k) {
			t.Fatalf("%q was deleted", k) // a clean upload is never removed, a bystander never touched
		}
	}
}

// FuzzEvent: any S3 event body the function can be invoked with is handled without panic or error.
// Records for other buckets, other events, keys outside evidence/<request>/<evidence>, missing
// objects or unknown evidence are ignored and touch nothing.
func FuzzEvent(f *testing.F) {
	for _, body := range []string{
		`{"Records":[{"eventName":"ObjectCreated:Post","s3":{"bucket":{"name":"uploads"},"object":{"key":"evidence/r1/e1","eTag":"x"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Post","s3":{"bucket":{"name":"uploads"},"object":{"key":"evidence/r1/e1"}}},{"eventName":"ObjectTagging:Put","s3":{"bucket":{"name":"uploads"},"object":{"key":"evidence/r1/e1"}}}]}`,
		`{"Records":[{"eventName":"ObjectTagging:Put","s3":{"bucket":{"name":"uploads"},"object":{"key":"evidence/r+1/e%2B%C3%A9"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"other"},"object":{"key":"evidence/r1/e1"}}},{"eventName":"x","s3":{"object":{"key":"%zz"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"uploads"},"object":{"key":"inbound%2F..%2Fevidence%2Fr1%2Fe1"}}}]}`,
		`{"Records":[{"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"uploads"},"object":{"key":"evidence/r1/e1"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"uploads"},"object":{"key":"evidence/r9/e9"}}},{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"uploads"},"object":{"key":"evidence/r1/e1/more"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"uploads"},"object":{"key":"evidence/r2/e2"}}}]}`,
		`{"Records":[null,{},{"s3":null}]}`,
		`{"Records":null}`,
		`{}`,
	} {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var ev bucket.Event
		if json.Unmarshal([]byte(body), &ev) != nil {
			return // the Lambda runtime refuses what is not JSON of this shape before the handler runs
		}
		handleAnyEvent(t, ev)
	})
}

// FuzzKey: any object key, as an event carries it (URL-encoded) in a created or tagged record, is
// acted on only when it decodes to evidence/<request>/<evidence>.
func FuzzKey(f *testing.F) {
	for _, k := range []string{"evidence/r1/e1", "evidence%2Fr1%2Fe1", "evidence/r+1/e%2B%C3%A9", "evidence/r 1/e+é", "evidence/r1/e1/",
		"evidence//e1", "evidence/r1/e1%00", "evidence/r1/e1%2Fmore", "inbound/x.pdf", "%zz", "\xc3", "../evidence/r1/e1", "EVIDENCE/r1/e1", ""} {
		f.Add(k, true)
	}
	f.Fuzz(func(t *testing.T, key string, tagged bool) {
		name := "ObjectCreated:Post"
		if tagged {
			name = "ObjectTagging:Put"
		}
		key = strings.ToValidUTF8(key, "\uFFFD") // as JSON carries it: S3 sends UTF-8 only
		rec := record(name, "uploads", key, "")
		if want, err := url.QueryUnescape(key); err == nil && rec.Key != want {
			t.Fatalf("%q decoded as %q, want %q", key, rec.Key, want)
		}
		handleAnyEvent(t, bucket.Event{Records: []bucket.Record{rec}})
	})
}
