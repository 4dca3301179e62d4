package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/store"
)

// FuzzMetadata: whatever metadata the back office sends, the check never panics, and a document it
// accepts has a reference in the council's format, one of the four types, a real date written
// YYYY-MM-DD, a title of plain text within limits, a PDF's first bytes, and a place under
// published/<reference>/. A refusal always says why.
func FuzzMetadata(f *testing.F) {
	f.Add("123456", "care_invoice", "2026-11-01", "Invoice November", "%PDF-1.7")
	f.Add(" 1234567 ", "assessment_outcome", "2024-02-29", "=?utf-8?q?Caf=C3=A9_letter?=", "%PDF-")
	f.Add("=?utf-8?q?12345=36?=", "=?utf-8?q?care=5Finvoice?=", "2026-02-30", "", "%PDF")
	f.Add("12#34", "invoice", "01/11/2026", "=?utf-8?b?SW52b2ljZQ==?=", "MZ")
	f.Add("123456", "deferred_payment_statement", "2025-13-01", "=?utf-8?q?=FF=FE?=", "%PDF-1.4")
	f.Add("1234567890", "direct_payment_remittance", "0000-01-01", strings.Repeat("é", 201), "%PDF-1.4")
	f.Add("12345678901", "care_invoice", "2026-11-01T00:00:00Z", "=?x-unknown?q?a?=", "%PDF-1.4")
	f.Add("123456\n", "care_invoice", "+2026-11-01", "=?utf-8?b?", "%PDF-1.4")
	h := Handler{ClientRef: setting.From(nil).Pattern(setting.ClientRefFormat), Now: func() time.Time { return time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC) }}
	f.Fuzz(func(t *testing.T, ref, typ, date, title, head string) {
		in := Inbound{Object: bucket.Object{Metadata: map[string]string{"client-reference": ref, "document-type": typ, "document-date": date, "title": title},
			ETag: "e", Size: int64(len(head))}, Head: []byte(head)}
		d, reasons := h.check(docsBucket, "inbound/x.pdf", in)
		if len(reasons) > 0 {
			for _, r := range reasons {
				if r == "" {
					t.Fatalf("an empty reason among %q", reasons)
				}
			}
			return
		}
		day, err := time.Parse("2006-01-02", d.DocumentDate)
		switch {
		case !h.ClientRef.MatchString(d.ClientReference), !store.DocumentTypes[d.Type], d.ID == "":
			t.Fatalf("accepted %+v", d)
		case err != nil || day.Format("2006-01-02") != d.DocumentDate:
			t.Fatalf("accepted the date %q", d.DocumentDate)
		case d.Title == "" || !utf8.ValidString(d.Title) || utf8.RuneCountInString(d.Title) > maxTitle || d.Title != strings.TrimSpace(d.Title):
			t.Fatalf("accepted the title %q", d.Title)
		case !bytes.HasPrefix(in.Head, []byte(pdfMagic)):
			t.Fatalf("accepted %q as a PDF", head)
		case d.Key != "published/"+d.ClientReference+"/"+string(d.ID)+".pdf":
			t.Fatalf("published at %q", d.Key)
		}
	})
}

// FuzzDecodeWords: any metadata value decodes without panic; a value without an encoded word is
// returned exactly as it came.
func FuzzDecodeWords(f *testing.F) {
	for _, v := range []string{"plain", "=?utf-8?q?Caf=C3=A9?=", "=?UTF-8?B?w6k=?= =?utf-8?q?x?=", "=?iso-8859-1?q?caf=E9?=", "=?utf-8?q?", "=??=", "a=?b"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if got := decodeWords(v); !strings.Contains(v, "=?") && got != v {
			t.Fatalf("%q became %q", v, got)
		}
	})
}

// The event targets run the handler over the fake bucket and store of handler_test.go, holding a
// good and a bad document under inbound/ and bystanders elsewhere that no event may touch.
var (
	goodPDF    = object{body: pdf, meta: goodMeta(), contentType: "application/pdf"}
	badPDF     = object{body: []byte("MZ not a pdf"), meta: map[string]string{"client-reference": "x"}}
	inboundDoc = map[string]object{"inbound/good.pdf": goodPDF, "inbound/run 7/a+b é.pdf": goodPDF, "inbound/bad.pdf": badPDF}
	bystanders = map[string]object{
		"published/1234567/old.pdf": goodPDF, "rejected/old.pdf": badPDF, "other/x.pdf": goodPDF,
		"evidence/r1/e1": goodPDF, "inboundx.pdf": goodPDF, "INBOUND/y.pdf": goodPDF, "inbound/": goodPDF,
	}
)

func sameObject(a, b object) bool {
	return bytes.Equal(a.body, b.body) && maps.Equal(a.meta, b.meta) && a.contentType == b.contentType
}

