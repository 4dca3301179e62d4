package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

// TestAWithdrawnRequestLeavesTheQueueAndItsContinuationStopsWorking: one write moves the status,
// takes the request out of the staff queue's index, clears the continuation token and queues the
// requester's email; a second withdrawal, or one after a decision, changes nothing.
func TestAWithdrawnRequestLeavesTheQueueAndItsContinuationStopsWorking(t *testing.T) {
	s, _ := storetest.New(t)
	r := access.Request{ID: access.NewRequestID(), Reference: access.NewReference(), Status: access.AwaitingEvidence, ContinuationHash: "hash",
		Requester: access.Requester{Name: "Dee Puty", Email: "dee.withdraw@example.com"}, Relationship: access.Self, CreatedAt: time.Now().UTC()}
	if err := s.CreateRequest(ctx, r, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SubmitRequest(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if st, err := s.PromoteIfReady(ctx, r.ID, access.Reviewers{}); err != nil || st != access.ReadyForReview {
		t.Fatal(st, err)
	}
	r, _, _ = s.Request(ctx, r.ID)
	if r.ContinuationHash == "" {
		t.Fatalf("set up: %+v", r)
	}
	kept := reviewReady(t, s, "dee.stays@example.com")
	if q, err := s.Queue(ctx); err != nil || len(q) != 2 {
		t.Fatalf("queue before: %+v %v", q, err)
	}
	got, err := s.WithdrawRequest(ctx, r.ID)
	if err != nil || got.Status != access.Withdrawn {
		t.Fatalf("%+v %v", got, err)
	}
	stored, _, err := s.Request(ctx, r.ID)
	if err != nil || stored.Status != access.Withdrawn || stored.ContinuationHash != "" {
		t.Fatalf("stored %+v %v", stored, err)
	}
	q, err := s.Queue(ctx)
	if err != nil || len(q) != 1 || q[0].Request.ID != kept.ID {
		t.Fatalf("queue after: %+v %v", q, err)
	}
	told := mailOf(t, s, mail.Withdrawn)
	if len(told) != 1 || told[0].Reference != r.Reference || told[0].To != "dee.withdraw@example.com" || told[0].Request != r.ID || told[0].Link != nil {
		t.Fatalf("emails %+v", told)
	}
	if _, err := s.WithdrawRequest(ctx, r.ID); !errors.Is(err, store.ErrConflict) {
		t.Errorf("withdrawn twice: %v", err)
	}
	if err := s.Reject(ctx, r.ID, reviewer, "late"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a withdrawn request was rejected: %v", err)
	}
	if len(mailOf(t, s, mail.Withdrawn)) != 1 || len(mailOf(t, s, mail.RequestRejected)) != 0 {
		t.Error("a refused move queued an email")
	}
}

func TestADecidedRequestCannotBeWithdrawn(t *testing.T) {
	s, _ := storetest.New(t)
	r := reviewReady(t, s, "dee.decided@example.com")
	if err := s.Reject(ctx, r.ID, reviewer, "not a deputy"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WithdrawRequest(ctx, r.ID); !errors.Is(err, store.ErrConflict) || !errors.Is(err, access.ErrIllegalMove) {
		t.Fatalf("withdrew a rejected request: %v", err)
	}
	if got, _, _ := s.Request(ctx, r.ID); got.Status != access.Rejected || len(mailOf(t, s, mail.Withdrawn)) != 0 {
		t.Errorf("%s, %d emails", got.Status, len(mailOf(t, s, mail.Withdrawn)))
	}
}
