package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"mime"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/batch"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/store"
)

// Inbound is what the handler reads of a dropped object.
type Inbound struct {
	bucket.Object
	Head []byte // the first bytes (at most the length asked for)
}

// Objects is what the handler needs of the documents bucket (a bucket.Bucket).
type Objects interface {
	Read(ctx context.Context, key, etag string, off int64, p []byte) (bucket.Object, int, error)
	Copy(ctx context.Context, from, to, etag string, meta map[string]string, contentType string) error
	Delete(ctx context.Context, key, etag string) error
	Put(ctx context.Context, key string, body []byte, contentType string) error
	Names(ctx context.Context, prefix string) ([]string, error)
}

// Documents is what the handler needs of the store.
type Documents interface {
	GranteesOf(ctx context.Context, clientRef string) ([]store.Grant, error)
	PublishDocument(ctx context.Context, d store.Document, recipients []access.Email) error
}

// Key prefixes in the documents bucket.
const (
	inbound   = "inbound/"
	published = "published/"
	rejected  = "rejected/"
)

const (
	pdfMagic    = "%PDF-"
	maxTitle    = access.MaxTitle
	reasonField = "rejection-reason"
)

// Handler publishes dropped documents.
type Handler struct {
	Objects   Objects
	Documents Documents
	Batches   Batches
	Window    time.Duration  // how long a batch may take to arrive whole, from its first object
	Support   []access.Email // Business Support: each batch's summary
	Bucket    string         // the documents bucket; events of any other are ignored
	ClientRef *regexp.Regexp // the council's client reference format
	Now       func() time.Time
	Log       *slog.Logger
	Opened    *sync.Map // the batches this instance has opened (nil: none remembered)
}

// Handle handles every record of an S3 event, as bucket.Event.Each says: a record that fails (AWS
// unavailable) does not stop the others and fails the event, so Lambda retries it; every step
// being idempotent, the retry repeats only what is unfinished.
func (h Handler) Handle(ctx context.Context, ev bucket.Event) error {
	return ev.Each(ctx, h.Log, h.record)
}

func (h Handler) record(ctx context.Context, rec bucket.Record) error {
	key, etag := rec.Key, rec.ETag
	log := h.Log.With("etag", etag, "sequencer", rec.Sequencer)
	switch {
	case !rec.Created():
		log.Info("event ignored: not an object creation", "event", rec.Name)
		return nil
	case rec.Bucket != h.Bucket:
		log.Warn("event ignored: not the documents bucket")
		return nil
	case strings.HasPrefix(key, batch.Prefix):
		return h.batchRecord(ctx, rec, log)
	case !strings.HasPrefix(key, inbound) || strings.HasSuffix(key, "/"):
		log.Info("event ignored: not a document under inbound/")
		return nil
	}

	head := make([]byte, len(pdfMagic))
	obj, n, err := h.Objects.Read(ctx, key, "", 0, head)
	if errors.Is(err, bucket.ErrGone) {
		log.Info("object already handled")
		return nil
	}
	if err != nil {
		return err
	}
	in := Inbound{Object: obj, Head: head[:n]}
	if in.ETag != etag {
		log.Info("object replaced since the event; its own event handles it")
		return nil
	}
	doc, reasons := h.check(rec.Bucket, key, in)
	if len(reasons) > 0 {
		return h.reject(ctx, key, in, reasons, log)
	}
	return h.publish(ctx, key, in, doc, log.With("document", doc.ID))
}

// check validates an object's metadata and bytes, returning the document it makes or the reasons
// it is refused (every one of them, so the back office can fix them all at once).
func (h Handler) check(bucket, key string, in Inbound) (store.Document, []string) {
	field := func(name string) string { return strings.TrimSpace(decodeWords(in.Metadata[name])) }
	f := access.DocumentFields{ClientReference: field("client-reference"), Type: field("document-type"), Date: field("document-date"), Title: field("title")}
	reasons := f.Problems(h.ClientRef, metadataNames)
	if !bytes.HasPrefix(in.Head, []byte(pdfMagic)) {
		reasons = append(reasons, "not a PDF")
	}
	if len(reasons) > 0 {
		return store.Document{}, reasons
	}
	id := store.NewDocumentID(bucket, key, in.ETag)
	return newDocument(id, f, in.Size, h.Now()), nil
}

// metadataNames are the fields' names as x-amz-meta-* headers.
var metadataNames = access.FieldNames{ClientReference: "client-reference", Type: "document-type", Date: "document-date", Title: "title"}

// newDocument is the document fields make, published at now under published/<reference>/.
func newDocument(id store.DocumentID, f access.DocumentFields, size int64, now time.Time) store.Document {
	return store.Document{
		ID: id, ClientReference: f.ClientReference, Type: store.DocumentType(f.Type), Title: f.Title, DocumentDate: f.Date,
		PublishedAt: now.UTC(), Size: size, Key: published + f.ClientReference + "/" + string(id) + ".pdf",
	}
}

// reject moves a bad object under rejected/, the reasons in its metadata.
func (h Handler) reject(ctx context.Context, key string, in Inbound, reasons []string, log *slog.Logger) error {
	meta := maps.Clone(in.Metadata)
	if meta == nil {
		meta = map[string]string{}
	}
	meta[reasonField] = strings.Join(reasons, "; ")
	err := h.Objects.Copy(ctx, key, rejected+strings.TrimPrefix(key, inbound), in.ETag, meta, in.ContentType)
	if errors.Is(err, bucket.ErrChanged) {
		log.Info("object replaced since the event; its own event handles it")
		return nil
	}
	if err != nil {
		return err
	}
	if err := h.remove(ctx, key, in.ETag); err != nil {
		return err
	}
	log.Warn("document rejected", "reasons", reasons, "size", in.Size)
	return nil
}

// publish copies the document to where the portal reads it, records it with its notices in one
// transaction, and only then removes it from inbound/.
func (h Handler) publish(ctx context.Context, key string, in Inbound, d store.Document, log *slog.Logger) error {
	meta := map[string]string{
		"document-id": string(d.ID), "client-reference": d.ClientReference,
		"document-type": string(d.Type), "document-date": d.DocumentDate,
	}
	err := h.Objects.Copy(ctx, key, d.Key, in.ETag, meta, "application/pdf")
	if errors.Is(err, bucket.ErrChanged) {
		log.Info("object replaced since the event; its own event handles it")
		return nil
	}
	if err != nil {
		return err
	}
	to, err := h.recipients(ctx, d.ClientReference)
	if err != nil {
		return err
	}
	switch err := h.Documents.PublishDocument(ctx, d, to); {
	case errors.Is(err, store.ErrConflict):
		log.Info("document already published")
	case err != nil:
		return err
	default:
		log.Info("document published", "type", d.Type, "size", d.Size, "grantees", len(to))
	}
	return h.remove(ctx, key, in.ETag)
}

// remove deletes the inbound object unless it has been replaced: the replacement's own event
// handles it.
func (h Handler) remove(ctx context.Context, key, etag string) error {
	if err := h.Objects.Delete(ctx, key, etag); err != nil && !errors.Is(err, bucket.ErrChanged) {
		return err
	}
	return nil
}

// decodeWords decodes an RFC 2047 encoded metadata value (S3 returns non-ASCII values so); any
// other value is returned as it is.
func decodeWords(v string) string {
	if !strings.Contains(v, "=?") {
		return v
	}
	dec := new(mime.WordDecoder)
	if s, err := dec.DecodeHeader(v); err == nil {
		return s
	}
	return v
}
