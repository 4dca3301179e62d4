package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/scan"
	"github.com/council/cfp/shared/store"
)

// Evidence is what the handler needs of the store.
type Evidence interface {
	Evidence(ctx context.Context, r access.RequestID, e access.EvidenceID) (access.Evidence, store.Scan, error)
	RecordCheck(ctx context.Context, r access.RequestID, e access.EvidenceID, c store.Check) (access.Evidence, store.Scan, error)
	RecordVerdict(ctx context.Context, r access.RequestID, e access.EvidenceID, v store.Verdict) (access.Evidence, store.Scan, error)
	PromoteIfReady(ctx context.Context, id access.RequestID, reviewers access.Reviewers) (access.Status, error)
}

// Objects is what the handler needs of the uploads bucket (a bucket.Bucket).
type Objects interface {
	Head(ctx context.Context, key string) (bucket.Object, error)
	ReadVersion(ctx context.Context, key string, v bucket.Object, off int64, p []byte) (bucket.Object, int, error)
	VersionTags(ctx context.Context, key string, v bucket.Object) (map[string]string, error)
	Delete(ctx context.Context, key, etag string) error
	Put(ctx context.Context, key string, body []byte, contentType string) error
}

// Handler handles S3 event notifications from the uploads bucket.
type Handler struct {
	Evidence  Evidence
	Objects   Objects
	Bucket    string // the uploads bucket; events of any other are ignored
	Reviewers access.Reviewers
	Log       *slog.Logger
}

// Handle handles every record, as bucket.Event.Each says. Each step is idempotent, so when one
// record fails the whole event is returned as failed and Lambda's retry does again only what is
// left to do.
func (h Handler) Handle(ctx context.Context, ev bucket.Event) error {
	return ev.Each(ctx, h.Log, h.record)
}

func (h Handler) record(ctx context.Context, rec bucket.Record) error {
	log := h.Log.With("event", rec.Name, "sequencer", rec.Sequencer)
	key := rec.Key
	reqID, evID, ok := access.ParseEvidenceKey(key)
	if rec.Bucket != h.Bucket || !ok {
		log.Warn("ignored: not an evidence upload of this bucket (evidence/<request>/<evidence>)")
		return nil
	}
	log = log.With("request", reqID, "evidence", evID)
	created, tagged := rec.Created(), rec.Name == "ObjectTagging:Put"
	if !created && !tagged {
		log.Info("ignored: not an event this function handles")
		return nil
	}

	obj, err := h.Objects.Head(ctx, key)
	if errors.Is(err, bucket.ErrGone) {
		log.Info("ignored: the object no longer exists")
		return nil
	}
	if err != nil {
		log.Error("reading the object's head", "err", err)
		return err
	}
	if rec.ETag != "" && rec.ETag != obj.ETag || rec.Version != "" && rec.Version != obj.Version {
		log.Info("ignored: the event is about an earlier version of the object")
		return nil
	}
	ev, facts, err := h.Evidence.Evidence(ctx, reqID, evID)
	if errors.Is(err, store.ErrNotFound) {
		log.Warn("ignored: no such evidence")
		return nil
	}
	if err != nil {
		log.Error("reading the evidence", "err", err)
		return err
	}

	// The checks run on whichever event comes first for this version: a verdict may arrive
	// before the object-created event, and is recorded only once the checks are. A version is
	// known by its id, not its ETag: a replacement with the same ETag is checked again.
	if !facts.Checked || !facts.Is(obj.Version, obj.ETag) {
		res, err := h.check(ctx, key, obj, ev.File.ContentType)
		if gone(err) {
			log.Info("ignored: " + err.Error())
			return nil
		}
		if err != nil {
			log.Error("checking the object", "err", err)
			return err
		}
		c := store.Check{Version: obj.Version, ETag: obj.ETag, SHA256: res.SHA256}
		if res.Problem != nil {
			c.Problem = res.Problem.Reason
			log = log.With("problem", res.Problem.Code)
		}
		if ev, facts, err = h.Evidence.RecordCheck(ctx, reqID, evID, c); err != nil {
			log.Error("recording the checks", "err", err)
			return err
		}
	}

	if tagged {
		tags, err := h.Objects.VersionTags(ctx, key, obj) // this version's: a replacement has its own events
		if gone(err) {
			log.Info("ignored: " + err.Error())
			return nil
		}
		if err != nil {
			log.Error("reading the object's tags", "err", err)
			return err
		}
		value, ok := tags[scan.StatusTag]
		outcome, reason := scan.Verdict(value, ok)
		log = log.With("verdict", value)
		if ev, facts, err = h.Evidence.RecordVerdict(ctx, reqID, evID, store.Verdict{Version: obj.Version, ETag: obj.ETag, Outcome: outcome, Value: value, Reason: reason}); err != nil {
			log.Error("recording the verdict", "err", err)
			return err
		}
	}

	if facts.Remove() {
		switch err := h.Objects.Delete(ctx, key, obj.ETag); {
		case errors.Is(err, bucket.ErrChanged):
			log.Info("refused object replaced since: the replacement's own events handle it")
		case err != nil:
			log.Error("deleting a refused object", "err", err)
			return err
		default:
			log.Info("refused object deleted from the bucket")
		}
	}
	log = log.With("status", ev.Status)
	if ev.Status == access.Clean && !ev.Rendition.For(facts) {
		// Staff see a rendition, not the upload: its (empty) request object starts function render.
		if err := h.Objects.Put(ctx, access.RenderKey(reqID, evID), nil, "application/octet-stream"); err != nil {
			log.Error("asking for the rendition", "err", err)
			return err
		}
	}
	if ev.Status == access.Clean {
		st, err := h.Evidence.PromoteIfReady(ctx, reqID, h.Reviewers)
		if err != nil {
			log.Error("moving the request on to review", "err", err)
			return err
		}
		log = log.With("requestStatus", st)
	}
	log.Info("evidence recorded")
	return nil
}

// check runs the content checks over bounded ranged reads of one version of the object. The
// object must be what the requester declared, and stored as that type.
func (h Handler) check(ctx context.Context, key string, obj bucket.Object, declared string) (scan.Result, error) {
	types := []string{declared}
	if obj.ContentType != declared {
		types = append(types, obj.ContentType)
	}
	return scan.Check(h.reader(ctx, key, obj), obj.Size, types...)
}

// gone reports whether err means the record is no longer about what is in the bucket: the object
// was deleted or replaced since, and the replacement has its own events.
func gone(err error) bool {
	return errors.Is(err, bucket.ErrGone) || errors.Is(err, bucket.ErrChanged)
}
