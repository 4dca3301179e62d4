package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/batch"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

// Batches is what the handler needs of the store for batches.
type Batches interface {
	OpenBatch(ctx context.Context, b batch.ID, deadline time.Time) error
	Batch(ctx context.Context, b batch.ID) (store.Batch, error)
	ManifestRead(ctx context.Context, b batch.ID, etag string, rows int, refused string) error
	FileArrived(ctx context.Context, b batch.ID, f batch.File) (batch.File, error)
	RowListed(ctx context.Context, b batch.ID, r batch.Row) (batch.File, error)
	RowSettled(ctx context.Context, b batch.ID, f batch.File) error
	PublishFromBatch(ctx context.Context, b batch.ID, f batch.File, d store.Document, replaces *store.Correction) error
	PublishGroup(ctx context.Context, b batch.ID, pubs []store.Publication) error
	Withdraw(ctx context.Context, b batch.ID, f batch.File, c store.Correction) error
	BatchFile(ctx context.Context, b batch.ID, name string) (batch.File, error)
	DocumentRecord(ctx context.Context, id store.DocumentID) (store.Document, error)
	BatchFiles(ctx context.Context, b batch.ID) ([]batch.File, error)
	BatchReported(ctx context.Context, b batch.ID, summaries []mail.Message) error
	DueBatches(ctx context.Context, limit int) ([]batch.ID, error)
	ClaimReport(ctx context.Context, b batch.ID, lease time.Duration) error
	QueueMail(ctx context.Context, msgs ...mail.Message) error
}

// MaxManifest bounds the manifest read into memory (12,000 rows are about 1.5 MiB).
const MaxManifest = 16 << 20

// Invoke is the function's entry: S3 records are handled by Handle; anything else (the schedule's
// EventBridge event, or an empty event from make invoke) closes the batches whose time is up.
func (h Handler) Invoke(ctx context.Context, raw json.RawMessage) error {
	var probe struct{ Records []json.RawMessage }
	if len(raw) > 0 && json.Unmarshal(raw, &probe) == nil && probe.Records != nil {
		var ev bucket.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return fmt.Errorf("publish-document: records that are not S3 records: %w", err)
		}
		return h.Handle(ctx, ev)
	}
	return h.Close(ctx)
}

// batchRecord handles an object written under batches/: the manifest, or a file of the batch.
func (h Handler) batchRecord(ctx context.Context, rec bucket.Record, log *slog.Logger) error {
	b, name, ok := batch.ParseKey(rec.Key)
	if !ok {
		log.Info("event ignored: not a file of a batch")
		return nil
	}
	if err := h.open(ctx, b); err != nil {
		return err
	}
	if name == batch.Manifest {
		return h.manifest(ctx, b, rec, log)
	}
	// Its arrival only: whoever publishes it reads its first bytes then, once (head).
	f, err := h.Batches.FileArrived(ctx, b, batch.File{Name: name, ETag: rec.ETag, Version: rec.Version, Size: rec.Size})
	if err != nil || !f.Due() {
		return err
	}
	if err := h.settle(ctx, b, f, log); err != nil {
		return err
	}
	return h.complete(ctx, b, log)
}

// head reads the first bytes of a batch's file as it is now: the version published is the one
// read (a newer one than an event named, if the sender wrote the file again). False when the file
// is not there.
func (h Handler) head(ctx context.Context, b batch.ID, f batch.File) (batch.File, bool, error) {
	head := make([]byte, len(pdfMagic))
	obj, n, err := h.Objects.Read(ctx, b.Key(f.Name), "", 0, head)
	switch {
	case errors.Is(err, bucket.ErrGone):
		return f, false, nil
	case err != nil:
		return f, false, err
	}
	f.Arrived, f.ETag, f.Version, f.Size, f.PDF = true, obj.ETag, obj.Version, obj.Size, bytes.HasPrefix(head[:n], []byte(pdfMagic))
	return f, true, nil
}

// open makes the batch's item once: an instance remembers the batches it has opened (an opened
// batch stays so), so a batch of 12,000 files costs a write per instance, not per file.
func (h Handler) open(ctx context.Context, b batch.ID) error {
	if h.Opened != nil {
		if _, ok := h.Opened.Load(b); ok {
			return nil
		}
	}
	if err := h.Batches.OpenBatch(ctx, b, h.Now().Add(h.Window)); err != nil {
		return err
	}
	if h.Opened != nil {
		h.Opened.Store(b, true)
	}
	return nil
}

