package store_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

func newPasskey(e access.Email, id string, at time.Time) store.Passkey {
	return store.Passkey{CredentialID: []byte(id), Email: e, Name: "key " + id, PublicKey: []byte("cose " + id),
		SignCount: 1, Flags: 0x1d, Transports: []string{"internal"}, CreatedAt: at}
}

func added(e access.Email, name string) mail.Message {
	m, _ := mail.For(access.PasskeyAdded{To: e, Name: name})
	return m
}

func TestPasskeysAreAPersonsAndTheirLimitHolds(t *testing.T) {
	s, _ := storetest.New(t)
	e, other := access.Email("pia@example.com"), access.Email("oli@example.com")
	activeAccount(t, s, e, "Pia")
	activeAccount(t, s, other, "Oli")
	if _, _, err := s.PasskeyUser(ctx, e); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no passkey yet: %v", err)
	}
	handle := []byte("handle-of-pia-0123456789abcdef01")
	now := time.Now()
	if err := s.AddPasskey(ctx, newPasskey(e, "a", now), handle, true, 2, added(e, "key a")); err != nil {
		t.Fatal(err)
	}
	// A second "first" passkey (a race between two tabs) does not replace the handle.
	if err := s.AddPasskey(ctx, newPasskey(e, "b", now), []byte("another handle"), true, 2, added(e, "key b")); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second first passkey: %v", err)
	}
	if err := s.AddPasskey(ctx, newPasskey(e, "b", now.Add(time.Second)), handle, false, 2, added(e, "key b")); err != nil {
		t.Fatal(err)
	}
	// The limit holds in the write, and the same credential is never kept twice.
	if err := s.AddPasskey(ctx, newPasskey(e, "c", now), handle, false, 2, added(e, "key c")); !errors.Is(err, store.ErrLimited) {
		t.Fatalf("third passkey over a limit of 2: %v", err)
	}
	if err := s.AddPasskey(ctx, newPasskey(e, "a", now), handle, false, 3, added(e, "key a")); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("the same credential twice: %v", err)
	}
	// Another person cannot add a passkey under Pia's handle.
	if err := s.AddPasskey(ctx, newPasskey(other, "z", now), handle, true, 2, added(other, "key z")); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a passkey under another person's handle: %v", err)
	}

	got, n, err := s.PasskeyUser(ctx, e)
	if err != nil || !bytes.Equal(got, handle) || n != 2 {
		t.Fatalf("passkey user %q %d %v", got, n, err)
	}
	if owner, err := s.HandleOwner(ctx, handle); err != nil || owner != e {
		t.Fatalf("owner %q %v", owner, err)
	}
	if _, err := s.HandleOwner(ctx, []byte("nobody's")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown handle: %v", err)
	}
	keys, err := s.Passkeys(ctx, e)
	if err != nil || len(keys) != 2 || keys[0].Name != "key a" || keys[1].Name != "key b" || !bytes.Equal(keys[0].PublicKey, []byte("cose a")) {
		t.Fatalf("passkeys %+v %v", keys, err)
	}
	if keys, _ := s.Passkeys(ctx, other); len(keys) != 0 {
		t.Fatalf("Oli sees %+v", keys)
	}
	if due, _ := s.DueMail(ctx, 10); countTemplate(due, mail.PasskeyAdded) != 2 {
		t.Fatalf("emails queued: %+v", due)
	}

	// Removing one frees its place under the limit; it is gone, and someone else cannot remove it.
	id := keys[0].ID()
	if err := s.RemovePasskey(ctx, other, id, added(other, "x")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another person removed it: %v", err)
	}
	if err := s.RemovePasskey(ctx, e, id, added(e, "x")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Passkey(ctx, e, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("removed passkey: %v", err)
	}
	if err := s.RemovePasskey(ctx, e, id, added(e, "x")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("removed twice: %v", err)
	}
	if err := s.AddPasskey(ctx, newPasskey(e, "c", now), handle, false, 2, added(e, "key c")); err != nil {
		t.Fatalf("after a removal: %v", err)
	}
}

