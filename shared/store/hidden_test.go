package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/batch"
	"github.com/council/cfp/shared/store"
)

// A replaced and a withdrawn document leave the portal's lists (all types and by type) and are
// listed, newest dated first and marked, only by HiddenDocuments, one Query with no Scan; another
// client's hidden documents are not among them.
func TestHiddenDocumentsAreListedForStaffOnly(t *testing.T) {
	s, _ := storetest.New(t)
	c := newClock()
	s = s.WithClock(c.now)
	b := batch.ID{System: "billing", Name: "run-h"}
	publish := func(ref string, n int, date string, replaces *store.Correction) store.Document {
		d := doc(ref, n, c.now())
		d.DocumentDate = date
		f := batch.File{Name: d.Key, Row: &batch.Row{Line: n}, Outcome: batch.Published, Document: string(d.ID)}
		if err := s.PublishFromBatch(ctx, b, f, d, replaces); err != nil {
			t.Fatal(err)
		}
		c.add(time.Minute)
		return d
	}
	old := publish("300001", 1, "2026-09-30", nil)
	gone := publish("300001", 2, "2026-10-31", nil)
	kept := publish("300001", 3, "2026-08-31", nil)
	other := publish("300002", 4, "2026-10-31", nil)
	fresh := publish("300001", 5, "2026-09-30", &store.Correction{Document: old.ID, Client: "300001", How: string(batch.Replaced), By: doc("300001", 5, time.Time{}).ID})
	w := batch.File{Row: &batch.Row{Line: 6, Action: batch.Withdraw}, Outcome: batch.Withdrawn}
	if err := s.Withdraw(ctx, b, w, store.Correction{Document: gone.ID, Client: "300001", How: string(batch.Withdrawn)}); err != nil {
		t.Fatal(err)
	}
	w2 := batch.File{Row: &batch.Row{Line: 7, Action: batch.Withdraw}, Outcome: batch.Withdrawn}
	if err := s.Withdraw(ctx, b, w2, store.Correction{Document: other.ID, Client: "300002", How: string(batch.Withdrawn)}); err != nil {
		t.Fatal(err)
	}

	hidden, more, err := s.HiddenDocuments(ctx, "300001", 10)
	if err != nil || more || len(hidden) != 2 {
		t.Fatalf("hidden %+v more %v %v", hidden, more, err)
	}
	if h := hidden[0]; h.ID != gone.ID || h.Hidden != "withdrawn" || h.HiddenAt.IsZero() {
		t.Errorf("newest dated hidden document: %+v", h)
	}
	if h := hidden[1]; h.ID != old.ID || h.Hidden != "replaced" || h.ReplacedBy != fresh.ID {
		t.Errorf("the replaced document: %+v", h)
	}
	if one, more, err := s.HiddenDocuments(ctx, "300001", 1); err != nil || !more || len(one) != 1 || one[0].ID != gone.ID {
		t.Errorf("a page of one: %+v %v %v", one, more, err)
	}

	// The portal reads only current documents, with or without a type filter.
	for _, typ := range []store.DocumentType{"", store.CareInvoice} {
		page, err := s.Documents(ctx, "300001", typ, "", 10)
		if err != nil || len(page.Documents) != 2 || page.Documents[0].ID != fresh.ID || page.Documents[1].ID != kept.ID {
			t.Errorf("the portal's list (type %q): %+v %v", typ, page.Documents, err)
		}
	}
	if page, err := s.Documents(ctx, "300002", "", "", 10); err != nil || len(page.Documents) != 0 {
		t.Errorf("the other client's list: %+v %v", page.Documents, err)
	}
	if h, _, err := s.HiddenDocuments(ctx, "300002", 10); err != nil || len(h) != 1 || h[0].ID != other.ID {
		t.Errorf("the other client's hidden documents: %+v %v", h, err)
	}
	// A hidden document cannot be hidden again (its partition is no longer the client's current one).
	w3 := batch.File{Row: &batch.Row{Line: 8, Action: batch.Withdraw}, Outcome: batch.Withdrawn}
	if err := s.Withdraw(ctx, b, w3, store.Correction{Document: old.ID, Client: "300001", How: string(batch.Withdrawn)}); !errors.Is(err, store.ErrNotCurrent) {
		t.Errorf("withdrew a replaced document: %v", err)
	}
}
