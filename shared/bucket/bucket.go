package bucket

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Form is a presigned POST: the browser posts every field, then the file as "file", to URL.
type Form struct {
	URL       string            `json:"url"`
	Fields    map[string]string `json:"fields"`
	ExpiresAt time.Time         `json:"expiresAt"`
}

// Bucket is one S3 bucket.
type Bucket struct {
	Client  *s3.Client
	Presign *s3.PresignClient
	Name    string
}

// New returns the bucket; the presign client is built once with it.
func New(c *s3.Client, name string) Bucket {
	return Bucket{Client: c, Presign: s3.NewPresignClient(c), Name: name}
}

// UploadForm returns a form that can put exactly one object of contentType, between 1 byte and
// maxSize, at key, until ttl has passed. S3 enforces every condition; the key is ours, not the browser's.
func (b Bucket) UploadForm(ctx context.Context, key, contentType string, maxSize int64, ttl time.Duration) (Form, error) {
	return b.postForm(ctx, key, "Content-Type", contentType, maxSize, ttl)
}

// PageForm returns a form for a page without JavaScript, which cannot know the file's type before
// it is chosen: one object at key, of any type (S3 stores it as an octet stream; the checks read
// its type from its bytes), between 1 byte and maxSize, until ttl has passed; S3 then sends the
// browser to redirect (success_action_redirect), with the bucket, key and ETag added to its query.
func (b Bucket) PageForm(ctx context.Context, key, redirect string, maxSize int64, ttl time.Duration) (Form, error) {
	return b.postForm(ctx, key, "success_action_redirect", redirect, maxSize, ttl)
}

// postForm presigns a POST of one object at key, between 1 byte and maxSize, with one more field
// the form must carry exactly as given.
func (b Bucket) postForm(ctx context.Context, key, field, value string, maxSize int64, ttl time.Duration) (Form, error) {
	p, err := b.Presign.PresignPostObject(ctx, &s3.PutObjectInput{Bucket: &b.Name, Key: &key}, func(o *s3.PresignPostOptions) {
		o.Expires = ttl
		o.Conditions = []any{
			map[string]string{"key": key},
			map[string]string{field: value},
			[]any{"content-length-range", 1, maxSize},
		}
	})
	if err != nil {
		return Form{}, err
	}
	fields := map[string]string{field: value}
	for k, v := range p.Values {
		fields[k] = v
	}
	return Form{URL: p.URL, Fields: fields, ExpiresAt: time.Now().Add(ttl).UTC().Truncate(time.Second)}, nil
}

// Exists reports whether an object is there. It lists rather than heads the object: the uploads
// bucket denies reading an object that has no clean malware verdict yet, and listing reads no object.
func (b Bucket) Exists(ctx context.Context, key string) (bool, error) {
	out, err := b.Client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b.Name, Prefix: &key, MaxKeys: aws.Int32(1)})
	if err != nil {
		return false, err
	}
	return len(out.Contents) == 1 && aws.ToString(out.Contents[0].Key) == key, nil
}

// DownloadURL returns a presigned GET link valid for ttl, that makes browsers save the file as fileName.
func (b Bucket) DownloadURL(ctx context.Context, key, fileName string, ttl time.Duration) (string, error) {
	return b.download(ctx, &s3.GetObjectInput{Bucket: &b.Name, Key: &key}, fileName, ttl)
}

// VersionURL is DownloadURL for one version of the object: a later write at key is not what the
// link gives. Signing it takes s3:GetObjectVersion.
func (b Bucket) VersionURL(ctx context.Context, key, version, fileName string, ttl time.Duration) (string, error) {
	return b.download(ctx, &s3.GetObjectInput{Bucket: &b.Name, Key: &key, VersionId: &version}, fileName, ttl)
}

func (b Bucket) download(ctx context.Context, in *s3.GetObjectInput, fileName string, ttl time.Duration) (string, error) {
	if fileName != "" {
		in.ResponseContentDisposition = aws.String(`attachment; filename="` + safeName(fileName) + `"`)
	}
	r, err := b.Presign.PresignGetObject(ctx, in, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", err
	}
	return r.URL, nil
}

// safeName keeps a file name from breaking out of its header quotes.
func safeName(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r < 0x20 || r == '"' || r == '\\' || r > 0x7e {
			r = '_'
		}
		out = append(out, r)
	}
	return string(out)
}
