package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
	PublishFromBatch(ctx context.Context, b batch.ID, f batch.File, d store.Document, to []access.Email, replaces *store.Correction) error
	Withdraw(ctx context.Context, b batch.ID, f batch.File, c store.Correction) error
	BatchFile(ctx context.Context, b batch.ID, name string) (batch.File, error)
	DocumentRecord(ctx context.Context, id store.DocumentID) (store.Document, error)
	BatchFiles(ctx context.Context, b batch.ID) ([]batch.File, error)
	BatchReported(ctx context.Context, b batch.ID, summaries []mail.Message) error
	DueBatches(ctx context.Context, limit int) ([]batch.ID, error)
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
	head := make([]byte, len(pdfMagic))
	obj, n, err := h.Objects.Read(ctx, rec.Key, "", 0, head)
	switch {
	case errors.Is(err, bucket.ErrGone):
		log.Info("object already handled")
		return nil
	case err != nil:
		return err
	case obj.ETag != rec.ETag:
		log.Info("object replaced since the event; its own event handles it")
		return nil
	}
	f, err := h.Batches.FileArrived(ctx, b, batch.File{Name: name, ETag: obj.ETag, Version: obj.Version, Size: obj.Size, PDF: bytes.HasPrefix(head[:n], []byte(pdfMagic))})
	if err != nil || !f.Due() {
		return err
	}
	if err := h.settle(ctx, b, f, log); err != nil {
		return err
	}
	return h.complete(ctx, b, log)
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
	h.grantees = &grantees{} // a client's rows are usually together: its grantees are read once
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

// rowWorkers is how many rows of a manifest are acted on at once: each waits on DynamoDB and S3
// round trips, so a 12,000-row manifest is done well within the function's timeout.
const rowWorkers = 16

// rows acts on every row: corrections first, one by one in the manifest's order (two may name one
// document by its id and by its batch/file: the first wins, as the sender wrote them), then the
// others rowWorkers at a time. Any failure fails the event, whose retry repeats only what is
// unfinished.
func (h Handler) rows(ctx context.Context, b batch.ID, all []batch.Row, log *slog.Logger) error {
	var rows []batch.Row
	for _, r := range all {
		if r.Refused != "" || r.Action == batch.Publish {
			rows = append(rows, r)
		} else if err := h.row(ctx, b, r, log); err != nil {
			return err
		}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	next := make(chan batch.Row)
	for range min(rowWorkers, len(rows)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range next {
				if err := h.row(ctx, b, r, log); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, r := range rows {
		next <- r
	}
	close(next)
	wg.Wait()
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
// document it replaces): copied to published/, recorded with its notices and its row's outcome in
// one transaction, then removed from the sender's folder. Every step is safe to repeat.
func (h Handler) settle(ctx context.Context, b batch.ID, f batch.File, log *slog.Logger) error {
	if why := f.Check(); why != "" {
		return h.refuse(ctx, b, f, why)
	}
	r, key := *f.Row, b.Key(f.Name)
	d := newDocument(store.NewDocumentID(h.Bucket, key, f.ETag), r.Fields, f.Size, h.Now())
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
	if inPlace {
		// Published where it is: the document names the version that arrived, which the sender
		// cannot change (a write at the key is a new version; its role may not delete versions).
		d.Key, d.Version = key, f.Version
	} else {
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
	to, err := h.recipients(ctx, d.ClientReference)
	if err != nil {
		return err
	}
	log = log.With("document", d.ID)
	switch err := h.Batches.PublishFromBatch(ctx, b, f, d, to, replaces); {
	case errors.Is(err, store.ErrConflict):
		log.Info("batch file already published")
	case errors.Is(err, store.ErrNotCurrent):
		return h.refuse(ctx, b, f, "the target "+r.Target.String()+" is already replaced or withdrawn")
	case err != nil:
		return err
	default:
		log.Info("batch file published", "outcome", f.Outcome, "type", d.Type, "size", d.Size, "grantees", len(to), "inPlace", inPlace)
	}
	if inPlace {
		return nil
	}
	return h.remove(ctx, key, f.ETag)
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

// grantees remembers each client's grants for the rows of one manifest: a client's several
// documents cost one Query, and rows of the same client acted on at once wait for the first.
type grantees struct {
	mu sync.Mutex
	of map[string]*clientGrants
}

type clientGrants struct {
	once   sync.Once
	grants []store.Grant
	err    error
}

func (g *grantees) get(ctx context.Context, docs Documents, ref string) ([]store.Grant, error) {
	g.mu.Lock()
	if g.of == nil {
		g.of = map[string]*clientGrants{}
	}
	c := g.of[ref]
	if c == nil {
		c = &clientGrants{}
		g.of[ref] = c
	}
	g.mu.Unlock()
	c.once.Do(func() { c.grants, c.err = docs.GranteesOf(ctx, ref) })
	return c.grants, c.err
}

// recipients are the client's active grantees.
func (h Handler) recipients(ctx context.Context, ref string) ([]access.Email, error) {
	var grants []store.Grant
	var err error
	if h.grantees != nil {
		grants, err = h.grantees.get(ctx, h.Documents, ref)
	} else {
		grants, err = h.Documents.GranteesOf(ctx, ref)
	}
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

// report writes the batch's reconciliation report to the sender's reports folder, then marks the
// batch reported with its one summary email to Business Support. A repeat writes the same report
// and queues nothing more.
func (h Handler) report(ctx context.Context, b batch.ID, st store.Batch, log *slog.Logger) error {
	files, err := h.Batches.BatchFiles(ctx, b)
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
	log.Info("batch reported", "rows", tally.Rows, "published", tally.Published, "replaced", tally.Replaced, "withdrawn", tally.Withdrawn,
		"refused", tally.Refused, "missing", tally.Missing, "unlisted", tally.Unlisted)
	return nil
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
