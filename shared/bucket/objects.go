package bucket

import (
	"bytes"
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
)

// The two answers that mean an event is no longer about what is in the bucket: the functions skip
// such a record rather than fail it, as a retry would find the same.
var (
	ErrGone    = errors.New("the object is not there")                    // deleted, or never written
	ErrChanged = errors.New("the object was replaced by another version") // its ETag no longer matches
)

// Object is what S3 says of one version of an object.
type Object struct {
	ETag        string // without quotes, as events carry it
	Version     string // the S3 version id; "" in a bucket that keeps none
	Size        int64  // the whole object's, also after a ranged read
	ContentType string
	Metadata    map[string]string // user metadata as S3 returns it: lower-case names, values as sent
}

// Head returns what S3 says of the object at key; ErrGone when there is none.
func (b Bucket) Head(ctx context.Context, key string) (Object, error) {
	return b.head(ctx, key, "")
}

// pin names one version of an object by its id in a read's input. Reading a version by its id
// is an IAM action of its own (s3:GetObjectVersion): only ReadVersion pins, so only code that
// reaches it needs that action (infra/wiring's walk of each function's calls sees this).
type pin func(get *s3.GetObjectInput, head *s3.HeadObjectInput)

func (b Bucket) head(ctx context.Context, key, etag string) (Object, error) {
	return b.headPinned(ctx, key, etag, nil)
}

func (b Bucket) headPinned(ctx context.Context, key, etag string, version pin) (Object, error) {
	in := &s3.HeadObjectInput{Bucket: &b.Name, Key: &key, IfMatch: ifMatch(etag)}
	if version != nil {
		version(nil, in)
	}
	out, err := b.Client.HeadObject(ctx, in)
	if err != nil {
		return Object{}, classify("reading the object's head", err)
	}
	return Object{ETag: unquote(aws.ToString(out.ETag)), Version: aws.ToString(out.VersionId), Size: aws.ToInt64(out.ContentLength),
		ContentType: aws.ToString(out.ContentType), Metadata: out.Metadata}, nil
}

// ReadVersion is Read of the version v names: by its version id, in a bucket that keeps versions
// (ErrGone when that version is not there), else by its ETag (ErrChanged for any other).
func (b Bucket) ReadVersion(ctx context.Context, key string, v Object, off int64, p []byte) (Object, int, error) {
	if v.Version == "" {
		return b.Read(ctx, key, v.ETag, off, p)
	}
	return b.read(ctx, key, v.ETag, func(get *s3.GetObjectInput, head *s3.HeadObjectInput) {
		if get != nil {
			get.VersionId = &v.Version
		}
		if head != nil {
			head.VersionId = &v.Version
		}
	}, off, p)
}

// VersionTags is Tags of the version v names: by its version id when it has one.
func (b Bucket) VersionTags(ctx context.Context, key string, v Object) (map[string]string, error) {
	if v.Version == "" {
		return b.Tags(ctx, key, v.ETag)
	}
	out, err := b.Client.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &b.Name, Key: &key, VersionId: &v.Version})
	if err != nil {
		return nil, classify("reading the object's tags", err)
	}
	return tagMap(out.TagSet), nil
}

// Read reads the object's bytes from off into p in one ranged GET, and returns what S3 says of the
// object with the number of bytes read. It reads fewer than len(p) bytes only where the object
// ends. With etag set it reads that version only (ErrChanged for any other); ErrGone when there is
// no object. An object that ends before off, as an empty one does, gives its head and no bytes: S3
// refuses such a range, so that costs one HEAD more.
func (b Bucket) Read(ctx context.Context, key, etag string, off int64, p []byte) (Object, int, error) {
	return b.read(ctx, key, etag, nil, off, p)
}

func (b Bucket) read(ctx context.Context, key, etag string, version pin, off int64, p []byte) (Object, int, error) {
	if len(p) == 0 {
		o, err := b.headPinned(ctx, key, etag, version)
		return o, 0, err
	}
	in := &s3.GetObjectInput{
		Bucket: &b.Name, Key: &key, IfMatch: ifMatch(etag),
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+int64(len(p))-1)),
	}
	if version != nil {
		version(in, nil)
	}
	out, err := b.Client.GetObject(ctx, in)
	if code(err) == "InvalidRange" || status(err) == http.StatusRequestedRangeNotSatisfiable {
		o, err := b.headPinned(ctx, key, etag, version)
		return o, 0, err
	}
	if err != nil {
		return Object{}, 0, classify("reading the object", err)
	}
	defer out.Body.Close()
	n, err := io.ReadFull(out.Body, p)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Object{}, n, fmt.Errorf("reading the object: %w", err)
	}
	size := aws.ToInt64(out.ContentLength)
	if r := aws.ToString(out.ContentRange); r != "" { // "bytes 0-4/12345": the whole size is after the slash
		if i := strings.LastIndexByte(r, '/'); i >= 0 {
			if total, err := strconv.ParseInt(r[i+1:], 10, 64); err == nil {
				size = total
			}
		}
	}
	return Object{ETag: unquote(aws.ToString(out.ETag)), Version: aws.ToString(out.VersionId), Size: size,
		ContentType: aws.ToString(out.ContentType), Metadata: out.Metadata}, n, nil
}

// Tags returns the tags of version etag of the object: ErrChanged when the object is another
// version by the time they are read, ErrGone when there is none. S3 reads tags of whatever version
// is current, so the object's head is read after them: the same ETag then means they were etag's.
func (b Bucket) Tags(ctx context.Context, key, etag string) (map[string]string, error) {
	out, err := b.Client.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &b.Name, Key: &key})
	if err != nil {
		return nil, classify("reading the object's tags", err)
	}
	now, err := b.Head(ctx, key)
	if err != nil {
		return nil, err
	}
	if now.ETag != etag {
		return nil, ErrChanged
	}
	return tagMap(out.TagSet), nil
}