func countTemplate(q []store.Queued, t mail.Template) int {
	n := 0
	for _, m := range q {
		if m.Template == t {
			n++
		}
	}
	return n
}

func TestSigningInWithAPasskeyStartsASessionAndTheCountMovesOn(t *testing.T) {
	s, _ := storetest.New(t)
	e := access.Email("sid@example.com")
	activeAccount(t, s, e, "Sid")
	p := newPasskey(e, "k", time.Now())
	if err := s.AddPasskey(ctx, p, []byte("sid's handle"), true, 10, added(e, p.Name)); err != nil {
		t.Fatal(err)
	}
	p.SignCount = 5
	tok, sess := newSession(e, time.Now())
	if err := s.SignInWithPasskey(ctx, p, sess); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Session(ctx, tok.Hash()); err != nil || got.Email != e {
		t.Fatalf("session %+v %v", got, err)
	}
	if got, _ := s.Passkey(ctx, e, p.ID()); got.SignCount != 5 || got.LastUsedAt.IsZero() {
		t.Fatalf("after use: %+v", got)
	}
	// The same count again, or a lower one, is a copied authenticator or a replay: no session.
	for _, n := range []uint32{5, 4} {
		p.SignCount = n
		_, again := newSession(e, time.Now())
		if err := s.SignInWithPasskey(ctx, p, again); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("count %d: %v", n, err)
		}
		if _, err := s.Session(ctx, again.Hash); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("count %d started a session", n)
		}
	}
	// A removed passkey signs nobody in.
	if err := s.RemovePasskey(ctx, e, p.ID(), added(e, "x")); err != nil {
		t.Fatal(err)
	}
	p.SignCount = 9
	if _, again := newSession(e, time.Now()); s.SignInWithPasskey(ctx, p, again) == nil {
		t.Fatal("a removed passkey started a session")
	}
}

func TestAPasskeyThatKeepsNoCountSignsInEachTime(t *testing.T) {
	s, _ := storetest.New(t)
	e := access.Email("zoe@example.com")
	activeAccount(t, s, e, "Zoe")
	p := newPasskey(e, "synced", time.Now())
	p.SignCount = 0
	if err := s.AddPasskey(ctx, p, []byte("zoe's handle"), true, 10, added(e, p.Name)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, sess := newSession(e, time.Now()); s.SignInWithPasskey(ctx, p, sess) != nil {
			t.Fatal("a passkey that counts nothing was refused")
		}
	}
}

func TestACeremonyIsTakenOnce(t *testing.T) {
	s, _ := storetest.New(t)
	c := store.Ceremony{Kind: store.SigningInWithPasskey, Data: []byte(`{"challenge":"x"}`), StartedAt: time.Now()}
	if err := s.StartCeremony(ctx, "h1", c); err != nil {
		t.Fatal(err)
	}
	got, err := s.TakeCeremony(ctx, "h1")
	if err != nil || got.Kind != store.SigningInWithPasskey || string(got.Data) != `{"challenge":"x"}` {
		t.Fatalf("taken %+v %v", got, err)
	}
	if _, err := s.TakeCeremony(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("taken twice: %v", err)
	}
	// Past its time it is not taken either.
	c.StartedAt = time.Now().Add(-store.CeremonyTTL - time.Second)
	if err := s.StartCeremony(ctx, "h2", c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TakeCeremony(ctx, "h2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an old ceremony: %v", err)
	}
	// Starting ceremonies counts against the limits given.
	l := store.Limit{Kind: "test-ceremony", Key: "192.0.2.1", Window: time.Hour, Max: 1}
	if err := s.StartCeremony(ctx, "h3", c, l); err != nil {
		t.Fatal(err)
	}
	if err := s.StartCeremony(ctx, "h4", c, l); !errors.Is(err, store.ErrLimited) {
		t.Fatalf("over the limit: %v", err)
	}
}
