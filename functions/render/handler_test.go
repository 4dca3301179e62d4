package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/council/cfp/functions/render/rendition"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/store"
)

const uploads = "uploads"

var ctx = context.Background()

// fakeBucket keeps the current version of each object.
type fakeBucket struct {
	mu      sync.Mutex
	objects map[string]fakeObject
	n       int
}

type fakeObject struct {
	data        []byte
	version     string
	contentType string
}

func (f *fakeBucket) put(key string, data []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	v := "v" + string(rune('0'+f.n))
	f.objects[key] = fakeObject{data: data, version: v}
	return v
}

func (f *fakeBucket) get(key string) (fakeObject, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objects[key]
	return o, ok
}

func (f *fakeBucket) ReadVersion(_ context.Context, key string, v bucket.Object, off int64, p []byte) (bucket.Object, int, error) {
	o, ok := f.get(key)
	if !ok || o.version != v.Version {
		return bucket.Object{}, 0, bucket.ErrGone
	}
	return bucket.Object{Version: o.version, Size: int64(len(o.data))}, copy(p, o.data[off:]), nil
}

func (f *fakeBucket) PutVersion(_ context.Context, key string, body []byte, contentType string) (string, error) {
	v := f.put(key, body)
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.objects[key]
	o.contentType = contentType
	f.objects[key] = o
	return v, nil
}

func (f *fakeBucket) Delete(_ context.Context, key, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.objects, key)
	return nil
}

// fakeStore holds one evidence file and its facts, and records renditions as the store does:
// only for the clean version its facts are about.
type fakeStore struct {
	ev    access.Evidence
	facts store.Scan
	calls int
}

func (f *fakeStore) Evidence(_ context.Context, r access.RequestID, e access.EvidenceID) (access.Evidence, store.Scan, error) {
	if r != f.ev.RequestID || e != f.ev.ID {
		return access.Evidence{}, store.Scan{}, store.ErrNotFound
	}
	return f.ev, f.facts, nil
}

func (f *fakeStore) RecordRendition(_ context.Context, r access.RequestID, e access.EvidenceID, rd access.Rendition) error {
	f.calls++
	if f.ev.Status != access.Clean || rd.Version != f.facts.Version || rd.SHA256 != f.facts.SHA256 {
		return store.ErrConflict
	}
	f.ev.Rendition = &rd
	return nil
}

// fakeRenderer answers what it is told to, and keeps what it was given.
type fakeRenderer struct {
	got      []byte
	deadline time.Time
	err      error
}

func (f *fakeRenderer) PDF(ctx context.Context, data []byte) ([]byte, int, error) {
	f.got = data
	f.deadline, _ = ctx.Deadline()
	if f.err != nil {
		return nil, 0, f.err
	}
	return []byte("%PDF-1.7 rebuilt"), 2, nil
}

type fixture struct {
	t    *testing.T
	s3   *fakeBucket
	db   *fakeStore
	pdf  *fakeRenderer
	h    Handler
	logs *bytes.Buffer
}

var upload = []byte("%PDF-1.4 the upload")

func setup(t *testing.T, contentType string, data []byte) *fixture {
	fx := &fixture{t: t, s3: &fakeBucket{objects: map[string]fakeObject{}}, pdf: &fakeRenderer{}, logs: &bytes.Buffer{}}
	e := access.Evidence{ID: "e1", RequestID: "r1", Status: access.Clean, File: access.File{FileName: "Jane Doe order", ContentType: contentType}}
	v := fx.s3.put(e.Key(), data)
	sum := sha256.Sum256(data)
	fx.db = &fakeStore{ev: e, facts: store.Scan{Version: v, ETag: "etag", SHA256: hex.EncodeToString(sum[:]), Checked: true, Outcome: access.Clean}}
	fx.h = Handler{Evidence: fx.db, Objects: fx.s3, Renderer: fx.pdf, Bucket: uploads, Margin: 5 * time.Second,
		Now: func() time.Time { return time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC) }, Log: slog.New(slog.NewJSONHandler(fx.logs, nil))}
	fx.s3.put(access.RenderKey("r1", "e1"), nil)
	return fx
}

func (fx *fixture) handle(key string) {
	fx.t.Helper()
	body, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"eventName": "ObjectCreated:Put", "s3": map[string]any{
		"bucket": map[string]any{"name": uploads}, "object": map[string]any{"key": key},
	}}}})
	var ev bucket.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		fx.t.Fatal(err)
	}
	if err := fx.h.Handle(ctx, ev); err != nil {
		fx.t.Fatalf("Handle: %v", err)
	}
}

