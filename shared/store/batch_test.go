package store_test

import (
	"errors"
	"fmt"
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
	if err := s.PublishFromBatch(ctx, b, f, d, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.PublishFromBatch(ctx, b, f, d, nil); !errors.Is(err, store.ErrConflict) {
		t.Fatal("published twice:", err)
	}
	// A batch's documents make no notice: its report tells the grantees.
	if n, err := s.PendingNotice(ctx, "anna@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("notice %+v %v", n, err)
	}
	// b.pdf is replaced by the row; the refused row and the withdraw are kept by line.
	d2 := doc("100001", 2, c.now())
	g.Outcome, g.Document = batch.Replaced, string(d2.ID)
	corr := &store.Correction{Document: d.ID, Client: "100001", How: "replaced", By: d2.ID, Detail: "batch billing/run-7 line 3"}
	if err := s.PublishFromBatch(ctx, b, g, d2, corr); err != nil {
		t.Fatal(err)
	}
	c.add(time.Hour)
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

// A group of a batch's files is published all or nothing, in one transaction: its documents, its
// rows' outcomes and its count of rows done, which the batch adds to its own. A group that meets a
// published document or a settled row writes nothing; its files can then go one by one.
func TestABatchGroupIsPublishedAllOrNothingAndCounted(t *testing.T) {
	s, _ := storetest.New(t)
	c := newClock()
	s = s.WithClock(c.now)
	b := batch.ID{System: "billing", Name: "run-g"}
	if err := s.OpenBatch(ctx, b, c.now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.ManifestRead(ctx, b, "m1", 2*store.MaxGroup+1, ""); err != nil {
		t.Fatal(err)
	}
	pub := func(line int) store.Publication {
		r := row(line, fmt.Sprintf("inv-%03d.pdf", line))
		d := doc("100001", line, c.now())
		return store.Publication{File: batch.File{Name: r.File, Row: &r, Arrived: true, PDF: true, Outcome: batch.Published, Document: string(d.ID)}, Document: d}
	}
	var first, second []store.Publication
	for line := 2; line < 2+store.MaxGroup; line++ {
		first, second = append(first, pub(line)), append(second, pub(line+store.MaxGroup))
	}
	if err := s.PublishGroup(ctx, b, append(first, pub(999))); err == nil {
		t.Fatal("a group larger than one transaction holds")
	}
	if err := s.PublishGroup(ctx, b, first); err != nil {
		t.Fatal(err)
	}
	// The second group repeats one of the first's documents: nothing of it is written.
	if err := s.PublishGroup(ctx, b, append(second[1:], first[0])); !errors.Is(err, store.ErrConflict) {
		t.Fatal("a group with a published document:", err)
	}
	if _, err := s.PublishedDocument(ctx, second[1].Document.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("a conflicting group published a document:", err)
	}
	if err := s.PublishGroup(ctx, b, second); err != nil {
		t.Fatal(err)
	}
	last := row(2+2*store.MaxGroup, "last.pdf")
	if err := s.RowSettled(ctx, b, batch.File{Name: last.File, Row: &last, Outcome: batch.Refused, Reason: "not a PDF"}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Batch(ctx, b)
	if err != nil || st.Done != 2*store.MaxGroup+1 || !st.Complete() {
		t.Fatalf("%+v %v", st, err)
	}
	files, err := s.BatchFiles(ctx, b)
	if err != nil || len(files) != 2*store.MaxGroup+1 {
		t.Fatalf("%d files %v", len(files), err)
	}
	for _, f := range files[:2*store.MaxGroup] {
		if f.Outcome != batch.Published || f.Row == nil || f.Document == "" {
			t.Fatalf("file %+v", f)
		}
	}
	if d, err := s.PublishedDocument(ctx, second[0].Document.ID); err != nil || d.ClientReference != "100001" {
		t.Fatalf("%+v %v", d, err)
	}
	if store.BatchNoticeMailID(b, "anna@example.com") == store.BatchNoticeMailID(batch.ID{System: "billing", Name: "run-h"}, "anna@example.com") {
		t.Fatal("two batches give a person the same email")
	}
}

// One run at a time makes a batch's report; a claim that outlives its lease (its run stopped)
// gives the batch to the schedule, and a reported batch cannot be claimed.
func TestABatchReportIsClaimedByOneRunAtATime(t *testing.T) {
	s, _ := storetest.New(t)
	c := newClock()
	s = s.WithClock(c.now)
	b := batch.ID{System: "billing", Name: "run-c"}
	if err := s.OpenBatch(ctx, b, c.now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimReport(ctx, b, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimReport(ctx, b, 2*time.Minute); !errors.Is(err, store.ErrConflict) {
		t.Fatal("claimed twice at once:", err)
	}
	c.add(3 * time.Minute)
	if due, err := s.DueBatches(ctx, 10); err != nil || len(due) != 1 || due[0] != b {
		t.Fatalf("a batch whose report stopped is not due: %v %v", due, err)
	}
	if err := s.ClaimReport(ctx, b, 2*time.Minute); err != nil {
		t.Fatal("a stale claim stands:", err)
	}
	if err := s.BatchReported(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	c.add(time.Hour)
	if err := s.ClaimReport(ctx, b, 2*time.Minute); !errors.Is(err, store.ErrConflict) {
		t.Fatal("claimed a reported batch:", err)
	}
	if due, _ := s.DueBatches(ctx, 10); len(due) != 0 {
		t.Fatalf("a reported batch is due: %v", due)
	}
}
