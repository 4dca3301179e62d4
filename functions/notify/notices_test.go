package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

// scriptedSES answers each send from a script: true fails it with SES's throttling error. After the
// script it succeeds. It may also cancel the run after a number of sends (a run stopped half-way).
type scriptedSES struct {
	mu        sync.Mutex
	script    []bool
	sent      map[access.Email][]string // subjects by recipient
	calls     int
	cancelAt  int
	cancelRun context.CancelFunc
}

func (f *scriptedSES) Send(_ context.Context, to access.Email, r mail.Rendered, _ string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if len(f.script) > 0 {
		fail := f.script[0]
		f.script = f.script[1:]
		if fail {
			return "", &sestypes.TooManyRequestsException{Message: aws.String("Maximum sending rate exceeded.")}
		}
	}
	if f.sent == nil {
		f.sent = map[access.Email][]string{}
	}
	f.sent[to] = append(f.sent[to], r.Subject)
	if f.cancelRun != nil && f.calls == f.cancelAt {
		f.cancelRun()
	}
	return fmt.Sprintf("ses-%d", f.calls), nil
}

func (f *scriptedSES) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, s := range f.sent {
		n += len(s)
	}
	return n
}

func noticeSetup(t *testing.T) (*table, *scriptedSES, *clock, Handler) {
	s, _, c, h := setup(t, 0)
	ses := &scriptedSES{}
	h.Sender = ses
	h.Quiet, h.MaxDelay = 10*time.Minute, time.Hour
	return s, ses, c, h
}

