package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/smithy-go"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

// fakeS3 is an in-memory uploads bucket that keeps versions, as the real one does, and answers
// as bucket.Bucket does: ranged reads of one version, tags, ErrGone and ErrChanged. Only the
// current version is kept: naming an earlier one is ErrGone.
type fakeS3 struct {
	mu       sync.Mutex
	objects  map[string]*fakeObject
	versions int
	gets     int
	maxRange int64
	fail     error // every call fails with it when set
}

type fakeObject struct {
	data        []byte
	etag        string
	version     string
	contentType string
	tags        map[string]string
}

func newFakeS3() *fakeS3 { return &fakeS3{objects: map[string]*fakeObject{}} }

func (f *fakeS3) put(key, contentType string, data []byte) string {
	sum := md5.Sum(data)
	return f.putETag(key, contentType, data, hex.EncodeToString(sum[:]))
}

// putETag writes a new version with the ETag given: an MD5 collision, or a multipart upload whose
// ETag is not the MD5 of its bytes.
func (f *fakeS3) putETag(key, contentType string, data []byte, etag string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.versions++
	f.objects[key] = &fakeObject{data: data, etag: etag, version: fmt.Sprintf("v%d", f.versions), contentType: contentType}
	return etag
}

// version is the current version id of the object at key.
func (f *fakeS3) version(key string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.objects[key].version
}

func (f *fakeS3) tag(key, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[key].tags = map[string]string{"GuardDutyMalwareScanStatus": value}
}

func (f *fakeS3) exists(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.objects[key] != nil
}

func apiErr(code string) error { return &smithy.GenericAPIError{Code: code, Message: code} }

// find returns the object at key if it is version etag (any version when etag is empty).
func (f *fakeS3) find(key, etag string) (*fakeObject, error) {
	return f.findVersion(key, bucket.Object{ETag: etag})
}

// findVersion returns the object at key if it is the version v names: by its version id (ErrGone
// for an earlier one) and by its ETag (ErrChanged), as far as v has either.
func (f *fakeS3) findVersion(key string, v bucket.Object) (*fakeObject, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	o := f.objects[key]
	if o == nil || v.Version != "" && v.Version != o.version {
		return nil, bucket.ErrGone
	}
	if v.ETag != "" && v.ETag != o.etag {
		return nil, bucket.ErrChanged
	}
	return o, nil
}

func (o *fakeObject) head() bucket.Object {
	return bucket.Object{ETag: o.etag, Version: o.version, Size: int64(len(o.data)), ContentType: o.contentType}
}

func (f *fakeS3) Head(_ context.Context, key string) (bucket.Object, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.find(key, "")
	if err != nil {
		return bucket.Object{}, err
	}
	return o.head(), nil
}

func (f *fakeS3) ReadVersion(_ context.Context, key string, v bucket.Object, off int64, p []byte) (bucket.Object, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.findVersion(key, v)
	if err != nil {
		return bucket.Object{}, 0, err
	}
	f.gets++
	f.maxRange = max(f.maxRange, int64(len(p)))
	return o.head(), copy(p, o.data[min(off, int64(len(o.data))):]), nil
}

func (f *fakeS3) VersionTags(_ context.Context, key string, v bucket.Object) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.findVersion(key, v)
	if err != nil {
		return nil, err
	}
	return o.tags, nil
}

func (f *fakeS3) Delete(_ context.Context, key, etag string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.find(key, etag)
	if err == bucket.ErrGone {
		return nil
	}
	if err != nil {
		return err
	}
	delete(f.objects, key)
	return nil
}

func (f *fakeS3) Put(_ context.Context, key string, body []byte, contentType string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	sum := md5.Sum(body)
	f.versions++
	f.objects[key] = &fakeObject{data: body, etag: hex.EncodeToString(sum[:]), version: fmt.Sprintf("v%d", f.versions), contentType: contentType}
	return nil
}

// record is one record of an S3 event as S3 sends it (the key URL-encoded), read as the function
// reads it: a key that does not decode makes a record the event skips.
func record(name, bucketName, encodedKey, etag string) bucket.Record {
	return versionRecord(name, bucketName, encodedKey, etag, "")
}

