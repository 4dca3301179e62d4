package bucket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
)

// Event is an S3 event notification, the body a function is invoked with. It is read record by
// record, so one record that cannot be read does not lose the others (aws-lambda-go's
// events.S3Event decodes keys while unmarshalling, and so fails the whole event on one bad key).
type Event struct {
	Records []Record
}

// Record is one record of an S3 event notification, with what the functions read of it.
type Record struct {
	Name      string // eventName: "ObjectCreated:Put", "ObjectTagging:Put", ...
	Bucket    string
	Key       string // decoded: the key S3 knows the object by
	ETag      string // without quotes; some events have none
	Version   string // the S3 version id, in a bucket that keeps versions
	Size      int64
	Sequencer string
	bad       error // why the record cannot be read; Each skips it
}

// wire is a record as S3 writes it: the key URL-encoded as in a form, '+' a space.
type wire struct {
	EventName string `json:"eventName"`
	S3        struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       string `json:"key"`
			Size      int64  `json:"size"`
			ETag      string `json:"eTag"`
			VersionID string `json:"versionId"`
			Sequencer string `json:"sequencer"`
		} `json:"object"`
	} `json:"s3"`
}

// UnmarshalJSON reads every record on its own and decodes its key once. Only a body that is not an
// object with a list of records is an error.
func (e *Event) UnmarshalJSON(b []byte) error {
	var raw struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	e.Records = make([]Record, len(raw.Records))
	for i, m := range raw.Records {
		e.Records[i] = parse(m)
	}
	return nil
}

func parse(m json.RawMessage) Record {
	var w wire
	if err := json.Unmarshal(m, &w); err != nil {
		return Record{bad: errors.New("not the JSON of an S3 event record")}
	}
	o := w.S3.Object
	r := Record{Name: w.EventName, Bucket: w.S3.Bucket.Name, ETag: unquote(o.ETag), Version: o.VersionID, Size: o.Size, Sequencer: o.Sequencer}
	key, err := url.QueryUnescape(o.Key)
	if err != nil {
		r.bad = errors.New("the key is not URL-encoded")
		return r
	}
	r.Key = key
	return r
}

// Each hands every record to handle, in order, and returns what Lambda must hear. The rule:
//
//   - A record that cannot be read (not a record's JSON, or a key that is not URL-encoded) is logged
//     and skipped, and the event does not fail for it: no retry can mend it, and failing would
//     only run every other record again.
//   - A record that handle fails (a service unavailable) is logged and does not stop the others.
//     Each then returns the failures joined, so Lambda retries the event as it does today: an
//     asynchronous invocation is retried whole, and as every step of the handlers is safe to
//     repeat, the records already done find their work done and change nothing.
func (e Event) Each(ctx context.Context, log *slog.Logger, handle func(context.Context, Record) error) error {
	var errs []error
	for i, r := range e.Records {
		if r.bad != nil {
			// The reason only: a key is personal data (a client reference, a file name).
			log.Warn("record skipped: it cannot be read", "record", i, "sequencer", r.Sequencer, "reason", r.bad.Error())
			continue
		}
		if err := handle(ctx, r); err != nil {
			log.Error("record not handled, the event will be retried", "record", i, "sequencer", r.Sequencer, "err", err)
			errs = append(errs, fmt.Errorf("record %d: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// Created reports whether the record is about a new object (any way of writing one).
func (r Record) Created() bool { return strings.HasPrefix(r.Name, "ObjectCreated:") }
