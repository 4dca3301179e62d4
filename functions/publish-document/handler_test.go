package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/batch"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

const docsBucket = "cfp-documents"

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

func (b *fakeBucket) Read(_ context.Context, key, etag string, off int64, p []byte) (bucket.Object, int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failOn == "read" {
		return bucket.Object{}, 0, errors.New("S3 unavailable")
	}
	o, ok := b.objects[key]
	if !ok {
		return bucket.Object{}, 0, bucket.ErrGone
	}
	if etag != "" && o.etag() != etag {
		return bucket.Object{}, 0, bucket.ErrChanged
	}
	n := copy(p, o.body[min(int(off), len(o.body)):])
	// A versioned bucket, as the documents bucket is: the version follows the bytes here.
	return bucket.Object{ETag: o.etag(), Version: "v-" + o.etag(), Size: int64(len(o.body)), ContentType: o.contentType, Metadata: maps.Clone(o.meta)}, n, nil
}

func (b *fakeBucket) Copy(_ context.Context, from, to, etag string, meta map[string]string, ct string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failOn == "copy" {
		return errors.New("S3 unavailable")
	}
	o, ok := b.objects[from]
	if !ok {
		return bucket.ErrGone
	}
	if o.etag() != etag {
		return bucket.ErrChanged
	}
	b.objects[to] = object{body: o.body, meta: maps.Clone(meta), contentType: ct}
	return nil
}

func (b *fakeBucket) Delete(_ context.Context, key, etag string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.objects[key]
	if ok && o.etag() != etag {
		return bucket.ErrChanged
	}
	delete(b.objects, key)
	return nil
}

func (b *fakeBucket) put(key string, o object) bucket.Record {
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

// record is an S3 event record of an object created in the documents bucket, its key decoded.
func record(key, etag string, size int64) bucket.Record {
	return bucket.Record{Name: "ObjectCreated:Put", Bucket: docsBucket, Key: key, ETag: etag, Size: size}
}

// fakeDocs is the store: grants by client, published documents, and notices counted per person.
type fakeDocs struct {
	mu      sync.Mutex
	grants  map[string][]store.Grant
	docs    map[store.DocumentID]store.Document
	notices map[access.Email]int
	fail    bool
	batches map[batch.ID]*fakeBatch
	mails   []mail.Message // Business Support's summaries
	told    []mail.Message // new-documents emails queued by a batch's report
	groups  []int          // the size of each group published together
	audits  []store.Correction

	groupConflicts int       // how many PublishGroup calls fail as a repeat would
	now            time.Time // the fake clock of DueBatches
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
		Objects: b, Documents: d, Batches: d, Window: time.Hour, Support: []access.Email{"business.support@council.example"}, Bucket: docsBucket, ClientRef: regexp.MustCompile(`^[0-9]{6,10}$`),
		Now: func() time.Time { return time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC) },
		Log: slog.New(slog.NewJSONHandler(&logs, nil)),
	}
	return fixture{h, b, d, &logs}
}

var pdf = []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func goodMeta() map[string]string {
	return map[string]string{"client-reference": "1234567", "document-type": "care_invoice", "document-date": "2026-10-31", "title": "Care invoice, 4 weeks to 31 October 2026"}
}

func event(recs ...bucket.Record) bucket.Event { return bucket.Event{Records: recs} }

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
	id := store.NewDocumentID(docsBucket, "inbound/run 7/Smith & Co+invoice.pdf", rec.ETag)
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

// One record that cannot be read (its key is not URL-encoded) is skipped; the others are handled
// and the event succeeds, as a retry could not mend it.
func TestABadRecordIsSkippedAndTheOthersHandled(t *testing.T) {
	f := newFixture()
	a := f.b.put("inbound/a b.pdf", object{body: pdf, meta: goodMeta()})
	bad := f.b.put("inbound/c.pdf", object{body: []byte("text"), meta: goodMeta()})
	body := fmt.Sprintf(`{"Records":[
		{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":%[1]q},"object":{"key":"inbound/a+b.pdf","eTag":%[2]q}}},
		{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":%[1]q},"object":{"key":"inbound/%%zz.pdf","eTag":%[2]q}}},
		{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":%[1]q},"object":{"key":"inbound/c.pdf","eTag":%[3]q,"size":"12"}}},
		{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":%[1]q},"object":{"key":"inbound/c.pdf","eTag":%[3]q}}}]}`, docsBucket, a.ETag, bad.ETag)
	var ev bucket.Event
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		t.Fatal(err)
	}
	if err := f.h.Handle(ctx, ev); err != nil {
		t.Fatalf("a bad record failed the event: %v", err)
	}
	if len(f.d.docs) != 1 || len(f.b.under("inbound/")) != 0 || len(f.b.under("rejected/")) != 1 {
		t.Fatalf("docs %d objects %v", len(f.d.docs), keys(f.b.objects))
	}
	if n := strings.Count(f.logs.String(), "record skipped: it cannot be read"); n != 2 || strings.Contains(f.logs.String(), "zz") {
		t.Fatalf("%d bad records logged, or the key logged: %s", n, f.logs)
	}
}

func TestEventsOutsideInboundAreIgnored(t *testing.T) {
	f := newFixture()
	recs := []bucket.Record{
		f.b.put("published/1234567/x.pdf", object{body: pdf, meta: goodMeta()}),
		f.b.put("inbound/", object{}),
		f.b.put("inbound/a.pdf", object{body: pdf, meta: goodMeta()}),
	}
	recs[2].Bucket = "someone-elses"
	removed := record("inbound/b.pdf", "", 0)
	removed.Name = "ObjectRemoved:Delete"
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
	var ev bucket.Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if k := ev.Records[0].Key; k != "inbound/billing-2026-11-02/1234567/Care invoice 4 weeks to 2026-11-01.pdf" {
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
