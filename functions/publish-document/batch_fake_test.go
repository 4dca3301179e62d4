package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/batch"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

// The fake store's batches, as shared/store keeps them: one state per batch, one per file or row
// (by file name, or by line for a row kept so), each outcome written once with the count of rows
// done, a document's publication with its notices and outcome together.

type fakeBatch struct {
	st      store.Batch
	files   map[string]batch.File
	claimed time.Time // a report's claim lasts until then
}

func fileKey(f batch.File) string {
	if n := f.Named(); n != "" {
		return "FILE#" + n
	}
	return fmt.Sprintf("LINE#%06d", f.Row.Line)
}

func (d *fakeDocs) batch(b batch.ID) *fakeBatch {
	if d.batches == nil {
		d.batches = map[batch.ID]*fakeBatch{}
	}
	return d.batches[b]
}

func (d *fakeDocs) OpenBatch(_ context.Context, b batch.ID, deadline time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.batch(b) == nil {
		d.batches[b] = &fakeBatch{st: store.Batch{ID: b, Deadline: deadline}, files: map[string]batch.File{}}
	}
	return nil
}

func (d *fakeDocs) Batch(_ context.Context, b batch.ID) (store.Batch, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if fb := d.batch(b); fb != nil {
		return fb.st, nil
	}
	return store.Batch{}, store.ErrNotFound
}

func (d *fakeDocs) ManifestRead(_ context.Context, b batch.ID, etag string, rows int, refused string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	fb := d.batch(b)
	if fb == nil || fb.st.Reported || fb.st.Manifest != "" && fb.st.Manifest != etag {
		return store.ErrConflict
	}
	fb.st.Manifest, fb.st.Rows, fb.st.Refused = etag, rows, refused
	return nil
}

func (d *fakeDocs) FileArrived(_ context.Context, b batch.ID, f batch.File) (batch.File, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fb := d.batch(b)
	k := fileKey(batch.File{Name: f.Name})
	cur := fb.files[k]
	if cur.Outcome != "" {
		return cur, nil
	}
	cur.Name, cur.Arrived, cur.ETag, cur.Version, cur.Size = f.Name, true, f.ETag, f.Version, f.Size
	fb.files[k] = cur
	return cur, nil
}

func (d *fakeDocs) RowListed(_ context.Context, b batch.ID, r batch.Row) (batch.File, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fb := d.batch(b)
	k := fileKey(batch.File{Row: &r})
	cur := fb.files[k]
	if cur.Outcome != "" {
		return cur, nil
	}
	cur.Name = r.File
	if cur.Row == nil {
		cur.Row = &r
	}
	fb.files[k] = cur
	return cur, nil
}

// settled writes an outcome once; the caller holds the lock.
func (d *fakeDocs) settled(b batch.ID, f batch.File) error {
	fb := d.batch(b)
	k := fileKey(f)
	cur := fb.files[k]
	if cur.Outcome != "" {
		return store.ErrConflict
	}
	if cur.Row == nil {
		cur.Row = f.Row
	}
	if f.Arrived && f.Name != "" {
		cur.Name, cur.Arrived, cur.ETag, cur.Version, cur.Size, cur.PDF = f.Name, true, f.ETag, f.Version, f.Size, f.PDF
	}
	cur.Outcome, cur.Reason, cur.Document = f.Outcome, f.Reason, f.Document
	fb.files[k] = cur
	fb.st.Done++
	return nil
}

func (d *fakeDocs) RowSettled(_ context.Context, b batch.ID, f batch.File) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.settled(b, f)
}

// hide hides a current document of the client; the caller holds the lock.
func (d *fakeDocs) hide(c store.Correction) error {
	old, ok := d.docs[c.Document]
	if !ok || !old.Current() || old.ClientReference != c.Client {
		return store.ErrNotCurrent
	}
	old.Hidden, old.ReplacedBy = c.How, c.By
	d.docs[c.Document] = old
	d.audits = append(d.audits, c)
	return nil
}

func (d *fakeDocs) PublishFromBatch(_ context.Context, b batch.ID, f batch.File, doc store.Document, c *store.Correction) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail {
		return fmt.Errorf("DynamoDB unavailable")
	}
	if _, ok := d.docs[doc.ID]; ok || d.batch(b).files[fileKey(f)].Outcome != "" {
		return store.ErrConflict
	}
	if c != nil {
		if old, ok := d.docs[c.Document]; !ok || !old.Current() {
			return store.ErrNotCurrent
		}
	}
	_ = d.settled(b, f)
	if c != nil {
		_ = d.hide(*c)
	}
	d.docs[doc.ID] = doc
	return nil
}

