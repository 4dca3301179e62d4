package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
)

const bucket = "cfp-documents"

var ctx = context.Background()

type object struct {
	body        []byte
	meta        map[string]string
	contentType string
}

func (o object) etag() string { s := md5.Sum(o.body); return hex.EncodeToString(s[:]) }

// fakeBucket is Objects over a map, as S3 behaves for the calls the handler makes.
type fakeBucket struct {
	mu      sync.Mutex
	objects map[string]object
	failOn  string // an operation that fails as if S3 were unavailable
}

func (b *fakeBucket) Read(_ context.Context, key string, n int64) (Inbound, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failOn == "read" {
		return Inbound{}, errors.New("S3 unavailable")
	}
	o, ok := b.objects[key]
	if !ok {
		return Inbound{}, ErrGone
	}
	return Inbound{ETag: o.etag(), Size: int64(len(o.body)), ContentType: o.contentType, Metadata: maps.Clone(o.meta), Head: o.body[:min(int(n), len(o.body))]}, nil
}

func (b *fakeBucket) Copy(_ context.Context, from, to, etag string, meta map[string]string, ct string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failOn == "copy" {
		return errors.New("S3 unavailable")
	}
	o, ok := b.objects[from]
	if !ok {
		return ErrGone
	}
	if o.etag() != etag {
		return ErrChanged
	}
	b.objects[to] = object{body: o.body, meta: maps.Clone(meta), contentType: ct}
	return nil
}

func (b *fakeBucket) Delete(_ context.Context, key, etag string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if o, ok := b.objects[key]; ok && o.etag() == etag {
		delete(b.objects, key)
	}
	return nil
}

func (b *fakeBucket) put(key string, o object) events.S3EventRecord {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.objects[key] = o
	return record(key, o.etag(), int64(len(o.body)))
}

func (b *fakeBucket) under(prefix string) map[string]object {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]object{}
	for k, o := range b.objects {
		if strings.HasPrefix(k, prefix) {
			out[k] = o
		}
	}
	return out
}

// record is an S3 event record as S3 sends it: the key URL-encoded, decoded by aws-lambda-go.
func record(key, etag string, size int64) events.S3EventRecord {
	enc := strings.Split(key, "/")
	for i, p := range enc {
		enc[i] = url.QueryEscape(p)
	}
	return events.S3EventRecord{
		EventSource: "aws:s3", EventName: "ObjectCreated:Put",
		S3: events.S3Entity{Bucket: events.S3Bucket{Name: bucket}, Object: events.S3Object{
			Key: strings.Join(enc, "/"), URLDecodedKey: key, Size: size, ETag: etag,
		}},
	}
}

// fakeDocs is the store: grants by client, published documents, and notices counted per person.
type fakeDocs struct {
	mu      sync.Mutex
	grants  map[string][]store.Grant
	docs    map[store.DocumentID]store.Document
	notices map[access.Email]int
	fail    bool
}

func (d *fakeDocs) GranteesOf(_ context.Context, ref string) ([]store.Grant, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.grants[ref], nil
}

func (d *fakeDocs) PublishDocument(_ context.Context, doc store.Document, to []access.Email) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail {
		return errors.New("DynamoDB unavailable")
	}
	if _, ok := d.docs[doc.ID]; ok {
		return store.ErrConflict
	}
	d.docs[doc.ID] = doc
	for _, e := range to {
		d.notices[e]++
	}
	return nil
}

type fixture struct {
	h    Handler
	b    *fakeBucket
	d    *fakeDocs
	logs *bytes.Buffer
}

func newFixture() fixture {
	b := &fakeBucket{objects: map[string]object{}}
	d := &fakeDocs{grants: map[string][]store.Grant{}, docs: map[store.DocumentID]store.Document{}, notices: map[access.Email]int{}}
	var logs bytes.Buffer
	h := Handler{
		Objects: b, Documents: d, Bucket: bucket, ClientRef: regexp.MustCompile(`^[0-9]{6,10}$`),
		Now: func() time.Time { return time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC) },
		Log: slog.New(slog.NewJSONHandler(&logs, nil)),
	}
	return fixture{h, b, d, &logs}
}

