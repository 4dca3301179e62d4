package guardduty

import (
	"bytes"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/council/cfp/infra/local/s3front"
)

// TestScanThroughS3Front wires the scanner as the local gateway does: an
// upload's ObjectCreated event triggers a scan, whose tag lands through the S3
// front with the object's other tags and body intact and emits
// ObjectTagging:Put.
func TestScanThroughS3Front(t *testing.T) {
	addr := startClamd(t)
	tagged := make(chan events.S3EventRecord, 10)
	var scanner *Scanner
	srv, err := s3front.New(s3front.Config{
		Dir: t.TempDir(), Buckets: []string{"uploads"},
		AccessKey: "local", SecretKey: "local-secret", Region: "eu-west-2",
		Notify: func(e events.S3Event) {
			for _, r := range e.Records {
				switch {
				case strings.HasPrefix(r.EventName, "ObjectCreated:"):
					scanner.Scan(ctx, r.S3.Bucket.Name, r.S3.Object.URLDecodedKey)
				case r.EventName == "ObjectTagging:Put":
					tagged <- r
				}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	var log bytes.Buffer
	scanner = New(addr, srv, &log)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)

	c := s3.New(s3.Options{
		Region: "eu-west-2", BaseEndpoint: aws.String(hs.URL), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider("local", "local-secret", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	for _, tc := range []struct {
		key  string
		body []byte
		want string
	}{
		{"req-1/evidence 1.pdf", cleanPDF, NoThreatsFound},
		{"req-1/evidence 2.pdf", embedded(1 << 20), ThreatsFound},
	} {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String(tc.key),
			Body: bytes.NewReader(tc.body), ContentType: aws.String("application/pdf"), Tagging: aws.String("request=req-1")})
		if err != nil {
			t.Fatal(err)
		}
		var ev events.S3EventRecord
		select {
		case ev = <-tagged:
		case <-time.After(30 * time.Second): // a safety net, not a performance check
			t.Fatalf("%s: no ObjectTagging:Put event; log:\n%s", tc.key, log.String())
		}
		if ev.S3.Object.URLDecodedKey != tc.key {
			t.Fatalf("tagging event for %q, want %q", ev.S3.Object.URLDecodedKey, tc.key)
		}

		tags, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("uploads"), Key: aws.String(tc.key)})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, tg := range tags.TagSet {
			got[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		if got[TagKey] != tc.want || got["request"] != "req-1" || len(got) != 2 {
			t.Fatalf("%s tags %v, want %s=%s and request=req-1", tc.key, got, TagKey, tc.want)
		}

		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("uploads"), Key: aws.String(tc.key)})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(body, tc.body) || aws.ToString(out.ContentType) != "application/pdf" {
			t.Fatalf("%s body changed by tagging (%d bytes, %q)", tc.key, len(body), aws.ToString(out.ContentType))
		}
	}
}
