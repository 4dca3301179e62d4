package store_test

import (
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
)

// A signed-in person's list of their requests: only the sent ones, only their own, newest first,
// each with its status as it is now.
func TestRequestsOfListsAnAddresssSentRequestsNewestFirst(t *testing.T) {
	s, _ := storetest.New(t)
	email := access.Email("dee.list@example.com")
	first, up1, _ := newDraft(t, s, email)
	second, up2, _ := newDraft(t, s, email)
	newDraft(t, s, email) // never sent: not listed
	other, upOther, _ := newDraft(t, s, "someone.else@example.com")
	for _, sent := range []struct {
		id access.RequestID
		ev access.EvidenceID
	}{{first.ID, up1.ID}, {second.ID, up2.ID}, {other.ID, upOther.ID}} {
		if _, err := s.SendRequest(ctx, sent.id, map[access.EvidenceID]bool{sent.ev: true}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.RequestsOf(ctx, email, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != second.ID || got[1].ID != first.ID {
		t.Fatalf("want the two sent requests, newest first: %+v", got)
	}
	if got[0].Status != access.Scanning || got[0].Reference != second.Reference || got[0].Client.Name != "Cli" {
		t.Errorf("the listed request as it stands: %+v", got[0])
	}
	if got, err := s.RequestsOf(ctx, email, 1); err != nil || len(got) != 1 || got[0].ID != second.ID {
		t.Errorf("a limit of one: %+v %v", got, err)
	}
	if got, err := s.RequestsOf(ctx, "nobody.list@example.com", 10); err != nil || len(got) != 0 {
		t.Errorf("an address with no request: %+v %v", got, err)
	}
}

// A request made whole through the API is confirmed at once, so it is listed at once.
func TestRequestsOfListsARequestMadeThroughTheAPI(t *testing.T) {
	s, _ := storetest.New(t)
	email := access.Email("dee.api@example.com")
	r := access.Request{ID: access.NewRequestID(), Reference: access.NewReference(), Status: access.AwaitingEvidence,
		Requester: access.Requester{Name: "Dee", Email: email}, Relationship: access.Deputy, Client: access.Client{Name: "Api Client"},
		CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	if err := s.CreateRequest(ctx, r, nil, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.RequestsOf(ctx, email, 10)
	if err != nil || len(got) != 1 || got[0].ID != r.ID || got[0].Client.Name != "Api Client" {
		t.Fatalf("%+v %v", got, err)
	}
}
