package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

func codeLimit(e access.Email) store.Limit {
	return store.Limit{Kind: "test-code", Key: string(e), Window: time.Hour, Max: 3}
}

func newSession(e access.Email, at time.Time) (secret.Secret, store.Session) {
	tok := secret.New()
	return tok, store.Session{Hash: tok.Hash(), Email: e, Name: "Eve", CreatedAt: at, LastSeen: at}
}

func TestACodeStartsOneSession(t *testing.T) {
	s, _ := storetest.New(t)
	e := access.Email("eve@example.com")
	activeAccount(t, s, e, "Eve")
	code := secret.NewCode(6)
	if err := s.PutCode(ctx, e, "browser-1", code.HashWith(string(e)), codeLimit(e)); err != nil {
		t.Fatal(err)
	}
	c, err := s.TryCode(ctx, e, "browser-1")
	if err != nil || c.Attempts != 1 || c.Used || c.Hash != code.HashWith(string(e)) || time.Until(c.ValidTo) > store.CodeTTL {
		t.Fatalf("code %+v %v", c, err)
	}
	tok, sess := newSession(e, time.Now())
	if err := s.StartSession(ctx, "browser-1", c.Hash, sess); err != nil {
		t.Fatal(err)
	}
	got, err := s.Session(ctx, tok.Hash())
	if err != nil || got.Email != e || got.Name != "Eve" {
		t.Fatalf("session %+v %v", got, err)
	}
	// The code is spent: it starts no second session, and reads as used.
	_, again := newSession(e, time.Now())
	if err := s.StartSession(ctx, "browser-1", c.Hash, again); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("code used twice: %v", err)
	}
	if c, _ := s.TryCode(ctx, e, "browser-1"); !c.Used {
		t.Fatal("a used code does not read as used")
	}
	if _, err := s.Session(ctx, again.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("the refused session exists")
	}
}

func TestCodeAttemptsLimitExpiryAndAccountState(t *testing.T) {
	s, _ := storetest.New(t)
	e := access.Email("fay@example.com")
	if _, err := s.TryCode(ctx, e, "browser-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no code: %v", err)
	}
	activeAccount(t, s, e, "Fay")
	code := secret.NewCode(6)
	if err := s.PutCode(ctx, e, "browser-1", code.HashWith(string(e)), codeLimit(e)); err != nil {
		t.Fatal(err)
	}
	var c store.Code
	for i := 1; i <= store.CodeAttempts+1; i++ {
		var err error
		if c, err = s.TryCode(ctx, e, "browser-1"); err != nil || c.Attempts != i {
			t.Fatalf("attempt %d: %+v %v", i, c, err)
		}
	}
	_, sess := newSession(e, time.Now())
	if err := s.StartSession(ctx, "browser-1", c.Hash, sess); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a code past its attempts started a session: %v", err)
	}

	// A new code resets the attempts; the limit on codes per hour holds.
	for i := 2; i <= 3; i++ {
		if err := s.PutCode(ctx, e, "browser-1", secret.NewCode(6).HashWith(string(e)), codeLimit(e)); err != nil {
			t.Fatalf("code %d: %v", i, err)
		}
	}
	if c, _ := s.TryCode(ctx, e, "browser-1"); c.Attempts != 1 {
		t.Fatalf("attempts not reset: %d", c.Attempts)
	}
	if err := s.PutCode(ctx, e, "browser-1", secret.NewCode(6).HashWith(string(e)), codeLimit(e)); !errors.Is(err, store.ErrLimited) {
		t.Fatalf("fourth code in the hour: %v", err)
	}

	// An expired code starts nothing.
	later := s.WithClock(func() time.Time { return time.Now().Add(store.CodeTTL + time.Second) })
	c, _ = s.TryCode(ctx, e, "browser-1")
	if err := later.StartSession(ctx, "browser-1", c.Hash, sess); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("expired code: %v", err)
	}

	// An unverified account cannot sign in even with a right code.
	u := access.Email("gus@example.com")
	inv := putLink(t, s, "invitation", "r9", u, time.Hour)
	if err := s.Register(ctx, inv.Hash(), store.Account{Email: u, Name: "Gus"}, verification(u)); err != nil {
		t.Fatal(err)
	}
	uc := secret.NewCode(6).HashWith(string(u))
	if err := s.PutCode(ctx, u, "browser-1", uc, codeLimit(u)); err != nil {
		t.Fatal(err)
	}
	_, us := newSession(u, time.Now())
	if err := s.StartSession(ctx, "browser-1", uc, us); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("unverified account signed in: %v", err)
	}
}

