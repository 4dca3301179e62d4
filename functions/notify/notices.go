package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/council/cfp/shared/store"
)

// Notices is what the notifier needs of the store for new-document notices.
type Notices interface {
	DueNotices(ctx context.Context, quiet, maxDelay time.Duration, limit int) ([]store.Notice, error)
	SendNotice(ctx context.Context, n store.Notice) (store.MailID, error)
}

const (
	noticeBatch   = 200
	noticeWorkers = 4 // each notice is one transaction; a billing run has thousands
)

// notices turns every due notice into one queued new-documents email (store.SendNotice: the notice
// is deleted and the email queued in one transaction, only if no document arrived since the notice
// was read). A notice that changed meanwhile stays pending for a later run. Documents from a batch
// make no notice: the batch's report queues its grantees' emails (publish-document). The emails go
// out through the outbox like any other, so pacing, retries and suppression apply to them.
//
// AWS requests per person told (however many documents): DynamoDB TransactWriteItems 1 (notice to
// email), GetItem 1 (suppression), UpdateItem 2 (claim, sent), plus a share of the paged Queries
// (due notices, 200 a page; due emails, 25 a page); SES SendEmail 1.
func (h Handler) notices(ctx context.Context, until time.Time) error {
	var queued, changed int
	for ctx.Err() == nil && !nearlyOut(ctx) && time.Now().Before(until) {
		due, err := h.Notices.DueNotices(ctx, h.Quiet, h.MaxDelay, noticeBatch)
		if err != nil {
			return err
		}
		if len(due) == 0 {
			break
		}
		q, c, err := h.sendNotices(ctx, due)
		queued, changed = queued+q, changed+c
		if err != nil {
			return err
		}
		if q == 0 {
			break // every one changed (documents still arriving, or another run has them)
		}
	}
	if queued+changed > 0 {
		h.Log.Info("new-document notices queued", "queued", queued, "changed", changed)
	}
	return nil
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
