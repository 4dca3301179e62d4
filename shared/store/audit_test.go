package store_test

import (
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
)

func TestAuditEventsPerClientAndPerPerson(t *testing.T) {
	s, _ := storetest.New(t)
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	events := []store.AuditEvent{
		{At: at, Action: store.AuditListDocuments, Email: "ann@example.com", ClientReference: "100001", GrantID: "r1", SourceIP: "192.0.2.1", UserAgent: "UA"},
		{At: at.Add(time.Minute), Action: store.AuditDownloadDocument, Email: "ann@example.com", ClientReference: "100001", DocumentID: "d1", GrantID: "r1"},
		{At: at.Add(2 * time.Minute), Action: store.AuditListDocuments, Email: "ann@example.com", ClientReference: "100002", GrantID: "r2"},
		{At: at.Add(3 * time.Minute), Action: store.AuditListDocuments, Email: "bob@example.com", ClientReference: "100001", GrantID: "r3"},
	}
	for _, e := range events {
		if err := s.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	client, err := s.AuditOfClient(ctx, "100001", 10)
	if err != nil || len(client) != 3 || client[0].Email != "bob@example.com" || client[2].SourceIP != "192.0.2.1" || client[2].UserAgent != "UA" || client[2].ID == "" {
		t.Fatalf("client audit %+v %v", client, err)
	}
	person, err := s.AuditOfPerson(ctx, access.Email("ann@example.com"), 10)
	if err != nil || len(person) != 3 || person[0].ClientReference != "100002" || person[1].DocumentID != "d1" || person[1].GrantID != "r1" {
		t.Fatalf("person audit %+v %v", person, err)
	}
	if !person[1].At.Equal(at.Add(time.Minute)) || person[1].Action != store.AuditDownloadDocument {
		t.Fatalf("event read back as %+v", person[1])
	}
}

// Staff events: one about a person with no client, one on a client about a requester. Each list is
// one Query, and a date range keeps only the events within it (From inclusive, To exclusive).
func TestAuditByAndAboutAPersonWithinDates(t *testing.T) {
	s, _ := storetest.New(t)
	day := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	staff, dee := access.Email("riya@council.example"), access.Email("dee@example.com")
	events := []store.AuditEvent{
		{At: day.Add(-time.Second), Action: store.AuditStaffViewPerson, Email: staff, Subject: dee},                                               // the day before
		{At: day, Action: store.AuditStaffViewPerson, Email: staff, Subject: dee},                                                                 // first instant: in
		{At: day.Add(5 * time.Hour), Action: store.AuditStaffViewRequest, Email: staff, Subject: dee, ClientReference: "100001", RequestID: "r1"}, // in
		{At: day.Add(6 * time.Hour), Action: store.AuditListDocuments, Email: dee, ClientReference: "100001", GrantID: "r1"},                      // by dee, not about
		{At: day.Add(24 * time.Hour), Action: store.AuditStaffDecide, Email: staff, Subject: dee, ClientReference: "100001", Detail: "approve"},   // next day: out
	}
	for _, e := range events {
		if err := s.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	about, more, err := s.AuditTrail(ctx, store.AuditOf{About: dee}, store.AuditRange{}, 10)
	if err != nil || more || len(about) != 4 || about[0].Action != store.AuditStaffDecide || about[3].Subject != dee {
		t.Fatalf("about dee: %+v more=%v %v", about, more, err)
	}
	in := store.AuditRange{From: day, To: day.Add(24 * time.Hour)}
	about, _, _ = s.AuditTrail(ctx, store.AuditOf{About: dee}, in, 10)
	if len(about) != 2 || about[0].RequestID != "r1" || !about[1].At.Equal(day) {
		t.Fatalf("about dee on the day: %+v", about)
	}
	by, _, _ := s.AuditTrail(ctx, store.AuditOf{By: staff}, in, 10)
	if len(by) != 2 {
		t.Fatalf("by staff on the day: %+v", by)
	}
	by, _, _ = s.AuditTrail(ctx, store.AuditOf{By: dee}, store.AuditRange{From: day}, 10)
	if len(by) != 1 || by[0].Action != store.AuditListDocuments {
		t.Fatalf("by dee from the day: %+v", by)
	}
	client, _, _ := s.AuditTrail(ctx, store.AuditOf{Client: "100001"}, store.AuditRange{To: day.Add(6 * time.Hour)}, 10)
	if len(client) != 1 || client[0].Action != store.AuditStaffViewRequest {
		t.Fatalf("client before 06:00: %+v", client)
	}
	// A bound: limit 1 of 2 says there are more.
	if got, more, _ := s.AuditTrail(ctx, store.AuditOf{About: dee}, in, 1); len(got) != 1 || !more || got[0].Action != store.AuditStaffViewRequest {
		t.Fatalf("limit 1: %+v more=%v", got, more)
	}
	// Reversed or empty ranges and no list named find nothing, without an error.
	if got, _, err := s.AuditTrail(ctx, store.AuditOf{About: dee}, store.AuditRange{From: day.Add(time.Hour), To: day}, 10); err != nil || len(got) != 0 {
		t.Fatalf("reversed range: %+v %v", got, err)
	}
	if got, _, err := s.AuditTrail(ctx, store.AuditOf{}, in, 10); err != nil || len(got) != 0 {
		t.Fatalf("no list: %+v %v", got, err)
	}
}
