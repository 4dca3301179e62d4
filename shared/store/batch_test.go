package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/batch"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

func row(line int, file string) batch.Row {
	return batch.Row{Line: line, File: file, Action: batch.Publish,
		Fields: access.DocumentFields{ClientReference: "100001", Type: "care_invoice", Date: "2026-10-31", Title: "Invoice"}}
}

func TestABatchFileAndItsRowMeetInEitherOrder(t *testing.T) {
	s, _ := storetest.New(t)
	c := newClock()
	s = s.WithClock(c.now)
	b := batch.ID{System: "billing", Name: "run-7"}
	if err := s.OpenBatch(ctx, b, c.now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.OpenBatch(ctx, b, c.now().Add(2*time.Hour)); err != nil { // a second object: the first deadline stands
		t.Fatal(err)
	}
	if err := s.ManifestRead(ctx, b, "m1", 3, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.ManifestRead(ctx, b, "m1", 3, ""); err != nil {
		t.Fatal("the same manifest again:", err)
	}
	if err := s.ManifestRead(ctx, b, "m2", 1, ""); !errors.Is(err, store.ErrConflict) {
		t.Fatal("a second manifest:", err)
	}
	// a.pdf: file first, then row. b.pdf: row first, then file.
	f, err := s.FileArrived(ctx, b, batch.File{Name: "a.pdf", ETag: "e1", Size: 10, PDF: true})
	if err != nil || f.Due() {
		t.Fatalf("%+v %v", f, err)
	}
	if f, err = s.RowListed(ctx, b, row(2, "a.pdf")); err != nil || !f.Due() || f.ETag != "e1" || f.Row.Line != 2 {
		t.Fatalf("%+v %v", f, err)
	}
	if r, err := s.RowListed(ctx, b, row(3, "b.pdf")); err != nil || r.Due() {
		t.Fatalf("%+v %v", r, err)
	}
	g, err := s.FileArrived(ctx, b, batch.File{Name: "b.pdf", ETag: "e2", Size: 10, PDF: true})
	if err != nil || !g.Due() || g.Row.Fields.ClientReference != "100001" {
		t.Fatalf("%+v %v", g, err)
	}

	d := doc("100001", 1, c.now())
	f.Outcome, f.Document = batch.Published, string(d.ID)
	if err := s.PublishFromBatch(ctx, b, f, d, []access.Email{"anna@example.com"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.PublishFromBatch(ctx, b, f, d, []access.Email{"anna@example.com"}, nil); !errors.Is(err, store.ErrConflict) {
		t.Fatal("published twice:", err)
	}
	// The notice waits for the batch (its report), and counts no replacement yet.
	if n, _ := s.PendingNotice(ctx, "anna@example.com"); n.Count != 1 || n.Hold == nil || *n.Hold != b || n.Replaced != 0 {
		t.Fatalf("notice %+v", n)
	}
	// b.pdf is replaced by the row; the refused row and the withdraw are kept by line.
	d2 := doc("100001", 2, c.now())
	g.Outcome, g.Document = batch.Replaced, string(d2.ID)
	corr := &store.Correction{Document: d.ID, Client: "100001", How: "replaced", By: d2.ID, Detail: "batch billing/run-7 line 3"}
	if err := s.PublishFromBatch(ctx, b, g, d2, []access.Email{"anna@example.com"}, corr); err != nil {
		t.Fatal(err)
	}
	// The person's next email says a document was replaced.
	n, err := s.PendingNotice(ctx, "anna@example.com")
	if err != nil || n.Count != 2 || n.Replaced != 1 {
		t.Fatalf("notice after the replace %+v %v", n, err)
	}
	c.add(time.Hour)
	due, err := s.DueNotices(ctx, time.Minute, 2*time.Hour, 10)
	if err != nil || len(due) != 1 || due[0].Hold == nil || *due[0].Hold != b {
		t.Fatalf("due notices %+v %v", due, err)
	}
	if _, err := s.SendNotice(ctx, due[0]); err != nil {
		t.Fatal(err)
	}
	queued, err := s.DueMail(ctx, 10)
	if err != nil || len(queued) != 1 || queued[0].Template != mail.NewDocuments || !queued[0].Replaced {
		t.Fatalf("queued %+v %v", queued, err)
	}
	c.add(-time.Hour)
	if _, err := s.PublishedDocument(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("a replaced document is still downloadable:", err)
	}
	if old, err := s.DocumentRecord(ctx, d.ID); err != nil || old.Hidden != "replaced" || old.ReplacedBy != d2.ID {
		t.Fatalf("the replaced document %+v %v", old, err)
	}
	page, err := s.Documents(ctx, "100001", "", "", 10)
	if err != nil || len(page.Documents) != 1 || page.Documents[0].ID != d2.ID {
		t.Fatalf("the client's list %+v %v", page, err)
	}
	w := batch.File{Row: &batch.Row{Line: 4, Action: batch.Withdraw, Target: batch.Target{Document: string(d.ID)}}, Outcome: batch.Withdrawn}
	if err := s.Withdraw(ctx, b, w, store.Correction{Document: d.ID, Client: "100001", How: "withdrawn"}); !errors.Is(err, store.ErrNotCurrent) {
		t.Fatal("withdrew a replaced document:", err)
	}
	w.Outcome, w.Reason = batch.Refused, "already replaced"
	if err := s.RowSettled(ctx, b, w); err != nil {
		t.Fatal(err)
	}
	if err := s.RowSettled(ctx, b, w); !errors.Is(err, store.ErrConflict) {
		t.Fatal("settled twice:", err)
	}
	if ev, err := s.AuditOfClient(ctx, "100001", 10); err != nil || len(ev) != 1 || ev[0].Action != store.AuditReplaceDocument || ev[0].DocumentID != d.ID {
		t.Fatalf("audit %+v %v", ev, err)
	}

	st, err := s.Batch(ctx, b)
	if err != nil || st.Done != 3 || !st.Complete() {
		t.Fatalf("%+v %v", st, err)
	}
	if due, err := s.DueBatches(ctx, 10); err != nil || len(due) != 0 {
		t.Fatalf("due before its time: %v %v", due, err)
	}
	c.add(time.Hour)
	if due, err := s.DueBatches(ctx, 10); err != nil || len(due) != 1 || due[0] != b {
		t.Fatalf("due %v %v", due, err)
	}
	files, err := s.BatchFiles(ctx, b)
	if err != nil || len(files) != 3 {
		t.Fatalf("%+v %v", files, err)
	}
	_, tally := batch.Report(files, "")
	m := mail.BatchReportOf("support@council.example", b, tally)
	if err := s.BatchReported(ctx, b, []mail.Message{m}); err != nil {
		t.Fatal(err)
	}
	if err := s.BatchReported(ctx, b, []mail.Message{m}); !errors.Is(err, store.ErrConflict) {
		t.Fatal("reported twice:", err)
	}
	if due, _ := s.DueBatches(ctx, 10); len(due) != 0 {
		t.Fatal("a reported batch is still open")
	}
	q, err := s.DueMail(ctx, 10)
	if err == nil {
		q = slices.DeleteFunc(q, func(m store.Queued) bool { return m.Template != mail.BatchReport })
	}
	if err != nil || len(q) != 1 || q[0].Tally.Replaced != 1 || q[0].Tally.Published != 1 || q[0].Tally.Refused != 1 {
		t.Fatalf("outbox %+v %v", q, err)
	}
}
