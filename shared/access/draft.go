package access

import (
	"errors"
	"fmt"
	"time"
)

// A request made through the portal's pages starts as a draft: it exists so that its evidence
// files can be uploaded straight to S3 (a form per file, before the person has confirmed
// anything), but nobody is told about it. Confirming it on "check your answers" sends it: it is
// submitted for checks and the requester gets "request received" with its short reference. A draft
// never confirmed expires with its files after DraftLifetime (the table's TTL removes it).

// Lifetimes of a draft and of the link to a request's status page.
const (
	DraftLifetime = 24 * time.Hour
	StatusLink    = 30 * 24 * time.Hour
)

// Errors Confirm returns.
var (
	// ErrNoEvidence: the relationship needs a document (or, for an LPA, an access code) and none was uploaded.
	ErrNoEvidence = errors.New("access: no evidence uploaded")
	// ErrRefusedEvidence: a file of the current round was refused and must be replaced first.
	ErrRefusedEvidence = errors.New("access: an evidence file was refused")
)

// ValidateDraft checks a draft's answers: every rule of Validate except that evidence is still to
// come (Confirm asks for it).
func (n *NewRequest) ValidateDraft(now time.Time) []FieldError {
	var out []FieldError
	for _, e := range n.Validate(now, false) {
		if e.Field != "evidence" {
			out = append(out, e)
		}
	}
	return out
}

// NewDraft is a draft request made from the pages' answers, with its short reference. The
// answers must have passed ValidateDraft.
func NewDraft(n NewRequest, id RequestID, continuationHash string, now time.Time) Request {
	r := Request{
		ID: id, Status: AwaitingEvidence, Draft: true, Reference: NewReference(),
		CreatedAt: now, UpdatedAt: now, ContinuationHash: continuationHash, ExpiresAt: now.Add(DraftLifetime),
	}
	return r.withAnswers(n)
}

func (r Request) withAnswers(n NewRequest) Request {
	r.Requester = *n.Requester
	r.Requester.Email = NormaliseEmail(string(n.Requester.Email))
	r.Relationship, r.Client = n.Relationship, n.Client
	r.Client.Postcode = NormalisePostcode(n.Client.Postcode)
	r.LPAAccessCode, r.DonorSurname = n.LPAAccessCode, n.DonorSurname
	return r
}

// Answers are a request's answers as the pages ask for them.
func (r Request) Answers() NewRequest {
	req := r.Requester
	return NewRequest{Requester: &req, Relationship: r.Relationship, Client: r.Client, LPAAccessCode: r.LPAAccessCode, DonorSurname: r.DonorSurname}
}

// Revise changes a draft's answers (a "change" link on "check your answers"). Only a draft that
// has not expired changes; the answers must have passed ValidateDraft.
func (r Request) Revise(n NewRequest, now time.Time) (Request, []Event, error) {
	if !r.Draft || r.Expired(now) {
		return r, nil, fmt.Errorf("%w: only a draft can be changed", ErrIllegalMove)
	}
	r = r.withAnswers(n)
	r.UpdatedAt = now
	return r, nil, nil
}

// Expired reports whether r is a draft past its lifetime: it can no longer be changed or sent.
func (r Request) Expired(now time.Time) bool {
	return r.Draft && !now.Before(r.ExpiresAt)
}

// Confirm sends a draft: its uploaded evidence (uploaded: the current round's files that are in
// the bucket, whatever their checks say so far) goes for checks, and the requester is told its
// reference. A refused file must be replaced first; a relationship other than the client's own
// needs a document, or for an LPA its access code.
func (r Request) Confirm(uploaded []Evidence, now time.Time) (Request, []Event, error) {
	if !r.Draft || r.Expired(now) {
		return r, nil, fmt.Errorf("%w: only a draft can be confirmed", ErrIllegalMove)
	}
	for _, e := range uploaded {
		if e.Round == r.Round && e.Status.Refused() {
			return r, nil, ErrRefusedEvidence
		}
	}
	if len(uploaded) == 0 && r.Relationship != Self && !(r.Relationship == AttorneyLPA && r.LPAAccessCode != "") {
		return r, nil, ErrNoEvidence
	}
	r, _, err := r.Submit(now)
	if err != nil {
		return r, nil, err
	}
	r.Draft, r.ExpiresAt = false, time.Time{}
	return r, r.Received(), nil
}

// Send sends a request from the pages: a draft is confirmed (Confirm); a request whose reviewer
// asked for more information (or, made through the API, still awaiting its files) goes back for
// checks with the files now uploaded, of which there must be one at least and none refused.
func (r Request) Send(uploaded []Evidence, now time.Time) (Request, []Event, error) {
	if r.Draft {
		return r.Confirm(uploaded, now)
	}
	if r.Status != AwaitingEvidence && r.Status != MoreInfoRequested {
		return r, nil, fmt.Errorf("%w: sending a request %s", ErrIllegalMove, r.Status)
	}
	for _, e := range uploaded {
		if e.Round == r.Round && e.Status.Refused() {
			return r, nil, ErrRefusedEvidence
		}
	}
	if len(uploaded) == 0 {
		return r, nil, ErrNoEvidence
	}
	return r.Submit(now)
}

// LinkAgain is what follows "I lost my link": the requester is sent a fresh link to the
// request's status page, at the address the request was made from (never at another).
func (r Request) LinkAgain() []Event {
	if r.Draft {
		return nil
	}
	return []Event{StatusLinkRequested{Request: r.ID, Reference: r.Reference, To: r.Requester.Email}}
}