func TestACleanPDFIsRenderedFromTheVersionChecked(t *testing.T) {
	fx := setup(t, "application/pdf", upload)
	fx.handle("render/r1/e1")
	rd := fx.db.ev.Rendition
	o, _ := fx.s3.get("renditions/r1/e1")
	want := access.Rendition{Version: fx.db.facts.Version, SHA256: fx.db.facts.SHA256, Key: "renditions/r1/e1", Object: o.version, Type: "application/pdf", Pages: 2, At: fx.h.Now()}
	if rd == nil || *rd != want || o.version == "" || o.version == fx.db.facts.Version {
		t.Fatalf("%+v", rd)
	}
	if !bytes.Equal(fx.pdf.got, upload) {
		t.Fatalf("rendered %q", fx.pdf.got)
	}
	if o, ok := fx.s3.get(want.Key); !ok || string(o.data) != "%PDF-1.7 rebuilt" || o.contentType != "application/pdf" {
		t.Fatalf("the rendition in the bucket: %+v", o)
	}
	if _, ok := fx.s3.get("render/r1/e1"); ok {
		t.Fatal("the request object was kept")
	}
	// Again (a repeated event): nothing is made twice.
	fx.pdf.got = nil
	fx.handle("render/r1/e1")
	if fx.pdf.got != nil || fx.db.calls != 1 {
		t.Fatal("rendered twice")
	}
	if strings.Contains(fx.logs.String(), "Jane") {
		t.Fatalf("personal data in the logs: %s", fx.logs)
	}
}

// The rendition is of the bytes the checks read: a version whose bytes hash to anything else is
// refused, and a version no longer there is left to its replacement.
func TestOnlyTheBytesCheckedAreRendered(t *testing.T) {
	fx := setup(t, "application/pdf", upload)
	fx.db.facts.SHA256 = strings.Repeat("0", 64)
	fx.handle("render/r1/e1")
	if rd := fx.db.ev.Rendition; rd == nil || rd.Refused == "" || rd.Key != "" || fx.pdf.got != nil {
		t.Fatalf("%+v", rd)
	}

	fx = setup(t, "application/pdf", upload)
	fx.s3.put(fx.db.ev.Key(), []byte("%PDF-1.4 a replacement"))
	fx.handle("render/r1/e1")
	if fx.db.ev.Rendition != nil || fx.pdf.got != nil || fx.db.calls != 0 {
		t.Fatalf("a replaced version was rendered: %+v", fx.db.ev.Rendition)
	}
}

func TestWhatPDFiumRefusesIsRecordedAsRefused(t *testing.T) {
	fx := setup(t, "application/pdf", upload)
	fx.pdf.err = rendition.Refusal("The file cannot be opened as a PDF.")
	dl, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	body := []byte(`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"uploads"},"object":{"key":"render/r1/e1"}}}]}`)
	var ev bucket.Event
	json.Unmarshal(body, &ev)
	if err := fx.h.Handle(dl, ev); err != nil {
		t.Fatal(err)
	}
	rd := fx.db.ev.Rendition
	if rd == nil || rd.Refused != "The file cannot be opened as a PDF." || rd.Key != "" {
		t.Fatalf("%+v", rd)
	}
	if _, ok := fx.s3.get("renditions/r1/e1"); ok {
		t.Fatal("a refused file has a rendition")
	}
	// The rendering had the function's time less the margin kept to record a refusal.
	if left := time.Until(fx.pdf.deadline); left > 56*time.Second || left < 50*time.Second {
		t.Fatalf("rendering deadline in %s", left)
	}

	fx = setup(t, "application/pdf", upload)
	fx.pdf.err = errors.New("PDFium instance: busy")
	if err := fx.h.Handle(ctx, ev); err == nil || fx.db.ev.Rendition != nil {
		t.Fatal("a failure that is not a refusal was recorded, not retried")
	}
}

func TestAPictureIsEncodedAgain(t *testing.T) {
	var p bytes.Buffer
	png.Encode(&p, image.NewGray(image.Rect(0, 0, 8, 8)))
	data := append(p.Bytes(), "MZ trailing"...)
	fx := setup(t, "image/png", data)
	fx.handle("render/r1/e1")
	rd := fx.db.ev.Rendition
	o, ok := fx.s3.get("renditions/r1/e1")
	if rd == nil || rd.Type != "image/png" || !ok || bytes.Contains(o.data, []byte("MZ")) || o.contentType != "image/png" {
		t.Fatalf("%+v", rd)
	}
	if _, err := png.Decode(bytes.NewReader(o.data)); err != nil {
		t.Fatal(err)
	}
}

func TestEventsToIgnore(t *testing.T) {
	fx := setup(t, "application/pdf", upload)
	fx.db.ev.Status = access.EvScanning
	for _, key := range []string{"render/r1/e1", "evidence/r1/e1", "render/r1", "render/r9/e9", "render/r1/e1/x"} {
		fx.handle(key)
	}
	if fx.pdf.got != nil || fx.db.calls != 0 {
		t.Fatal("rendered a file that is not clean, or on another event")
	}
	if _, ok := fx.s3.get(fx.db.ev.Key()); !ok {
		t.Fatal("the upload was deleted")
	}
}