// manifest reads a batch's manifest and acts on every row: each refused row gets its outcome now,
// each row whose file is already there is published now, the others when their file arrives.
func (h Handler) manifest(ctx context.Context, b batch.ID, rec bucket.Record, log *slog.Logger) error {
	obj, body, err := h.readManifest(ctx, rec)
	switch {
	case errors.Is(err, bucket.ErrGone), errors.Is(err, bucket.ErrChanged):
		log.Info("manifest gone or replaced since the event")
		return nil
	case err != nil:
		return err
	}
	p := batch.Parsed{Refused: fmt.Sprintf("manifest.csv is larger than %d MiB", MaxManifest>>20)}
	if obj.Size <= MaxManifest {
		p = batch.Parse(body, h.ClientRef)
	}
	switch err := h.Batches.ManifestRead(ctx, b, obj.ETag, len(p.Rows), p.Refused); {
	case errors.Is(err, store.ErrConflict):
		log.Warn("manifest ignored: the batch has another manifest or is reported")
		return nil
	case err != nil:
		return err
	}
	refused := 0
	for _, r := range p.Rows {
		if r.Refused != "" {
			refused++
		}
	}
	if err := h.rows(ctx, b, p.Rows, log); err != nil {
		return err
	}
	log.Info("manifest read", "rows", len(p.Rows), "refused", refused, "whole", p.Refused != "")
	return h.complete(ctx, b, log)
}

// readManifest reads the manifest the event names, whole, in one GET when the event says its size
// (two when it does not): nothing when it is larger than MaxManifest.
func (h Handler) readManifest(ctx context.Context, rec bucket.Record) (bucket.Object, []byte, error) {
	buf := make([]byte, min(max(rec.Size, 0), MaxManifest)+1)
	obj, n, err := h.Objects.Read(ctx, rec.Key, rec.ETag, 0, buf)
	if err != nil || int64(n) >= obj.Size || obj.Size > MaxManifest {
		return obj, buf[:n], err
	}
	buf = make([]byte, obj.Size)
	obj, n, err = h.Objects.Read(ctx, rec.Key, obj.ETag, 0, buf)
	return obj, buf[:n], err
}

// rowWorkers is how many rows (or groups of them) of a manifest are acted on at once: each waits
// on DynamoDB and S3 round trips, so a 12,000-row manifest is done well within the function's
// timeout.
const rowWorkers = 16

// rows acts on every row: corrections first, one by one in the manifest's order (two may name one
// document by its id and by its batch/file: the first wins, as the sender wrote them); then the
// publish rows whose file has arrived already (what the batch's items say, read once), in groups
// of store.MaxGroup, one transaction each; then the others, rowWorkers at a time, each meeting its
// file's arrival on the file's item. Any failure fails the event, whose retry repeats only what
// is unfinished.
func (h Handler) rows(ctx context.Context, b batch.ID, all []batch.Row, log *slog.Logger) error {
	known, err := h.Batches.BatchFiles(ctx, b)
	if err != nil {
		return err
	}
	// The files there now: those whose events have not been handled yet are as good as arrived.
	names, err := h.Objects.Names(ctx, b.Key(""))
	if err != nil {
		return err
	}
	there := map[string]bool{}
	for _, n := range names {
		there[strings.TrimPrefix(n, b.Key(""))] = true
	}
	for _, f := range known {
		if f.Name != "" && (f.Outcome != "" || f.Row != nil) {
			delete(there, f.Name) // settled, or a row of an earlier run of this manifest waits for it
		}
	}
	var candidates []batch.File
	var rest []batch.Row
	for _, r := range all {
		switch {
		case r.Refused == "" && r.Action != batch.Publish:
			if err := h.row(ctx, b, r, log); err != nil {
				return err
			}
		case r.Refused == "" && there[r.File] && (batch.File{Row: &r}).Named() == r.File:
			candidates = append(candidates, batch.File{Name: r.File, Row: &r})
		default:
			rest = append(rest, r)
		}
	}
	// Each candidate's first bytes, read at once: a PDF is published in a group, anything else
	// refused; one gone since the listing waits for its event like a file not yet there.
	read := make([]batch.File, len(candidates))
	ok := make([]bool, len(candidates))
	err = each(ctx, len(candidates), rowWorkers, func(i int) (err error) {
		read[i], ok[i], err = h.head(ctx, b, candidates[i])
		return err
	})
	if err != nil {
		return err
	}
	var ready []store.Publication
	for i, f := range read {
		switch {
		case !ok[i]:
			rest = append(rest, *f.Row)
		case f.Check() != "":
			if err := h.refuse(ctx, b, f, f.Check()); err != nil {
				return err
			}
		default:
			d := h.batchDocument(b, f)
			f.Outcome, f.Document = batch.Published, string(d.ID)
			ready = append(ready, store.Publication{File: f, Document: d})
		}
	}
	var groups [][]store.Publication
	for len(ready) > 0 {
		n := min(len(ready), store.MaxGroup)
		groups, ready = append(groups, ready[:n]), ready[n:]
	}
	err = each(ctx, len(groups), groupWorkers, func(i int) error { return h.group(ctx, b, groups[i], log) })
	if err != nil {
		return err
	}
	return each(ctx, len(rest), rowWorkers, func(i int) error { return h.row(ctx, b, rest[i], log) })
}

