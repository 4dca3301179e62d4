package store

import (
	"context"

	"github.com/council/cfp/shared/access"
)

// SeedGrant writes an approved request that is a grant, as Approve leaves it, without the journey
// before it and without its email. It is for tests and local tools (sample billing runs) that need
// grantees; no function calls it. The grant's RequestID is made up when empty and returned.
func (s *Store) SeedGrant(ctx context.Context, g Grant) (access.RequestID, error) {
	if g.RequestID == "" {
		g.RequestID = access.NewRequestID()
	}
	if g.Start.IsZero() {
		g.Start = s.now()
	}
	if g.Relationship == "" {
		g.Relationship = access.Deputy
	}
	d := &access.Decision{Outcome: access.Approved, By: "seed@council.example", At: g.Start, ClientReference: g.ClientReference, AccessEndsOn: g.EndsOn}
	if g.Ended {
		d.EndedAt = g.Start
	}
	r := access.Request{
		ID: g.RequestID, Status: access.Approved, Relationship: g.Relationship,
		Requester: access.Requester{Name: g.Name, Email: access.NormaliseEmail(string(g.Email))},
		Client:    access.Client{Name: g.ClientName, ClientReference: g.ClientReference},
		CreatedAt: g.Start, UpdatedAt: g.Start, Decision: d,
	}
	return r.ID, s.CreateRequest(ctx, r, nil, nil)
}
