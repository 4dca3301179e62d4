package store_test

import (
	"testing"

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