// groupWorkers is how many groups are written at once: each is a transaction of up to 99 items,
// and no two touch the same item.
const groupWorkers = 4

// group publishes files whose rows and objects are both there in one transaction; if any of them
// is published or settled already (a repeated event), each is published on its own instead.
func (h Handler) group(ctx context.Context, b batch.ID, pubs []store.Publication, log *slog.Logger) error {
	switch err := h.Batches.PublishGroup(ctx, b, pubs); {
	case err == nil:
		log.Info("batch files published together", "documents", len(pubs))
		return nil
	case !errors.Is(err, store.ErrConflict):
		return err
	}
	for _, p := range pubs {
		f := p.File
		f.Outcome, f.Document = "", ""
		if err := h.settle(ctx, b, f, log); err != nil {
			return err
		}
	}
	return nil
}

// each calls fn for 0..n-1, workers at a time, and returns every failure.
func each(ctx context.Context, n, workers int, fn func(i int) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	next := make(chan int)
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// row acts on one row of a manifest.
func (h Handler) row(ctx context.Context, b batch.ID, r batch.Row, log *slog.Logger) error {
	f := batch.File{Row: &r}
	switch {
	case r.Refused != "":
		return h.refuse(ctx, b, f, r.Refused)
	case r.Action == batch.Withdraw:
		return h.withdraw(ctx, b, f, log)
	}
	f, err := h.Batches.RowListed(ctx, b, r)
	if err != nil || !f.Due() {
		return err
	}
	return h.settle(ctx, b, f, log)
}

// refuse gives a row the outcome refused; a row that has an outcome already keeps it.
func (h Handler) refuse(ctx context.Context, b batch.ID, f batch.File, why string) error {
	f.Outcome, f.Reason = batch.Refused, why
	if err := h.Batches.RowSettled(ctx, b, f); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	return nil
}

// settle publishes a file whose row and object are both there (and, for a replace, hides the
// document it replaces): in place (or, from a bucket that keeps no versions, copied to published/
// and then removed from the sender's folder), recorded with its row's outcome in one transaction.
// Every step is safe to repeat.
func (h Handler) settle(ctx context.Context, b batch.ID, f batch.File, log *slog.Logger) error {
	f, there, err := h.head(ctx, b, f)
	if err != nil || !there {
		return err // gone: nothing to publish; the batch's close reports the row
	}
	if why := f.Check(); why != "" {
		return h.refuse(ctx, b, f, why)
	}
	r, key := *f.Row, b.Key(f.Name)
	d := h.batchDocument(b, f)
	f.Outcome, f.Document = batch.Published, string(d.ID)
	var replaces *store.Correction
	if r.Action == batch.Replace {
		old, why, err := h.target(ctx, b, r)
		if err != nil {
			return err
		}
		if why != "" {
			return h.refuse(ctx, b, f, why)
		}
		f.Outcome = batch.Replaced
		replaces = &store.Correction{Document: old.ID, Client: old.ClientReference, How: string(batch.Replaced), By: d.ID,
			Detail: fmt.Sprintf("batch %s line %d", b, r.Line)}
	}
	inPlace := f.Version != ""
	if !inPlace {
		// A bucket that keeps no versions: a copy under published/, which only we write.
		meta := map[string]string{"document-id": string(d.ID), "client-reference": d.ClientReference, "document-type": string(d.Type), "document-date": d.DocumentDate}
		switch err := h.Objects.Copy(ctx, key, d.Key, f.ETag, meta, "application/pdf"); {
		case errors.Is(err, bucket.ErrChanged), errors.Is(err, bucket.ErrGone):
			log.Info("batch file replaced or removed since it arrived; a new version's event handles it")
			return nil
		case err != nil:
			return err
		}
	}
	log = log.With("document", d.ID)
	switch err := h.Batches.PublishFromBatch(ctx, b, f, d, replaces); {
	case errors.Is(err, store.ErrConflict):
		log.Info("batch file already published")
	case errors.Is(err, store.ErrNotCurrent):
		return h.refuse(ctx, b, f, "the target "+r.Target.String()+" is already replaced or withdrawn")
	case err != nil:
		return err
	default:
		log.Info("batch file published", "outcome", f.Outcome, "type", d.Type, "size", d.Size, "inPlace", inPlace)
	}
	if inPlace {
		return nil
	}
	return h.remove(ctx, key, f.ETag)
}

// batchDocument is the document a batch's file makes, its id from the version read. Published
// where it is in a bucket that keeps versions: the document names the version read, which the
// sender cannot change (a write at the key is a new version; its role may not delete versions).
func (h Handler) batchDocument(b batch.ID, f batch.File) store.Document {
	key := b.Key(f.Name)
	d := newDocument(store.NewDocumentID(h.Bucket, key, f.ETag), f.Row.Fields, f.Size, h.Now())
	if f.Version != "" {
		d.Key, d.Version = key, f.Version
	}
	return d
}

// withdraw hides the document a withdraw row names.
func (h Handler) withdraw(ctx context.Context, b batch.ID, f batch.File, log *slog.Logger) error {
	r := *f.Row
	d, why, err := h.target(ctx, b, r)
	if err != nil {
		return err
	}
	if why != "" {
		return h.refuse(ctx, b, f, why)
	}
	f.Outcome, f.Document = batch.Withdrawn, string(d.ID)
	c := store.Correction{Document: d.ID, Client: d.ClientReference, How: string(batch.Withdrawn), Detail: fmt.Sprintf("batch %s line %d", b, r.Line)}
	switch err := h.Batches.Withdraw(ctx, b, f, c); {
	case errors.Is(err, store.ErrConflict):
	case errors.Is(err, store.ErrNotCurrent):
		return h.refuse(ctx, b, f, "the target "+r.Target.String()+" is already replaced or withdrawn")
	case err != nil:
		return err
	default:
		log.Info("document withdrawn", "document", d.ID)
	}
	return nil
}

// target finds the document a replace or withdraw names, in the same sending system: the
// document, or why the row is refused.
func (h Handler) target(ctx context.Context, b batch.ID, r batch.Row) (store.Document, string, error) {
	id := store.DocumentID(r.Target.Document)
	if r.Target.File != "" {
		// A batch/file target is a file of the sender's own system: it names no other's.
		tf, err := h.Batches.BatchFile(ctx, batch.ID{System: b.System, Name: r.Target.Batch}, r.Target.File)
		switch {
		case errors.Is(err, store.ErrNotFound), err == nil && tf.Outcome != batch.Published && tf.Outcome != batch.Replaced:
			return store.Document{}, "the target " + r.Target.String() + " was not published", nil
		case err != nil:
			return store.Document{}, "", err
		}
		id = store.DocumentID(tf.Document)
	}
	d, err := h.Batches.DocumentRecord(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Document{}, "the target " + r.Target.String() + " is no published document", nil
	case err != nil:
		return store.Document{}, "", err
	}
	return d, batch.Correct(r, d.ClientReference, d.Current()), nil
}

// recipients are the client's active grantees.
func (h Handler) recipients(ctx context.Context, ref string) ([]access.Email, error) {
	grants, err := h.Documents.GranteesOf(ctx, ref)
	if err != nil {
		return nil, err
	}
	now := h.Now()
	var to []access.Email
	for _, g := range grants {
		if g.Active(now) {
			to = append(to, g.Email)
		}
	}
	return to, nil
}

// complete reports the batch once every row of its manifest has an outcome.
func (h Handler) complete(ctx context.Context, b batch.ID, log *slog.Logger) error {
	st, err := h.Batches.Batch(ctx, b)
	if err != nil || st.Reported || !st.Complete() {
		return err
	}
	return h.report(ctx, b, st, log)
}

// report queues the grantees' emails, writes the batch's reconciliation report to the sender's
// reports folder, then marks the batch reported with its one summary email to Business Support. A
// repeat writes the same report and queues nothing more.
func (h Handler) report(ctx context.Context, b batch.ID, st store.Batch, log *slog.Logger) error {
	switch err := h.Batches.ClaimReport(ctx, b, reportLease); {
	case errors.Is(err, store.ErrConflict):
		log.Info("batch being reported by another run")
		return nil
	case err != nil:
		return err
	}
	files, err := h.Batches.BatchFiles(ctx, b)
	if err != nil {
		return err
	}
	// The grantees' emails are queued before the report is written: a sender (or a tool) that
	// sees the report may take it that everything the batch does is done.
	told, err := h.tell(ctx, b, files)
	if err != nil {
		return err
	}
	csv, tally := batch.Report(files, st.Refused)
	if err := h.Objects.Put(ctx, b.ReportKey(), csv, "text/csv; charset=utf-8"); err != nil {
		return err
	}
	var msgs []mail.Message
	for _, to := range h.Support {
		msgs = append(msgs, mail.BatchReportOf(to, b, tally))
	}
	switch err := h.Batches.BatchReported(ctx, b, msgs); {
	case errors.Is(err, store.ErrConflict):
		return nil
	case err != nil:
		return err
	}
	log.Info("batch reported", "told", told, "rows", tally.Rows, "published", tally.Published, "replaced", tally.Replaced, "withdrawn", tally.Withdrawn,
		"refused", tally.Refused, "missing", tally.Missing, "unlisted", tally.Unlisted)
	return nil
}

// reportLease is how long a run has to make a batch's report before another may (the schedule, if
// it stopped): a report of 12,000 rows takes seconds.
const reportLease = 2 * time.Minute

// tell queues one new-documents email to each active grantee of each client the batch published
// a document for, saying so when one of them replaced a document the person could see before.
// Each email's id is the batch's and the person's (store.BatchNoticeMailID), so a report made again
// queues none twice. It returns how many people are told.
func (h Handler) tell(ctx context.Context, b batch.ID, files []batch.File) (int, error) {
	replaced := map[string]bool{} // client reference: whether the batch replaced one of theirs
	for _, f := range files {
		if f.Row != nil && (f.Outcome == batch.Published || f.Outcome == batch.Replaced) {
			ref := f.Row.Fields.ClientReference
			replaced[ref] = replaced[ref] || f.Outcome == batch.Replaced
		}
	}
	refs := slices.Collect(maps.Keys(replaced))
	grantees := make([][]access.Email, len(refs))
	err := each(ctx, len(refs), rowWorkers, func(i int) (err error) {
		grantees[i], err = h.recipients(ctx, refs[i])
		return err
	})
	if err != nil {
		return 0, err
	}
	people := map[access.Email]bool{} // whether to say a document was replaced
	for i, ref := range refs {
		for _, e := range grantees[i] {
			people[e] = people[e] || replaced[ref]
		}
	}
	var msgs []mail.Message
	for e, r := range people {
		msgs = append(msgs, mail.Message{ID: string(store.BatchNoticeMailID(b, e)), To: e, Template: mail.NewDocuments, Replaced: r})
	}
	return len(msgs), each(ctx, len(msgs), rowWorkers, func(i int) error { return h.Batches.QueueMail(ctx, msgs[i]) })
}

// closeBatches is how many batches one scheduled run closes; the next run takes the rest.
const closeBatches = 20

// Close closes every batch whose time is up: each row without an outcome gets one (missing, or
// unfinished), a batch with no manifest is reported as such, and the report goes out.
func (h Handler) Close(ctx context.Context) error {
	due, err := h.Batches.DueBatches(ctx, closeBatches)
	if err != nil {
		return err
	}
	var errs []error
	for _, b := range due {
		if err := h.close(ctx, b); err != nil {
			h.Log.Error("closing a batch", "err", err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (h Handler) close(ctx context.Context, b batch.ID) error {
	log := h.Log.With("batch", b.String())
	st, err := h.Batches.Batch(ctx, b)
	if err != nil || st.Reported {
		return err
	}
	if st.Manifest == "" {
		why := "no manifest.csv arrived before the batch closed"
		if err := h.Batches.ManifestRead(ctx, b, "none", 0, why); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
		st.Refused = why
	}
	files, err := h.Batches.BatchFiles(ctx, b)
	if err != nil {
		return err
	}
	for _, f := range files {
		if f.Row != nil && f.Outcome == "" {
			out, why := f.Closed()
			f.Outcome, f.Reason = out, why
			if err := h.Batches.RowSettled(ctx, b, f); err != nil && !errors.Is(err, store.ErrConflict) {
				return err
			}
		}
	}
	if st, err = h.Batches.Batch(ctx, b); err != nil {
		return err
	}
	log.Info("batch closed: its time is up")
	return h.report(ctx, b, st, log)
}
