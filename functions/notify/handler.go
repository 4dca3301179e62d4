package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

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
}

// Sender sends one rendered email.
type Sender interface {
	Send(ctx context.Context, to access.Email, r mail.Rendered, idempotencyKey string) (string, error)
}

const (
	batch       = 25
	lease       = 2 * time.Minute // a claimed email comes back after this if its sender died
	maxAttempts = 8
	firstDelay  = 15 * time.Second
	maxDelay    = 30 * time.Minute
)

// Handler delivers the outbox. It runs on a schedule; each run sends what is due until nothing is
// due or its time is nearly up, and leaves the rest for the next run.
type Handler struct {
	Outbox Outbox
	Sender Sender
	Bases  mail.Bases
	PerSec float64 // SES's maximum send rate for the account
	Now    func() time.Time
	Log    *slog.Logger
}

// Handle accepts the schedule's event (its content does not matter).
func (h Handler) Handle(ctx context.Context, _ json.RawMessage) error {
	return h.deliver(ctx)
}

func (h Handler) deliver(ctx context.Context) error {
	pace := time.Duration(float64(time.Second) / max(h.PerSec, 1))
	var sent, failed int
	for ctx.Err() == nil && !nearlyOut(ctx) {
		due, err := h.Outbox.DueMail(ctx, batch)
		if err != nil {
			return err // the schedule runs again; nothing was lost
		}
		if len(due) == 0 {
			break
		}
		progress := false
		for i := range due {
			q := &due[i]
			if err := h.Outbox.ClaimMail(ctx, q, lease); err != nil {
				if !errors.Is(err, store.ErrConflict) {
					return err
				}
				continue // another run has it
			}
			progress = true
			if h.send(ctx, *q) {
				sent++
			} else {
				failed++
			}
			time.Sleep(pace)
		}
		if !progress {
			break
		}
	}
	if sent+failed > 0 {
		h.Log.Info("outbox delivered", "sent", sent, "failed", failed)
	}
	return nil
}

// send delivers one claimed email and records the outcome; it reports success.
func (h Handler) send(ctx context.Context, q store.Queued) bool {
	log := h.Log.With("mail", q.ID, "template", q.Template, "attempt", q.Attempts)
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
		return false
	}
	id, err := h.Sender.Send(ctx, q.To, r, q.ID)
	if err != nil {
		return h.failed(ctx, q, "SES: "+err.Error(), log)
	}
	if err := h.Outbox.MailSent(ctx, q, id); err != nil {
		// Sent but not recorded: it will be sent again after the lease (at least once).
		log.Error("recording a sent email", "err", err)
	}
	return true
}

func (h Handler) failed(ctx context.Context, q store.Queued, reason string, log *slog.Logger) bool {
	if q.Attempts >= maxAttempts {
		h.park(ctx, q, reason, log)
		return false
	}
	delay := firstDelay << (q.Attempts - 1)
	if delay > maxDelay || delay <= 0 {
		delay = maxDelay
	}
	log.Warn("email not sent, will retry", "reason", reason, "in", delay.String())
	if err := h.Outbox.MailRetry(ctx, q, h.Now().Add(delay), reason); err != nil {
		log.Error("rescheduling an email", "err", err) // the lease brings it back anyway
	}
	return false
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