func versionRecord(name, bucketName, encodedKey, etag, version string) bucket.Record {
	object := map[string]any{"key": encodedKey, "eTag": etag, "sequencer": "0055AED6DCD90281E5"}
	if version != "" {
		object["versionId"] = version
	}
	body, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"eventName": name, "s3": map[string]any{
		"bucket": map[string]any{"name": bucketName},
		"object": object,
	}}}})
	var ev bucket.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		panic(err)
	}
	return ev.Records[0]
}

// memStore is an in-memory Evidence: the facts and what they add up to are the domain's
// (access.Scan, Request.Promote, the events), as in the real store, and the emails those events
// ask for are kept in an outbox.
type memStore struct {
	mu       sync.Mutex
	requests map[access.RequestID]*access.Request
	evidence map[string]*access.Evidence
	scans    map[string]*access.Scan
	outbox   []mail.Message
}

func newMemStore() *memStore {
	return &memStore{requests: map[access.RequestID]*access.Request{}, evidence: map[string]*access.Evidence{}, scans: map[string]*access.Scan{}}
}

// add stores a request and its evidence, as submit-request and submit leave them.
func (m *memStore) add(r access.Request, ev []access.Evidence) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[r.ID] = &r
	for _, e := range ev {
		m.evidence[e.Key()] = &e
	}
}

func (m *memStore) request(id access.RequestID) access.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return *m.requests[id]
}

func (m *memStore) queue(events []access.Event) {
	for _, e := range events {
		if msg, ok := mail.For(e); ok {
			m.outbox = append(m.outbox, msg)
		}
	}
}

func (m *memStore) Evidence(_ context.Context, r access.RequestID, e access.EvidenceID) (access.Evidence, store.Scan, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ev := m.evidence[access.EvidenceKey(r, e)]
	if ev == nil {
		return access.Evidence{}, store.Scan{}, store.ErrNotFound
	}
	var facts store.Scan
	if f := m.scans[ev.Key()]; f != nil {
		facts = *f
	}
	return *ev, facts, nil
}

func (m *memStore) RecordCheck(ctx context.Context, r access.RequestID, e access.EvidenceID, c store.Check) (access.Evidence, store.Scan, error) {
	return m.record(r, e, func(f store.Scan) store.Scan { return f.WithCheck(c) })
}

func (m *memStore) RecordVerdict(ctx context.Context, r access.RequestID, e access.EvidenceID, v store.Verdict) (access.Evidence, store.Scan, error) {
	return m.record(r, e, func(f store.Scan) store.Scan { return f.WithVerdict(v) })
}

// record applies a fact as the store does: a duplicate changes nothing; a file newly refused
// queues the email asking for a new upload.
func (m *memStore) record(r access.RequestID, e access.EvidenceID, apply func(store.Scan) store.Scan) (access.Evidence, store.Scan, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := access.EvidenceKey(r, e)
	ev := m.evidence[key]
	if ev == nil {
		return access.Evidence{}, store.Scan{}, store.ErrNotFound
	}
	before, seen := m.scans[key]
	var facts store.Scan
	if seen {
		facts = *before
	}
	if after := apply(facts); !seen || after != facts {
		settled := ev.Settle(after, time.Now().UTC())
		m.queue(m.requests[r].EvidenceSettled(*ev, settled))
		*ev, facts = settled, after
		m.scans[key] = &facts
	}
	return *ev, facts, nil
}

func (m *memStore) PromoteIfReady(_ context.Context, id access.RequestID, reviewers access.Reviewers) (access.Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.requests[id]
	if r == nil {
		return "", store.ErrNotFound
	}
	var ev []access.Evidence
	for _, e := range m.evidence {
		if e.RequestID == id {
			ev = append(ev, *e)
		}
	}
	next, events, err := r.Promote(ev, reviewers, time.Now().UTC())
	switch {
	case errors.Is(err, access.ErrNotReady), errors.Is(err, access.ErrIllegalMove):
		return r.Status, nil
	case err != nil:
		return "", err
	}
	*r = next
	m.queue(events)
	return r.Status, nil
}

// mail returns the queued emails of one template about one request.
func (m *memStore) mail(tmpl mail.Template, ref access.RequestID) []mail.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []mail.Message
	for _, q := range m.outbox {
		if q.Template == tmpl && q.Request == ref {
			out = append(out, q)
		}
	}
	return out
}
