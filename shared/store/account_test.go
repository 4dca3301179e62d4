package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

// putLink stores a freshly minted link token as the notifier does, and returns the token.
func putLink(t testing.TB, s *store.Store, p mail.Purpose, subject string, to access.Email, ttl time.Duration) secret.Secret {
	t.Helper()
	tok := secret.New()
	now := time.Now()
	if err := s.PutToken(ctx, store.Token{Hash: tok.Hash(), Purpose: p, Subject: subject, Email: to, IssuedAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
		t.Fatal(err)
	}
	return tok
}

func verification(to access.Email) mail.Message {
	return mail.VerificationOf(to)
}

// activeAccount registers and verifies an account the way the account function does.
func activeAccount(t testing.TB, s *store.Store, e access.Email, name string) {
	t.Helper()
	inv := putLink(t, s, mail.Invitation, "r1", e, time.Hour)
	if err := s.Register(ctx, inv.Hash(), store.Account{Email: e, Name: name, CreatedAt: time.Now()}, verification(e)); err != nil {
		t.Fatal(err)
	}
	v := putLink(t, s, mail.Verify, string(e), e, time.Hour)
	if err := s.Activate(ctx, v.Hash(), e); err != nil {
		t.Fatal(err)
	}
}

func TestRegisterUsesTheInvitationOnceAndQueuesTheVerification(t *testing.T) {
	s, _ := storetest.New(t)
	e := access.Email("ann@example.com")
	inv := putLink(t, s, mail.Invitation, "r1", e, time.Hour)
	if err := s.Register(ctx, inv.Hash(), store.Account{Email: e, Name: "Ann", CreatedAt: time.Now()}, verification(e)); err != nil {
		t.Fatal(err)
	}
	a, err := s.Account(ctx, e)
	if err != nil || a.Status != store.AccountUnverified || a.Name != "Ann" {
		t.Fatalf("account %+v %v", a, err)
	}
	tok, err := s.Token(ctx, inv.Hash(), mail.Invitation)
	if err != nil || tok.UsedAt.IsZero() {
		t.Fatalf("invitation not marked used: %+v %v", tok, err)
	}
	due, _ := s.DueMail(ctx, 10)
	if len(due) != 1 || due[0].Template != mail.Verification || due[0].Link == nil || due[0].Link.Purpose != mail.Verify || due[0].Link.Subject != string(e) {
		t.Fatalf("outbox %+v", due)
	}

	// The same link again does nothing, not even a second email.
	err = s.Register(ctx, inv.Hash(), store.Account{Email: e, Name: "Someone Else", CreatedAt: time.Now()}, verification(e))
	if !errors.Is(err, store.ErrLinkUsed) {
		t.Fatalf("second use: %v", err)
	}
	if a, _ := s.Account(ctx, e); a.Name != "Ann" {
		t.Fatalf("second use changed the account: %+v", a)
	}
	if due, _ := s.DueMail(ctx, 10); len(due) != 1 {
		t.Fatalf("second use queued mail: %d", len(due))
	}
}

func TestRegisterRefusesExpiredInvitationsAndActiveAccounts(t *testing.T) {
	s, _ := storetest.New(t)
	e := access.Email("bob@example.com")
	old := putLink(t, s, mail.Invitation, "r1", e, -time.Minute)
	if err := s.Register(ctx, old.Hash(), store.Account{Email: e, Name: "Bob"}, verification(e)); !errors.Is(err, store.ErrLinkUsed) {
		t.Fatalf("expired invitation: %v", err)
	}
	if _, err := s.Account(ctx, e); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an expired invitation created an account: %v", err)
	}

	activeAccount(t, s, e, "Bob")
	inv := putLink(t, s, mail.Invitation, "r2", e, time.Hour)
	if err := s.Register(ctx, inv.Hash(), store.Account{Email: e, Name: "Robert"}, verification(e)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("register over an active account: %v", err)
	}
	if a, _ := s.Account(ctx, e); a.Status != store.AccountActive || a.Name != "Bob" {
		t.Fatalf("active account changed: %+v", a)
	}
	if tok, _ := s.Token(ctx, inv.Hash(), mail.Invitation); !tok.UsedAt.IsZero() {
		t.Fatal("a refused registration used the invitation")
	}
}

func TestActivateOnceAndOnlyAnExistingAccount(t *testing.T) {
	s, _ := storetest.New(t)
	e := access.Email("cat@example.com")
	v := putLink(t, s, mail.Verify, string(e), e, time.Hour)
	if err := s.Activate(ctx, v.Hash(), e); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("activate without account: %v", err)
	}
	if tok, _ := s.Token(ctx, v.Hash(), mail.Verify); !tok.UsedAt.IsZero() {
		t.Fatal("a refused activation used the link")
	}
	activeAccount(t, s, e, "Cat")
	a, err := s.Account(ctx, e)
	if err != nil || a.Status != store.AccountActive || a.VerifiedAt.IsZero() || a.Name != "Cat" {
		t.Fatalf("account %+v %v", a, err)
	}
	if err := s.Activate(ctx, v.Hash(), e); err != nil {
		t.Fatalf("unused link on an active account: %v", err)
	}
	if err := s.Activate(ctx, v.Hash(), e); !errors.Is(err, store.ErrLinkUsed) {
		t.Fatalf("link used twice: %v", err)
	}
}

func TestResendVerificationOnlyForUnverifiedAndLimited(t *testing.T) {
	s, _ := storetest.New(t)
	e := access.Email("dan@example.com")
	lim := store.Limit{Kind: "test-resend", Key: string(e), Window: time.Hour, Max: 2}
	if err := s.ResendVerification(ctx, e, verification(e), lim); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("no account: %v", err)
	}
	inv := putLink(t, s, mail.Invitation, "r1", e, time.Hour)
	if err := s.Register(ctx, inv.Hash(), store.Account{Email: e, Name: "Dan"}, verification(e)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the refused attempt above changed nothing, its count included
		if err := s.ResendVerification(ctx, e, verification(e), lim); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ResendVerification(ctx, e, verification(e), lim); !errors.Is(err, store.ErrLimited) {
		t.Fatalf("over the limit: %v", err)
	}
	if due, _ := s.DueMail(ctx, 10); len(due) != 3 {
		t.Fatalf("outbox holds %d emails, want the registration's and two resends", len(due))
	}
}
