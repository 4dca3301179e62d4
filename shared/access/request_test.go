package access

import (
	"errors"
	"testing"
	"time"
)

const (
	staff = Email("reviewer@council.example")
	asker = Email("ada@example.com")
)

func at(s Status) Request {
	r := Request{ID: "r1", Status: s, Requester: Requester{Name: "Ada", Email: asker}, Relationship: Deputy, Round: 1,
		Notes: []Note{{Kind: "x", Text: "earlier"}}}
	if s == Approved {
		r.Decision = &Decision{Outcome: Approved, By: staff, ClientReference: "1234"}
	}
	return r
}

var allStatuses = []Status{AwaitingEvidence, Scanning, ReadyForReview, MoreInfoRequested, Approved, Rejected, Withdrawn, Expired}

// action is one method, applied with a complete decision.
type action struct {
	name    string
	do      func(Request) (Request, []Event, error)
	allowed []Status // the statuses it may start from
}

var later = now.Add(time.Hour)

var actions = []action{
	{"submit", func(r Request) (Request, []Event, error) { return r.Submit(later) }, []Status{AwaitingEvidence, MoreInfoRequested}},
	{"promote", func(r Request) (Request, []Event, error) { return r.Promote(nil, Reviewers{To: []Email{staff}}, later) }, []Status{Scanning}},
	{"approve", func(r Request) (Request, []Event, error) {
		return r.Approve(Approval{By: staff, ClientReference: "1234"}, later)
	}, []Status{ReadyForReview}},
	{"reject", func(r Request) (Request, []Event, error) { return r.Reject(staff, "no", later) }, []Status{ReadyForReview, MoreInfoRequested}},
	{"more information", func(r Request) (Request, []Event, error) { return r.RequestInformation(staff, "send more", later) }, []Status{ReadyForReview}},
	{"security check", func(r Request) (Request, []Event, error) { return r.RecordSecurityCheck(staff, "phoned", later) }, []Status{ReadyForReview, MoreInfoRequested}},
	{"end access", func(r Request) (Request, []Event, error) { return r.EndAccess(staff, "order revoked", later) }, []Status{Approved}},
	{"withdraw", func(r Request) (Request, []Event, error) { return r.Withdraw(later) }, []Status{AwaitingEvidence, Scanning, ReadyForReview, MoreInfoRequested}},
	{"expire", func(r Request) (Request, []Event, error) {
		return r.Expire(later.Add(-29*24*time.Hour), 28*24*time.Hour, later)
	}, []Status{AwaitingEvidence, Scanning, MoreInfoRequested}},
}

// TestEveryIllegalMoveIsRefused: from every status an action does not allow, it is ErrIllegalMove
// and the request is unchanged; from every status it allows, it succeeds.
func TestEveryIllegalMoveIsRefused(t *testing.T) {
	for _, a := range actions {
		for _, st := range allStatuses {
			before := at(st)
			got, events, err := a.do(before)
			ok := contains(a.allowed, st)
			switch {
			case ok && err != nil:
				t.Errorf("%s from %s: %v", a.name, st, err)
			case !ok && !errors.Is(err, ErrIllegalMove):
				t.Errorf("%s from %s: %v, want ErrIllegalMove", a.name, st, err)
			case !ok && (got.Status != st || len(events) != 0 || len(got.Notes) != 1):
				t.Errorf("%s from %s changed the request: %+v %v", a.name, st, got, events)
			case ok && got.Status != st && !CanMove(st, got.Status):
				t.Errorf("%s from %s moved to %s, which the table forbids", a.name, st, got.Status)
			}
		}
	}
}

func TestMovesOutsideTheTableAreRefused(t *testing.T) {
	for _, from := range allStatuses {
		for _, to := range allStatuses {
			_, err := at(from).move(to, now)
			if CanMove(from, to) != (err == nil) {
				t.Errorf("%s to %s: %v", from, to, err)
			}
		}
	}
	if !CanMove(Scanning, ReadyForReview) || CanMove(Approved, ReadyForReview) || CanMove(Rejected, Approved) {
		t.Error("the table is not the one documented")
	}
}

