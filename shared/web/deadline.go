package web

import (
	"context"
	"time"
)

// AnswerReserve is the time a handler keeps back from Lambda's deadline to answer in.
const AnswerReserve = time.Second

// InTime returns the context a handler does its work with: it ends AnswerReserve before Lambda's
// deadline, so that when an AWS call stalls the handler still answers the API's own "try again"
// (503, which the portal knows) rather than being cut off for the gateway's time-out (504).
func InTime(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, d.Add(-AnswerReserve))
	}
	return context.WithCancel(ctx)
}
