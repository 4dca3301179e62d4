package s3front

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/council/cfp/shared/bucket"
)

var ctx = context.Background()

func TestPutGetWithMetadata(t *testing.T) {
	st := start(t, t.TempDir())
	c := st.client()
	st.put("a/doc.pdf", "%PDF-1.7 hello", func(in *s3.PutObjectInput) {
		in.ContentType = aws.String("application/pdf")
		in.Metadata = map[string]string{"request-id": "r-1"}
	})

	body, out := st.get("a/doc.pdf")
	if body != "%PDF-1.7 hello" || aws.ToString(out.ContentType) != "application/pdf" || out.Metadata["request-id"] != "r-1" {
		t.Fatalf("got %q %q %v", body, aws.ToString(out.ContentType), out.Metadata)
	}

	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("uploads"), Key: aws.String("a/doc.pdf")})
	if err != nil || aws.ToInt64(head.ContentLength) != 14 || head.Metadata["request-id"] != "r-1" {
		t.Fatalf("HeadObject: %v %+v", err, head)
	}

	rng, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("uploads"), Key: aws.String("a/doc.pdf"), Range: aws.String("bytes=9-13")})
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(rng.Body)
	rng.Body.Close()
	if string(part) != "hello" {
		t.Fatalf("range read %q", part)
	}

	// Request-only headers are not stored and echoed back.
	resp, err := http.Get(st.url + "/uploads/a/doc.pdf")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, h := range []string{"X-Amz-Date", "X-Amz-Content-Sha256", "Amz-Sdk-Request", "X-Amz-Tagging"} {
		if v := resp.Header.Get(h); v != "" {
			t.Errorf("GET echoes request header %s: %q", h, v)
		}
	}

	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("uploads"), Prefix: aws.String("a/")})
	if err != nil || len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "a/doc.pdf" {
		t.Fatalf("ListObjectsV2: %v %+v", err, list)
	}

	// An overwrite replaces the metadata, as in S3.
	st.put("a/doc.pdf", "v2", func(in *s3.PutObjectInput) { in.ContentType = aws.String("text/plain") })
	body, out = st.get("a/doc.pdf")
	if body != "v2" || len(out.Metadata) != 0 || aws.ToString(out.ContentType) != "text/plain" {
		t.Fatalf("after overwrite: %q %v %q", body, out.Metadata, aws.ToString(out.ContentType))
	}

	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("uploads"), Key: aws.String("a/doc.pdf")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("uploads"), Key: aws.String("a/doc.pdf")})
	if apiCode(err) != "NoSuchKey" {
		t.Fatalf("GetObject after delete: %v", err)
	}
}

// The SDK's default checksum setting (a crc32 header over plain HTTP) works
// as well as when_required.
func TestDefaultChecksumClient(t *testing.T) {
	st := start(t, t.TempDir())
	c := newClient(st.url, testSecretKey, aws.RequestChecksumCalculationWhenSupported)
	body := strings.Repeat("0123456789", 10000)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("big.bin"), Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.get("big.bin"); got != body {
		t.Fatalf("stored %d bytes, starting %q; want the %d plain bytes", len(got), got[:min(40, len(got))], len(body))
	}
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("uploads"), Key: aws.String("big.bin"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}}); err != nil {
		t.Fatal(err)
	}
	if got := st.tags("big.bin"); got["k"] != "v" {
		t.Fatalf("tags %v", got)
	}
	if got, _ := st.get("big.bin"); got != body {
		t.Fatal("tagging changed the body")
	}
}

// Clients that stream with trailing checksums (aws-chunked,
// STREAMING-UNSIGNED-PAYLOAD-TRAILER, as the AWS CLI and SDKs do over TLS)
// get the plain bytes stored, not the framing.
func TestAWSChunkedTrailerBodyIsDecoded(t *testing.T) {
	st := start(t, t.TempDir())
	framed := "5\r\nhello\r\n6;chunk-ext=1\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"
	req, _ := http.NewRequest(http.MethodPut, st.url+"/uploads/chunked.txt", strings.NewReader(framed))
	req.Header.Set("X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", "11")
	req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PUT: %d", resp.StatusCode)
	}
	body, out := st.get("chunked.txt")
	if body != "hello world" || aws.ToString(out.ContentEncoding) != "" {
		t.Fatalf("stored %q (content-encoding %q)", body, aws.ToString(out.ContentEncoding))
	}
}

