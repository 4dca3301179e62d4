package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// memory is an in-memory store for the handler's own logic; the real store is tested against
// DynamoDB Local, and the whole path end to end.
type memory struct {
	reqs  map[access.RequestID]access.Request
	ev    map[access.RequestID][]access.Evidence
	mails []mail.Message
	fail  error
	// moveAnswer, when set, is what a move answers after it was made or not: a lost answer
	// (made), or a throttle (not made).
	moveAnswer error
	moveMade   bool
}

func newMemory() *memory {
	return &memory{reqs: map[access.RequestID]access.Request{}, ev: map[access.RequestID][]access.Evidence{}}
}

func (m *memory) CreateRequest(_ context.Context, r access.Request, ev []access.Evidence, msgs []mail.Message, _ ...store.Limit) error {
	if m.fail != nil {
		return m.fail
	}
	m.reqs[r.ID], m.ev[r.ID] = r, ev
	m.mails = append(m.mails, msgs...)
	return nil
}

func (m *memory) Request(_ context.Context, id access.RequestID) (access.Request, []access.Evidence, error) {
	r, ok := m.reqs[id]
	if !ok {
		return r, nil, store.ErrNotFound
	}
	return r, m.ev[id], nil
}

func (m *memory) MoveRequest(_ context.Context, id access.RequestID, from, to access.Status, _ ...mail.Message) error {
	r := m.reqs[id]
	if r.Status != from {
		return store.ErrConflict
	}
	if m.moveAnswer != nil && !m.moveMade {
		return m.moveAnswer
	}
	r.Status = to
	m.reqs[id] = r
	return m.moveAnswer
}

// presignOnly is a real bucket whose presigning runs locally (it never calls S3), plus a fixed answer for Exists.
type presignOnly struct {
	bucket.Bucket
	exists bool
}

func (p presignOnly) Exists(context.Context, string) (bool, error) { return p.exists, nil }

func newHandler(m *memory, exists bool) Handler {
	c := s3.New(s3.Options{Region: "eu-west-2", BaseEndpoint: aws.String("http://127.0.0.1:9"), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	return Handler{Requests: m, Uploads: presignOnly{bucket.New(c, "cfp-uploads"), exists}, Origin: "http://localhost:8080", PerIP: 10,
		Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
}

const body = `{"requester":{"name":"Dee","email":"Dee@Example.com"},"relationship":"deputy",
 "client":{"name":"Cli","dateOfBirth":"1941-03-04","postcode":"sw1a 1aa"},
 "evidence":[{"fileName":"a.pdf","contentType":"application/pdf","size":1000}]}`

func post(resource, id, b string, headers map[string]string) web.Request {
	h := map[string]string{"Origin": "http://localhost:8080", "Content-Type": "application/json"}
	for k, v := range headers {
		h[k] = v
	}
	return events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: resource, Body: b, Headers: h,
		PathParameters: map[string]string{"id": id}}
}

func TestCreateGivesFormsForServerChosenKeysAndQueuesTheEmail(t *testing.T) {
	m := newMemory()
	resp, _ := newHandler(m, false).Handle(context.Background(), post("/access-requests", "", body, nil))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	var c created
	if err := json.Unmarshal([]byte(resp.Body), &c); err != nil {
		t.Fatal(err)
	}
	r := m.reqs[c.ID]
	if r.Requester.Email != "dee@example.com" || r.Client.Postcode != "SW1A 1AA" || r.ContinuationHash == "" || strings.Contains(resp.Body, r.ContinuationHash) {
		t.Fatalf("stored %+v", r)
	}
	f := c.Uploads[0]
	if f.Fields["key"] != "evidence/"+string(c.ID)+"/"+string(f.EvidenceID) || f.Fields["Content-Type"] != "application/pdf" || f.Fields["X-Amz-Signature"] == "" {
		t.Fatalf("form fields %v", f.Fields)
	}
	if len(m.mails) != 1 || m.mails[0].Template != mail.RequestReceived || m.mails[0].To != "dee@example.com" {
		t.Fatalf("mails %+v", m.mails)
	}
}

func TestSubmitAndStatusNeedTheRightToken(t *testing.T) {
	m := newMemory()
	h := newHandler(m, true)
	resp, _ := h.Handle(context.Background(), post("/access-requests", "", body, nil))
	var c created
	_ = json.Unmarshal([]byte(resp.Body), &c)
	for _, tok := range []string{"", "Bearer " + c.ContinuationToken + "x", "Basic " + c.ContinuationToken} {
		resp, _ := h.Handle(context.Background(), post("/access-requests/{id}/submit", string(c.ID), "", map[string]string{"Authorization": tok, "Content-Type": ""}))
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("token %q: %d", tok, resp.StatusCode)
		}
	}
	ok := map[string]string{"Authorization": "Bearer " + c.ContinuationToken, "Content-Type": ""}
	for i := 0; i < 2; i++ { // the second submit is a no-op
		resp, _ := h.Handle(context.Background(), post("/access-requests/{id}/submit", string(c.ID), "", ok))
		if resp.StatusCode != http.StatusAccepted || !strings.Contains(resp.Body, `"scanning"`) {
			t.Fatalf("submit %d: %d %s", i, resp.StatusCode, resp.Body)
		}
	}
	noOrigin := map[string]string{"Authorization": "Bearer " + c.ContinuationToken, "Origin": "https://evil.example"}
	if resp, _ := h.Handle(context.Background(), post("/access-requests/{id}/submit", string(c.ID), "", noOrigin)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin submit: %d", resp.StatusCode)
	}
}

func TestAWSFailureChangesNothingAndSaysTryAgain(t *testing.T) {
	m := newMemory()
	m.fail = &smithyThrottle{}
	resp, _ := newHandler(m, false).Handle(context.Background(), post("/access-requests", "", body, nil))
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Headers["Retry-After"] == "" || strings.Contains(resp.Body, "Throttl") {
		t.Fatalf("%d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
	if len(m.reqs) != 0 || len(m.mails) != 0 {
		t.Fatal("something was kept")
	}
}

type smithyThrottle struct{}

func (*smithyThrottle) Error() string {
	return "ThrottlingException: Rate of requests exceeds the allowed throughput"
}

// BenchmarkCreateRequest is the in-process cost of creating a request with two files (validation,
// two presigned forms, the response), without the store's network time.
func BenchmarkCreateRequest(b *testing.B) {
	two := strings.Replace(body, `"evidence":[`, `"evidence":[{"fileName":"b.png","contentType":"image/png","size":2000},`, 1)
	h := newHandler(newMemory(), false)
	req := post("/access-requests", "", two, nil)
	b.ReportAllocs()
	for b.Loop() {
		if resp, _ := h.Handle(context.Background(), req); resp.StatusCode != http.StatusCreated {
			b.Fatal(resp.Body)
		}
	}
}

// The portal, and only the portal, can read the answers cross-origin.
func TestAnswersCarryCORSForThePortalOnly(t *testing.T) {
	resp, _ := newHandler(newMemory(), false).Handle(context.Background(), post("/access-requests", "", body, nil))
	if resp.Headers["Access-Control-Allow-Origin"] != "http://localhost:8080" || resp.Headers["Access-Control-Allow-Credentials"] != "true" {
		t.Fatalf("%v", resp.Headers)
	}
}