var pdf = []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func goodMeta() map[string]string {
	return map[string]string{"client-reference": "1234567", "document-type": "care_invoice", "document-date": "2026-10-31", "title": "Care invoice, 4 weeks to 31 October 2026"}
}

func event(recs ...events.S3EventRecord) events.S3Event { return events.S3Event{Records: recs} }

func TestAGoodDocumentIsPublishedAndEachActiveGranteeNoticed(t *testing.T) {
	f := newFixture()
	f.d.grants["1234567"] = []store.Grant{
		{Email: "anna@example.com"}, {Email: "ben@example.com"},
		{Email: "ended@example.com", Ended: true}, {Email: "expired@example.com", EndsOn: "2026-10-01"},
	}
	rec := f.b.put("inbound/run 7/Smith & Co+invoice.pdf", object{body: pdf, meta: goodMeta(), contentType: "binary/octet-stream"})
	if err := f.h.Handle(ctx, event(rec)); err != nil {
		t.Fatal(err)
	}
	id := store.NewDocumentID(bucket, "inbound/run 7/Smith & Co+invoice.pdf", rec.S3.Object.ETag)
	doc, ok := f.d.docs[id]
	if !ok {
		t.Fatalf("not published; logs: %s", f.logs)
	}
	want := store.Document{ID: id, ClientReference: "1234567", Type: store.CareInvoice, Title: "Care invoice, 4 weeks to 31 October 2026",
		DocumentDate: "2026-10-31", PublishedAt: f.h.Now(), Size: int64(len(pdf)), Key: "published/1234567/" + string(id) + ".pdf"}
	if doc != want {
		t.Fatalf("published %+v\nwant %+v", doc, want)
	}
	pub, ok := f.b.objects[doc.Key]
	if !ok || !bytes.Equal(pub.body, pdf) || pub.contentType != "application/pdf" || pub.meta["document-id"] != string(id) {
		t.Fatalf("published object %+v", pub)
	}
	if len(f.b.under("inbound/")) != 0 || len(f.b.under("rejected/")) != 0 {
		t.Fatal("the inbound object was not removed, or something was rejected")
	}
	if f.d.notices["anna@example.com"] != 1 || f.d.notices["ben@example.com"] != 1 || len(f.d.notices) != 2 {
		t.Fatalf("notices %v", f.d.notices)
	}
	for _, secret := range []string{"1234567", "Smith", "anna@", "Care invoice"} {
		if strings.Contains(f.logs.String(), secret) {
			t.Errorf("the log holds personal data %q: %s", secret, f.logs)
		}
	}
}

func TestAClientWithNoGranteeIsPublishedNobodyNoticed(t *testing.T) {
	f := newFixture()
	if err := f.h.Handle(ctx, event(f.b.put("inbound/a.pdf", object{body: pdf, meta: goodMeta()}))); err != nil {
		t.Fatal(err)
	}
	if len(f.d.docs) != 1 || len(f.d.notices) != 0 || len(f.b.under("published/1234567/")) != 1 {
		t.Fatalf("docs %d notices %v", len(f.d.docs), f.d.notices)
	}
}