func TestTaggingKeepsBody(t *testing.T) {
	st := start(t, t.TempDir())
	c := st.client()
	st.put("e/1.pdf", "%PDF body", func(in *s3.PutObjectInput) { in.Tagging = aws.String("stage=new&owner=a+b%26c") })

	if got := st.tags("e/1.pdf"); len(got) != 2 || got["stage"] != "new" || got["owner"] != "a b&c" {
		t.Fatalf("tags from x-amz-tagging: %v", got)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("uploads"), Key: aws.String("e/1.pdf")})
	if err != nil || aws.ToInt32(head.TagCount) != 2 {
		t.Fatalf("HeadObject: %v, tag count %d", err, aws.ToInt32(head.TagCount))
	}
	_, out := st.get("e/1.pdf")
	if aws.ToInt32(out.TagCount) != 2 {
		t.Fatalf("x-amz-tagging-count = %d, want 2", aws.ToInt32(out.TagCount))
	}

	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("uploads"), Key: aws.String("e/1.pdf"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("GuardDutyMalwareScanStatus"), Value: aws.String("NO_THREATS_FOUND")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.tags("e/1.pdf"); len(got) != 1 || got["GuardDutyMalwareScanStatus"] != "NO_THREATS_FOUND" {
		t.Fatalf("PutObjectTagging replaces the set: %v", got)
	}
	if body, out := st.get("e/1.pdf"); body != "%PDF body" || aws.ToInt32(out.TagCount) != 1 {
		t.Fatalf("body after tagging %q (tag count %d)", body, aws.ToInt32(out.TagCount))
	}

	if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String("uploads"), Key: aws.String("e/1.pdf")}); err != nil {
		t.Fatal(err)
	}
	if got := st.tags("e/1.pdf"); len(got) != 0 {
		t.Fatalf("after DeleteObjectTagging: %v", got)
	}

	// Tagging a missing key is NoSuchKey and creates nothing.
	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("uploads"), Key: aws.String("e/none.pdf"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}})
	var re interface{ HTTPStatusCode() int }
	if apiCode(err) != "NoSuchKey" || !errors.As(err, &re) || re.HTTPStatusCode() != 404 {
		t.Fatalf("PutObjectTagging on missing key: %v", err)
	}
	st.missing("e/none.pdf")
	_, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("uploads"), Key: aws.String("e/none.pdf")})
	if apiCode(err) != "NoSuchKey" {
		t.Fatalf("GetObjectTagging on missing key: %v", err)
	}

	// A bad x-amz-tagging header refuses the upload.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("e/bad.pdf"),
		Body: strings.NewReader("x"), Tagging: aws.String("aws:reserved=1")})
	if apiCode(err) != "InvalidTag" {
		t.Fatalf("PutObject with reserved tag key: %v", err)
	}
	st.missing("e/bad.pdf")

	// More than 10 tags is refused and changes nothing.
	var many []types.Tag
	for _, k := range strings.Split("a b c d e f g h i j k", " ") {
		many = append(many, types.Tag{Key: aws.String(k), Value: aws.String("v")})
	}
	st.put("e/2.pdf", "x", func(in *s3.PutObjectInput) { in.Tagging = aws.String("keep=1") })
	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("uploads"), Key: aws.String("e/2.pdf"), Tagging: &types.Tagging{TagSet: many}})
	if apiCode(err) != "InvalidTag" {
		t.Fatalf("11 tags: %v", err)
	}
	if got := st.tags("e/2.pdf"); len(got) != 1 || got["keep"] != "1" {
		t.Fatalf("tags after refused put: %v", got)
	}

	// Deleting the object deletes its tags; a new object under the key starts bare.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("uploads"), Key: aws.String("e/2.pdf")}); err != nil {
		t.Fatal(err)
	}
	st.put("e/2.pdf", "y")
	if got := st.tags("e/2.pdf"); len(got) != 0 {
		t.Fatalf("tags survived delete: %v", got)
	}
}

