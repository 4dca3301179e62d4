package main

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"

	"github.com/council/cfp/shared/access"
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

// Handler handles S3 event notifications from the uploads bucket.
type Handler struct {
	Evidence  Evidence
	S3        S3
	Bucket    string
	Reviewers access.Reviewers
	Log       *slog.Logger
}

// Event is an S3 event notification, with only what the handler reads. (aws-lambda-go's
// events.S3Event decodes keys while unmarshalling and so fails the whole event on one bad key.)
type Event struct {
	Records []Record `json:"Records"`
}

// Record is one record of an S3 event notification.
type Record struct {
	EventName string `json:"eventName"`
	S3        struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       string `json:"key"` // URL-encoded as in a form: '+' is a space
			ETag      string `json:"eTag"`
			Sequencer string `json:"sequencer"`
		} `json:"object"`
	} `json:"s3"`
}

// Handle handles every record. Each step is idempotent, so when one record fails the whole event
// is returned as failed and Lambda's retry does again only what is left to do.
func (h Handler) Handle(ctx context.Context, ev Event) error {
	var errs []error
	for _, rec := range ev.Records {
		if err := h.record(ctx, rec); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (h Handler) record(ctx context.Context, rec Record) error {
	log := h.Log.With("event", rec.EventName, "sequencer", rec.S3.Object.Sequencer)
	key, err := url.QueryUnescape(rec.S3.Object.Key)
	if err != nil {
		log.Warn("ignored: the key is not URL-encoded")
		return nil
	}
	reqID, evID, ok := access.ParseEvidenceKey(key)
	if rec.S3.Bucket.Name != h.Bucket || !ok {
		log.Warn("ignored: not an evidence upload of this bucket (evidence/<request>/<evidence>)")
		return nil
	}
	log = log.With("request", reqID, "evidence", evID)
	created, tagged := strings.HasPrefix(rec.EventName, "ObjectCreated:"), rec.EventName == "ObjectTagging:Put"
	if !created && !tagged {
		log.Info("ignored: not an event this function handles")
		return nil
	}

	obj, err := h.head(ctx, key)
	if errors.Is(err, errGone) {
		log.Info("ignored: the object no longer exists")
		return nil
	}
	if err != nil {
		log.Error("reading the object's head", "err", err)
		return err
	}
	if e := unquote(rec.S3.Object.ETag); e != "" && e != obj.etag {
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
	// before the object-created event, and is recorded only once the checks are.
	if !facts.Checked || facts.ETag != obj.etag {
		res, err := h.check(ctx, key, obj, ev.File.ContentType)
		if errors.Is(err, errGone) || errors.Is(err, errReplaced) {
			log.Info("ignored: " + err.Error())
			return nil
		}
		if err != nil {
			log.Error("checking the object", "err", err)
			return err
		}
		c := store.Check{ETag: obj.etag, SHA256: res.SHA256}
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
		tags, err := h.tags(ctx, key)
		if err == nil {
			// The tags read must be this version's: a replacement has its own events.
			var again object
			if again, err = h.head(ctx, key); err == nil && again.etag != obj.etag {
				err = errReplaced
			}
		}
		if errors.Is(err, errGone) || errors.Is(err, errReplaced) {
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
		if ev, facts, err = h.Evidence.RecordVerdict(ctx, reqID, evID, store.Verdict{ETag: obj.etag, Outcome: outcome, Value: value, Reason: reason}); err != nil {
			log.Error("recording the verdict", "err", err)
			return err
		}
	}

	if facts.Remove() {
		if err := h.remove(ctx, key); err != nil {
			log.Error("deleting a refused object", "err", err)
			return err
		}
		log.Info("refused object deleted from the bucket")
	}
	log = log.With("status", ev.Status)
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
func (h Handler) check(ctx context.Context, key string, obj object, declared string) (scan.Result, error) {
	types := []string{declared}
	if obj.contentType != declared {
		types = append(types, obj.contentType)
	}
	return scan.Check(h.reader(ctx, key, obj), obj.size, types...)
}
