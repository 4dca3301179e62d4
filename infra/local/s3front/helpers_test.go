package s3front

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

const (
	testAccessKey = "local"
	testSecretKey = "local-secret"
	testRegion    = "eu-west-2"
)

// stack is one running Server behind a loopback listener, with the events it
// has emitted.
type stack struct {
	t      *testing.T
	srv    *Server
	http   *httptest.Server
	url    string
	mu     sync.Mutex
	events []events.S3EventRecord
}

func start(t *testing.T, dir string) *stack {
	t.Helper()
	st := &stack{t: t}
	srv, err := New(Config{
		Dir:       dir,
		Buckets:   []string{"uploads", "documents"},
		AccessKey: testAccessKey,
		SecretKey: testSecretKey,
		Region:    testRegion,
		Notify: func(e events.S3Event) {
			st.mu.Lock()
			defer st.mu.Unlock()
			st.events = append(st.events, e.Records...)
		},
		Log: testLog{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	st.srv = srv
	st.http = httptest.NewServer(srv) // httptest listens on 127.0.0.1
	st.url = st.http.URL
	t.Cleanup(st.stop)
	return st
}

func (st *stack) stop() {
	if st.http != nil {
		st.http.Close()
		st.http = nil
	}
	if err := st.srv.Close(); err != nil {
		st.t.Error(err)
	}
}

// delivered waits until every queued event reached Notify and returns them
// all, then forgets them.
func (st *stack) delivered() []events.S3EventRecord {
	st.srv.queue.wait()
	st.mu.Lock()
	defer st.mu.Unlock()
	evs := st.events
	st.events = nil
	return evs
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// client is the SDK client every local process builds (path-style,
// checksums only when required).
func (st *stack) client() *s3.Client {
	return newClient(st.url, testSecretKey, aws.RequestChecksumCalculationWhenRequired)
}

func newClient(url, secret string, checksums aws.RequestChecksumCalculation) *s3.Client {
	return s3.New(s3.Options{
		Region:                     testRegion,
		Credentials:                credentials.NewStaticCredentialsProvider(testAccessKey, secret, ""),
		BaseEndpoint:               aws.String(url),
		UsePathStyle:               true,
		RequestChecksumCalculation: checksums,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

func (st *stack) put(key, body string, opt ...func(*s3.PutObjectInput)) *s3.PutObjectOutput {
	st.t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String(key), Body: bytes.NewReader([]byte(body))}
	for _, o := range opt {
		o(in)
	}
	out, err := st.client().PutObject(context.Background(), in)
	if err != nil {
		st.t.Fatalf("PutObject %q: %v", key, err)
	}
	return out
}

func (st *stack) get(key string) (string, *s3.GetObjectOutput) {
	st.t.Helper()
	out, err := st.client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("uploads"), Key: aws.String(key)})
	if err != nil {
		st.t.Fatalf("GetObject %q: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		st.t.Fatal(err)
	}
	return string(b), out
}

func (st *stack) tags(key string) map[string]string {
	st.t.Helper()
	out, err := st.client().GetObjectTagging(context.Background(), &s3.GetObjectTaggingInput{Bucket: aws.String("uploads"), Key: aws.String(key)})
	if err != nil {
		st.t.Fatalf("GetObjectTagging %q: %v", key, err)
	}
	m := map[string]string{}
	for _, tg := range out.TagSet {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

// missing asserts that the key does not exist (HeadObject answers 404).
func (st *stack) missing(key string) {
	st.t.Helper()
	_, err := st.client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("uploads"), Key: aws.String(key)})
	if err == nil {
		st.t.Fatalf("object %q exists, want none", key)
	}
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusNotFound {
		st.t.Fatalf("HeadObject %q: %v, want 404", key, err)
	}
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// postForm sends a browser-style multipart form: the fields, then the file.
func postForm(t *testing.T, url string, fields map[string]string, file []byte) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if file != nil {
		fw, err := mw.CreateFormFile("file", "evidence.pdf")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	mw.Close()
	resp, err := http.Post(url, mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}