func TestCopyObjectTags(t *testing.T) {
	st := start(t, t.TempDir())
	c := st.client()
	st.put("src/a+b c.pdf", "copy me", func(in *s3.PutObjectInput) { in.Tagging = aws.String("t=1") })

	_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("uploads"), Key: aws.String("dst/one.pdf"),
		CopySource: aws.String("uploads/src/a%2Bb%20c.pdf")})
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := st.get("dst/one.pdf"); body != "copy me" {
		t.Fatalf("copied body %q", body)
	}
	if got := st.tags("dst/one.pdf"); got["t"] != "1" || len(got) != 1 {
		t.Fatalf("COPY directive tags: %v", got)
	}

	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("uploads"), Key: aws.String("dst/two.pdf"),
		CopySource: aws.String("uploads/src/a%2Bb%20c.pdf"), TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("u=2")})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.tags("dst/two.pdf"); got["u"] != "2" || len(got) != 1 {
		t.Fatalf("REPLACE directive tags: %v", got)
	}
}

func TestPresignedGet(t *testing.T) {
	st := start(t, t.TempDir())
	st.put("docs/statement 1.pdf", "%PDF statement", func(in *s3.PutObjectInput) { in.ContentType = aws.String("application/pdf") })
	req, err := s3.NewPresignClient(st.client()).PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String("uploads"), Key: aws.String("docs/statement 1.pdf"),
		ResponseContentDisposition: aws.String(`attachment; filename="statement.pdf"`),
	}, s3.WithPresignExpires(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(req.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "%PDF statement" || resp.Header.Get("Content-Disposition") != `attachment; filename="statement.pdf"` {
		t.Fatalf("presigned GET: %d %q %q", resp.StatusCode, b, resp.Header.Get("Content-Disposition"))
	}
}

// presignPost makes the form the portal hands out: fixed key, fixed content
// type, 1 byte to 10 MiB.
func presignPost(t *testing.T, c *s3.Client, key string, expires time.Duration) *s3.PresignedPostRequest {
	t.Helper()
	req, err := s3.NewPresignClient(c).PresignPostObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String(key)},
		func(o *s3.PresignPostOptions) {
			o.Expires = expires
			o.Conditions = []any{
				map[string]string{"Content-Type": "application/pdf"},
				[]any{"content-length-range", 1, 10 << 20},
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// withField copies form fields with one set.
func withField(v map[string]string, k, val string) map[string]string {
	out := maps.Clone(v)
	out[k] = val
	return out
}

// without copies form fields with one removed.
func without(v map[string]string, k string) map[string]string {
	out := maps.Clone(v)
	delete(out, k)
	return out
}

func TestPresignedPostSuccess(t *testing.T) {
	st := start(t, t.TempDir())
	req := presignPost(t, st.client(), "uploads-req/r1/ev1", 5*time.Minute)
	if req.URL != st.url+"/uploads" {
		t.Fatalf("form URL %s, want the bucket URL", req.URL)
	}
	pdf := []byte("%PDF-1.7\n" + strings.Repeat("x", 1000))
	resp, body := postForm(t, req.URL, withField(req.Values, "Content-Type", "application/pdf"), pdf)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST: %d %s", resp.StatusCode, body)
	}
	got, out := st.get("uploads-req/r1/ev1")
	if got != string(pdf) || aws.ToString(out.ContentType) != "application/pdf" {
		t.Fatalf("stored %d bytes, content type %q", len(got), aws.ToString(out.ContentType))
	}
	if resp.Header.Get("ETag") != aws.ToString(out.ETag) {
		t.Fatalf("POST ETag %q, object ETag %q", resp.Header.Get("ETag"), aws.ToString(out.ETag))
	}
	evs := st.delivered()
	if len(evs) != 1 || evs[0].EventName != "ObjectCreated:Post" || evs[0].S3.Object.Size != int64(len(pdf)) {
		t.Fatalf("events %+v", evs)
	}

	// success_action_status 201 answers the PostResponse document.
	req = presignPostWith(t, st.client(), "uploads-req/r1/ev2", []any{map[string]string{"success_action_status": "201"}})
	resp, body = postForm(t, req.URL, withField(req.Values, "success_action_status", "201"), pdf)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(body, "<Key>uploads-req/r1/ev2</Key>") {
		t.Fatalf("201 POST: %d %s", resp.StatusCode, body)
	}
}

func presignPostWith(t *testing.T, c *s3.Client, key string, conds []any) *s3.PresignedPostRequest {
	t.Helper()
	req, err := s3.NewPresignClient(c).PresignPostObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String(key)},
		func(o *s3.PresignPostOptions) { o.Conditions = conds })
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestPresignedPostFailuresStoreNothing(t *testing.T) {
	st := start(t, t.TempDir())
	const key = "uploads-req/r2/ev1"
	good := presignPost(t, st.client(), key, 5*time.Minute)
	fields := withField(good.Values, "Content-Type", "application/pdf")
	pdf := []byte("%PDF-1.7 small")

	tamperedPolicy := []byte(good.Values["policy"])
	tamperedPolicy[10] ^= 1

	cases := []struct {
		name   string
		fields map[string]string
		file   []byte
		status int
		code   string
	}{
		{"too large", fields, bytes.Repeat([]byte("x"), 10<<20+1), 400, "EntityTooLarge"},
		{"empty file", fields, []byte{}, 400, "EntityTooSmall"},
		{"wrong content type", withField(fields, "Content-Type", "text/html"), pdf, 403, "AccessDenied"},
		{"missing content type", without(fields, "Content-Type"), pdf, 403, "AccessDenied"},
		{"wrong key", withField(fields, "key", "uploads-req/r2/other"), pdf, 403, "AccessDenied"},
		{"expired", withField(presignPost(t, st.client(), key, -time.Minute).Values, "Content-Type", "application/pdf"), pdf, 403, "AccessDenied"},
		{"tampered policy", withField(fields, "policy", string(tamperedPolicy)), pdf, 403, "SignatureDoesNotMatch"},
		{"tampered signature", withField(fields, "X-Amz-Signature", strings.Repeat("0", 64)), pdf, 403, "SignatureDoesNotMatch"},
		{"signed with another secret", withField(presignPost(t, newClient(st.url, "other", aws.RequestChecksumCalculationWhenRequired), key, time.Minute).Values, "Content-Type", "application/pdf"), pdf, 403, "SignatureDoesNotMatch"},
		{"field not in policy", withField(fields, "x-amz-meta-extra", "1"), pdf, 403, "AccessDenied"},
		{"no policy", without(fields, "policy"), pdf, 403, "AccessDenied"},
		{"no file", fields, nil, 400, "InvalidArgument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := postForm(t, good.URL, tc.fields, tc.file)
			if resp.StatusCode != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, body, tc.status, tc.code)
			}
			st.missing(key)
			st.missing("uploads-req/r2/other")
		})
	}
	if evs := st.delivered(); len(evs) != 0 {
		t.Fatalf("rejected uploads emitted %d events", len(evs))
	}
	// The same form, untouched, is accepted.
	if resp, body := postForm(t, good.URL, fields, pdf); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("good form after failures: %d %s", resp.StatusCode, body)
	}
}

