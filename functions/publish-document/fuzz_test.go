package main

import (
	"regexp"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/council/cfp/shared/store"
)

// FuzzMetadata: whatever metadata the back office sends, the check never panics, and a document it
// accepts has a reference in the council's format, one of the four types, a real date and a title
// within limits.
func FuzzMetadata(f *testing.F) {
	f.Add("123456", "care_invoice", "2026-11-01", "Invoice November", "%PDF-1.7")
	f.Add("=?utf-8?q?12345=36?=", "care_invoice", "2026-02-30", "", "%PDF")
	f.Add("12#34", "invoice", "01/11/2026", "=?utf-8?b?SW52b2ljZQ==?=", "MZ")
	h := Handler{ClientRef: regexp.MustCompile(`^[0-9]{6,10}$`), Now: time.Now}
	f.Fuzz(func(t *testing.T, ref, typ, date, title, head string) {
		in := Inbound{Metadata: map[string]string{"client-reference": ref, "document-type": typ, "document-date": date, "title": title},
			Head: []byte(head), ETag: "e", Size: int64(len(head))}
		d, reasons := h.check("docs", "inbound/x.pdf", in)
		if len(reasons) > 0 {
			return
		}
		if !h.ClientRef.MatchString(d.ClientReference) || !store.DocumentTypes[d.Type] || d.ID == "" {
			t.Fatalf("accepted %+v", d)
		}
		if _, err := time.Parse("2006-01-02", d.DocumentDate); err != nil || !utf8.ValidString(d.Title) || utf8.RuneCountInString(d.Title) > maxTitle {
			t.Fatalf("accepted %+v", d)
		}
	})
}
