package web

import (
	"context"
	"testing"
	"time"
)

func TestInTimeEndsWorkBeforeLambdasDeadline(t *testing.T) {
	lambda := time.Now().Add(10 * time.Second)
	parent, cancel := context.WithDeadline(context.Background(), lambda)
	defer cancel()
	ctx, done := InTime(parent)
	defer done()
	d, ok := ctx.Deadline()
	if !ok || !d.Equal(lambda.Add(-AnswerReserve)) {
		t.Fatalf("work deadline %v (set %v), want %v", d, ok, lambda.Add(-AnswerReserve))
	}

	ctx, done = InTime(context.Background()) // no deadline (a test, a local call): none is made up
	defer done()
	if _, ok := ctx.Deadline(); ok {
		t.Fatal("a deadline was invented")
	}
}
