package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

func seedGrant(t *testing.T, s *store.Store, name string, e access.Email) access.RequestID {
	t.Helper()
	id, err := storetest.SeedGrant(ctx, s, store.Grant{Name: name, Email: e, ClientName: "Cli Ent", ClientBirth: "1940-01-01", ClientReference: "1234567"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A surname prefix finds requesters and account holders, once per address, in any case; no other
// surname, no other letter.
func TestFindPeopleBySurnamePrefix(t *testing.T) {
	s, _ := storetest.New(t)
	seedGrant(t, s, "Ann Smith", "ann@example.com")
	seedGrant(t, s, "Bob Smithson", "bob@example.com")
	seedGrant(t, s, "Bob Smithson", "bob@example.com") // a second request: still one person
	seedGrant(t, s, "Cat Jones", "cat@example.com")
	activeAccount(t, s, "dee@example.com", "Dee Anne Smith")
	got, err := s.FindPeople(ctx, " SMI", 50)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.PersonMatch{{Email: "ann@example.com", Name: "Ann Smith"}, {Email: "dee@example.com", Name: "Dee Anne Smith"}, {Email: "bob@example.com", Name: "Bob Smithson"}}
	if !slices.Equal(got, want) {
		t.Errorf("smi: %+v; want %+v", got, want)
	}
	if got, _ := s.FindPeople(ctx, "smithson", 50); len(got) != 1 || got[0].Email != "bob@example.com" {
		t.Errorf("smithson: %+v", got)
	}
	if got, _ := s.FindPeople(ctx, "smi", 1); len(got) != 1 {
		t.Errorf("limit 1: %+v", got)
	}
	for _, q := range []string{"anne", "x", "", "smi#"} { // a given name is not a surname
		if got, err := s.FindPeople(ctx, q, 50); err != nil || len(got) != 0 {
			t.Errorf("%q: %+v %v", q, got, err)
		}
	}
}

// The person read has the account with its last sign-in, requests, grants, emails and suppression.
func TestPersonShowsWhatTheTableHolds(t *testing.T) {
	s, _ := storetest.New(t)
	e := access.Email("eve@example.com")
	if p, err := s.Person(ctx, e); err != nil || p.Known() {
		t.Fatalf("nobody: %+v %v", p, err)
	}
	activeAccount(t, s, e, "Eve Smith")
	id := seedGrant(t, s, "Eve Smith", e)
	code := secret.NewCode(6)
	if err := s.PutCode(ctx, e, "browser-1", code.HashWith(string(e)), codeLimit(e)); err != nil {
		t.Fatal(err)
	}
	_, sess := newSession(e, time.Now())
	if err := s.StartSession(ctx, "browser-1", code.HashWith(string(e)), sess); err != nil {
		t.Fatal(err)
	}
	if err := s.Suppress(ctx, e, store.Suppression{Reason: "bounce", Detail: "General", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Person(ctx, "EVE@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if p.Account == nil || p.Account.Status != store.AccountActive || time.Since(p.Account.LastSignIn) > time.Minute {
		t.Errorf("account: %+v", p.Account)
	}
	if len(p.Requests) != 1 || p.Requests[0].ID != id || len(p.Grants) != 1 || p.Grants[0].RequestID != id {
		t.Errorf("requests %+v grants %+v", p.Requests, p.Grants)
	}
	// Registering queued the verification email: the person's emails list it.
	if len(p.Mail) != 1 || p.Mail[0].Template != mail.Verification || p.Mail[0].Status != "queued" {
		t.Errorf("mail: %+v", p.Mail)
	}
	if p.Suppression == nil || p.Suppression.Reason != "bounce" || p.Suppression.Counts != 1 || p.Sessions != 1 || p.CodeLive || p.CodeLocked {
		t.Errorf("suppression %+v sessions %d code live %v locked %v", p.Suppression, p.Sessions, p.CodeLive, p.CodeLocked)
	}
}

// Signing out everywhere ends every session of the person and nobody else's.
func TestEndSessionsOfEndsEverySessionOfThePerson(t *testing.T) {
	s, _ := storetest.New(t)
	e, other := access.Email("fay@example.com"), access.Email("gus@example.com")
	activeAccount(t, s, e, "Fay Smith")
	activeAccount(t, s, other, "Gus Smith")
	var toks []secret.Secret
	for _, who := range []access.Email{e, e, other} {
		code := secret.NewCode(6)
		if err := s.PutCode(ctx, who, "browser-1", code.HashWith(string(who)), codeLimit(who)); err != nil {
			t.Fatal(err)
		}
		tok, sess := newSession(who, time.Now())
		if err := s.StartSession(ctx, "browser-1", code.HashWith(string(who)), sess); err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	n, err := s.EndSessionsOf(ctx, "Fay@example.com")
	if err != nil || n != 2 {
		t.Fatalf("ended %d %v; want 2", n, err)
	}
	for i, tok := range toks {
		_, err := s.Session(ctx, tok.Hash())
		if gone := errors.Is(err, store.ErrNotFound); gone != (i < 2) {
			t.Errorf("session %d: %v", i, err)
		}
	}
	if p, _ := s.Person(ctx, e); p.Sessions != 0 {
		t.Errorf("sessions left: %d", p.Sessions)
	}
}

// Clearing a suppression lets emails go to the address again; clearing none says so.
func TestClearSuppression(t *testing.T) {
	s, _ := storetest.New(t)
	e := access.Email("hal@example.com")
	if err := s.Suppress(ctx, e, store.Suppression{Reason: "complaint", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.ClearSuppression(ctx, "HAL@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, off, err := s.Suppressed(ctx, e); off || err != nil {
		t.Fatalf("still suppressed: %v %v", off, err)
	}
	if err := s.ClearSuppression(ctx, e); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("clearing none: %v", err)
	}
}

// Unlocking removes the spent code and the per-address counters, so a new code can be asked for
// at once; nothing else of the person goes.
func TestUnlockSignInClearsTheCodeAndTheCounters(t *testing.T) {
	s, _ := storetest.New(t)
	e := access.Email("ivy@example.com")
	activeAccount(t, s, e, "Ivy Smith")
	limit := store.Limit{Kind: "signin", Key: string(e), Window: time.Hour, Max: 1}
	code := secret.NewCode(6)
	if err := s.PutCode(ctx, e, "browser-1", code.HashWith(string(e)), limit); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCode(ctx, e, "browser-1", code.HashWith(string(e)), limit); !errors.Is(err, store.ErrLimited) {
		t.Fatalf("second code within the limit: %v", err)
	}
	for range store.CodeAttempts {
		if _, err := s.TryCode(ctx, e, "browser-1"); err != nil {
			t.Fatal(err)
		}
	}
	if p, _ := s.Person(ctx, e); !p.CodeLocked {
		t.Fatal("a code with every attempt made does not read as locked")
	}
	if err := s.UnlockSignIn(ctx, e); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TryCode(ctx, e, "browser-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the spent code is still there: %v", err)
	}
	if err := s.PutCode(ctx, e, "browser-1", code.HashWith(string(e)), limit); err != nil {
		t.Fatalf("a new code after unlocking: %v", err)
	}
	if p, _ := s.Person(ctx, e); p.Account == nil || p.CodeLocked || !p.CodeLive {
		t.Errorf("after unlocking: %+v", p)
	}
	if err := s.UnlockSignIn(ctx, "nobody@example.com"); err != nil {
		t.Errorf("unlocking nobody: %v", err)
	}
}

// A reissued invitation kills the links sent before (they read as replaced and register nobody),
// queues a new one, and is refused once the person has registered.
func TestReissueInvitationReplacesTheOldLink(t *testing.T) {
	s, _ := storetest.New(t)
	e := access.Email("jo@example.com")
	id := seedGrant(t, s, "Jo Smith", e)
	old := putLink(t, s, mail.Invitation, string(id), e, 14*24*time.Hour)
	other := putLink(t, s, mail.Invitation, "another-request", e, 14*24*time.Hour)
	if err := s.ReissueInvitation(ctx, id); err != nil {
		t.Fatal(err)
	}
	tok, err := s.Token(ctx, old.Hash(), mail.Invitation)
	if err != nil || tok.ReplacedAt.IsZero() {
		t.Fatalf("old link: %+v %v", tok, err)
	}
	if err := s.Register(ctx, old.Hash(), store.Account{Email: e, Name: "Jo Smith", CreatedAt: time.Now()}, verification(e)); !errors.Is(err, store.ErrLinkUsed) {
		t.Fatalf("the replaced link registered: %v", err)
	}
	if tok, _ := s.Token(ctx, other.Hash(), mail.Invitation); !tok.ReplacedAt.IsZero() {
		t.Error("another request's invitation was replaced")
	}
	p, _ := s.Person(ctx, e)
	if len(p.Mail) != 1 || p.Mail[0].Template != mail.Approved || p.Mail[0].Request != id {
		t.Fatalf("queued: %+v", p.Mail)
	}
	// The notifier mints the new link when it sends the email; it works.
	fresh := putLink(t, s, mail.Invitation, string(id), e, 14*24*time.Hour)
	if err := s.Register(ctx, fresh.Hash(), store.Account{Email: e, Name: "Jo Smith", CreatedAt: time.Now()}, verification(e)); err != nil {
		t.Fatal(err)
	}
	if err := s.ReissueInvitation(ctx, id); !errors.Is(err, store.ErrConflict) {
		t.Errorf("reissued to a registered person: %v", err)
	}
	r, _ := newRequest()
	if err := s.CreateRequest(ctx, r, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.ReissueInvitation(ctx, r.ID); !errors.Is(err, store.ErrConflict) {
		t.Errorf("reissued for an undecided request: %v", err)
	}
	if err := s.ReissueInvitation(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("reissued for no request: %v", err)
	}
}
