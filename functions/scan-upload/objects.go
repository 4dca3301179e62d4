package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// S3 is the part of the S3 API the function uses; *s3.Client satisfies it.
type S3 interface {
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	GetObjectTagging(context.Context, *s3.GetObjectTaggingInput, ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// Errors that mean "this event is no longer about what is in the bucket": not failures.
var (
	errGone     = errors.New("the object no longer exists")
	errReplaced = errors.New("the object was replaced while it was being read")
)

// classify maps S3's answers for a missing or changed object onto errGone and errReplaced.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NotFound", "NoSuchKey":
			return errGone
		case "PreconditionFailed":
			return errReplaced
		}
	}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) {
		switch resp.HTTPStatusCode() {
		case http.StatusNotFound:
			return errGone
		case http.StatusPreconditionFailed:
			return errReplaced
		}
	}
	return err
}

// object is what a HEAD tells about an object.
type object struct {
	etag        string // without quotes, as events carry it
	size        int64
	contentType string
}

func (h Handler) head(ctx context.Context, key string) (object, error) {
	out, err := h.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &h.Bucket, Key: &key})
	if err != nil {
		return object{}, classify(err)
	}
	return object{etag: unquote(aws.ToString(out.ETag)), size: aws.ToInt64(out.ContentLength), contentType: aws.ToString(out.ContentType)}, nil
}

func unquote(etag string) string { return strings.Trim(etag, `"`) }

// tags returns the object's tags.
func (h Handler) tags(ctx context.Context, key string) (map[string]string, error) {
	out, err := h.S3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &h.Bucket, Key: &key})
	if err != nil {
		return nil, classify(err)
	}
	tags := make(map[string]string, len(out.TagSet))
	for _, t := range out.TagSet {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags, nil
}

// remove deletes the object; one already gone is fine.
func (h Handler) remove(ctx context.Context, key string) error {
	_, err := h.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &h.Bucket, Key: &key})
	if err = classify(err); errors.Is(err, errGone) {
		return nil
	}
	return err
}

// blockSize is the size of one ranged GET. The checks read front to back, with short excursions
// (an object stream, the last KiB), so two blocks held at once serve nearly every read once:
// memory stays at 2 MiB whatever the file's size, and a 10 MiB file costs about 10 GETs.
const blockSize = 1 << 20

// rangeReader reads one version of an object (If-Match its ETag) in ranged GETs of blockSize,
// keeping the two blocks used last.
type rangeReader struct {
	ctx    context.Context
	s3     S3
	bucket string
	key    string
	obj    object
	blocks [2]block
	clock  int
	gets   int // GET requests made, for tests and the benchmark
}

type block struct {
	off  int64
	n    int
	used int
	buf  []byte
}

func (h Handler) reader(ctx context.Context, key string, obj object) *rangeReader {
	return &rangeReader{ctx: ctx, s3: h.S3, bucket: h.Bucket, key: key, obj: obj}
}

func (r *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) && off < r.obj.size {
		b, err := r.block(off - off%blockSize)
		if err != nil {
			return n, err
		}
		c := copy(p[n:], b.buf[off-b.off:b.n])
		n, off = n+c, off+int64(c)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *rangeReader) block(start int64) (*block, error) {
	r.clock++
	victim := &r.blocks[0]
	for i := range r.blocks {
		b := &r.blocks[i]
		if b.n > 0 && b.off == start {
			b.used = r.clock
			return b, nil
		}
		if b.used < victim.used {
			victim = b
		}
	}
	end := min(start+blockSize, r.obj.size) // exclusive
	if victim.buf == nil {
		victim.buf = make([]byte, min(blockSize, r.obj.size))
	}
	victim.n, victim.used = 0, r.clock
	r.gets++
	out, err := r.s3.GetObject(r.ctx, &s3.GetObjectInput{
		Bucket: &r.bucket, Key: &r.key,
		Range:   aws.String(fmt.Sprintf("bytes=%d-%d", start, end-1)),
		IfMatch: aws.String(`"` + r.obj.etag + `"`),
	})
	if err != nil {
		return nil, classify(err)
	}
	defer out.Body.Close()
	n, err := io.ReadFull(out.Body, victim.buf[:end-start])
	if err != nil {
		return nil, fmt.Errorf("reading bytes %d-%d: %w", start, end-1, err)
	}
	victim.off, victim.n = start, n
	return victim, nil
}
