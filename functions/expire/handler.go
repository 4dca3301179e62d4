package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
)

// Requests is what the function needs of the store.
type Requests interface {
	EachWaitingBefore(ctx context.Context, st access.Status, cutoff time.Time, each func(store.Waiting) bool) error
	ExpireRequest(ctx context.Context, id access.RequestID, after time.Duration) (access.Request, error)
	DuePurges(ctx context.Context, limit int) ([]store.Purge, error)
	ClaimPurge(ctx context.Context, p *store.Purge, lease time.Duration) error
	DeleteRequestTokens(ctx context.Context, id access.RequestID) (int, error)
	PurgeDone(ctx context.Context, p store.Purge) error
}

// Files is what it needs of the uploads bucket.
type Files interface {
	DeleteEveryVersion(ctx context.Context, prefix string) (int, error)
}

const (
	// runFor bounds one run, within the function's timeout; what is left waits for the next run.
	runFor = 4 * time.Minute
	// lease is how long a claimed purge is a run's: longer than a run, so two never share one.
	lease      = 10 * time.Minute
	purgeBatch = 25
)

// Handler expires the requests whose time is up and purges what the expired ones leave behind.
type Handler struct {
	Requests Requests
	Files    Files
	After    time.Duration // REQUEST_EXPIRY
	Now      func() time.Time
	Log      *slog.Logger
}

// Handle is one scheduled run (the schedule's EventBridge event, or any event from make invoke:
// the run is the same whatever it is sent). It expires first, so that what it expires is purged in
// the same run. An error says some work failed and waits for the next run; none is lost.
func (h Handler) Handle(ctx context.Context, _ json.RawMessage) error {
	until := time.Now().Add(runFor)
	stop := func() bool { return ctx.Err() != nil || time.Now().After(until) || nearlyOut(ctx) }
	expired, expireErr := h.expire(ctx, stop)
	purged, purgeErr := h.purge(ctx, stop)
	if expired > 0 || purged > 0 {
		h.Log.Info("expiry run", "expired", expired, "purged", purged)
	}
	return errors.Join(expireErr, purgeErr)
}

// expire expires every request found due in each status that expires.
func (h Handler) expire(ctx context.Context, stop func() bool) (int, error) {
	now := h.Now()
	cutoff := now.Add(-h.After)
	n, failed := 0, 0
	for _, st := range access.ExpiringStatuses() {
		err := h.Requests.EachWaitingBefore(ctx, st, cutoff, func(w store.Waiting) bool {
			if stop() {
				return false
			}
			if !w.Request.ExpiryDue(w.Since, h.After, now) {
				return true // a draft, which ends by its own lifetime
			}
			log := h.Log.With("request", w.Request.ID)
			switch _, err := h.Requests.ExpireRequest(ctx, w.Request.ID, h.After); {
			case err == nil:
				n++
				log.Info("request expired", "status", st)
			case errors.Is(err, store.ErrConflict), errors.Is(err, access.ErrNotDue), errors.Is(err, store.ErrNotFound):
				log.Info("request not expired: it moved on, or another run expired it", "reason", err.Error())
			default:
				failed++
				log.Error("expiring a request; the next run tries again", "err", err)
			}
			return true
		})
		if err != nil {
			return n, fmt.Errorf("expire: finding requests %s: %w", st, err)
		}
	}
	if failed > 0 {
		return n, fmt.Errorf("expire: %d requests could not be expired this run", failed)
	}
	return n, nil
}

// purge deletes the files and links of each expired request not yet purged, one claim at a time.
func (h Handler) purge(ctx context.Context, stop func() bool) (int, error) {
	n, failed := 0, 0
	for !stop() {
		due, err := h.Requests.DuePurges(ctx, purgeBatch)
		if err != nil {
			return n, fmt.Errorf("expire: finding purges: %w", err)
		}
		progress := false
		for i := range due {
			if stop() {
				break
			}
			p := &due[i]
			if err := h.Requests.ClaimPurge(ctx, p, lease); err != nil {
				if !errors.Is(err, store.ErrConflict) {
					return n, fmt.Errorf("expire: claiming a purge: %w", err)
				}
				continue // another run has it
			}
			progress = true
			if err := h.purgeOne(ctx, *p); err != nil {
				failed++
				// The claim lapses after the lease, and a later run takes the purge up again.
				h.Log.Error("purging an expired request; a later run tries again", "request", p.Request, "err", err)
				continue
			}
			n++
		}
		if !progress || len(due) < purgeBatch {
			break
		}
	}
	if failed > 0 {
		return n, fmt.Errorf("expire: %d expired requests could not be purged this run", failed)
	}
	return n, nil
}

// purgeOne deletes one expired request's files (every version, uploads and copies) and any link
// minted since it expired, then records it done.
func (h Handler) purgeOne(ctx context.Context, p store.Purge) error {
	files := 0
	for _, prefix := range access.FilePrefixes(p.Request) {
		n, err := h.Files.DeleteEveryVersion(ctx, prefix)
		files += n
		if err != nil {
			return err
		}
	}
	tokens, err := h.Requests.DeleteRequestTokens(ctx, p.Request)
	if err != nil {
		return err
	}
	switch err := h.Requests.PurgeDone(ctx, p); {
	case errors.Is(err, store.ErrConflict):
		// The claim lapsed mid-way and another run took it: that run finishes and records it.
		h.Log.Info("expired request purged; another run records it", "request", p.Request)
		return nil
	case err != nil:
		return err
	}
	h.Log.Info("expired request purged", "request", p.Request, "objectVersions", files, "lateTokens", tokens)
	return nil
}

// nearlyOut reports whether the invocation has under 15 seconds left.
func nearlyOut(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && time.Until(d) < 15*time.Second
}
