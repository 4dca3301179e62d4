package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// S3 is the part of the S3 API the function uses; *s3.Client satisfies it.
type S3 interface {
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	CopyObject(context.Context, *s3.CopyObjectInput, ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// bucketObjects is Objects over one bucket.
type bucketObjects struct {
	s3     S3
	bucket string
}

func (b bucketObjects) Read(ctx context.Context, key string, n int64) (Inbound, error) {
	out, err := b.s3.GetObject(ctx, &s3.GetObjectInput{
		Bucket: &b.bucket, Key: &key, Range: aws.String(fmt.Sprintf("bytes=0-%d", n-1)),
	})
	if hasCode(err, "InvalidRange") || status(err) == http.StatusRequestedRangeNotSatisfiable {
		return b.head(ctx, key) // an empty object has no first bytes
	}
	if notFound(err) {
		return Inbound{}, ErrGone
	}
	if err != nil {
		return Inbound{}, fmt.Errorf("reading the object: %w", err)
	}
	defer out.Body.Close()
	head, err := io.ReadAll(io.LimitReader(out.Body, n))
	if err != nil {
		return Inbound{}, fmt.Errorf("reading the object: %w", err)
	}
	size := aws.ToInt64(out.ContentLength)
	if r := aws.ToString(out.ContentRange); r != "" { // "bytes 0-4/12345": the whole size is after the slash
		if i := strings.LastIndexByte(r, '/'); i >= 0 {
			if total, err := strconv.ParseInt(r[i+1:], 10, 64); err == nil {
				size = total
			}
		}
	}
	return Inbound{
		ETag: strings.Trim(aws.ToString(out.ETag), `"`), Size: size, ContentType: aws.ToString(out.ContentType),
		Metadata: out.Metadata, Head: head,
	}, nil
}

func (b bucketObjects) head(ctx context.Context, key string) (Inbound, error) {
	out, err := b.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.bucket, Key: &key})
	if notFound(err) {
		return Inbound{}, ErrGone
	}
	if err != nil {
		return Inbound{}, fmt.Errorf("reading the object: %w", err)
	}
	return Inbound{
		ETag: strings.Trim(aws.ToString(out.ETag), `"`), Size: aws.ToInt64(out.ContentLength),
		ContentType: aws.ToString(out.ContentType), Metadata: out.Metadata,
	}, nil
}

func (b bucketObjects) Copy(ctx context.Context, from, to, etag string, meta map[string]string, contentType string) error {
	in := &s3.CopyObjectInput{
		Bucket: &b.bucket, Key: &to, CopySource: aws.String(copySource(b.bucket, from)),
		CopySourceIfMatch: aws.String(`"` + etag + `"`),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: meta,
	}
	if contentType != "" {
		in.ContentType = &contentType
	}
	_, err := b.s3.CopyObject(ctx, in)
	if status(err) == http.StatusPreconditionFailed {
		return ErrChanged
	}
	if notFound(err) {
		return ErrGone
	}
	if err != nil {
		return fmt.Errorf("copying the object: %w", err)
	}
	return nil
}

func (b bucketObjects) Delete(ctx context.Context, key, etag string) error {
	_, err := b.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b.bucket, Key: &key, IfMatch: aws.String(`"` + etag + `"`)})
	if err == nil || notFound(err) || status(err) == http.StatusPreconditionFailed {
		return nil // gone already, or replaced: the replacement's own event handles it
	}
	return fmt.Errorf("deleting the object: %w", err)
}

// copySource is x-amz-copy-source: bucket/key, each key segment URL-encoded (spaces as %20, a plus
// as %2B, so S3 cannot read either as the other).
func copySource(bucket, key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(url.QueryEscape(p), "+", "%20")
	}
	return bucket + "/" + strings.Join(parts, "/")
}

func notFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	return errors.As(err, &nsk) || errors.As(err, &nf) || hasCode(err, "NoSuchKey") || status(err) == http.StatusNotFound
}

func hasCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

func status(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