func TestSessionsSlideEndAndSignOut(t *testing.T) {
	s, _ := storetest.New(t)
	e := access.Email("hal@example.com")
	activeAccount(t, s, e, "Hal")
	start := time.Now()
	at := start
	clock := s.WithClock(func() time.Time { return at })
	signIn := func() secret.Secret {
		code := secret.NewCode(6)
		if err := clock.PutCode(ctx, e, "browser-1", code.HashWith(string(e)), store.Limit{Kind: "test-code", Key: string(e) + start.String(), Window: time.Hour, Max: 100}); err != nil {
			t.Fatal(err)
		}
		tok, sess := newSession(e, at)
		if err := clock.StartSession(ctx, "browser-1", code.HashWith(string(e)), sess); err != nil {
			t.Fatal(err)
		}
		return tok
	}

	tok := signIn()
	// Used every 25 minutes it lives on past the idle limit...
	for i := 0; i < 3; i++ {
		at = at.Add(25 * time.Minute)
		if _, err := clock.Session(ctx, tok.Hash()); err != nil {
			t.Fatalf("after %s: %v", at.Sub(start), err)
		}
	}
	// ...but not 30 minutes after its last use.
	at = at.Add(store.SessionIdle)
	if _, err := clock.Session(ctx, tok.Hash()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("idle session: %v", err)
	}

	// Kept busy, it still ends at the absolute limit.
	at = time.Now()
	start = at
	tok = signIn()
	for at.Sub(start) < store.SessionMax-20*time.Minute {
		at = at.Add(20 * time.Minute)
		if _, err := clock.Session(ctx, tok.Hash()); err != nil {
			t.Fatalf("busy session after %s: %v", at.Sub(start), err)
		}
	}
	at = start.Add(store.SessionMax + time.Second)
	if _, err := clock.Session(ctx, tok.Hash()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session past its absolute limit: %v", err)
	}

	// Signing out ends it at once; ending it again is fine.
	at = time.Now()
	tok = signIn()
	if err := clock.EndSession(ctx, tok.Hash()); err != nil {
		t.Fatal(err)
	}
	if _, err := clock.Session(ctx, tok.Hash()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("signed-out session: %v", err)
	}
	if err := clock.EndSession(ctx, tok.Hash()); err != nil {
		t.Fatal(err)
	}
	if _, err := clock.Session(ctx, secret.New().Hash()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
}

// The limit on codes counts per (sliding) window: once it has passed an address can ask again. A code starts a
// session only with its own hash (the caller compares; the store still refuses another).
func TestTheCodeLimitIsPerWindowAndACodeStartsNothingWithAnotherHash(t *testing.T) {
	s, _ := storetest.New(t)
	e := access.Email("ivy@example.com")
	activeAccount(t, s, e, "Ivy")
	at := time.Now()
	clock := s.WithClock(func() time.Time { return at })
	for i := 1; i <= 3; i++ {
		if err := clock.PutCode(ctx, e, "browser-1", secret.NewCode(6).HashWith(string(e)), codeLimit(e)); err != nil {
			t.Fatalf("code %d: %v", i, err)
		}
	}
	if err := clock.PutCode(ctx, e, "browser-1", secret.NewCode(6).HashWith(string(e)), codeLimit(e)); !errors.Is(err, store.ErrLimited) {
		t.Fatalf("fourth code in the hour: %v", err)
	}
	at = at.Add(2 * time.Hour) // the window slides: a whole window later nothing of the three is left
	code := secret.NewCode(6)
	if err := clock.PutCode(ctx, e, "browser-1", code.HashWith(string(e)), codeLimit(e)); err != nil {
		t.Fatalf("a code two hours later: %v", err)
	}

	_, sess := newSession(e, at)
	if err := clock.StartSession(ctx, "browser-1", secret.NewCode(6).HashWith(string(e)), sess); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("another hash started a session: %v", err)
	}
	if err := clock.StartSession(ctx, "browser-1", code.HashWith("other@example.com"), sess); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("the code bound to another address started a session: %v", err)
	}
	if err := clock.StartSession(ctx, "browser-1", code.HashWith(string(e)), sess); err != nil {
		t.Fatalf("the right code after refused ones: %v", err)
	}
}