func TestThreeDocumentsGiveOneEmailToEachGranteeAfterTheQuietPeriod(t *testing.T) {
	s, ses, c, h := noticeSetup(t)
	anna, ben := access.Email("anna@example.com"), access.Email("ben@example.com")
	for range 3 {
		s.publish(anna, ben)
		c.pass(time.Minute)
	}
	if err := h.Handle(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if ses.total() != 0 {
		t.Fatal("emailed before the quiet period")
	}
	c.pass(10 * time.Minute)
	for range 3 { // more runs send nothing more
		if err := h.Handle(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, who := range []access.Email{anna, ben} {
		if got := ses.sent[who]; len(got) != 1 || got[0] != "You have new documents to view" {
			t.Errorf("%s got %v", who, got)
		}
	}
	if ses.total() != 2 {
		t.Fatalf("%d emails", ses.total())
	}
}

func TestAPersonStillReceivingDocumentsIsToldAtTheMaximumDelay(t *testing.T) {
	s, ses, c, h := noticeSetup(t)
	anna := access.Email("anna@example.com")
	for i := range 13 { // a document every 5 minutes for an hour: never quiet
		s.publish(anna)
		if err := h.Handle(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if got := len(ses.sent[anna]); got != 0 && i < 12 {
			t.Fatalf("told after %d minutes", i*5)
		}
		c.pass(5 * time.Minute)
	}
	if err := h.Handle(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if len(ses.sent[anna]) != 1 {
		t.Fatalf("after the maximum delay: %d emails", len(ses.sent[anna]))
	}
}

func TestThrottlingLosesNothingAndSendsNothingTwice(t *testing.T) {
	s, ses, c, h := noticeSetup(t)
	var people []access.Email
	for i := range 10 {
		people = append(people, access.Email(fmt.Sprintf("p%d@example.com", i)))
	}
	s.publish(people...)
	c.pass(time.Hour)
	// SES throttles: once, then three times in a row (the run stops), then now and again.
	ses.script = []bool{false, true, false, true, true, true}
	if err := h.Handle(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := ses.total(); got != 2 {
		t.Fatalf("the first run sent %d, want 2 before three throttles in a row stopped it", got)
	}
	ses.script = []bool{false, true, false, false, true}
	for range 6 {
		c.pass(throttleDelay + time.Second)
		if err := h.Handle(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range people {
		if len(ses.sent[p]) != 1 {
			t.Errorf("%s got %d emails", p, len(ses.sent[p]))
		}
	}
	if n, q := s.Backlog(); n != 0 || q != 0 {
		t.Fatalf("left: %d notices, %d queued emails", n, q)
	}
}

func TestARunStoppedHalfWaySendsNothingTwice(t *testing.T) {
	s, ses, c, h := noticeSetup(t)
	var people []access.Email
	for i := range 6 {
		people = append(people, access.Email(fmt.Sprintf("q%d@example.com", i)))
	}
	s.publish(people...)
	c.pass(time.Hour)
	run, cancel := context.WithCancel(ctx)
	ses.cancelRun, ses.cancelAt = cancel, 3 // the invocation ends after the third send
	_ = h.Handle(run, nil)
	if got := ses.total(); got != 3 {
		t.Fatalf("the stopped run sent %d", got)
	}
	for range 2 {
		c.pass(lease + time.Second)
		if err := h.Handle(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range people {
		if len(ses.sent[p]) != 1 {
			t.Errorf("%s got %d emails", p, len(ses.sent[p]))
		}
	}
}

func TestASuppressedAddressIsNeverEmailed(t *testing.T) {
	s, ses, c, h := noticeSetup(t)
	if err := s.Suppress(ctx, "gone@example.com", store.Suppression{Reason: "bounce", At: c.now()}); err != nil {
		t.Fatal(err)
	}
	code := mail.New("gone@example.com", mail.NewDocuments)
	s.QueueMail(code)
	s.publish("gone@example.com", "here@example.com")
	c.pass(time.Hour)
	if err := h.Handle(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if len(ses.sent["gone@example.com"]) != 0 || len(ses.sent["here@example.com"]) != 1 {
		t.Fatalf("sent %v", ses.sent)
	}
	if st, _ := s.MailStatus(code.ID); st != "suppressed" {
		t.Fatalf("the sign-in code email is %q", st)
	}
}

func TestABounceNotificationSuppressesTheAddress(t *testing.T) {
	s, _, _, h := noticeSetup(t)
	sample, err := os.ReadFile("../../events/notify-ses-bounce.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Handle(ctx, sample); err != nil {
		t.Fatal(err)
	}
	why, ok, err := s.Suppressed(ctx, "No-Such-Person@example.com")
	if err != nil || !ok || why.Reason != "bounce" || why.Detail != "General" {
		t.Fatalf("after the sample bounce: %+v %v %v", why, ok, err)
	}
}

func TestSESFeedbackOfEachKind(t *testing.T) {
	s, _, _, h := noticeSetup(t)
	sns := func(messages ...string) json.RawMessage {
		var recs []string
		for _, m := range messages {
			b, _ := json.Marshal(m)
			recs = append(recs, `{"EventSource":"aws:sns","EventVersion":"1.0","Sns":{"Type":"Notification","MessageId":"m","Timestamp":"2026-11-02T09:00:00Z","Message":`+string(b)+`}}`)
		}
		return json.RawMessage(`{"Records":[` + strings.Join(recs, ",") + `]}`)
	}
	ev := sns(
		// A complaint, as an identity's feedback notification (notificationType) names it.
		`{"notificationType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"angry@example.com"}],"complaintFeedbackType":"abuse","timestamp":"2026-11-02T09:00:00.000Z"},"mail":{}}`,
		// A transient bounce: mailbox full; the address is kept.
		`{"eventType":"Bounce","bounce":{"bounceType":"Transient","bounceSubType":"MailboxFull","bouncedRecipients":[{"emailAddress":"full@example.com"}]},"mail":{}}`,
		// A permanent bounce of two recipients, one written with a display name.
		`{"eventType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"NoEmail","bouncedRecipients":[{"emailAddress":"a@example.com"},{"emailAddress":"Bee <B@Example.com>"}]},"mail":{}}`,
		// A delivery, and something that is not SES at all: ignored.
		`{"eventType":"Delivery","delivery":{"recipients":["ok@example.com"]},"mail":{}}`,
		`Hello from SNS!`,
	)
	if err := h.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	want := map[access.Email]string{"angry@example.com": "complaint", "full@example.com": "", "a@example.com": "bounce", "b@example.com": "bounce", "ok@example.com": ""}
	for e, reason := range want {
		why, ok, err := s.Suppressed(ctx, e)
		if err != nil || ok != (reason != "") || why.Reason != reason {
			t.Errorf("%s: %+v %v %v", e, why, ok, err)
		}
	}
}

func TestTheScheduleEventRunsTheNotifier(t *testing.T) {
	s, ses, c, h := noticeSetup(t)
	sample, err := os.ReadFile("../../events/notify-schedule.json")
	if err != nil {
		t.Fatal(err)
	}
	s.publish("anna@example.com")
	c.pass(time.Hour)
	if err := h.Handle(ctx, sample); err != nil {
		t.Fatal(err)
	}
	if len(ses.sent["anna@example.com"]) != 1 {
		t.Fatalf("sent %v", ses.sent)
	}
}

func TestPacerSlowsDownOnThrottling(t *testing.T) {
	p := newPacer(14)
	p.slow()
	if r := p.rate(); r < 6.9 || r > 7.1 {
		t.Fatalf("rate after one slow-down %.2f", r)
	}
	for range 10 {
		p.slow()
	}
	if p.rate() != 0.2 {
		t.Fatalf("slowest rate %.2f", p.rate())
	}
	if err := newPacer(1).wait(ctx); err != nil {
		t.Fatal(err)
	}
	q := newPacer(0.001)
	_ = q.wait(ctx)
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := q.wait(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting in an ended run: %v", err)
	}
}