func TestBadObjectsAreRejectedWithTheirReason(t *testing.T) {
	without := func(name string) map[string]string { m := goodMeta(); delete(m, name); return m }
	with := func(name, v string) map[string]string { m := goodMeta(); m[name] = v; return m }
	cases := []struct {
		name   string
		body   []byte
		meta   map[string]string
		reason string
	}{
		{"no client reference", pdf, without("client-reference"), "client-reference is missing"},
		{"no type", pdf, without("document-type"), "document-type is missing"},
		{"no date", pdf, without("document-date"), "document-date is missing"},
		{"no title", pdf, with("title", "  "), "title is missing"},
		{"unknown client reference", pdf, with("client-reference", "ABC-12"), "unknown client reference"},
		{"unknown type", pdf, with("document-type", "bank_statement"), "document-type is not one of"},
		{"not a date", pdf, with("document-date", "31/10/2026"), "document-date is not a date"},
		{"impossible date", pdf, with("document-date", "2026-02-30"), "document-date is not a date"},
		{"long title", pdf, with("title", strings.Repeat("x", 201)), "title is not text"},
		{"no metadata at all", pdf, nil, "client-reference is missing; document-type is missing"},
		{"not a PDF", []byte("PK\x03\x04 a zip file"), goodMeta(), "not a PDF"},
		{"HTML named .pdf", []byte("<html><script>alert(1)</script>"), goodMeta(), "not a PDF"},
		{"empty", nil, goodMeta(), "not a PDF"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture()
			f.d.grants["1234567"] = []store.Grant{{Email: "anna@example.com"}}
			rec := f.b.put("inbound/batch/doc 1.pdf", object{body: c.body, meta: c.meta, contentType: "application/pdf"})
			if err := f.h.Handle(ctx, event(rec)); err != nil {
				t.Fatal(err)
			}
			rej, ok := f.b.objects["rejected/batch/doc 1.pdf"]
			if !ok {
				t.Fatalf("not moved to rejected/; objects %v", keys(f.b.objects))
			}
			if !strings.Contains(rej.meta["rejection-reason"], c.reason) || !bytes.Equal(rej.body, c.body) {
				t.Fatalf("reason %q, want %q", rej.meta["rejection-reason"], c.reason)
			}
			if len(f.b.objects) != 1 || len(f.d.docs) != 0 || len(f.d.notices) != 0 {
				t.Fatalf("a rejected object changed more: objects %v docs %d notices %v", keys(f.b.objects), len(f.d.docs), f.d.notices)
			}
			if !strings.Contains(f.logs.String(), `"msg":"document rejected"`) {
				t.Fatalf("no log line: %s", f.logs)
			}
		})
	}
}

func TestTheSameEventTwicePublishesOnce(t *testing.T) {
	f := newFixture()
	f.d.grants["1234567"] = []store.Grant{{Email: "anna@example.com"}}
	rec := f.b.put("inbound/a.pdf", object{body: pdf, meta: goodMeta()})
	for range 2 {
		if err := f.h.Handle(ctx, event(rec)); err != nil {
			t.Fatal(err)
		}
	}
	// Both records of one event, too (S3 may deliver a duplicate in one batch).
	if err := f.h.Handle(ctx, event(rec, rec)); err != nil {
		t.Fatal(err)
	}
	if len(f.d.docs) != 1 || f.d.notices["anna@example.com"] != 1 {
		t.Fatalf("docs %d notices %v", len(f.d.docs), f.d.notices)
	}
}

func TestTheSameObjectWrittenTwicePublishesOnce(t *testing.T) {
	f := newFixture()
	f.d.grants["1234567"] = []store.Grant{{Email: "anna@example.com"}}
	for range 2 {
		if err := f.h.Handle(ctx, event(f.b.put("inbound/a.pdf", object{body: pdf, meta: goodMeta()}))); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.d.docs) != 1 || f.d.notices["anna@example.com"] != 1 || len(f.b.under("inbound/")) != 0 {
		t.Fatalf("docs %d notices %v inbound %v", len(f.d.docs), f.d.notices, keys(f.b.under("inbound/")))
	}
	// New bytes under the same key are a new document (a corrected invoice).
	fixed := append(append([]byte{}, pdf...), "% corrected\n"...)
	if err := f.h.Handle(ctx, event(f.b.put("inbound/a.pdf", object{body: fixed, meta: goodMeta()}))); err != nil {
		t.Fatal(err)
	}
	if len(f.d.docs) != 2 || f.d.notices["anna@example.com"] != 2 {
		t.Fatalf("docs %d notices %v", len(f.d.docs), f.d.notices)
	}
}

