package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// fakeS3 is an in-memory bucket that answers like S3: ranged GETs, If-Match, tags, 404s.
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

func (f *fakeS3) find(key *string, ifMatch *string, missing string) (*fakeObject, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	o := f.objects[aws.ToString(key)]
	if o == nil {
		return nil, apiErr(missing)
	}
	if ifMatch != nil && *ifMatch != `"`+o.etag+`"` {
		return nil, apiErr("PreconditionFailed")
	}
	return o, nil
}

func (f *fakeS3) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.find(in.Key, in.IfMatch, "NotFound")
	if err != nil {
		return nil, err
	}
	return &s3.HeadObjectOutput{ETag: aws.String(`"` + o.etag + `"`), ContentLength: aws.Int64(int64(len(o.data))), ContentType: aws.String(o.contentType)}, nil
}

func (f *fakeS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.find(in.Key, in.IfMatch, "NoSuchKey")
	if err != nil {
		return nil, err
	}
	f.gets++
	var from, to int64
	if _, err := fmt.Sscanf(aws.ToString(in.Range), "bytes=%d-%d", &from, &to); err != nil || to >= int64(len(o.data)) || from > to {
		return nil, apiErr("InvalidRange")
	}
	f.maxRange = max(f.maxRange, to-from+1)
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(o.data[from : to+1]))}, nil
}

func (f *fakeS3) GetObjectTagging(_ context.Context, in *s3.GetObjectTaggingInput, _ ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.find(in.Key, nil, "NoSuchKey")
	if err != nil {
		return nil, err
	}
	out := &s3.GetObjectTaggingOutput{}
	for k, v := range o.tags {
		out.TagSet = append(out.TagSet, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out, nil
}

func (f *fakeS3) DeleteObject(_ context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	delete(f.objects, aws.ToString(in.Key))
	return &s3.DeleteObjectOutput{}, nil
}
