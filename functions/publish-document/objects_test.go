package main

import (
	"bytes"
	"errors"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/council/cfp/infra/local/s3front"
)

// The S3 adapter against the local S3 server (gofakes3 behind the s3front), as the stack runs it.
func TestBucketObjectsAgainstLocalS3(t *testing.T) {
	srv, err := s3front.New(s3front.Config{Dir: t.TempDir(), Buckets: []string{bucket}, AccessKey: "local", SecretKey: "local-secret", Region: "eu-west-2"})
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(srv)
	t.Cleanup(func() { web.Close(); _ = srv.Close() })
	c := s3.New(s3.Options{Region: "eu-west-2", BaseEndpoint: aws.String(web.URL), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider("local", "local-secret", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired, ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired})
	objs := bucketObjects{s3: c, bucket: bucket}

	key := "inbound/run 1/Smith+Jones & Co (2).pdf"
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: &key, Body: bytes.NewReader(pdf),
		Metadata: goodMeta(), ContentType: aws.String("application/pdf")}); err != nil {
		t.Fatal(err)
	}
	in, err := objs.Read(ctx, key, 5)
	if err != nil {
		t.Fatal(err)
	}
	if string(in.Head) != "%PDF-" || in.Size != int64(len(pdf)) || in.Metadata["client-reference"] != "1234567" || in.ETag != (object{body: pdf}).etag() {
		t.Fatalf("read %+v", in)
	}
	if err := objs.Copy(ctx, key, "published/1234567/d1.pdf", in.ETag, map[string]string{"document-id": "d1"}, "application/pdf"); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("published/1234567/d1.pdf")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(body, pdf) || out.Metadata["document-id"] != "d1" {
		t.Fatalf("copy: %q %v", body, out.Metadata)
	}
	if err := objs.Delete(ctx, key, in.ETag); err != nil {
		t.Fatal(err)
	}
	if _, err := objs.Read(ctx, key, 5); !errors.Is(err, ErrGone) {
		t.Fatalf("read after delete: %v", err)
	}
	if err := objs.Delete(ctx, key, in.ETag); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}

	// An empty object cannot be read by range: its metadata still comes back, with no bytes.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("inbound/empty.pdf"), Body: bytes.NewReader(nil), Metadata: goodMeta()}); err != nil {
		t.Fatal(err)
	}
	in, err = objs.Read(ctx, "inbound/empty.pdf", 5)
	if err != nil || in.Size != 0 || len(in.Head) != 0 || in.Metadata["document-type"] != "care_invoice" {
		t.Fatalf("empty: %+v %v", in, err)
	}
}