func TestAnObjectReplacedSinceItsEventIsLeftToItsOwnEvent(t *testing.T) {
	f := newFixture()
	old := f.b.put("inbound/a.pdf", object{body: []byte("not a pdf"), meta: goodMeta()})
	f.b.put("inbound/a.pdf", object{body: pdf, meta: goodMeta()})
	if err := f.h.Handle(ctx, event(old)); err != nil {
		t.Fatal(err)
	}
	if len(f.b.under("inbound/")) != 1 || len(f.b.objects) != 1 || len(f.d.docs) != 0 {
		t.Fatalf("the old event acted on the new object: %v", keys(f.b.objects))
	}
}

func TestEveryRecordIsHandledAndAFailureRetriesTheEvent(t *testing.T) {
	f := newFixture()
	other := goodMeta()
	other["client-reference"] = "7654321"
	a := f.b.put("inbound/a.pdf", object{body: pdf, meta: goodMeta()})
	b := f.b.put("inbound/b.pdf", object{body: pdf, meta: other})
	bad := f.b.put("inbound/c.pdf", object{body: []byte("text"), meta: goodMeta()})
	f.d.fail = true
	if err := f.h.Handle(ctx, event(a, b, bad)); err == nil {
		t.Fatal("a failure was not reported, so Lambda would not retry")
	}
	if len(f.b.under("inbound/")) != 2 || len(f.b.under("rejected/")) != 1 {
		t.Fatalf("after the failure: %v", keys(f.b.objects))
	}
	f.d.fail = false
	if err := f.h.Handle(ctx, event(a, b, bad)); err != nil { // Lambda's retry
		t.Fatal(err)
	}
	if len(f.d.docs) != 2 || len(f.b.under("inbound/")) != 0 || len(f.b.under("published/")) != 2 {
		t.Fatalf("after the retry: docs %d objects %v", len(f.d.docs), keys(f.b.objects))
	}
}

func TestEventsOutsideInboundAreIgnored(t *testing.T) {
	f := newFixture()
	recs := []events.S3EventRecord{
		f.b.put("published/1234567/x.pdf", object{body: pdf, meta: goodMeta()}),
		f.b.put("inbound/", object{}),
		f.b.put("inbound/a.pdf", object{body: pdf, meta: goodMeta()}),
	}
	recs[2].S3.Bucket.Name = "someone-elses"
	removed := record("inbound/b.pdf", "", 0)
	removed.EventName = "ObjectRemoved:Delete"
	if err := f.h.Handle(ctx, event(append(recs, removed)...)); err != nil {
		t.Fatal(err)
	}
	if len(f.d.docs) != 0 || len(f.b.objects) != 3 {
		t.Fatalf("docs %d objects %v", len(f.d.docs), keys(f.b.objects))
	}
}

func TestEncodedMetadataTitleIsDecoded(t *testing.T) {
	f := newFixture()
	m := goodMeta()
	m["title"] = "=?UTF-8?B?Q2FyZSBpbnZvaWNlIOKAkyBPY3RvYmVy?=" // "Care invoice – October"
	if err := f.h.Handle(ctx, event(f.b.put("inbound/a.pdf", object{body: pdf, meta: m}))); err != nil {
		t.Fatal(err)
	}
	for _, d := range f.d.docs {
		if d.Title != "Care invoice – October" {
			t.Fatalf("title %q", d.Title)
		}
	}
}

func keys(m map[string]object) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestTheSampleEventDecodesAndAMissingObjectIsAlreadyHandled(t *testing.T) {
	raw, err := os.ReadFile("../../events/publish-document-created.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.S3Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if k := ev.Records[0].S3.Object.URLDecodedKey; k != "inbound/billing-2026-11-02/1234567/Care invoice 4 weeks to 2026-11-01.pdf" {
		t.Fatalf("key %q", k)
	}
	f := newFixture()
	if err := f.h.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.logs.String(), "object already handled") || len(f.d.docs) != 0 {
		t.Fatalf("logs %s", f.logs)
	}
}
