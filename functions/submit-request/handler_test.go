package main

import (
	"context"
	"encoding/json"
	"errors"
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
	"github.com/council/cfp/shared/secret"
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
	createLost bool // a create is made, but its answer is lost
	once       map[string][2]string
}

func newMemory() *memory {
	return &memory{reqs: map[access.RequestID]access.Request{}, ev: map[access.RequestID][]access.Evidence{}}
}

func (m *memory) CreateRequest(_ context.Context, r access.Request, ev []access.Evidence, events []access.Event, _ ...store.Limit) error {
	if m.fail != nil {
		return m.fail
	}
	m.reqs[r.ID], m.ev[r.ID] = r, ev
	for _, e := range events {
		if msg, ok := mail.For(e); ok {
			m.mails = append(m.mails, msg)
		}
	}
	if m.createLost {
		return errors.New("connection reset after the write")
	}
	return nil
}

func (m *memory) Claim(_ context.Context, keyHash, fingerprint string, id access.RequestID) (access.RequestID, error) {
	if m.once == nil {
		m.once = map[string][2]string{}
	}
	first, ok := m.once[keyHash]
	if !ok {
		m.once[keyHash] = [2]string{string(id), fingerprint}
		return id, nil
	}
	if first[1] != fingerprint {
		return "", store.ErrConflict
	}
	return access.RequestID(first[0]), nil
}

func (m *memory) ReissueContinuation(_ context.Context, id access.RequestID, hash string) error {
	r, ok := m.reqs[id]
	if !ok || r.Status != access.AwaitingEvidence {
		return store.ErrConflict
	}
	r.ContinuationHash = hash
	m.reqs[id] = r
	return nil
}

func (m *memory) Request(_ context.Context, id access.RequestID) (access.Request, []access.Evidence, error) {
	r, ok := m.reqs[id]
	if !ok {
		return r, nil, store.ErrNotFound
	}
	return r, m.ev[id], nil
}

func (m *memory) SubmitRequest(_ context.Context, id access.RequestID) error {
	r, _, err := m.reqs[id].Submit(time.Now())
	if err != nil {
		return store.ErrConflict
	}
	if m.moveAnswer != nil && !m.moveMade {
		return m.moveAnswer
	}
	m.reqs[id] = r
	return m.moveAnswer
}

func (m *memory) WithdrawRequest(_ context.Context, id access.RequestID) (access.Request, error) {
	if m.fail != nil {
		return access.Request{}, m.fail
	}
	r, events, err := m.reqs[id].Withdraw(time.Now())
	if err != nil {
		return m.reqs[id], errors.Join(store.ErrConflict, err)
	}
	r.ContinuationHash = ""
	m.reqs[id] = r
	for _, e := range events {
		if msg, ok := mail.For(e); ok {
			m.mails = append(m.mails, msg)
		}
	}
	return r, nil
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
	resp, _ := newHandler(m, false).Handle(context.Background(), post("/api/access-requests", "", body, nil))
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
	resp, _ := h.Handle(context.Background(), post("/api/access-requests", "", body, nil))
	var c created
	_ = json.Unmarshal([]byte(resp.Body), &c)
	for _, tok := range []string{"", "Bearer " + c.ContinuationToken + "x", "Basic " + c.ContinuationToken} {
		resp, _ := h.Handle(context.Background(), post("/api/access-requests/{id}/submit", string(c.ID), "", map[string]string{"Authorization": tok, "Content-Type": ""}))
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("token %q: %d", tok, resp.StatusCode)
		}
	}
	ok := map[string]string{"Authorization": "Bearer " + c.ContinuationToken, "Content-Type": ""}
	for i := 0; i < 2; i++ { // the second submit is a no-op
		resp, _ := h.Handle(context.Background(), post("/api/access-requests/{id}/submit", string(c.ID), "", ok))
		if resp.StatusCode != http.StatusAccepted || !strings.Contains(resp.Body, `"scanning"`) {
			t.Fatalf("submit %d: %d %s", i, resp.StatusCode, resp.Body)
		}
	}
	noOrigin := map[string]string{"Authorization": "Bearer " + c.ContinuationToken, "Origin": "https://evil.example"}
	if resp, _ := h.Handle(context.Background(), post("/api/access-requests/{id}/submit", string(c.ID), "", noOrigin)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin submit: %d", resp.StatusCode)
	}
}

func TestAWSFailureChangesNothingAndSaysTryAgain(t *testing.T) {
	m := newMemory()
	m.fail = &smithyThrottle{}
	resp, _ := newHandler(m, false).Handle(context.Background(), post("/api/access-requests", "", body, nil))
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
	req := post("/api/access-requests", "", two, nil)
	b.ReportAllocs()
	for b.Loop() {
		if resp, _ := h.Handle(context.Background(), req); resp.StatusCode != http.StatusCreated {
			b.Fatal(resp.Body)
		}
	}
}

