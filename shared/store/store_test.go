package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var ctx = context.Background()

func newRequest() (access.Request, []access.Evidence) {
	r := access.Request{ID: access.NewRequestID(), Status: access.AwaitingEvidence, Requester: access.Requester{Name: "A", Email: "a@example.com"},
		Relationship: access.Deputy, Client: access.Client{Name: "C", DateOfBirth: "1940-01-01", Postcode: "SW1A 1AA"}, CreatedAt: time.Now().UTC()}
	e := access.Evidence{ID: access.NewEvidenceID(), RequestID: r.ID, File: access.File{FileName: "d.pdf", ContentType: "application/pdf", Size: 10}, Status: access.AwaitingUpload}
	return r, []access.Evidence{e}
}

func TestCreateRequestWritesRequestEvidenceAndMailTogether(t *testing.T) {
	s, _ := storetest.New(t)
	r, ev := newRequest()
	if err := s.CreateRequest(ctx, r, ev, r.Received()); err != nil {
		t.Fatal(err)
	}
	got, gotEv, err := s.Request(ctx, r.ID)
	if err != nil || got.ID != r.ID || got.Status != access.AwaitingEvidence || len(gotEv) != 1 || gotEv[0].File.FileName != "d.pdf" {
		t.Fatalf("read back %+v %+v %v", got, gotEv, err)
	}
	due, err := s.DueMail(ctx, 10)
	if err != nil || len(due) != 1 || due[0].Template != mail.RequestReceived || due[0].Request != r.ID || due[0].To != "a@example.com" {
		t.Fatalf("outbox %+v %v", due, err)
	}
	if _, _, err := s.Request(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown request: %v", err)
	}
}

func TestRateLimitRefusesAndWritesNothing(t *testing.T) {
	s, _ := storetest.New(t)
	lim := store.Limit{Kind: "test", Key: "a@example.com", Window: time.Hour, Max: 2}
	for i := 0; i < 2; i++ {
		r, ev := newRequest()
		if err := s.CreateRequest(ctx, r, ev, nil, lim); err != nil {
			t.Fatal(err)
		}
	}
	r, ev := newRequest()
	if err := s.CreateRequest(ctx, r, ev, nil, lim); !errors.Is(err, store.ErrLimited) {
		t.Fatalf("third request: %v", err)
	}
	if _, _, err := s.Request(ctx, r.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("a limited request was written")
	}
}

func TestSubmitRequestIsConditional(t *testing.T) {
	s, _ := storetest.New(t)
	r, ev := newRequest()
	if err := s.CreateRequest(ctx, r, ev, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SubmitRequest(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.SubmitRequest(ctx, r.ID); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second move: %v", err)
	}
	got, _, _ := s.Request(ctx, r.ID)
	if got.Status != access.Scanning || got.SubmittedAt.IsZero() {
		t.Fatalf("status %s submitted %v", got.Status, got.SubmittedAt)
	}
}

func TestOutboxClaimIsExclusiveAndLeaseBringsMailBack(t *testing.T) {
	s, _ := storetest.New(t)
	now := time.Now()
	clock := func() time.Time { return now }
	s = s.WithClock(clock)
	m := mail.New("b@example.com", mail.RequestReceived)
	m.Request = "r1"
	if err := s.QueueMail(ctx, m, m); err != nil { // queued twice: kept once
		t.Fatal(err)
	}
	due, _ := s.DueMail(ctx, 10)
	if len(due) != 1 {
		t.Fatalf("due %d", len(due))
	}
	a, b := due[0], due[0]
	if err := s.ClaimMail(ctx, &a, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimMail(ctx, &b, time.Minute); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second claim: %v", err)
	}
	if due, _ := s.DueMail(ctx, 10); len(due) != 0 {
		t.Fatal("a claimed email is due again before its lease ends")
	}
	now = now.Add(2 * time.Minute) // the sender died: the lease ends and the email is due again
	due, _ = s.DueMail(ctx, 10)
	if len(due) != 1 || due[0].Attempts != 1 {
		t.Fatalf("after lease: %+v", due)
	}
	c := due[0]
	if err := s.ClaimMail(ctx, &c, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.MailSent(ctx, c, "ses-1"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if due, _ := s.DueMail(ctx, 10); len(due) != 0 {
		t.Fatal("a sent email is due again")
	}
	if st, n, _ := s.MailStatus(ctx, store.MailID(m.ID)); st != "sent" || n != 2 {
		t.Fatalf("status %s attempts %d", st, n)
	}
}

// The notifier's tests use a fake of the outbox; these are the conditions that fake keeps.
func TestARetriedEmailWaitsItsTurnAndAParkedOneLeavesTheOutbox(t *testing.T) {
	s, _ := storetest.New(t)
	now := time.Now()
	s = s.WithClock(func() time.Time { return now })
	m := mail.New("c@example.com", mail.RequestReceived)
	m.Request = "r2"
	if err := s.QueueMail(ctx, m); err != nil {
		t.Fatal(err)
	}
	due, _ := s.DueMail(ctx, 10)
	q := due[0]
	if err := s.ClaimMail(ctx, &q, time.Minute); err != nil {
		t.Fatal(err)
	}
	stale := due[0] // as read before the claim
	if err := s.MailRetry(ctx, stale, now, "x"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a retry without the claim: %v", err)
	}
	if err := s.MailRetry(ctx, q, now.Add(15*time.Second), "SES: down"); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueMail(ctx, 10); len(due) != 0 {
		t.Fatal("a retried email is due before its backoff ends")
	}
	now = now.Add(15 * time.Second)
	due, _ = s.DueMail(ctx, 10)
	if len(due) != 1 || due[0].Attempts != 1 {
		t.Fatalf("after the backoff: %+v", due)
	}
	if st, n, _ := s.MailStatus(ctx, store.MailID(m.ID)); st != "queued" || n != 1 {
		t.Fatalf("retried: %s, %d attempts", st, n)
	}
	q = due[0]
	if err := s.ClaimMail(ctx, &q, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.MailParked(ctx, due[0], "x"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("parking without the claim: %v", err)
	}
	if err := s.MailParked(ctx, q, "SES: down"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(24 * time.Hour)
	if due, _ := s.DueMail(ctx, 10); len(due) != 0 {
		t.Fatal("a parked email is due again")
	}
	if st, n, _ := s.MailStatus(ctx, store.MailID(m.ID)); st != "parked" || n != 2 {
		t.Fatalf("parked: %s, %d attempts", st, n)
	}
	if _, queued, _ := s.Backlog(ctx); queued != 0 {
		t.Fatalf("%d emails left in the outbox", queued)
	}
}

func TestTokensAreSinglePurpose(t *testing.T) {
	s, _ := storetest.New(t)
	now := time.Now()
	if err := s.PutToken(ctx, store.Token{Hash: "h1", Purpose: mail.Verify, Subject: "r1", Email: "x@example.com", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if tok, err := s.Token(ctx, "h1", mail.Verify); err != nil || tok.Subject != "r1" || tok.ExpiresAt.Unix() != now.Add(time.Hour).Unix() {
		t.Fatalf("%+v %v", tok, err)
	}
	if _, err := s.Token(ctx, "h1", mail.Invitation); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("a verification token opened an invitation")
	}
}
