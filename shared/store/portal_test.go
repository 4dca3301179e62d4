package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/store"
)

// docs returns n documents of a client, one a day going back from 2026-06-30, cycling through the types.
func docs(ref string, n int) []store.Document {
	types := []store.DocumentType{store.CareInvoice, store.AssessmentOutcome, store.DirectPaymentRemittance, store.DeferredPaymentStatement}
	day := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	out := make([]store.Document, n)
	for i := range out {
		out[i] = store.Document{
			ID: store.DocumentID(fmt.Sprintf("d%s-%04d", ref, i)), ClientReference: ref, Type: types[i%len(types)],
			Title: fmt.Sprintf("Document %d", i), DocumentDate: day.AddDate(0, 0, -i).Format("2006-01-02"),
			PublishedAt: day.Add(time.Duration(i) * time.Second), Size: int64(1000 + i), Key: fmt.Sprintf("published/%s/%d.pdf", ref, i),
		}
	}
	return out
}

func TestDocumentsNewestFirstPagedAndFiltered(t *testing.T) {
	s, _ := storetest.New(t)
	if err := storetest.SeedDocuments(ctx, s, append(docs("100001", 25), docs("100002", 3)...)...); err != nil {
		t.Fatal(err)
	}
	var all []store.Document
	cursor, pages := "", 0
	for {
		p, err := s.Documents(ctx, "100001", "", cursor, 10)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		all = append(all, p.Documents...)
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	if pages != 3 || len(all) != 25 {
		t.Fatalf("%d pages, %d documents; want 3 and 25", pages, len(all))
	}
	for i, d := range all {
		if want := fmt.Sprintf("d100001-%04d", i); string(d.ID) != want || d.ClientReference != "100001" || d.Size == 0 || d.Title == "" {
			t.Fatalf("document %d is %+v, want %s (newest first)", i, d, want)
		}
	}

	invoices, err := s.Documents(ctx, "100001", store.CareInvoice, "", 100)
	if err != nil || len(invoices.Documents) != 7 || invoices.Next != "" {
		t.Fatalf("invoices: %d next %q %v", len(invoices.Documents), invoices.Next, err)
	}
	for _, d := range invoices.Documents {
		if d.Type != store.CareInvoice {
			t.Fatalf("filter let through %s", d.Type)
		}
	}
	// A page that ends exactly at the end of the list has no next cursor.
	if p, _ := s.Documents(ctx, "100002", "", "", 3); len(p.Documents) != 3 || p.Next != "" {
		t.Fatalf("exact page: %d next %q", len(p.Documents), p.Next)
	}
	if p, _ := s.Documents(ctx, "999999", "", "", 10); len(p.Documents) != 0 || p.Next != "" {
		t.Fatalf("unknown client: %+v", p)
	}
}

func TestCursorsAreBoundToTheirList(t *testing.T) {
	s, _ := storetest.New(t)
	if err := storetest.SeedDocuments(ctx, s, append(docs("100001", 12), docs("100002", 12)...)...); err != nil {
		t.Fatal(err)
	}
	first, err := s.Documents(ctx, "100001", "", "", 5)
	if err != nil || first.Next == "" {
		t.Fatal(first, err)
	}
	typed, err := s.Documents(ctx, "100001", store.CareInvoice, "", 1)
	if err != nil || typed.Next == "" {
		t.Fatal(typed, err)
	}
	for name, c := range map[string]struct {
		ref    string
		t      store.DocumentType
		cursor string
	}{
		"another client's":    {"100002", "", first.Next},
		"another type's":      {"100001", store.AssessmentOutcome, typed.Next},
		"unfiltered as typed": {"100001", store.CareInvoice, first.Next},
		"not base64":          {"100001", "", "!!!"},
		"not a cursor":        {"100001", "", "eyJjIjoiMTAwMDAxIiwiayI6IkdSQU5UI3gifQ"}, // {"c":"100001","k":"GRANT#x"}
	} {
		if _, err := s.Documents(ctx, c.ref, c.t, c.cursor, 5); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("%s cursor: %v", name, err)
		}
	}
	second, err := s.Documents(ctx, "100001", "", first.Next, 5)
	if err != nil || len(second.Documents) != 5 || second.Documents[0].ID != "d100001-0005" {
		t.Fatalf("second page: %+v %v", second, err)
	}
}