// The portal, and only the portal, can read the answers cross-origin.
func TestAnswersCarryCORSForThePortalOnly(t *testing.T) {
	resp, _ := newHandler(newMemory(), false).Handle(context.Background(), post("/api/access-requests", "", body, nil))
	if resp.Headers["Access-Control-Allow-Origin"] != "http://localhost:8080" || resp.Headers["Access-Control-Allow-Credentials"] != "true" {
		t.Fatalf("%v", resp.Headers)
	}
}

// A create whose answer was lost, sent again with the same Idempotency-Key, gets the request the
// first sending made (with a new token that works, and the old one no longer does), not a second
// request with a second "received" email.
func TestACreateSentAgainWithItsKeyMakesOneRequest(t *testing.T) {
	m := newMemory()
	h := newHandler(m, false)
	key := map[string]string{"Idempotency-Key": "3f1e7c2a-5b7d-4c1e-9a53-1d2f8b6e0c4a"}
	m.createLost = true
	if resp, _ := h.Handle(context.Background(), post("/api/access-requests", "", body, key)); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("answer lost: %d %s", resp.StatusCode, resp.Body)
	}
	m.createLost = false
	var firstHash string // of the token whose answer was lost
	for _, r := range m.reqs {
		firstHash = r.ContinuationHash
	}
	resp, _ := h.Handle(context.Background(), post("/api/access-requests", "", body, key))
	var c created
	if err := json.Unmarshal([]byte(resp.Body), &c); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("sent again: %d %s", resp.StatusCode, resp.Body)
	}
	if len(m.reqs) != 1 || len(m.mails) != 1 {
		t.Fatalf("%d requests and %d emails, want 1 and 1", len(m.reqs), len(m.mails))
	}
	r, ok := m.reqs[c.ID]
	if !ok || len(c.Uploads) != 1 || c.Uploads[0].EvidenceID != m.ev[c.ID][0].ID {
		t.Fatalf("answer %+v does not describe the request made", c)
	}
	if !secret.From(c.ContinuationToken).Matches(r.ContinuationHash) || r.ContinuationHash == firstHash {
		t.Fatal("the new continuation token does not replace the lost one")
	}

	// The same key with another body is refused, and makes nothing.
	other := strings.Replace(body, "Dee", "Someone Else", 1)
	if resp, _ := h.Handle(context.Background(), post("/api/access-requests", "", other, key)); resp.StatusCode != http.StatusUnprocessableEntity || len(m.reqs) != 1 {
		t.Fatalf("other body: %d %s, %d requests", resp.StatusCode, resp.Body, len(m.reqs))
	}
	// Once submitted, the key cannot hand out a new token.
	r.Status = access.Scanning
	m.reqs[c.ID] = r
	if resp, _ := h.Handle(context.Background(), post("/api/access-requests", "", body, key)); resp.StatusCode != http.StatusConflict || !strings.Contains(resp.Body, string(c.ID)) {
		t.Fatalf("after submit: %d %s", resp.StatusCode, resp.Body)
	}
	// Without a key, each create is a new request, as before; a malformed key is refused.
	if resp, _ := h.Handle(context.Background(), post("/api/access-requests", "", body, nil)); resp.StatusCode != http.StatusCreated || len(m.reqs) != 2 {
		t.Fatalf("without a key: %d, %d requests", resp.StatusCode, len(m.reqs))
	}
	if resp, _ := h.Handle(context.Background(), post("/api/access-requests", "", body, map[string]string{"Idempotency-Key": "short"})); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("malformed key: %d", resp.StatusCode)
	}
}

// A key claimed by a sending that then failed before making anything (throttled) makes its
// request when sent again, under the id it claimed.
func TestAKeyWhoseFirstSendingMadeNothingMakesItsRequestWhenSentAgain(t *testing.T) {
	m := newMemory()
	h := newHandler(m, false)
	key := map[string]string{"Idempotency-Key": "b0c9a8e7-d6f5-4e3d-8c2b-1a0f9e8d7c6b"}
	m.fail = errors.New("ThrottlingException")
	if resp, _ := h.Handle(context.Background(), post("/api/access-requests", "", body, key)); resp.StatusCode != http.StatusServiceUnavailable || len(m.reqs) != 0 {
		t.Fatalf("throttled: %d, %d requests", resp.StatusCode, len(m.reqs))
	}
	m.fail = nil
	resp, _ := h.Handle(context.Background(), post("/api/access-requests", "", body, key))
	var c created
	_ = json.Unmarshal([]byte(resp.Body), &c)
	claimed := ""
	for _, v := range m.once {
		claimed = v[0]
	}
	if resp.StatusCode != http.StatusCreated || string(c.ID) != claimed || len(m.reqs) != 1 || len(m.mails) != 1 {
		t.Fatalf("sent again: %d %s (claimed %s), %d requests", resp.StatusCode, resp.Body, claimed, len(m.reqs))
	}
}
