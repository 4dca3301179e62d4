package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

// Outbox is what the notifier needs of the store.
type Outbox interface {
	DueMail(ctx context.Context, limit int) ([]store.Queued, error)
	ClaimMail(ctx context.Context, q *store.Queued, lease time.Duration) error
	MailSent(ctx context.Context, q store.Queued, sesID string) error
	MailRetry(ctx context.Context, q store.Queued, next time.Time, reason string) error
	MailParked(ctx context.Context, q store.Queued, reason string) error
	PutToken(ctx context.Context, t store.Token) error
	Suppressed(ctx context.Context, e access.Email) (store.Suppression, bool, error)
	MailSuppressed(ctx context.Context, q store.Queued) error
}

// Sender sends one rendered email.
type Sender interface {
	Send(ctx context.Context, to access.Email, r mail.Rendered, idempotencyKey string) (string, error)
}

const (
	mailPage    = 25
	lease       = 2 * time.Minute // a claimed email comes back after this if its sender died
	maxAttempts = 8
	firstDelay  = 15 * time.Second
	maxDelay    = 30 * time.Minute
	// runFor bounds one scheduled run, so that runs a minute apart do not overlap and together
	// keep to the send rate (a run also stops when its invocation is nearly out of time).
	runFor = 50 * time.Second
	// After this many throttled sends in a row the run stops and leaves the rest to the next one.
	maxThrottled  = 3
	throttleDelay = 10 * time.Second // a throttled email is due again after this (not an attempt that counts towards parking)
)

// Handler delivers the outbox, turns due new-document notices into emails (notices.go), and records
// SES's bounce and complaint feedback (feedback.go). Scheduled runs send what is due until nothing
// is due or the run's time is up, and leave the rest for the next run.
type Handler struct {
	Outbox   Outbox
	Notices  Notices
	Feedback Feedback
	Sender   Sender
	Bases    mail.Bases
	PerSec   float64 // SES's maximum send rate for the account
	Quiet    time.Duration
	MaxDelay time.Duration
	Now      func() time.Time
	Log      *slog.Logger
}

// Handle dispatches on the event's shape: SNS records carry SES feedback; anything else (the
// schedule's EventBridge event, or an empty event from make invoke) is a scheduled run.
func (h Handler) Handle(ctx context.Context, raw json.RawMessage) error {
	var probe struct{ Records []json.RawMessage }
	if len(raw) > 0 && json.Unmarshal(raw, &probe) == nil && len(probe.Records) > 0 {
		var ev events.SNSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return fmt.Errorf("notify: an event with records that are not SNS records: %w", err)
		}
		return h.feedback(ctx, ev)
	}
	until := time.Now().Add(runFor)
	noticeErr := h.notices(ctx, until) // emails queued here go out in the same run, below
	return errors.Join(noticeErr, h.deliver(ctx, until))
}

// outcome is what became of one claimed email.
type outcome int

const (
	sent outcome = iota
	failed
	throttled
	suppressed
)

func (h Handler) deliver(ctx context.Context, until time.Time) error {
	pace := newPacer(h.PerSec)
	count := map[outcome]int{}
	inARow := 0 // throttled sends in a row
	stop := func() bool {
		return ctx.Err() != nil || nearlyOut(ctx) || time.Now().After(until) || inARow >= maxThrottled
	}
	for !stop() {
		due, err := h.Outbox.DueMail(ctx, mailPage)
		if err != nil {
			return err // the schedule runs again; nothing was lost
		}
		if len(due) == 0 {
			break
		}
		progress := false
		for i := range due {
			if stop() {
				break // unclaimed emails stay due for the next run
			}
			q := &due[i]
			if err := h.Outbox.ClaimMail(ctx, q, lease); err != nil {
				if !errors.Is(err, store.ErrConflict) {
					return err
				}
				continue // another run has it
			}
			progress = true
			o := h.send(ctx, *q, pace)
			count[o]++
			if o == throttled {
				inARow++
				pace.slow()
			} else if o == sent {
				inARow = 0
			}
		}
		if !progress {
			break
		}
	}
	if len(count) > 0 {
		h.Log.Info("outbox delivered", "sent", count[sent], "failed", count[failed], "throttled", count[throttled], "suppressed", count[suppressed])
	}
	if inARow >= maxThrottled {
		h.Log.Warn("SES is throttling: the run stopped early; the rest waits for the next run", "perSecond", pace.rate())
	}
	return nil
}

