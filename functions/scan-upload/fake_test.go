package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/aws/smithy-go"

	"github.com/council/cfp/shared/bucket"
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