func TestPolicyMessages(t *testing.T) {
	st := start(t, t.TempDir())
	good := presignPost(t, st.client(), "k", time.Minute)
	resp, body := postForm(t, good.URL, withField(good.Values, "Content-Type", "text/html"), []byte("x"))
	want := `Invalid according to Policy: Policy Condition failed: {&#34;Content-Type&#34;:&#34;application/pdf&#34;}`
	if resp.StatusCode != 403 || !strings.Contains(body, want) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	resp, body = postForm(t, good.URL, withField(withField(good.Values, "Content-Type", "application/pdf"), "acl", "public-read"), []byte("x"))
	if resp.StatusCode != 403 || !strings.Contains(body, "Extra input fields: acl") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

func TestNotifications(t *testing.T) {
	st := start(t, t.TempDir())
	c := st.client()
	for _, tc := range []struct{ key, encoded string }{
		{"ev/my file.pdf", "ev/my+file.pdf"},
		{"ev/ünï €.pdf", "ev/%C3%BCn%C3%AF+%E2%82%AC.pdf"},
		{"ev/a=b:c+d.pdf", "ev/a%3Db%3Ac%2Bd.pdf"},
	} {
		t.Run(tc.encoded, func(t *testing.T) {
			st.put(tc.key, "12345")
			post := presignPostWith(t, c, tc.key, nil)
			if resp, body := postForm(t, post.URL, post.Values, []byte("123456")); resp.StatusCode != 204 {
				t.Fatalf("POST %d %s", resp.StatusCode, body)
			}
			if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("documents"), Key: aws.String(tc.key),
				CopySource: aws.String("uploads/" + copySourceKey(tc.key))}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("uploads"), Key: aws.String(tc.key),
				Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("uploads"), Key: aws.String(tc.key)}); err != nil {
				t.Fatal(err)
			}
			// Deleting what is not there emits nothing.
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("uploads"), Key: aws.String(tc.key)}); err != nil {
				t.Fatal(err)
			}

			evs := st.delivered()
			want := []struct {
				name, bucket string
				size         int64
			}{
				{"ObjectCreated:Put", "uploads", 5},
				{"ObjectCreated:Post", "uploads", 6},
				{"ObjectCreated:Copy", "documents", 6},
				{"ObjectTagging:Put", "uploads", 0},
				{"ObjectRemoved:Delete", "uploads", 0},
			}
			if len(evs) != len(want) {
				t.Fatalf("%d events, want %d: %+v", len(evs), len(want), evs)
			}
			var lastSeq string
			for i, w := range want {
				e := evs[i]
				o := e.S3.Object
				if e.EventName != w.name || e.S3.Bucket.Name != w.bucket || o.Key != tc.encoded || o.Size != w.size {
					t.Errorf("event %d: %s %s %q size %d, want %s %s %q size %d", i, e.EventName, e.S3.Bucket.Name, o.Key, o.Size, w.name, w.bucket, tc.encoded, w.size)
				}
				if e.EventVersion != "2.1" || e.EventSource != "aws:s3" || e.AWSRegion != testRegion || e.S3.Bucket.Arn != "arn:aws:s3:::"+w.bucket {
					t.Errorf("event %d envelope: %+v", i, e)
				}
				if (w.name == "ObjectRemoved:Delete") != (o.ETag == "") {
					t.Errorf("event %d eTag %q", i, o.ETag)
				}
				if o.Sequencer <= lastSeq || len(o.Sequencer) != len(lastSeq) && lastSeq != "" {
					t.Errorf("sequencer %q after %q", o.Sequencer, lastSeq)
				}
				lastSeq = o.Sequencer
				if e.EventTime.IsZero() {
					t.Errorf("event %d has no time", i)
				}
			}
			// What a Lambda receives decodes back to the key.
			raw, _ := json.Marshal(events.S3Event{Records: evs[:1]})
			var back events.S3Event
			if err := json.Unmarshal(raw, &back); err != nil || back.Records[0].S3.Object.URLDecodedKey != tc.key {
				t.Fatalf("decoded key %q (%v)", back.Records[0].S3.Object.URLDecodedKey, err)
			}
			if !strings.Contains(string(raw), `"eventName":"ObjectCreated:Put"`) {
				t.Fatalf("JSON %s", raw)
			}
		})
	}
}