// send delivers one claimed email and records the outcome.
func (h Handler) send(ctx context.Context, q store.Queued, pace *pacer) outcome {
	log := h.Log.With("mail", q.ID, "template", q.Template, "attempt", q.Attempts)
	if _, off, err := h.Outbox.Suppressed(ctx, q.To); err != nil {
		return h.failed(ctx, q, "reading the suppression list: "+err.Error(), log)
	} else if off {
		// SES reported a permanent bounce or a complaint for the address: never send to it again.
		log.Info("email not sent: the address is suppressed")
		if err := h.Outbox.MailSuppressed(ctx, q); err != nil {
			log.Error("recording a suppressed email", "err", err) // the lease brings it back to be checked again
		}
		return suppressed
	}
	link := ""
	if q.Link != nil {
		// The token is minted now, so it exists only in this email and as a hash in the table.
		tok := secret.New()
		now := h.Now()
		t := store.Token{Hash: tok.Hash(), Purpose: q.Link.Purpose, Subject: q.Link.Subject, Email: q.To, IssuedAt: now, ExpiresAt: now.Add(q.Link.TTL)}
		if err := h.Outbox.PutToken(ctx, t); err != nil {
			return h.failed(ctx, q, "storing the link token: "+err.Error(), log)
		}
		link = h.Bases.URL(*q.Link, tok.Reveal())
	}
	r, err := mail.Render(q.Message, link, h.Bases)
	if err != nil {
		h.park(ctx, q, err.Error(), log) // it will never render: retrying cannot help
		return failed
	}
	if err := pace.wait(ctx); err != nil {
		return h.failed(ctx, q, "the run ended: "+err.Error(), log)
	}
	id, err := h.Sender.Send(ctx, q.To, r, q.ID)
	if isThrottling(err) {
		// Over SES's rate: not the email's fault, so not an attempt towards parking.
		log.Warn("SES throttled the email; it will be sent later", "in", throttleDelay.String())
		if err := h.Outbox.MailRetry(ctx, q, h.Now().Add(throttleDelay), "SES throttling"); err != nil {
			log.Error("rescheduling an email", "err", err) // the lease brings it back anyway
		}
		return throttled
	}
	if err != nil {
		return h.failed(ctx, q, "SES: "+err.Error(), log)
	}
	// Record it even if the run's context ends right now: an unrecorded send goes out again after
	// the lease, so a run stopped half-way would send it twice.
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := h.Outbox.MailSent(rec, q, id); err != nil {
		// Sent but not recorded: it will be sent again after the lease (at least once).
		log.Error("recording a sent email", "err", err)
	}
	return sent
}

// isThrottling reports whether SES refused a send for its rate (after the SDK's own retries):
// TooManyRequestsException, Throttling ("Maximum sending rate exceeded") and the like.
func isThrottling(err error) bool {
	return err != nil && retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
}

func (h Handler) failed(ctx context.Context, q store.Queued, reason string, log *slog.Logger) outcome {
	if q.Attempts >= maxAttempts {
		h.park(ctx, q, reason, log)
		return failed
	}
	delay := firstDelay << (q.Attempts - 1)
	if delay > maxDelay || delay <= 0 {
		delay = maxDelay
	}
	log.Warn("email not sent, will retry", "reason", reason, "in", delay.String())
	if err := h.Outbox.MailRetry(ctx, q, h.Now().Add(delay), reason); err != nil {
		log.Error("rescheduling an email", "err", err) // the lease brings it back anyway
	}
	return failed
}

func (h Handler) park(ctx context.Context, q store.Queued, reason string, log *slog.Logger) {
	// The alarm on parked emails reads this exact message.
	log.Error("email parked", "reason", reason)
	if err := h.Outbox.MailParked(ctx, q, reason); err != nil {
		log.Error("parking an email", "err", err)
	}
}

// nearlyOut reports whether the invocation has too little time left to send another batch.
func nearlyOut(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && time.Until(d) < 10*time.Second
}

// pacer spaces SES calls to a rate, and slows down when SES says the rate is too high.
type pacer struct {
	every time.Duration
	next  time.Time
}

func newPacer(perSec float64) *pacer {
	return &pacer{every: time.Duration(float64(time.Second) / max(perSec, 1))}
}

// wait returns when the next call may be made.
func (p *pacer) wait(ctx context.Context) error {
	now := time.Now()
	if d := p.next.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		now = p.next
	}
	p.next = now.Add(p.every)
	return nil
}

// slow halves the rate (down to one call every 5 seconds).
func (p *pacer) slow() { p.every = min(2*p.every, 5*time.Second) }

func (p *pacer) rate() float64 { return float64(time.Second) / float64(p.every) }
