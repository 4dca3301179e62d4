package store_test

import (
	"errors"
	"testing"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
)

func TestAnIdempotencyKeyMakesOneRequestAndOnlyForItsOwnBody(t *testing.T) {
	s, _ := storetest.New(t)
	first, second := access.NewRequestID(), access.NewRequestID()
	if got, err := s.Claim(ctx, "key-hash", "body-1", first); err != nil || got != first {
		t.Fatalf("first claim: %q %v", got, err)
	}
	// Sent again (its answer lost): the same request, not the new id offered.
	if got, err := s.Claim(ctx, "key-hash", "body-1", second); err != nil || got != first {
		t.Fatalf("second claim: %q %v, want %q", got, err, first)
	}
	// The same key with another body is a client bug or a guess: refused, and it learns nothing.
	if got, err := s.Claim(ctx, "key-hash", "body-2", second); !errors.Is(err, store.ErrConflict) || got != "" {
		t.Fatalf("other body: %q %v", got, err)
	}
	if got, err := s.Claim(ctx, "other-key", "body-1", second); err != nil || got != second {
		t.Fatalf("another key: %q %v", got, err)
	}
}

func TestAContinuationIsReissuedOnlyWhileEvidenceIsAwaited(t *testing.T) {
	s, _ := storetest.New(t)
	r, ev := newRequest()
	r.ContinuationHash = "old"
	if err := s.CreateRequest(ctx, r, ev, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.ReissueContinuation(ctx, r.ID, "new"); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Request(ctx, r.ID); got.ContinuationHash != "new" {
		t.Fatalf("continuation %q, want the new one", got.ContinuationHash)
	}
	if err := s.SubmitRequest(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.ReissueContinuation(ctx, r.ID, "newer"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("after submit: %v", err)
	}
	if err := s.ReissueContinuation(ctx, "no-such-request", "x"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("unknown request: %v", err)
	}
}
