package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"sync"

	"github.com/aws/smithy-go"

	"github.com/council/cfp/shared/bucket"
)

// fakeS3 is an in-memory uploads bucket that answers as bucket.Bucket does: ranged reads of one
// version, tags, ErrGone and ErrChanged.
type fakeS3 struct {
	mu       sync.Mutex
	objects  map[string]*fakeObject
	gets     int
	maxRange int64
	fail     error // every call fails with it when set
}

type fakeObject struct {
	data        []byte
	etag        string
	contentType string
	tags        map[string]string
}

func newFakeS3() *fakeS3 { return &fakeS3{objects: map[string]*fakeObject{}} }

func (f *fakeS3) put(key, contentType string, data []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	sum := md5.Sum(data)
	etag := hex.EncodeToString(sum[:])
	f.objects[key] = &fakeObject{data: data, etag: etag, contentType: contentType}
	return etag
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
	if f.fail != nil {
		return nil, f.fail
	}
	o := f.objects[key]
	if o == nil {
		return nil, bucket.ErrGone
	}
	if etag != "" && etag != o.etag {
		return nil, bucket.ErrChanged
	}
	return o, nil
}

func (o *fakeObject) head() bucket.Object {
	return bucket.Object{ETag: o.etag, Size: int64(len(o.data)), ContentType: o.contentType}
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

func (f *fakeS3) Read(_ context.Context, key, etag string, off int64, p []byte) (bucket.Object, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.find(key, etag)
	if err != nil {
		return bucket.Object{}, 0, err
	}
	f.gets++
	f.maxRange = max(f.maxRange, int64(len(p)))
	return o.head(), copy(p, o.data[min(off, int64(len(o.data))):]), nil
}

func (f *fakeS3) Tags(_ context.Context, key, etag string) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.find(key, etag)
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

// record is one record of an S3 event as S3 sends it (the key URL-encoded), read as the function
// reads it: a key that does not decode makes a record the event skips.
func record(name, bucketName, encodedKey, etag string) bucket.Record {
	body, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"eventName": name, "s3": map[string]any{
		"bucket": map[string]any{"name": bucketName},
		"object": map[string]any{"key": encodedKey, "eTag": etag, "sequencer": "0055AED6DCD90281E5"},
	}}}})
	var ev bucket.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		panic(err)
	}
	return ev.Records[0]
}
