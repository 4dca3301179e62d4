package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

// newDraft stores a draft made by the pages, with two upload slots: one uploaded, one empty.
func newDraft(t *testing.T, s *store.Store, email access.Email) (access.Request, access.Evidence, access.Evidence) {
	t.Helper()
	n := access.NewRequest{Requester: &access.Requester{Name: "Dee", Email: email}, Relationship: access.Deputy,
		Client: access.Client{Name: "Cli", DateOfBirth: "1941-03-04", Postcode: "sw1a 1aa"}}
	d := access.NewDraft(n, access.NewRequestID(), "hash", time.Now().UTC())
	up := access.Evidence{ID: access.NewEvidenceID(), RequestID: d.ID, File: access.File{FileName: "File 1"}, Status: access.AwaitingUpload}
	empty := access.Evidence{ID: access.NewEvidenceID(), RequestID: d.ID, File: access.File{FileName: "File 2"}, Status: access.AwaitingUpload}
	if err := s.CreateRequest(ctx, d, []access.Evidence{up, empty}, nil); err != nil {
		t.Fatal(err)
	}
	return d, up, empty
}

func TestADraftIsSentOnceWithItsUploadedFilesAndItsEmail(t *testing.T) {
	s, _ := storetest.New(t)
	d, up, empty := newDraft(t, s, "dee.draft@example.com")
	if got := mailOf(t, s, mail.RequestReceived); len(got) != 0 {
		t.Fatalf("a draft queued %v", got)
	}
	n := d.Answers()
	n.Requester.Name = "Dee Puty"
	if _, err := s.ReviseDraft(ctx, d.ID, n); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendRequest(ctx, d.ID, nil); !errors.Is(err, access.ErrNoEvidence) {
		t.Fatalf("sent with no file uploaded: %v", err)
	}
	sent, err := s.SendRequest(ctx, d.ID, map[access.EvidenceID]bool{up.ID: true})
	if err != nil || sent.Draft || sent.Status != access.Scanning {
		t.Fatalf("%+v %v", sent, err)
	}
	got, ev, _ := s.Request(ctx, d.ID)
	if got.Draft || !got.ExpiresAt.IsZero() || got.Requester.Name != "Dee Puty" || got.Reference != d.Reference || len(ev) != 1 || ev[0].ID != up.ID {
		t.Fatalf("%+v %+v (the empty slot %s must go)", got, ev, empty.ID)
	}
	received := mailOf(t, s, mail.RequestReceived)
	if len(received) != 1 || received[0].Reference != d.Reference || received[0].Link == nil || received[0].Link.Purpose != mail.Status {
		t.Fatalf("%+v", received)
	}
	// Sent again, or changed after: nothing changes, no second email.
	if _, err := s.SendRequest(ctx, d.ID, map[access.EvidenceID]bool{up.ID: true}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("sent twice: %v", err)
	}
	if _, err := s.ReviseDraft(ctx, d.ID, n); !errors.Is(err, store.ErrConflict) {
		t.Errorf("revised after sending: %v", err)
	}
	if got := mailOf(t, s, mail.RequestReceived); len(got) != 1 {
		t.Errorf("%d received emails", len(got))
	}
}

func TestLostLinksGoOnlyToTheRequestersAddress(t *testing.T) {
	s, _ := storetest.New(t)
	email := access.Email("dee.lost@example.com")
	d, up, _ := newDraft(t, s, email)
	limit := store.Limit{Kind: "lost-link", Key: string(email), Window: time.Hour, Max: 2}
	// A draft is nobody's yet: no link.
	if err := s.ResendLinks(ctx, email, limit); err != nil || len(mailOf(t, s, mail.StatusLink)) != 0 {
		t.Fatalf("%v", err)
	}
	if _, err := s.SendRequest(ctx, d.ID, map[access.EvidenceID]bool{up.ID: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.ResendLinks(ctx, "nobody.lost@example.com", limit); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := s.ResendLinks(ctx, email, limit); err != nil {
			t.Fatal(err)
		}
	}
	links := mailOf(t, s, mail.StatusLink)
	if len(links) != 2 || links[0].To != email || links[0].Request != d.ID || links[0].Reference != d.Reference || links[0].Link.Purpose != mail.Status {
		t.Fatalf("%+v", links)
	}
	if err := s.ResendLinks(ctx, email, limit); !errors.Is(err, store.ErrLimited) {
		t.Errorf("a third within the hour: %v", err)
	}
}
