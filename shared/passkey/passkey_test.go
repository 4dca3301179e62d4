package passkey_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/passkey"
	"github.com/council/cfp/shared/passkey/passkeytest"
	"github.com/council/cfp/shared/store"
)

const portal = "http://localhost:8080"

func rp(t *testing.T) *passkey.RP {
	t.Helper()
	r, err := passkey.New(portal, "Client Finance Portal")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// add makes a passkey for u on a, as the portal's page does, and returns it as the store keeps it.
func add(t *testing.T, r *passkey.RP, u passkey.User, a *passkeytest.Authenticator) store.Passkey {
	t.Helper()
	b, err := r.BeginAdding(u)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := a.Create(b.Options)
	if err != nil {
		t.Fatal(err)
	}
	if h, err := passkey.ChallengeHash(answer); err != nil || h != b.ChallengeHash {
		t.Fatalf("challenge hash %q %v, want %q", h, err, b.ChallengeHash)
	}
	p, err := r.FinishAdding(u, b.Data, answer, "My phone", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// signIn answers a new sign-in ceremony with a and finishes it against people.
func signIn(t *testing.T, r *passkey.RP, a *passkeytest.Authenticator, people ...passkey.User) (passkey.User, store.Passkey, error) {
	t.Helper()
	b, err := r.BeginSignIn()
	if err != nil {
		t.Fatal(err)
	}
	answer, err := a.Get(b.Options)
	if err != nil {
		t.Fatal(err)
	}
	return r.FinishSignIn(b.Data, answer, finder(people...))
}

// finder finds a person by handle with the one passkey of theirs the answer names, as the store does.
func finder(people ...passkey.User) passkey.Finder {
	return func(handle []byte, id store.PasskeyID) (passkey.User, error) {
		for _, u := range people {
			if !bytes.Equal(u.Handle, handle) {
				continue
			}
			for _, k := range u.Keys {
				if k.ID() == id {
					u.Keys = []store.Passkey{k}
					return u, nil
				}
			}
		}
		return passkey.User{}, store.ErrNotFound
	}
}

func person(email string) passkey.User {
	return passkey.User{Handle: passkey.NewHandle(), Email: access.Email(email), Name: email}
}

func TestAPasskeyAddedSignsItsPersonIn(t *testing.T) {
	r := rp(t)
	ann := person("ann@example.com")
	a := passkeytest.New(portal, "localhost")
	p := add(t, r, ann, a)
	if p.Name != "My phone" || !bytes.Equal(p.CredentialID, a.ID) || len(p.PublicKey) == 0 || p.Email != ann.Email {
		t.Fatalf("passkey %+v", p)
	}
	ann.Keys = []store.Passkey{p}
	who, used, err := signIn(t, r, a, ann)
	if err != nil || who.Email != ann.Email || used.SignCount != a.Count || used.ID() != p.ID() {
		t.Fatalf("signed in %+v %+v %v", who, used, err)
	}
}

// A phishing site at another origin, or one asking the authenticator for another RP id, gets
// nothing the portal accepts: neither a passkey added there nor a sign-in answered there.
func TestAnotherOriginOrRPIDIsRefused(t *testing.T) {
	r := rp(t)
	ann := person("ann@example.com")
	ann.Keys = []store.Passkey{add(t, r, ann, passkeytest.New(portal, "localhost"))}
	for _, a := range []*passkeytest.Authenticator{
		passkeytest.New("https://portal.example.net", "localhost"),
		passkeytest.New(portal, "portal.example.net"),
		passkeytest.New("http://localhost:8081", "localhost"),
	} {
		b, _ := r.BeginAdding(ann)
		answer, _ := a.Create(b.Options)
		if _, err := r.FinishAdding(ann, b.Data, answer, "x", time.Now()); !errors.Is(err, passkey.ErrRefused) {
			t.Errorf("adding at %s for %s: %v", a.Origin, a.RPID, err)
		}
	}
	// The same passkey, answering a sign-in through another origin or for another RP id.
	good := passkeytest.New(portal, "localhost")
	ann.Keys = []store.Passkey{add(t, r, ann, good)}
	for _, at := range []struct{ origin, rpID string }{{"https://portal.example.net", "localhost"}, {portal, "portal.example.net"}} {
		phished := *good
		phished.Origin, phished.RPID = at.origin, at.rpID
		if _, _, err := signIn(t, r, &phished, ann); !errors.Is(err, passkey.ErrRefused) {
			t.Errorf("sign-in at %s for %s: %v", at.origin, at.rpID, err)
		}
	}
}

// A passkey signs in only the person it was added for: naming another person's handle with it,
// or a passkey that is nobody's (removed), is refused.
func TestAnotherPersonsOrARemovedPasskeyIsRefused(t *testing.T) {
	r := rp(t)
	ann, bob := person("ann@example.com"), person("bob@example.com")
	annKey, bobKey := passkeytest.New(portal, "localhost"), passkeytest.New(portal, "localhost")
	ann.Keys = []store.Passkey{add(t, r, ann, annKey)}
	bob.Keys = []store.Passkey{add(t, r, bob, bobKey)}

	// Bob's passkey, claiming to be Ann's (her handle): Ann has no such passkey.
	forged := *bobKey
	forged.Handle = ann.Handle
	if _, _, err := signIn(t, r, &forged, ann, bob); !errors.Is(err, passkey.ErrRefused) {
		t.Errorf("Bob's passkey as Ann: %v", err)
	}
	// A finder that found Bob for Ann's handle would still be refused: handle and user differ.
	wrong := func(handle []byte, id store.PasskeyID) (passkey.User, error) {
		u := bob
		u.Keys = []store.Passkey{bob.Keys[0]}
		return u, nil
	}
	b, _ := r.BeginSignIn()
	answer, _ := forged.Get(b.Options)
	if _, _, err := r.FinishSignIn(b.Data, answer, wrong); !errors.Is(err, passkey.ErrRefused) {
		t.Errorf("handle of one person, passkey of another: %v", err)
	}
	// Removed: the store no longer finds it.
	ann.Keys = nil
	if _, _, err := signIn(t, r, annKey, ann, bob); !errors.Is(err, passkey.ErrRefused) {
		t.Errorf("removed passkey: %v", err)
	}
	// A signature that does not verify.
	ann.Keys = []store.Passkey{add(t, r, ann, annKey)}
	other := passkeytest.New(portal, "localhost")
	other.Create(mustBegin(t, r, ann).Options)
	other.ID, other.Handle = annKey.ID, annKey.Handle // Ann's credential id, another private key
	if _, _, err := signIn(t, r, other, ann); !errors.Is(err, passkey.ErrRefused) {
		t.Errorf("a signature by another key: %v", err)
	}
}

func mustBegin(t *testing.T, r *passkey.RP, u passkey.User) passkey.Begun {
	t.Helper()
	b, err := r.BeginAdding(u)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An answer signs one challenge: checked against another ceremony's, it is refused.
func TestAnAnswerToAnotherChallengeIsRefused(t *testing.T) {
	r := rp(t)
	ann := person("ann@example.com")
	a := passkeytest.New(portal, "localhost")
	ann.Keys = []store.Passkey{add(t, r, ann, a)}
	first, _ := r.BeginSignIn()
	second, _ := r.BeginSignIn()
	answer, _ := a.Get(first.Options)
	if _, _, err := r.FinishSignIn(second.Data, answer, finder(ann)); !errors.Is(err, passkey.ErrRefused) {
		t.Errorf("answer to the first challenge, checked against the second: %v", err)
	}
	// Adding: an answer for one person's ceremony does not add a passkey to another's.
	bob := person("bob@example.com")
	b := mustBegin(t, r, ann)
	created, _ := passkeytest.New(portal, "localhost").Create(b.Options)
	if _, err := r.FinishAdding(bob, b.Data, created, "x", time.Now()); !errors.Is(err, passkey.ErrRefused) {
		t.Errorf("Ann's ceremony finished for Bob: %v", err)
	}
}

// A sign count that goes backwards or stays put means two copies of the key may be in use.
func TestASignCountThatDoesNotMoveOnIsRefused(t *testing.T) {
	r := rp(t)
	ann := person("ann@example.com")
	a := passkeytest.New(portal, "localhost")
	a.Count = 10
	p := add(t, r, ann, a)
	ann.Keys = []store.Passkey{p}
	a.Count = 5 // Get counts one: 6 < 10
	if _, _, err := signIn(t, r, a, ann); !errors.Is(err, passkey.ErrCopied) {
		t.Errorf("count back from 10 to 6: %v", err)
	}
	// An authenticator that keeps no count (synced passkeys) reports 0 every time: fine.
	z := passkeytest.New(portal, "localhost")
	z.Count = 0
	ann.Keys = []store.Passkey{add(t, r, ann, z)}
	for range 2 {
		if _, _, err := signIn(t, r, z, ann); err != nil {
			t.Errorf("a passkey that keeps no count: %v", err)
		}
	}
}

func TestBadAnswersAndSettings(t *testing.T) {
	for _, bad := range []string{"", "not json", `{"response":{}}`, `{"response":{"clientDataJSON":"%%%"}}`} {
		if _, err := passkey.ChallengeHash([]byte(bad)); !errors.Is(err, passkey.ErrRefused) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	r := rp(t)
	b, _ := r.BeginSignIn()
	if _, _, err := r.FinishSignIn(b.Data, []byte(`{"id":"x"}`), finder()); !errors.Is(err, passkey.ErrRefused) {
		t.Errorf("garbage answer: %v", err)
	}
	for _, u := range []string{"", "localhost:8080", "ftp://x.example", "https://"} {
		if _, err := passkey.New(u, "s"); err == nil {
			t.Errorf("portal URL %q accepted", u)
		}
	}
	if r, err := passkey.New("https://portal.council.example/", "s"); err != nil || r == nil {
		t.Errorf("a real portal URL: %v", err)
	}
}