// publishAnyEvent handles one event and checks what every event must respect: no error (nothing
// failed); nothing outside inbound/ is changed or removed; an inbound object leaves only when a
// record of this bucket names it, and then it is either published (recorded, copied under
// published/<reference>/, grantees noticed) or moved under rejected/.
func publishAnyEvent(t *testing.T, ev bucket.Event) {
	t.Helper()
	f := newFixture()
	f.d.grants["1234567"] = []store.Grant{{Email: "anna@example.com"}, {Email: "ended@example.com", Ended: true}}
	for k, o := range inboundDoc {
		f.b.objects[k] = o
	}
	for k, o := range bystanders {
		f.b.objects[k] = o
	}
	if err := f.h.Handle(ctx, ev); err != nil {
		t.Fatalf("an event failed: %v", err)
	}

	named := map[string]bool{}
	for _, rec := range ev.Records {
		if strings.HasPrefix(rec.Name, "ObjectCreated:") && rec.Bucket == docsBucket {
			named[rec.Key] = true
		}
	}
	for k, o := range bystanders {
		if got, ok := f.b.objects[k]; !ok || !sameObject(got, o) {
			t.Fatalf("%q was changed or removed", k)
		}
	}
	published := 0
	for k, o := range inboundDoc {
		_, still := f.b.objects[k]
		switch {
		case still:
		case !named[k]:
			t.Fatalf("%q left inbound/ though no record names it", k)
		case sameObject(o, badPDF):
			got, ok := f.b.objects[rejected+strings.TrimPrefix(k, inbound)]
			if !ok || !bytes.Equal(got.body, o.body) || got.meta[reasonField] == "" {
				t.Fatalf("%q was removed but not rejected: %+v", k, got)
			}
		default:
			published++
		}
	}
	if len(f.d.docs) != published {
		t.Fatalf("%d documents recorded for %d published objects", len(f.d.docs), published)
	}
	for _, d := range f.d.docs {
		o, ok := f.b.objects[d.Key]
		if !ok || !bytes.Equal(o.body, pdf) || d.ClientReference != "1234567" || d.Key != "published/1234567/"+string(d.ID)+".pdf" {
			t.Fatalf("document %+v: object %v", d, ok)
		}
	}
	if published > 0 && (f.d.notices["anna@example.com"] != published || len(f.d.notices) != 1) {
		t.Fatalf("notices %v for %d documents", f.d.notices, published)
	}
	if want := len(inboundDoc) + len(bystanders); len(f.b.objects) != want { // each object moved, none copied twice
		t.Fatalf("%d objects, want %d: %v", len(f.b.objects), want, slices.Collect(maps.Keys(f.b.objects)))
	}
}

// FuzzEvent: any S3 event body the function can be invoked with is handled without panic or error;
// records of another bucket or event, or keys outside inbound/, change nothing.
func FuzzEvent(f *testing.F) {
	etag := goodPDF.etag()
	for _, body := range []string{
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"cfp-documents"},"object":{"key":"inbound/good.pdf","eTag":"` + etag + `"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:CompleteMultipartUpload","s3":{"bucket":{"name":"cfp-documents"},"object":{"key":"inbound/run+7/a%2Bb+%C3%A9.pdf","eTag":"\"` + etag + `\""}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"cfp-documents"},"object":{"key":"inbound/bad.pdf","eTag":"` + badPDF.etag() + `"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"cfp-documents"},"object":{"key":"inbound/good.pdf","eTag":"` + etag + `"}}},{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"cfp-documents"},"object":{"key":"inbound/good.pdf","eTag":"` + etag + `"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"cfp-documents"},"object":{"key":"published/1234567/old.pdf","eTag":"` + etag + `"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"cfp-documents"},"object":{"key":"inbound/","eTag":"` + etag + `"}}}]}`,
		`{"Records":[{"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"cfp-documents"},"object":{"key":"inbound/good.pdf","eTag":"` + etag + `"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"cfp-uploads"},"object":{"key":"inbound/good.pdf","eTag":"` + etag + `"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"cfp-documents"},"object":{"key":"inbound/missing.pdf","eTag":"x"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"cfp-documents"},"object":{"key":"inbound%2F..%2Fpublished%2F1234567%2Fold.pdf"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"cfp-documents"},"object":{"key":"inbound/%zz.pdf"}}},{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"cfp-documents"},"object":{"key":"inbound/good.pdf","eTag":"` + etag + `"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"cfp-documents"},"object":{"key":"inbound/good.pdf","size":"big"}}},{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"cfp-documents"},"object":{"key":"inbound/bad.pdf","eTag":"` + badPDF.etag() + `"}}}]}`,
		`{"Records":[null,{},{"s3":null}]}`,
		`{}`,
	} {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var ev bucket.Event
		if json.Unmarshal([]byte(body), &ev) != nil {
			return // no list of records: refused by the runtime, the handler never runs
		}
		publishAnyEvent(t, ev)
	})
}

// FuzzKey: any object key, as an event carries it (URL-encoded), is acted on only when it decodes
// to a name under inbound/; a key that does not decode is skipped and changes nothing.
func FuzzKey(f *testing.F) {
	for _, k := range []string{"inbound/good.pdf", "inbound%2Fgood.pdf", "inbound/run+7/a%2Bb+%C3%A9.pdf", "inbound/bad.pdf", "inbound/", "inbound",
		"inboundx.pdf", "INBOUND/y.pdf", "published/1234567/old.pdf", "rejected/old.pdf", "evidence/r1/e1", "%zz", "inbound/../other/x.pdf", "",
		"batches/billing/run-7/a.pdf", "batches/billing/run-7/manifest.csv", "batches/billing/reports/run-7.csv", "batches/x", "batches/billing/run-7/deep/a.pdf"} {
		f.Add(k, true)
	}
	f.Add("\xbf", true)
	f.Fuzz(func(t *testing.T, key string, rightETag bool) {
		key = strings.ToValidUTF8(key, "\uFFFD") // as JSON carries it: S3 sends UTF-8 only
		decoded, err := url.QueryUnescape(key)
		etag := ""
		if o, ok := inboundDoc[decoded]; ok && rightETag && err == nil {
			etag = o.etag()
		}
		body, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"eventName": "ObjectCreated:Put",
			"s3": map[string]any{"bucket": map[string]any{"name": docsBucket}, "object": map[string]any{"key": key, "eTag": etag}}}}})
		var ev bucket.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Records[0].Key != decoded && err == nil {
			t.Fatalf("%q decoded as %q, want %q", key, ev.Records[0].Key, decoded)
		}
		publishAnyEvent(t, ev)
	})
}
