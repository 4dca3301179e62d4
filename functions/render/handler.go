package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/council/cfp/functions/render/rendition"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/store"
)

// Evidence is what the handler needs of the store.
type Evidence interface {
	Evidence(ctx context.Context, r access.RequestID, e access.EvidenceID) (access.Evidence, store.Scan, error)
	RecordRendition(ctx context.Context, r access.RequestID, e access.EvidenceID, rd access.Rendition) error
}

// Objects is what the handler needs of the uploads bucket (a bucket.Bucket).
type Objects interface {
	ReadVersion(ctx context.Context, key string, v bucket.Object, off int64, p []byte) (bucket.Object, int, error)
	PutVersion(ctx context.Context, key string, body []byte, contentType string) (string, error)
	Delete(ctx context.Context, key, etag string) error
}

// Renderer makes renditions (rendition.Engine for PDFs).
type Renderer interface {
	PDF(ctx context.Context, data []byte) ([]byte, int, error)
}

// Handler handles the creation events of render/<request>/<evidence>, which scan-upload writes
// once an evidence file is clean.
type Handler struct {
	Evidence Evidence
	Objects  Objects
	Renderer Renderer
	Bucket   string        // the uploads bucket; events of any other are ignored
	Margin   time.Duration // of the function's time kept to record a refusal after a time-out
	Now      func() time.Time
	Log      *slog.Logger
}

// Handle handles every record, as bucket.Event.Each says. Each step is idempotent: a rendition
// already made for the version checked is not made again.
func (h Handler) Handle(ctx context.Context, ev bucket.Event) error {
	return ev.Each(ctx, h.Log, h.record)
}

func (h Handler) record(ctx context.Context, rec bucket.Record) error {
	log := h.Log.With("event", rec.Name, "sequencer", rec.Sequencer)
	reqID, evID, ok := access.ParseRenderKey(rec.Key)
	if rec.Bucket != h.Bucket || !ok || !rec.Created() {
		log.Warn("ignored: not the creation of render/<request>/<evidence> in this bucket")
		return nil
	}
	log = log.With("request", reqID, "evidence", evID)
	ev, facts, err := h.Evidence.Evidence(ctx, reqID, evID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		log.Warn("ignored: no such evidence")
		return h.done(ctx, rec, log)
	case err != nil:
		log.Error("reading the evidence", "err", err)
		return err
	case ev.Status != access.Clean:
		log.Info("ignored: the evidence is not clean", "status", ev.Status)
		return h.done(ctx, rec, log)
	case ev.Rendition.For(facts):
		log.Info("ignored: the rendition is made")
		return h.done(ctx, rec, log)
	}

	rd, err := h.render(ctx, ev, facts)
	if errors.Is(err, bucket.ErrGone) || errors.Is(err, bucket.ErrChanged) {
		log.Info("ignored: the version checked is no longer there (its replacement is checked on its own)")
		return h.done(ctx, rec, log)
	}
	if err != nil {
		log.Error("making the rendition", "err", err)
		return err
	}
	switch err := h.Evidence.RecordRendition(ctx, reqID, evID, rd); {
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		log.Info("ignored: the evidence changed while it was rendered")
	case err != nil:
		log.Error("recording the rendition", "err", err)
		return err
	}
	log.Info("rendition recorded", "pages", rd.Pages, "refused", rd.Refused != "")
	return h.done(ctx, rec, log)
}

// render makes the rendition of exactly the version checked: read by its version id, and only
// when its bytes hash to what the checks read.
func (h Handler) render(ctx context.Context, ev access.Evidence, facts store.Scan) (access.Rendition, error) {
	rd := access.Rendition{Version: facts.Version, SHA256: facts.SHA256, At: h.Now().UTC()}
	data := make([]byte, access.MaxFileSize+1)
	obj, n, err := h.Objects.ReadVersion(ctx, ev.Key(), bucket.Object{Version: facts.Version, ETag: facts.ETag}, 0, data)
	if err != nil {
		return rd, fmt.Errorf("reading the version checked: %w", err)
	}
	data = data[:n]
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != facts.SHA256 || int64(n) != obj.Size {
		rd.Refused = "The file read is not the file that was checked."
		return rd, nil
	}
	var out []byte
	rd.Type = ev.File.ContentType
	if rd.Type == "application/pdf" {
		rctx, cancel := deadline(ctx, h.Margin)
		out, rd.Pages, err = h.Renderer.PDF(rctx, data)
		cancel()
	} else {
		out, err = rendition.Image(data, rd.Type)
	}
	var refusal rendition.Refusal
	switch {
	case errors.As(err, &refusal):
		rd.Refused, rd.Type = string(refusal), ""
		return rd, nil
	case err != nil:
		return rd, err
	}
	rd.Key = access.RenditionKey(ev.RequestID, ev.ID)
	// Staff are given this version of the key, so that no later write there is shown as this file's.
	if rd.Object, err = h.Objects.PutVersion(ctx, rd.Key, out, rd.Type); err != nil {
		return rd, fmt.Errorf("writing the rendition: %w", err)
	}
	return rd, nil
}

// done deletes the request object: its work is done, or there is none to do.
func (h Handler) done(ctx context.Context, rec bucket.Record, log *slog.Logger) error {
	if err := h.Objects.Delete(ctx, rec.Key, ""); err != nil {
		log.Error("deleting the rendition request", "err", err)
		return err
	}
	return nil
}

// deadline is ctx's deadline less margin, so that a refusal can still be recorded in time.
func deadline(ctx context.Context, margin time.Duration) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, d.Add(-margin))
	}
	return context.WithCancel(ctx)
}
