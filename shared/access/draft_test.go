package access

import (
	"errors"
	"testing"
	"time"
)

var draftNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func draftAnswers() NewRequest {
	return NewRequest{Requester: &Requester{Name: "Dee", Email: " Dee@Example.com "}, Relationship: Deputy,
		Client: Client{Name: "Cli", DateOfBirth: "1941-03-04", Postcode: "sw1a1aa"}}
}

func TestADraftNeedsNoEvidenceYetAndTellsNobody(t *testing.T) {
	n := draftAnswers()
	if errs := n.ValidateDraft(draftNow); len(errs) != 0 {
		t.Fatalf("a draft's answers: %v", errs)
	}
	bad := draftAnswers()
	bad.Client.DateOfBirth = "2027-01-01"
	if errs := bad.ValidateDraft(draftNow); len(errs) != 1 || errs[0].Field != "client.dateOfBirth" {
		t.Errorf("a future date of birth: %v", errs)
	}
	d := NewDraft(n, "r1", "hash", draftNow)
	if !d.Draft || d.Status != AwaitingEvidence || d.Requester.Email != "dee@example.com" || d.Client.Postcode != "SW1A 1AA" ||
		!d.ExpiresAt.Equal(draftNow.Add(DraftLifetime)) || d.Expired(draftNow.Add(DraftLifetime-time.Second)) || !d.Expired(draftNow.Add(DraftLifetime)) {
		t.Fatalf("%+v", d)
	}
	if _, ok := ParseReference(string(d.Reference)); !ok {
		t.Errorf("reference %q", d.Reference)
	}
	if len(d.LinkAgain()) != 0 {
		t.Error("a draft's link was sent")
	}
}

func TestConfirmSendsTheDraftOnceWithItsReference(t *testing.T) {
	d := NewDraft(draftAnswers(), "r1", "hash", draftNow)
	up := Evidence{ID: "e1", RequestID: "r1", Status: AwaitingUpload}
	if _, _, err := d.Confirm(nil, draftNow); !errors.Is(err, ErrNoEvidence) {
		t.Errorf("no file: %v", err)
	}
	refused := up
	refused.Status = Infected
	if _, _, err := d.Confirm([]Evidence{up, refused}, draftNow); !errors.Is(err, ErrRefusedEvidence) {
		t.Errorf("a refused file: %v", err)
	}
	if _, _, err := d.Confirm([]Evidence{up}, draftNow.Add(DraftLifetime)); !errors.Is(err, ErrIllegalMove) {
		t.Errorf("expired: %v", err)
	}
	sent, events, err := d.Confirm([]Evidence{up}, draftNow)
	if err != nil || sent.Draft || sent.Status != Scanning || !sent.ExpiresAt.IsZero() || !sent.SubmittedAt.Equal(draftNow) || len(events) != 1 ||
		events[0] != (RequestReceived{Request: "r1", Reference: d.Reference, To: "dee@example.com"}) {
		t.Fatalf("%+v %+v %v", sent, events, err)
	}
	if _, _, err := sent.Confirm([]Evidence{up}, draftNow); !errors.Is(err, ErrIllegalMove) {
		t.Errorf("confirmed twice: %v", err)
	}
	if _, _, err := sent.Revise(draftAnswers(), draftNow); !errors.Is(err, ErrIllegalMove) {
		t.Errorf("revised after sending: %v", err)
	}
	if ev := sent.LinkAgain(); len(ev) != 1 || ev[0] != (StatusLinkRequested{Request: "r1", Reference: d.Reference, To: "dee@example.com"}) {
		t.Errorf("lost link: %+v", ev)
	}
}

func TestWhoNeedsADocument(t *testing.T) {
	self := draftAnswers()
	self.Relationship = Self
	if _, _, err := NewDraft(self, "r1", "h", draftNow).Confirm(nil, draftNow); err != nil {
		t.Errorf("the client themself: %v", err)
	}
	lpa := draftAnswers()
	lpa.Relationship, lpa.LPAAccessCode, lpa.DonorSurname = AttorneyLPA, "V-1234-ABCD-5678", "Smith"
	if _, _, err := NewDraft(lpa, "r1", "h", draftNow).Confirm(nil, draftNow); err != nil {
		t.Errorf("an LPA with its access code: %v", err)
	}
	epa := draftAnswers()
	epa.Relationship = AttorneyEPA
	if _, _, err := NewDraft(epa, "r1", "h", draftNow).Confirm(nil, draftNow); !errors.Is(err, ErrNoEvidence) {
		t.Errorf("an EPA with no copy: %v", err)
	}
}

func TestSendAfterMoreInformationNeedsANewFile(t *testing.T) {
	r := Request{ID: "r1", Status: MoreInfoRequested, Round: 1}
	if _, _, err := r.Send(nil, draftNow); !errors.Is(err, ErrNoEvidence) {
		t.Errorf("no new file: %v", err)
	}
	sent, events, err := r.Send([]Evidence{{ID: "e2", Round: 1, Status: EvScanning}}, draftNow)
	if err != nil || sent.Status != Scanning || len(events) != 0 {
		t.Errorf("%+v %v %v", sent, events, err)
	}
	if _, _, err := (Request{Status: ReadyForReview}).Send([]Evidence{{}}, draftNow); !errors.Is(err, ErrIllegalMove) {
		t.Errorf("under review: %v", err)
	}
}
