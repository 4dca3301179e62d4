package storetest

import (
	"context"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

// SeedGrant writes an approved request that is a grant, as Approve leaves it, without the journey
// before it and without its email: for tests and local tools (sample billing runs, load) that need
// grantees. The grant's RequestID is made up when empty and returned.
func SeedGrant(ctx context.Context, s *store.Store, g store.Grant) (access.RequestID, error) {
	if g.RequestID == "" {
		g.RequestID = access.NewRequestID()
	}
	if g.Start.IsZero() {
		g.Start = time.Now().UTC()
	}
	if g.Relationship == "" {
		g.Relationship = access.Deputy
	}
	d := &access.Decision{Outcome: access.Approved, By: "seed@council.example", At: g.Start, ClientReference: g.ClientReference, AccessEndsOn: g.EndsOn}
	if g.Ended {
		d.EndedAt = g.Start // an ended grant is in no index, as EndAccess leaves it
	}
	r := access.Request{
		ID: g.RequestID, Reference: access.NewReference(), Status: access.Approved, Relationship: g.Relationship,
		Requester: access.Requester{Name: g.Name, Email: access.NormaliseEmail(string(g.Email))},
		Client:    access.Client{Name: g.ClientName, DateOfBirth: g.ClientBirth, ClientReference: g.ClientReference},
		CreatedAt: g.Start, UpdatedAt: g.Start, Decision: d,
	}
	return r.ID, s.CreateRequest(ctx, r, nil, nil)
}

// SeedDocuments publishes documents without telling anyone: for tests, benchmarks and local
// demonstration data.
func SeedDocuments(ctx context.Context, s *store.Store, docs ...store.Document) error {
	for _, d := range docs {
		if err := s.PublishDocument(ctx, d, nil); err != nil {
			return err
		}
	}
	return nil
}

// SeedAccount makes an active account for an address as its emailed links would (registration
// from an invitation, then verification), through the store's own writes; the verification email
// is queued as registering queues it.
func SeedAccount(ctx context.Context, s *store.Store, e access.Email, name string) error {
	now := time.Now()
	for _, p := range []mail.Purpose{mail.Invitation, mail.Verify} {
		tok := secret.New()
		if err := s.PutToken(ctx, store.Token{Hash: tok.Hash(), Purpose: p, Subject: string(e), Email: e, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			return err
		}
		var err error
		if p == mail.Invitation {
			err = s.Register(ctx, tok.Hash(), store.Account{Email: e, Name: name, CreatedAt: now}, mail.VerificationOf(e))
		} else {
			err = s.Activate(ctx, tok.Hash(), e)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