func tagMap(set []types.Tag) map[string]string {
	tags := make(map[string]string, len(set))
	for _, t := range set {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags
}

// Copy copies version etag of the object at from to to, within the bucket, with the given metadata
// in place of the source's and, when set, contentType. ErrChanged when from is another version by
// then, ErrGone when there is no object at from.
func (b Bucket) Copy(ctx context.Context, from, to, etag string, meta map[string]string, contentType string) error {
	in := &s3.CopyObjectInput{
		Bucket: &b.Name, Key: &to, CopySource: aws.String(copySource(b.Name, from)),
		CopySourceIfMatch: ifMatch(etag), MetadataDirective: types.MetadataDirectiveReplace, Metadata: meta,
	}
	if contentType != "" {
		in.ContentType = &contentType
	}
	_, err := b.Client.CopyObject(ctx, in)
	return classify("copying the object", err)
}

// Put writes body at key as an object of contentType, replacing whatever is there.
func (b Bucket) Put(ctx context.Context, key string, body []byte, contentType string) error {
	_, err := b.PutVersion(ctx, key, body, contentType)
	return err
}

// PutVersion is Put that also says the version id S3 gave the object ("" where the bucket keeps
// none), so that a reader can later be given exactly what was written.
func (b Bucket) PutVersion(ctx context.Context, key string, body []byte, contentType string) (string, error) {
	out, err := b.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: &b.Name, Key: &key, Body: bytes.NewReader(body), ContentType: &contentType})
	if err != nil {
		return "", classify("writing the object", err)
	}
	return aws.ToString(out.VersionId), nil
}

// Delete deletes the object at key if it is still version etag (any version when etag is empty):
// ErrChanged when it is another. An object already gone is deleted: nil.
func (b Bucket) Delete(ctx context.Context, key, etag string) error {
	_, err := b.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b.Name, Key: &key, IfMatch: ifMatch(etag)})
	if err = classify("deleting the object", err); errors.Is(err, ErrGone) {
		return nil
	}
	return err
}

func ifMatch(etag string) *string {
	if etag == "" {
		return nil
	}
	return aws.String(`"` + etag + `"`)
}

func unquote(etag string) string { return strings.Trim(etag, `"`) }

// copySource is x-amz-copy-source: bucket/key, each key segment URL-encoded (spaces as %20, a plus
// as %2B, so S3 cannot read either as the other).
func copySource(bucket, key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(url.QueryEscape(p), "+", "%20")
	}
	return bucket + "/" + strings.Join(parts, "/")
}

// classify maps S3's answers for a missing or replaced object onto ErrGone and ErrChanged, and
// says what was being done in any other error.
func classify(doing string, err error) error {
	if err == nil {
		return nil
	}
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	switch c := code(err); {
	case errors.As(err, &nsk), errors.As(err, &nf), c == "NoSuchKey", c == "NotFound", status(err) == http.StatusNotFound:
		return ErrGone
	case c == "PreconditionFailed", status(err) == http.StatusPreconditionFailed:
		return ErrChanged
	}
	return fmt.Errorf("%s: %w", doing, err)
}

func code(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

func status(err error) int {
	var re interface{ HTTPStatusCode() int } // the SDK's and smithy's response errors alike
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// DeleteEveryVersion deletes every version of every object under prefix, and every delete marker,
// so that nothing of them is left to restore, and says how many it deleted. S3 deletes a version
// that is already gone without complaint, so a second run (or two at once) finds less or nothing
// to do. It needs s3:ListBucketVersions on the prefix and s3:DeleteObjectVersion on its objects.
func (b Bucket) DeleteEveryVersion(ctx context.Context, prefix string) (int, error) {
	if prefix == "" || !strings.HasSuffix(prefix, "/") {
		return 0, fmt.Errorf("deleting every version under %q: a prefix must name a folder", prefix)
	}
	n := 0
	in := &s3.ListObjectVersionsInput{Bucket: &b.Name, Prefix: &prefix}
	for {
		out, err := b.Client.ListObjectVersions(ctx, in)
		if err != nil {
			return n, classify("listing the versions", err)
		}
		type version struct{ key, id *string }
		var all []version
		for _, v := range out.Versions {
			all = append(all, version{v.Key, v.VersionId})
		}
		for _, m := range out.DeleteMarkers {
			all = append(all, version{m.Key, m.VersionId})
		}
		for _, v := range all {
			if !strings.HasPrefix(aws.ToString(v.key), prefix) || aws.ToString(v.id) == "" {
				continue // not asked for; or no version id to name it by
			}
			_, err := b.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b.Name, Key: v.key, VersionId: v.id})
			if err = classify("deleting a version", err); err != nil && !errors.Is(err, ErrGone) {
				return n, err
			}
			n++
		}
		if !aws.ToBool(out.IsTruncated) {
			return n, nil
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
}

// Names returns the keys of the objects under prefix, as they are now (ListObjectsV2, a request per
// 1,000 keys). It needs s3:ListBucket on the prefix.
func (b Bucket) Names(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	in := &s3.ListObjectsV2Input{Bucket: &b.Name, Prefix: &prefix}
	for {
		page, err := b.Client.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, classify("listing the objects", err)
		}
		for _, o := range page.Contents {
			out = append(out, aws.ToString(o.Key))
		}
		if !aws.ToBool(page.IsTruncated) {
			return out, nil
		}
		in.ContinuationToken = page.NextContinuationToken
	}
}
