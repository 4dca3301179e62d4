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
