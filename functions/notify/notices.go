package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/council/cfp/shared/batch"
	"github.com/council/cfp/shared/store"
)

// Notices is what the notifier needs of the store for new-document notices.
type Notices interface {
	DueNotices(ctx context.Context, quiet, maxDelay time.Duration, limit int) ([]store.Notice, error)
	SendNotice(ctx context.Context, n store.Notice) (store.MailID, error)
	Batch(ctx context.Context, b batch.ID) (store.Batch, error)
}

const (
	noticeBatch   = 200
	noticeWorkers = 4 // each notice is one transaction; a billing run has thousands
)

// notices turns every due notice into one queued new-documents email (store.SendNotice: the notice
// is deleted and the email queued in one transaction, only if no document arrived since the notice
// was read). A notice that changed meanwhile stays pending for a later run. A notice held by a batch
// (its latest document came from one) waits until that batch is reported, or the maximum delay:
// a batch's files are published as each meets its row, which under load can be minutes apart, far
// more than a quiet period, and its grantees are told once. The emails go out through the outbox
// like any other, so pacing, retries and suppression apply to them.
//
// AWS requests per person told (however many documents): DynamoDB TransactWriteItems 1 (notice to
// email), GetItem 1 (suppression), UpdateItem 2 (claim, sent), plus a share of the paged Queries
// (due notices, 200 a page; due emails, 25 a page); SES SendEmail 1.
func (h Handler) notices(ctx context.Context, until time.Time) error {
	var queued, changed, held int
	open := map[batch.ID]bool{} // batches read in this run and found not reported
	for ctx.Err() == nil && !nearlyOut(ctx) && time.Now().Before(until) {
		due, err := h.Notices.DueNotices(ctx, h.Quiet, h.MaxDelay, noticeBatch)
		if err != nil {
			return err
		}
		if len(due) == 0 {
			break
		}
		ready, err := h.unheld(ctx, due, open)
		if err != nil {
			return err
		}
		held += len(due) - len(ready)
		q, c, err := h.sendNotices(ctx, ready)
		queued, changed = queued+q, changed+c
		if err != nil {
			return err
		}
		if q == 0 {
			break // every one changed or is held (documents still arriving, or another run has them)
		}
	}
	if queued+changed+held > 0 {
		h.Log.Info("new-document notices queued", "queued", queued, "changed", changed, "held", held)
	}
	return nil
}

// unheld returns the notices no open batch holds: a notice's batch is read once a run (open
// remembers the ones not reported yet), and a notice whose first document is the maximum delay old
// goes whatever its batch.
func (h Handler) unheld(ctx context.Context, due []store.Notice, open map[batch.ID]bool) ([]store.Notice, error) {
	var ready []store.Notice
	for _, n := range due {
		if n.Hold == nil || !h.Now().Before(n.FirstAt.Add(h.MaxDelay)) {
			ready = append(ready, n)
			continue
		}
		isOpen, seen := open[*n.Hold]
		if !seen {
			b, err := h.Notices.Batch(ctx, *n.Hold)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return nil, err
			}
			isOpen = err == nil && !b.Reported
			open[*n.Hold] = isOpen
		}
		if !isOpen {
			ready = append(ready, n)
		}
	}
	return ready, nil
}

// sendNotices sends a batch of notices with a few workers.
func (h Handler) sendNotices(ctx context.Context, due []store.Notice) (queued, changed int, err error) {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		next = make(chan store.Notice)
	)
	for range min(noticeWorkers, len(due)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range next {
				_, err := h.Notices.SendNotice(ctx, n)
				mu.Lock()
				switch {
				case errors.Is(err, store.ErrConflict):
					changed++
				case err != nil:
					errs = append(errs, err)
				default:
					queued++
				}
				mu.Unlock()
			}
		}()
	}
	for _, n := range due {
		next <- n
	}
	close(next)
	wg.Wait()
	return queued, changed, errors.Join(errs...)
}
