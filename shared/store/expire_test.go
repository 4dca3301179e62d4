package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/council/cfp/infra/local/dynamo"
	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

const expiry = 28 * 24 * time.Hour

// leftWaiting makes a request that has awaited its evidence since at, with one declared file.
func leftWaiting(t *testing.T, s *store.Store, email access.Email, at time.Time) (access.Request, access.Evidence) {
	t.Helper()
	r := access.Request{ID: access.NewRequestID(), Reference: access.NewReference(), Status: access.AwaitingEvidence, ContinuationHash: "hash",
		Requester: access.Requester{Name: "Dee Puty", Email: email}, Relationship: access.Deputy, CreatedAt: at, UpdatedAt: at}
	e := access.Evidence{ID: access.NewEvidenceID(), RequestID: r.ID, File: access.File{FileName: "order.pdf", ContentType: "application/pdf", Size: 9},
		Status: access.Clean, SHA256: "abc123", Verdict: "NO_THREATS_FOUND", UploadedAt: at, UpdatedAt: at}
	if err := s.WithClock(func() time.Time { return at }).CreateRequest(ctx, r, []access.Evidence{e}, r.Received()); err != nil {
		t.Fatal(err)
	}
	return r, e
}

func putToken(t *testing.T, s *store.Store, hash string, p mail.Purpose, subject string) {
	t.Helper()
	now := time.Now()
	if err := s.PutToken(ctx, store.Token{Hash: hash, Purpose: p, Subject: subject, Email: "dee@example.com", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

func due(t *testing.T, s *store.Store, st access.Status, now time.Time) []access.RequestID {
	t.Helper()
	var ids []access.RequestID
	if err := s.EachWaitingBefore(ctx, st, now.Add(-expiry), func(w store.Waiting) bool {
		if w.Request.ExpiryDue(w.Since, expiry, now) {
			ids = append(ids, w.Request.ID)
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestARequestLeftWaitingExpiresOnceWithItsLinks: the index finds a request left awaiting its
// evidence for 28 days (not one a day younger); expiring it ends it, clears its continuation, deletes
// its link tokens (not another request's, not an address's) and emails its requester, in one
// write; a second run changes nothing and sends nothing more. Its purge is claimed by one run; when
// done its evidence is marked deleted, keeping the facts, and it leaves the purge queue.
func TestARequestLeftWaitingExpiresOnceWithItsLinks(t *testing.T) {
	s, _ := storetest.New(t)
	now := time.Now().UTC()
	old, ev := leftWaiting(t, s, "dee.old@example.com", now.Add(-expiry-time.Minute))
	young, _ := leftWaiting(t, s, "dee.young@example.com", now.Add(-expiry+24*time.Hour))
	putToken(t, s, "status-old", mail.Status, string(old.ID))
	putToken(t, s, "more-old", mail.MoreInfo, string(old.ID))
	putToken(t, s, "status-young", mail.Status, string(young.ID))
	putToken(t, s, "verify", mail.Verify, "dee.old@example.com")

	if got := due(t, s, access.AwaitingEvidence, now); len(got) != 1 || got[0] != old.ID {
		t.Fatalf("due: %v; want only %s", got, old.ID)
	}
	got, err := s.ExpireRequest(ctx, old.ID, expiry)
	if err != nil || got.Status != access.Expired {
		t.Fatalf("%+v %v", got, err)
	}
	stored, _, err := s.Request(ctx, old.ID)
	if err != nil || stored.Status != access.Expired || stored.ContinuationHash != "" {
		t.Fatalf("stored %+v %v", stored, err)
	}
	for _, h := range []string{"status-old", "more-old"} {
		if _, err := s.Token(ctx, h, map[string]mail.Purpose{"status-old": mail.Status, "more-old": mail.MoreInfo}[h]); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("token %s of the expired request: %v", h, err)
		}
	}
	if _, err := s.Token(ctx, "status-young", mail.Status); err != nil {
		t.Errorf("another request's token: %v", err)
	}
	if _, err := s.Token(ctx, "verify", mail.Verify); err != nil {
		t.Errorf("an address's token: %v", err)
	}
	told := mailOf(t, s, mail.Expired)
	if len(told) != 1 || told[0].To != "dee.old@example.com" || told[0].Reference != old.Reference || told[0].Text != "28 days" || told[0].Link != nil {
		t.Fatalf("emails %+v", told)
	}
	if q, err := s.Queue(ctx); err != nil || len(q) != 1 || q[0].Request.ID != young.ID {
		t.Errorf("the staff queue: %+v %v", q, err)
	}

	// A second run, or one overlapping, finds it no longer waiting, or loses the write.
	if got := due(t, s, access.AwaitingEvidence, now); len(got) != 0 {
		t.Errorf("still due: %v", got)
	}
	if _, err := s.ExpireRequest(ctx, old.ID, expiry); !errors.Is(err, store.ErrConflict) {
		t.Errorf("expired twice: %v", err)
	}
	if len(mailOf(t, s, mail.Expired)) != 1 {
		t.Errorf("a second email")
	}

	// Its purge: one claim wins.
	purges, err := s.DuePurges(ctx, 10)
	if err != nil || len(purges) != 1 || purges[0].Request != old.ID {
		t.Fatalf("purges %+v %v", purges, err)
	}
	stale := purges[0]
	p := purges[0]
	if err := s.ClaimPurge(ctx, &p, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimPurge(ctx, &stale, time.Minute); !errors.Is(err, store.ErrConflict) {
		t.Errorf("claimed twice: %v", err)
	}
	if again, err := s.DuePurges(ctx, 10); err != nil || len(again) != 0 {
		t.Errorf("a claimed purge is due: %+v %v", again, err)
	}
	putToken(t, s, "status-late", mail.Status, string(old.ID)) // minted as it expired
	if n, err := s.DeleteRequestTokens(ctx, old.ID); err != nil || n != 1 {
		t.Errorf("late tokens: %d %v", n, err)
	}
	if _, err := s.Token(ctx, "status-late", mail.Status); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the late token: %v", err)
	}
	if err := s.PurgeDone(ctx, p); err != nil {
		t.Fatal(err)
	}
	_, evs, err := s.Request(ctx, old.ID)
	if err != nil || len(evs) != 1 || evs[0].DeletedAt.IsZero() || evs[0].SHA256 != ev.SHA256 || evs[0].Verdict != ev.Verdict || evs[0].File != ev.File {
		t.Fatalf("evidence after the purge: %+v %v", evs, err)
	}
	if again, err := s.DuePurges(ctx, 10); err != nil || len(again) != 0 {
		t.Errorf("still to purge: %+v %v", again, err)
	}
}

// TestALapsedPurgeClaimIsTakenUpAgain: a run that dies after claiming leaves the purge to a later
// run once its lease is over; the dead run's late "done" is refused.
func TestALapsedPurgeClaimIsTakenUpAgain(t *testing.T) {
	s, _ := storetest.New(t)
	now := time.Now().UTC()
	r, _ := leftWaiting(t, s, "dee.lapsed@example.com", now.Add(-2*expiry))
	if _, err := s.ExpireRequest(ctx, r.ID, expiry); err != nil {
		t.Fatal(err)
	}
	purges, err := s.DuePurges(ctx, 10)
	if err != nil || len(purges) != 1 {
		t.Fatalf("%+v %v", purges, err)
	}
	dead := purges[0]
	if err := s.ClaimPurge(ctx, &dead, time.Minute); err != nil {
		t.Fatal(err)
	}
	later := s.WithClock(func() time.Time { return now.Add(2 * time.Minute) })
	purges, err = later.DuePurges(ctx, 10)
	if err != nil || len(purges) != 1 || purges[0].Request != r.ID {
		t.Fatalf("after the lease: %+v %v", purges, err)
	}
	p := purges[0]
	if err := later.ClaimPurge(ctx, &p, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.PurgeDone(ctx, dead); !errors.Is(err, store.ErrConflict) {
		t.Errorf("the dead run's done: %v", err)
	}
	if err := later.PurgeDone(ctx, p); err != nil {
		t.Fatal(err)
	}
}

// racingDB submits the request (as its requester would) just before the expiring write goes out.
type racingDB struct {
	store.DB
	race func()
}

func (d *racingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if d.race != nil {
		race := d.race
		d.race = nil
		race()
	}
	return d.DB.TransactWriteItems(ctx, in, opts...)
}

// TestARequestThatMovesOnBeforeTheWriteDoesNotExpire: the requester sends their files between the
// expiring run's read and its write. The write's condition on the version fails; decided again on
// a fresh read, the request is checking its files since just now, not due: it is not expired, and
// nobody is emailed. Sent for review, it does not expire at all.
func TestARequestThatMovesOnBeforeTheWriteDoesNotExpire(t *testing.T) {
	s, name := storetest.New(t)
	now := time.Now().UTC()
	r, _ := leftWaiting(t, s, "dee.race@example.com", now.Add(-expiry-time.Hour))
	db := &racingDB{DB: dynamo.Client(storetest.URL(t))}
	racing := store.New(db, name)
	db.race = func() {
		if err := s.SubmitRequest(ctx, r.ID); err != nil {
			t.Error(err)
		}
	}
	if _, err := racing.ExpireRequest(ctx, r.ID, expiry); !errors.Is(err, access.ErrNotDue) {
		t.Fatalf("expired a request that moved on: %v", err)
	}
	stored, _, err := s.Request(ctx, r.ID)
	if err != nil || stored.Status != access.Scanning || stored.ContinuationHash == "" {
		t.Fatalf("%+v %v", stored, err)
	}
	if len(mailOf(t, s, mail.Expired)) != 0 {
		t.Errorf("emailed")
	}
	if got := due(t, s, access.Scanning, now); len(got) != 0 {
		t.Errorf("scanning since just now is due: %v", got)
	}
	// Checking stuck for the whole time: due, and found through the scanning partition.
	if got := due(t, s, access.Scanning, now.Add(expiry+time.Minute)); len(got) != 1 {
		t.Errorf("stuck checking is not due: %v", got)
	}
	if st, err := s.PromoteIfReady(ctx, r.ID, access.Reviewers{}); err != nil || st != access.ReadyForReview {
		t.Fatal(st, err)
	}
	if _, err := s.WithClock(func() time.Time { return now.Add(2 * expiry) }).ExpireRequest(ctx, r.ID, expiry); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a request under review expired: %v", err)
	}
}
