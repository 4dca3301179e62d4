package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

// fakeSES records what it sends and fails while told to.
type fakeSES struct {
	mu    sync.Mutex
	fails int // how many sends fail before one succeeds; -1 for always
	sent  []mail.Rendered
	to    []access.Email
}

func (f *fakeSES) Send(_ context.Context, to access.Email, r mail.Rendered, _ string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails != 0 {
		f.fails--
		return "", errors.New("TooManyRequestsException: Maximum sending rate exceeded")
	}
	f.sent = append(f.sent, r)
	f.to = append(f.to, to)
	return "ses-id", nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time       { return c.t }
func (c *clock) pass(d time.Duration) { c.t = c.t.Add(d) }

func setup(t *testing.T, fails int) (*table, *fakeSES, *clock, Handler) {
	c := &clock{time.Now()}
	s := newTable(c.now)
	ses := &fakeSES{fails: fails}
	h := Handler{Outbox: s, Notices: s, Feedback: s, Sender: ses, Bases: mail.Bases{Portal: "https://portal.example", Brand: brand.Sample()},
		PerSec: 1000, Now: c.now, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	return s, ses, c, h
}

func TestDeliversOnceAndARetriedRunSendsNothingTwice(t *testing.T) {
	s, ses, _, h := setup(t, 0)
	m := mail.New("a@example.com", mail.RequestReceived)
	m.Request = "r1"
	s.QueueMail(m)
	for i := 0; i < 3; i++ {
		if err := h.Handle(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	if len(ses.sent) != 1 || !strings.Contains(ses.sent[0].Text, "r1") || ses.sent[0].HTML == "" {
		t.Fatalf("sent %+v", ses.sent)
	}
}

func TestAFailedSendStaysQueuedWithBackoffThenIsParked(t *testing.T) {
	s, ses, c, h := setup(t, -1)
	m := mail.New("b@example.com", mail.RequestReceived)
	m.Request = "r2"
	s.QueueMail(m)
	_ = h.Handle(ctx, nil)
	if st, n := s.MailStatus(m.ID); st != "queued" || n != 1 {
		t.Fatalf("after a failure: %s, %d attempts", st, n)
	}
	_ = h.Handle(ctx, nil) // too soon: the backoff holds it
	if _, n := s.MailStatus(m.ID); n != 1 {
		t.Fatalf("retried before its backoff: %d attempts", n)
	}
	for i := 0; i < maxAttempts+2; i++ {
		c.pass(maxDelay + time.Second)
		_ = h.Handle(ctx, nil)
	}
	st, n := s.MailStatus(m.ID)
	if st != "parked" || n != maxAttempts {
		t.Fatalf("after many failures: %s, %d attempts", st, n)
	}
	c.pass(24 * time.Hour)
	_ = h.Handle(ctx, nil)
	if _, n2 := s.MailStatus(m.ID); n2 != n || len(ses.sent) != 0 {
		t.Fatal("a parked email was tried again")
	}
}

func TestLinkTokenIsMintedAtSendAndStoredOnlyAsAHash(t *testing.T) {
	s, ses, _, h := setup(t, 0)
	m, _ := mail.For(access.RequestApproved{Request: "r3", To: "dee@example.com"})
	s.QueueMail(m)
	_ = h.Handle(ctx, nil)
	if len(ses.sent) != 1 {
		t.Fatal("not sent")
	}
	i := strings.Index(ses.sent[0].Text, "https://portal.example/register?invitation=")
	if i < 0 {
		t.Fatalf("no link: %s", ses.sent[0].Text)
	}
	token := strings.Fields(ses.sent[0].Text[i+len("https://portal.example/register?invitation="):])[0]
	tok, err := s.Token(hashOf(token), mail.Invitation)
	if err != nil || tok.Subject != "r3" || tok.Email != "dee@example.com" {
		t.Fatalf("token %+v %v", tok, err)
	}
	if _, err := s.Token(token, mail.Invitation); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("the token is stored in the clear")
	}
}

// The reviewers' email links to the request in the staff workspace and mints no token: the staff
// session authorises, and no bearer secret sits in a URL.
func TestReviewEmailMintsNoToken(t *testing.T) {
	s, ses, _, h := setup(t, 0)
	m, _ := mail.For(access.ReviewRequested{Request: "r3", Reference: "CFP-7K3M-9Q2X", To: "rev@council.example", Relationship: access.Deputy})
	s.QueueMail(m)
	_ = h.Handle(ctx, nil)
	if len(ses.sent) != 1 || !strings.Contains(ses.sent[0].Text, "https://portal.example/staff/requests/r3\n") {
		t.Fatalf("sent %+v", ses.sent)
	}
	if n := len(s.tokens); n != 0 {
		t.Errorf("%d tokens minted for a review email", n)
	}
}

var ctx = context.Background()

func hashOf(token string) string { return secret.From(token).Hash() }

// What notify sends is signed with the council it is configured for: its name, the service's,
// and how to contact the team, in both parts.
func TestSentEmailsAreSignedWithTheConfiguredCouncil(t *testing.T) {
	s, ses, _, h := setup(t, 0)
	h.Bases.Brand = brand.Brand{Council: "Northshire County Council", Service: "Care Finance Online", Phone: "01632 960123",
		Email: "carefinance@northshire.example", OpeningHours: "Tuesday to Thursday, 10am to 4pm"}
	m := mail.New("a@example.com", mail.RequestReceived)
	m.Request = "r1"
	s.QueueMail(m)
	if err := h.Handle(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if len(ses.sent) != 1 {
		t.Fatalf("sent %d", len(ses.sent))
	}
	r := ses.sent[0]
	_, foot, _ := strings.Cut(r.Text, "\n-- \n")
	for _, want := range []string{"Northshire County Council", "Care Finance Online", "Telephone: 01632 960123", "Tuesday to Thursday, 10am to 4pm", "carefinance@northshire.example"} {
		if !strings.Contains(foot, want) || !strings.Contains(r.HTML, want) {
			t.Errorf("the email lacks %q:\n%s\n%s", want, r.Text, r.HTML)
		}
	}
}
