package s3front

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/council/cfp/shared/bucket"
)

// The functions' S3 abstraction (shared/bucket) against the local S3, as the stack runs it. The
// front does not enforce If-Match on reads, copies and deletes (gofakes3 only does on PUT), so
// ErrChanged is shown by shared/bucket's own tests, against S3's answers.
func TestTheBucketAbstractionAgainstTheLocalS3(t *testing.T) {
	st := start(t, t.TempDir())
	ctx := context.Background()
	b := bucket.New(st.client(), "uploads")
	pdf := "%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
	meta := map[string]string{"client-reference": "1234567", "title": "Invoice"}

	key := "inbound/run 1/Smith+Jones & Co (2).pdf"
	put := st.put(key, pdf, func(in *s3.PutObjectInput) { in.Metadata, in.ContentType = meta, aws.String("application/pdf") })
	etag := strings.Trim(aws.ToString(put.ETag), `"`)
	head := make([]byte, 5)
	obj, n, err := b.Read(ctx, key, "", 0, head)
	if err != nil || n != 5 || string(head) != "%PDF-" || obj.Size != int64(len(pdf)) || obj.ETag != etag || obj.Metadata["client-reference"] != "1234567" {
		t.Fatalf("read %d %q %+v %v", n, head, obj, err)
	}
	rest := make([]byte, 100)
	if _, n, err := b.Read(ctx, key, etag, 5, rest); err != nil || !bytes.Equal(rest[:n], []byte(pdf[5:])) {
		t.Fatalf("read to the end: %d %v", n, err)
	}
	if h, err := b.Head(ctx, key); err != nil || h.ETag != etag || h.ContentType != "application/pdf" {
		t.Fatalf("head %+v %v", h, err)
	}

	if err := b.Copy(ctx, key, "published/1234567/d1.pdf", etag, map[string]string{"document-id": "d1"}, "application/pdf"); err != nil {
		t.Fatal(err)
	}
	body, out := st.get("published/1234567/d1.pdf")
	if body != pdf || out.Metadata["document-id"] != "d1" {
		t.Fatalf("copy: %q %v", body, out.Metadata)
	}

	tagged := "evidence/r1/e1"
	put = st.put(tagged, pdf, func(in *s3.PutObjectInput) { in.Tagging = aws.String("GuardDutyMalwareScanStatus=NO_THREATS_FOUND") })
	if tags, err := b.Tags(ctx, tagged, strings.Trim(aws.ToString(put.ETag), `"`)); err != nil || tags["GuardDutyMalwareScanStatus"] != "NO_THREATS_FOUND" {
		t.Fatalf("tags %v %v", tags, err)
	}
	if _, err := b.Tags(ctx, tagged, "an-earlier-version"); !errors.Is(err, bucket.ErrChanged) {
		t.Fatalf("tags of another version: %v", err)
	}

	if err := b.Delete(ctx, key, etag); err != nil {
		t.Fatal(err)
	}
	st.missing(key)
	if _, _, err := b.Read(ctx, key, "", 0, head); !errors.Is(err, bucket.ErrGone) {
		t.Fatalf("read after delete: %v", err)
	}
	if _, err := b.Head(ctx, key); !errors.Is(err, bucket.ErrGone) {
		t.Fatalf("head after delete: %v", err)
	}
	if _, err := b.Tags(ctx, key, etag); !errors.Is(err, bucket.ErrGone) {
		t.Fatalf("tags after delete: %v", err)
	}
	if err := b.Copy(ctx, key, "rejected/x.pdf", etag, nil, ""); !errors.Is(err, bucket.ErrGone) {
		t.Fatalf("copy after delete: %v", err)
	}
	if err := b.Delete(ctx, key, etag); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}

	// An empty object cannot be read by range: its head still comes back, with no bytes.
	st.put("inbound/empty.pdf", "", func(in *s3.PutObjectInput) { in.Metadata = meta })
	obj, n, err = b.Read(ctx, "inbound/empty.pdf", "", 0, head)
	if err != nil || n != 0 || obj.Size != 0 || obj.Metadata["title"] != "Invoice" {
		t.Fatalf("empty: %d %+v %v", n, obj, err)
	}
}

// Every write makes a new version: the same bytes written again keep their ETag but not their
// version id, and reads, tags and events name the version.
func TestEveryWriteIsANewVersion(t *testing.T) {
	st := start(t, t.TempDir())
	ctx := context.Background()
	b := bucket.New(st.client(), "uploads")
	key, pdf := "evidence/r1/e1", "%PDF-1.7\n%%EOF\n"
	first := st.put(key, pdf, func(in *s3.PutObjectInput) { in.Tagging = aws.String("GuardDutyMalwareScanStatus=NO_THREATS_FOUND") })
	v1, err1 := b.Head(ctx, key)
	second := st.put(key, pdf)
	v2, err2 := b.Head(ctx, key)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if aws.ToString(first.ETag) != aws.ToString(second.ETag) || v1.ETag != v2.ETag {
		t.Fatalf("the same bytes have another ETag: %s %s", aws.ToString(first.ETag), aws.ToString(second.ETag))
	}
	if v1.Version == "" || v1.Version == v2.Version || aws.ToString(first.VersionId) != v1.Version || aws.ToString(second.VersionId) != v2.Version {
		t.Fatalf("versions %q %q, answered %q %q", v1.Version, v2.Version, aws.ToString(first.VersionId), aws.ToString(second.VersionId))
	}
	p := make([]byte, 5)
	if obj, n, err := b.ReadVersion(ctx, key, v2, 0, p); err != nil || n != 5 || obj.Version != v2.Version {
		t.Fatalf("reading the current version: %+v %d %v", obj, n, err)
	}
	if _, _, err := b.ReadVersion(ctx, key, v1, 0, p); !errors.Is(err, bucket.ErrGone) {
		t.Fatalf("reading a replaced version: %v", err)
	}
	if tags, err := b.VersionTags(ctx, key, v2); err != nil || len(tags) != 0 {
		t.Fatalf("the new version's tags: %v %v", tags, err)
	}
	if _, err := b.VersionTags(ctx, key, v1); !errors.Is(err, bucket.ErrGone) {
		t.Fatalf("tags of a replaced version: %v", err)
	}
	evs := st.delivered()
	if len(evs) != 2 || evs[0].S3.Object.VersionID != v1.Version || evs[1].S3.Object.VersionID != v2.Version {
		t.Fatalf("events %+v", evs)
	}
}