// copySourceKey URL-encodes a key for x-amz-copy-source, keeping '/'.
func copySourceKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.ReplaceAll(strings.Join(parts, "/"), "+", "%2B")
}

func TestMultiDeleteAndMultipart(t *testing.T) {
	st := start(t, t.TempDir())
	c := st.client()
	st.put("m/1", "a", func(in *s3.PutObjectInput) { in.Tagging = aws.String("x=1") })
	st.put("m/2", "b")
	st.delivered()
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("uploads"), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("m/1")}, {Key: aws.String("m/2")}}}})
	if err != nil || len(out.Deleted) != 2 {
		t.Fatalf("DeleteObjects: %v %+v", err, out)
	}
	st.missing("m/1")
	st.missing("m/2")
	if evs := st.delivered(); len(evs) != 2 || evs[0].EventName != "ObjectRemoved:Delete" {
		t.Fatalf("events %+v", evs)
	}

	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("uploads"), Key: aws.String("m/big")})
	if err != nil {
		t.Fatal(err)
	}
	part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("uploads"), Key: aws.String("m/big"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("only part")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("uploads"), Key: aws.String("m/big"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}}})
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := st.get("m/big"); body != "only part" {
		t.Fatalf("multipart body %q", body)
	}
	if evs := st.delivered(); len(evs) != 1 || evs[0].EventName != "ObjectCreated:CompleteMultipartUpload" || evs[0].S3.Object.Size != 9 {
		t.Fatalf("events %+v", evs)
	}
}

func TestPersistsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	st := start(t, dir)
	st.put("keep/me.pdf", "%PDF persisted", func(in *s3.PutObjectInput) {
		in.ContentType = aws.String("application/pdf")
		in.Tagging = aws.String("GuardDutyMalwareScanStatus=NO_THREATS_FOUND")
	})
	st.stop()

	// A second server on the same directory while the first holds it would
	// fail; after Close it opens cleanly and sees the same data.
	st2 := start(t, dir)
	body, out := st2.get("keep/me.pdf")
	if body != "%PDF persisted" || aws.ToString(out.ContentType) != "application/pdf" {
		t.Fatalf("after restart: %q %q", body, aws.ToString(out.ContentType))
	}
	if got := st2.tags("keep/me.pdf"); got["GuardDutyMalwareScanStatus"] != "NO_THREATS_FOUND" {
		t.Fatalf("tags after restart: %v", got)
	}
	if _, err := New(Config{Dir: dir, AccessKey: "a", SecretKey: "b"}); err == nil {
		t.Fatal("a second server opened a directory in use")
	}
}