func TestIncompleteDecisionsAreRefused(t *testing.T) {
	r := at(ReadyForReview)
	for name, err := range map[string]error{
		"approve without reference": third(r.Approve(Approval{By: staff}, now)),
		"approve without reviewer":  third(r.Approve(Approval{ClientReference: "1"}, now)),
		"reject without reason":     third(r.Reject(staff, "", now)),
		"reject without reviewer":   third(r.Reject("", "no", now)),
		"more info without message": third(r.RequestInformation(staff, "", now)),
		"check without note":        third(r.RecordSecurityCheck(staff, "", now)),
		"end without reason":        third(at(Approved).EndAccess(staff, "", now)),
	} {
		if !errors.Is(err, ErrIncomplete) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func third(_ Request, _ []Event, err error) error { return err }

func TestApproveRecordsTheDecisionAndChoosesTheEmail(t *testing.T) {
	before := at(ReadyForReview)
	r, ev, err := before.Approve(Approval{By: staff, ClientReference: "1234", AccessEndsOn: "2027-01-31"}, later)
	if err != nil {
		t.Fatal(err)
	}
	d := r.Decision
	if r.Status != Approved || d.Outcome != Approved || d.By != staff || !d.At.Equal(later) || d.ClientReference != "1234" || d.AccessEndsOn != "2027-01-31" || !r.UpdatedAt.Equal(later) {
		t.Errorf("decision: %+v %+v", r, d)
	}
	if n := r.Notes[len(r.Notes)-1]; len(r.Notes) != 2 || n.Kind != NoteDecision || n.Text != "Approved. Client reference 1234; access ends on 2027-01-31" {
		t.Errorf("history: %+v", r.Notes)
	}
	if len(before.Notes) != 1 || before.Status != ReadyForReview {
		t.Error("the request read was changed")
	}
	if len(ev) != 1 || ev[0] != (RequestApproved{Request: "r1", To: asker}) {
		t.Errorf("events: %#v", ev)
	}
	_, ev, _ = before.Approve(Approval{By: staff, ClientReference: "1234", HasAccount: true}, later)
	if ev[0] != (RequestApproved{Request: "r1", To: asker, HasAccount: true}) {
		t.Errorf("with an account: %#v", ev)
	}
	if !r.Live() || before.Live() {
		t.Error("Live")
	}
}

func TestRejectTellsTheReason(t *testing.T) {
	r, ev, err := at(MoreInfoRequested).Reject(staff, "not the right LPA", later)
	if err != nil || r.Status != Rejected || r.Decision.Reason != "not the right LPA" || r.Notes[1].Text != "Rejected: not the right LPA" {
		t.Fatalf("%v %+v", err, r)
	}
	if len(ev) != 1 || ev[0] != (RequestRejected{Request: "r1", To: asker, Reason: "not the right LPA"}) {
		t.Errorf("events: %#v", ev)
	}
}

func TestRequestInformationOpensARound(t *testing.T) {
	r, ev, err := at(ReadyForReview).RequestInformation(staff, "Send the order", later)
	if err != nil || r.Status != MoreInfoRequested || r.Round != 2 || r.Decision.Outcome != MoreInfoRequested || r.Decision.Reason != "Send the order" ||
		r.Notes[1].Text != "More information requested: Send the order" {
		t.Fatalf("%v %+v", err, r)
	}
	if len(ev) != 1 || ev[0] != (InformationRequested{Request: "r1", To: asker, Message: "Send the order"}) {
		t.Errorf("events: %#v", ev)
	}
}

func TestSecurityCheckDecidesNothing(t *testing.T) {
	before := at(ReadyForReview)
	r, ev, err := before.RecordSecurityCheck(staff, "phoned", later)
	if err != nil || r.Status != ReadyForReview || r.Decision != nil || len(ev) != 0 {
		t.Fatalf("%v %+v %v", err, r, ev)
	}
	if n := r.Notes[1]; n.Kind != NoteSecurityCheck || n.Text != "phoned" || n.By != staff || !n.At.Equal(later) {
		t.Errorf("note: %+v", n)
	}
}

func TestEndAccessOnceOnly(t *testing.T) {
	r, ev, err := at(Approved).EndAccess(staff, "order revoked", later)
	if err != nil || r.Status != Approved || r.Decision.EndedBy != staff || !r.Decision.EndedAt.Equal(later) || r.Decision.EndReason != "order revoked" ||
		r.Decision.ClientReference != "1234" || r.Notes[1].Kind != NoteAccessEnded || r.Live() {
		t.Fatalf("%v %+v", err, r)
	}
	if len(ev) != 1 || ev[0] != (AccessEnded{Request: "r1", To: asker, Reason: "order revoked"}) {
		t.Errorf("events: %#v", ev)
	}
	if _, _, err := r.EndAccess(staff, "again", later); !errors.Is(err, ErrIllegalMove) {
		t.Errorf("ended twice: %v", err)
	}
	noDecision := at(Approved)
	noDecision.Decision = nil
	if _, _, err := noDecision.EndAccess(staff, "x", later); !errors.Is(err, ErrIllegalMove) {
		t.Errorf("ended a grant with no decision: %v", err)
	}
}

func TestSubmitStampsTheTime(t *testing.T) {
	r, ev, err := at(AwaitingEvidence).Submit(later)
	if err != nil || r.Status != Scanning || !r.SubmittedAt.Equal(later) || !r.UpdatedAt.Equal(later) || len(ev) != 0 {
		t.Fatalf("%v %+v", err, r)
	}
}

func TestPromoteWaitsForEveryFileOfTheRound(t *testing.T) {
	r := at(Scanning)
	r.Reference = "CFP-7K3M-9Q2X"
	ev := []Evidence{
		{ID: "a", Round: 1, Status: Clean},
		{ID: "b", Round: 0, Status: EvScanning},           // an earlier round does not count
		{ID: "c", Round: ReplacedRound, Status: Infected}, // nor a replaced file
	}
	who := Reviewers{To: []Email{"a@council.example", "b@council.example"}}
	got, events, err := r.Promote(ev, who, later)
	if err != nil || got.Status != ReadyForReview || !got.UpdatedAt.Equal(later) {
		t.Fatalf("%v %+v", err, got)
	}
	want := []Event{
		ReviewRequested{Request: "r1", Reference: "CFP-7K3M-9Q2X", To: "a@council.example", Relationship: Deputy},
		ReviewRequested{Request: "r1", Reference: "CFP-7K3M-9Q2X", To: "b@council.example", Relationship: Deputy},
	}
	if len(events) != 2 || events[0] != want[0] || events[1] != want[1] {
		t.Errorf("events: %#v", events)
	}
	for _, st := range []EvidenceStatus{AwaitingUpload, EvScanning, EvRejected, Infected, ScanFailed} {
		ev := []Evidence{{ID: "a", Round: 1, Status: Clean}, {ID: "b", Round: 1, Status: st}}
		if got, events, err := r.Promote(ev, who, later); !errors.Is(err, ErrNotReady) || got.Status != Scanning || events != nil {
			t.Errorf("%s file: %v %s", st, err, got.Status)
		}
	}
}

func TestEvidenceRefusedIsToldOnce(t *testing.T) {
	r := at(Scanning)
	file := Evidence{ID: "e", File: File{FileName: "lpa.pdf"}, Status: EvScanning}
	refused := file
	refused.Status, refused.Reason = Infected, "a virus"
	if ev := r.EvidenceSettled(file, refused); len(ev) != 1 || ev[0] != (EvidenceRefused{Request: "r1", To: asker, FileName: "lpa.pdf", Reason: "a virus"}) {
		t.Errorf("first refusal: %#v", ev)
	}
	if ev := r.EvidenceSettled(refused, refused); ev != nil {
		t.Errorf("told twice: %#v", ev)
	}
	clean := file
	clean.Status = Clean
	if ev := r.EvidenceSettled(file, clean); ev != nil {
		t.Errorf("clean: %#v", ev)
	}
}

func TestReceived(t *testing.T) {
	if ev := at(AwaitingEvidence).Received(); len(ev) != 1 || ev[0] != (RequestReceived{Request: "r1", To: asker}) {
		t.Errorf("%#v", ev)
	}
}

func TestEveryValueHasWords(t *testing.T) {
	for _, st := range allStatuses {
		if st.Title() == string(st) {
			t.Errorf("status %s has no words", st)
		}
	}
	for r := range relationships {
		if r.Title() == string(r) || r.Short() == string(r) {
			t.Errorf("relationship %s has no words", r)
		}
	}
	for _, st := range []EvidenceStatus{AwaitingUpload, EvScanning, Clean, EvRejected, Infected, ScanFailed} {
		if st.Title() == string(st) {
			t.Errorf("evidence status %s has no words", st)
		}
	}
	if Relationship("other").Title() != "other" {
		t.Error("an unknown value should show as itself")
	}
}

func contains(list []Status, s Status) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestDocumentTypes(t *testing.T) {
	for _, d := range []DocumentType{AssessmentOutcome, DirectPaymentRemittance, DeferredPaymentStatement, CareInvoice} {
		if !d.Valid() || d.Title() == string(d) {
			t.Errorf("%s", d)
		}
	}
	if DocumentType("invoice").Valid() {
		t.Error("an unknown type is valid")
	}
}

func TestGrantActive(t *testing.T) {
	day := time.Date(2026, 3, 31, 23, 59, 0, 0, time.UTC)
	for _, c := range []struct {
		g    Grant
		want bool
	}{
		{Grant{}, true},
		{Grant{Ended: true}, false},
		{Grant{EndsOn: "2026-03-31"}, true},
		{Grant{EndsOn: "2026-03-30"}, false},
		{Grant{EndsOn: "not a date"}, false},
	} {
		if c.g.Active(day) != c.want {
			t.Errorf("%+v at %v", c.g, day)
		}
	}
}

// TestWithdrawTellsOnlyTheRequester: the requester of a sent request is told, with its reference,
// and nobody else; a draft (never sent, its address never told of it) is withdrawn silently.
func TestWithdrawTellsOnlyTheRequester(t *testing.T) {
	for _, st := range []Status{AwaitingEvidence, Scanning, ReadyForReview, MoreInfoRequested} {
		r := at(st)
		r.Reference = "CFP-7K3M-9Q2X"
		got, events, err := r.Withdraw(later)
		want := RequestWithdrawn{Request: "r1", Reference: "CFP-7K3M-9Q2X", To: asker}
		if err != nil || got.Status != Withdrawn || !got.UpdatedAt.Equal(later) || len(events) != 1 || events[0] != Event(want) {
			t.Errorf("from %s: %+v %v %v", st, got, events, err)
		}
	}
	draft := at(AwaitingEvidence)
	draft.Draft, draft.ExpiresAt = true, later.Add(time.Hour)
	if got, events, err := draft.Withdraw(later); err != nil || got.Status != Withdrawn || len(events) != 0 {
		t.Errorf("draft: %+v %v %v", got, events, err)
	}
	draft.ExpiresAt = later
	if got, _, err := draft.Withdraw(later); !errors.Is(err, ErrIllegalMove) || got.Status != AwaitingEvidence {
		t.Errorf("expired draft: %s %v", got.Status, err)
	}
	if _, _, err := at(Withdrawn).Withdraw(later); !errors.Is(err, ErrIllegalMove) {
		t.Errorf("twice: %v", err)
	}
}

// Only the requester of a live grant without an account is invited again.
func TestInviteAgain(t *testing.T) {
	live := Request{ID: "r1", Status: Approved, Requester: Requester{Email: "a@b.example"}, Decision: &Decision{Outcome: Approved}}
	ev, err := live.InviteAgain(false)
	if err != nil || len(ev) != 1 || ev[0] != (RequestApproved{Request: "r1", To: "a@b.example"}) {
		t.Fatalf("live, no account: %v %v", ev, err)
	}
	ended := live
	ended.Decision = &Decision{Outcome: Approved, EndedAt: time.Now()}
	for name, c := range map[string]struct {
		r   Request
		has bool
	}{"registered": {live, true}, "ended": {ended, false}, "rejected": {Request{Status: Rejected}, false}} {
		if _, err := c.r.InviteAgain(c.has); err != ErrIllegalMove {
			t.Errorf("%s: %v; want ErrIllegalMove", name, err)
		}
	}
}
