package store_test

import (
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
)

// GrantFor is what every signed-in read of a client rests on: it finds a person's every live grant
// for that client (joint authority through two requests gives two), and nobody else's, no other
// client's, and no ended one.
func TestGrantForIsOnePersonsLiveGrantsForOneClient(t *testing.T) {
	s, _ := storetest.New(t)
	seed := func(g store.Grant) access.RequestID {
		t.Helper()
		id, err := storetest.SeedGrant(ctx, s, g)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	const ann access.Email = "ann@example.com"
	lpa := seed(store.Grant{Email: ann, ClientReference: "700001", Relationship: access.AttorneyLPA, EndsOn: "2099-12-31"})
	deputy := seed(store.Grant{Email: ann, ClientReference: "700001", Relationship: access.Deputy})
	seed(store.Grant{Email: ann, ClientReference: "700001", Ended: true})
	seed(store.Grant{Email: ann, ClientReference: "7000011"}) // a reference that starts with the other
	seed(store.Grant{Email: ann, ClientReference: "700002"})
	seed(store.Grant{Email: "bob@example.com", ClientReference: "700001"})

	gs, err := s.GrantFor(ctx, ann, "700001")
	if err != nil || len(gs) != 2 {
		t.Fatalf("grants for 700001: %+v %v", gs, err)
	}
	found := map[access.RequestID]bool{}
	for _, g := range gs {
		found[g.RequestID] = g.Email == ann && g.ClientReference == "700001"
	}
	if !found[lpa] || !found[deputy] {
		t.Fatalf("grants for 700001: %+v", gs)
	}
	if gs, err := s.GrantFor(ctx, ann, "70000"); err != nil || len(gs) != 0 {
		t.Fatalf("a prefix of a reference found %+v %v", gs, err)
	}
	if gs, err := s.GrantsOf(ctx, ann); err != nil || len(gs) != 4 {
		t.Fatalf("every live grant of the person: %d %v", len(gs), err)
	}
}

// TestOpenRequestsForAClientReference: the requests sent for a client reference (the one their
// requester gave) and not yet decided are found by it, beside its grants and apart from them; a
// draft (sent to nobody yet), another reference's request and a decided one are not.
func TestOpenRequestsForAClientReference(t *testing.T) {
	s, _ := storetest.New(t)
	mk := func(email access.Email, ref string, draft bool) access.Request {
		t.Helper()
		now := time.Now().UTC()
		r := access.Request{ID: access.NewRequestID(), Reference: access.NewReference(), Status: access.AwaitingEvidence, Draft: draft,
			Requester: access.Requester{Name: "Dee", Email: email}, Relationship: access.Deputy,
			Client: access.Client{Name: "Cli Ent", DateOfBirth: "1941-03-04", ClientReference: ref}, CreatedAt: now, UpdatedAt: now}
		if draft {
			r.ExpiresAt = now.Add(access.DraftLifetime)
		}
		if err := s.CreateRequest(ctx, r, nil, nil); err != nil {
			t.Fatal(err)
		}
		return r
	}
	waiting := mk("a.open@example.com", "7654321", false)
	reviewed := mk("b.open@example.com", "7654321", false)
	mk("c.open@example.com", "7654321", true)
	mk("d.open@example.com", "1111111", false)
	if err := s.SubmitRequest(ctx, reviewed.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := storetest.SeedGrant(ctx, s, store.Grant{Email: "e.open@example.com", ClientReference: "7654321", ClientName: "Cli Ent", Relationship: access.Self}); err != nil {
		t.Fatal(err)
	}
	got, err := s.OpenRequestsFor(ctx, "7654321")
	if err != nil || len(got) != 2 || got[0].ID != waiting.ID || got[1].ID != reviewed.ID || got[1].Status != access.Scanning {
		t.Fatalf("%+v %v", got, err)
	}
	if g, err := s.GranteesOf(ctx, "7654321"); err != nil || len(g) != 1 || g[0].Email != "e.open@example.com" {
		t.Errorf("grants beside them: %+v %v", g, err)
	}
	if _, err := s.WithdrawRequest(ctx, waiting.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.OpenRequestsFor(ctx, "7654321"); err != nil || len(got) != 1 || got[0].ID != reviewed.ID {
		t.Errorf("after one is withdrawn: %+v %v", got, err)
	}
}