func TestInProcessAPI(t *testing.T) {
	st := start(t, t.TempDir())
	st.put("ip/a.pdf", "%PDF in process", func(in *s3.PutObjectInput) { in.Tagging = aws.String("other=keep") })
	st.delivered()

	rc, size, err := st.srv.GetObject(ctx, "uploads", "ip/a.pdf")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "%PDF in process" || size != int64(len(b)) {
		t.Fatalf("GetObject %q %d", b, size)
	}
	tags, err := st.srv.GetTags(ctx, "uploads", "ip/a.pdf")
	if err != nil || tags["other"] != "keep" {
		t.Fatalf("GetTags %v %v", tags, err)
	}
	tags["GuardDutyMalwareScanStatus"] = "THREATS_FOUND"
	if err := st.srv.PutTags(ctx, "uploads", "ip/a.pdf", tags); err != nil {
		t.Fatal(err)
	}
	if got := st.tags("ip/a.pdf"); len(got) != 2 || got["GuardDutyMalwareScanStatus"] != "THREATS_FOUND" {
		t.Fatalf("tags via HTTP %v", got)
	}
	evs := st.delivered()
	if len(evs) != 1 || evs[0].EventName != "ObjectTagging:Put" || evs[0].S3.Object.Key != "ip/a.pdf" {
		t.Fatalf("events %+v", evs)
	}

	for _, err := range []error{
		func() error { _, _, err := st.srv.GetObject(ctx, "uploads", "ip/none"); return err }(),
		func() error { _, _, err := st.srv.GetObject(ctx, "nobucket", "x"); return err }(),
		st.srv.PutTags(ctx, "uploads", "ip/none", map[string]string{"a": "b"}),
		func() error { _, err := st.srv.GetTags(ctx, "uploads", "ip/none"); return err }(),
	} {
		if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, ErrNoSuchKey) {
			t.Errorf("missing object error %v does not match fs.ErrNotExist", err)
		}
	}
	st.missing("ip/none")
}

// TestVersionsAreListedAndDeletedByTheirIDs: ListObjectVersions lists each object under the prefix
// at its current version; a delete naming an old version deletes nothing, one naming the current
// version deletes the object (with its event), and the bucket's own Bucket.DeleteEveryVersion
// leaves nothing under the prefix.
func TestVersionsAreListedAndDeletedByTheirIDs(t *testing.T) {
	st := start(t, t.TempDir())
	c := st.client()
	old := st.put("evidence/r1/e1", "first")
	cur := st.put("evidence/r1/e1", "second")
	st.put("evidence/r1/e2", "other")
	st.put("evidence/r2/e1", "not this request's")
	st.delivered()
	out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("uploads"), Prefix: aws.String("evidence/r1/")})
	if err != nil || len(out.Versions) != 2 || aws.ToString(out.Versions[0].Key) != "evidence/r1/e1" || aws.ToString(out.Versions[0].VersionId) != aws.ToString(cur.VersionId) {
		t.Fatalf("%v %+v", err, out)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("uploads"), Key: aws.String("evidence/r1/e1"), VersionId: old.VersionId}); err != nil {
		t.Fatal(err)
	}
	if body, _ := st.get("evidence/r1/e1"); body != "second" {
		t.Fatalf("an old version's delete deleted the current one: %q", body)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("uploads"), Key: aws.String("evidence/r1/e1"), VersionId: cur.VersionId}); err != nil {
		t.Fatal(err)
	}
	st.missing("evidence/r1/e1")
	if evs := st.delivered(); len(evs) != 1 || evs[0].EventName != "ObjectRemoved:Delete" {
		t.Fatalf("events %+v", evs)
	}
	n, err := bucket.New(c, "uploads").DeleteEveryVersion(ctx, "evidence/r1/")
	if err != nil || n != 1 {
		t.Fatalf("%d %v", n, err)
	}
	st.missing("evidence/r1/e2")
	if body, _ := st.get("evidence/r2/e1"); body != "not this request's" {
		t.Fatalf("another request's file: %q", body)
	}
}
