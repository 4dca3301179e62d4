package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/staff"
	"github.com/council/cfp/shared/store"
)

// A sign-in under way is taken once: a replayed callback finds nothing, and neither does a late one.
func TestStaffSignInIsTakenOnce(t *testing.T) {
	s, _ := storetest.New(t)
	state := secret.New().Hash()
	in := staff.SignIn{Verifier: "v", Nonce: "n", Return: "/staff", StartedAt: time.Now()}
	if err := s.StartStaffSignIn(ctx, state, in); err != nil {
		t.Fatal(err)
	}
	got, err := s.TakeStaffSignIn(ctx, state)
	if err != nil || got.Verifier != "v" || got.Nonce != "n" || got.Return != "/staff" {
		t.Fatalf("take: %+v %v", got, err)
	}
	if _, err := s.TakeStaffSignIn(ctx, state); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("taken twice: %v", err)
	}
	late := secret.New().Hash()
	if err := s.StartStaffSignIn(ctx, late, staff.SignIn{StartedAt: time.Now().Add(-staff.SignInWithin)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TakeStaffSignIn(ctx, late); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a late sign-in was taken: %v", err)
	}
}

// A staff session works while used within staff.SessionIdle, and not after.
func TestStaffSessionIdleExpiry(t *testing.T) {
	s, _ := storetest.New(t)
	now := time.Now()
	tok := secret.New()
	p := staff.Person{Subject: "sub", Email: "r@council.example", Name: "R", Roles: []staff.Role{staff.Reviewer}}
	if err := s.StartStaffSession(ctx, staff.Session{Hash: tok.Hash(), Person: p, CreatedAt: now, LastSeen: now}); err != nil {
		t.Fatal(err)
	}
	got, err := s.StaffSession(ctx, tok.Hash())
	if err != nil || got.Person.Email != p.Email || !got.Person.Can(staff.Reviewer) {
		t.Fatalf("session %+v %v", got, err)
	}
	later := s.WithClock(func() time.Time { return now.Add(staff.SessionIdle + time.Second) })
	if _, err := later.StaffSession(ctx, tok.Hash()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an idle staff session still works: %v", err)
	}
	if _, err := s.StaffSession(ctx, secret.New().Hash()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
}

// A staff session ended by signing out no longer works; ending it again is no error.
func TestStaffSessionEnded(t *testing.T) {
	s, _ := storetest.New(t)
	now := time.Now()
	tok := secret.New()
	if err := s.StartStaffSession(ctx, staff.Session{Hash: tok.Hash(), Person: staff.Person{Email: "r@council.example"}, CreatedAt: now, LastSeen: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.EndStaffSession(ctx, tok.Hash()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StaffSession(ctx, tok.Hash()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a signed-out staff session still works: %v", err)
	}
	if err := s.EndStaffSession(ctx, tok.Hash()); err != nil {
		t.Fatalf("ending an ended session: %v", err)
	}
}

// The queue holds requests awaiting upload (and review, and more information), oldest first, with
// the time each entered its status, from an index (never a Scan).
func TestQueueOldestFirst(t *testing.T) {
	s, _ := storetest.New(t)
	var ids []string
	for _, ago := range []time.Duration{time.Hour, 3 * time.Hour} {
		r, ev := newRequest()
		r.CreatedAt = time.Now().UTC().Add(-ago)
		r.UpdatedAt = r.CreatedAt
		if err := s.CreateRequest(ctx, r, ev, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, string(r.ID))
	}
	q, err := s.Queue(ctx)
	if err != nil || len(q) != 2 {
		t.Fatalf("queue %+v %v", q, err)
	}
	if string(q[0].Request.ID) != ids[1] || string(q[1].Request.ID) != ids[0] || time.Since(q[0].Since) < 3*time.Hour-time.Minute {
		t.Errorf("queue order %v %v (%v); want %v oldest first", q[0].Request.ID, q[1].Request.ID, q[0].Since, ids)
	}
}

// A request is found by its short reference, once confirmed; a draft, an unknown reference and one
// whose request is gone all answer ErrNotFound. A reference is never given to two requests.
func TestRequestByReference(t *testing.T) {
	s, _ := storetest.New(t)
	mk := func(draft bool) access.Request {
		r := access.Request{ID: access.NewRequestID(), Reference: access.NewReference(), Status: access.AwaitingEvidence, Draft: draft,
			Requester: access.Requester{Name: "A", Email: "a@example.com"}, Relationship: access.Deputy,
			Client: access.Client{Name: "C", DateOfBirth: "1940-01-01", Postcode: "SW1A 1AA"}, CreatedAt: time.Now().UTC()}
		if draft {
			r.ExpiresAt = time.Now().Add(time.Hour)
		}
		if err := s.CreateRequest(ctx, r, nil, nil); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := mk(false)
	got, _, err := s.RequestByReference(ctx, r.Reference)
	if err != nil || got.ID != r.ID {
		t.Fatalf("by reference: %+v %v", got, err)
	}
	d := mk(true)
	for name, ref := range map[string]access.Reference{"draft": d.Reference, "unknown": access.NewReference()} {
		if _, _, err := s.RequestByReference(ctx, ref); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
	twin := r
	twin.ID = access.NewRequestID()
	if err := s.CreateRequest(ctx, twin, nil, nil); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a second request with the same reference: %v", err)
	}
}