// PublishGroup publishes all or nothing; groupConflicts fails that many calls as a repeat would.
func (d *fakeDocs) PublishGroup(_ context.Context, b batch.ID, pubs []store.Publication) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail {
		return fmt.Errorf("DynamoDB unavailable")
	}
	if len(pubs) > store.MaxGroup {
		return fmt.Errorf("%d publications in a group", len(pubs))
	}
	d.groups = append(d.groups, len(pubs))
	for _, p := range pubs {
		if _, ok := d.docs[p.Document.ID]; ok || d.batch(b).files[fileKey(p.File)].Outcome != "" || d.groupConflicts > 0 {
			d.groupConflicts--
			return store.ErrConflict
		}
	}
	for _, p := range pubs {
		_ = d.settled(b, p.File)
		d.docs[p.Document.ID] = p.Document
	}
	return nil
}

// QueueMail queues each email once (by its id), as the outbox does.
func (d *fakeDocs) QueueMail(_ context.Context, msgs ...mail.Message) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail {
		return fmt.Errorf("DynamoDB unavailable")
	}
	for _, m := range msgs {
		if !slices.ContainsFunc(d.told, func(q mail.Message) bool { return q.ID == m.ID }) {
			d.told = append(d.told, m)
		}
	}
	return nil
}

// toldTo are the new-documents emails queued to e.
func (d *fakeDocs) toldTo(e access.Email) []mail.Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []mail.Message
	for _, m := range d.told {
		if m.To == e && m.Template == mail.NewDocuments {
			out = append(out, m)
		}
	}
	return out
}

func (d *fakeDocs) Withdraw(_ context.Context, b batch.ID, f batch.File, c store.Correction) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.batch(b).files[fileKey(f)].Outcome != "" {
		return store.ErrConflict
	}
	if old, ok := d.docs[c.Document]; !ok || !old.Current() {
		return store.ErrNotCurrent
	}
	_ = d.settled(b, f)
	return d.hide(c)
}

func (d *fakeDocs) BatchFile(_ context.Context, b batch.ID, name string) (batch.File, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fb := d.batch(b)
	if fb == nil {
		return batch.File{}, store.ErrNotFound
	}
	f, ok := fb.files[fileKey(batch.File{Name: name})]
	if !ok {
		return batch.File{}, store.ErrNotFound
	}
	return f, nil
}

func (d *fakeDocs) DocumentRecord(_ context.Context, id store.DocumentID) (store.Document, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	doc, ok := d.docs[id]
	if !ok {
		return store.Document{}, store.ErrNotFound
	}
	return doc, nil
}

func (d *fakeDocs) BatchFiles(_ context.Context, b batch.ID) ([]batch.File, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []batch.File
	for _, f := range d.batch(b).files {
		out = append(out, f)
	}
	return out, nil
}

func (d *fakeDocs) BatchReported(_ context.Context, b batch.ID, msgs []mail.Message) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	fb := d.batch(b)
	if fb.st.Reported {
		return store.ErrConflict
	}
	fb.st.Reported = true
	d.mails = append(d.mails, msgs...)
	return nil
}

// ClaimReport lets one claim stand for lease at the fake clock.
func (d *fakeDocs) ClaimReport(_ context.Context, b batch.ID, lease time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	fb := d.batch(b)
	if fb == nil || fb.st.Reported || d.now.Before(fb.claimed) {
		return store.ErrConflict
	}
	fb.claimed = d.now.Add(lease)
	return nil
}

func (d *fakeDocs) DueBatches(_ context.Context, limit int) ([]batch.ID, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []batch.ID
	for id, fb := range d.batches {
		due := !fb.st.Deadline.After(d.now) || !fb.claimed.IsZero() && !fb.claimed.After(d.now) // a claim moves it, as in the store
		if !fb.st.Reported && due && len(out) < limit {
			out = append(out, id)
		}
	}
	return out, nil
}

func (b *fakeBucket) Names(_ context.Context, prefix string) ([]string, error) {
	return slices.Sorted(maps.Keys(b.under(prefix))), nil
}

func (b *fakeBucket) Put(_ context.Context, key string, body []byte, ct string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.objects[key] = object{body: bytes.Clone(body), contentType: ct}
	return nil
}
