package access

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// A request changes only through the methods below. Each takes the decision and the time, and
// returns the request as it now is and the events that must follow (emails, mostly). They do no
// I/O: the store persists the new state and the events in one write, conditioned on the state read.

// Errors the methods return.
var (
	// ErrIllegalMove: the request's status does not allow this (a move not in the transitions
	// table, or an action its status forbids). The caller's read is stale or the action is wrong.
	ErrIllegalMove = errors.New("access: not allowed in the request's status")
	// ErrIncomplete: the decision lacks what it must carry (a reviewer, a reason, a reference).
	ErrIncomplete = errors.New("access: the decision is incomplete")
	// ErrNotReady: evidence of the current round is not all clean yet.
	ErrNotReady = errors.New("access: the evidence is not all checked")
)

// History kinds (Note.Kind).
const (
	NoteSecurityCheck = "security_check"
	NoteDecision      = "decision"
	NoteAccessEnded   = "access_ended"
	NoteEndDate       = "end_date"
	NoteExpired       = "expired" // by the portal itself: By is empty
)

// ReplacedRound is the Round of a refused evidence file that a later upload replaced: it belongs
// to no round any more, so it neither blocks a submit nor the move to review, and stays on the
// request as a record.
const ReplacedRound = -1

// Link lifetimes of the emails that follow a decision.
const (
	InvitationLink = 14 * 24 * time.Hour // the registration link of an approval email
	MoreInfoLink   = 14 * 24 * time.Hour // the upload link of a "more information" email
)

// Approval is what a reviewer records to approve a request.
type Approval struct {
	By              Email
	ClientReference string // the council's reference for the client, already checked against its format
	AccessEndsOn    string // YYYY-MM-DD, "" for no end date
	// HasAccount says whether the requester's address has an active account, as read by the
	// caller (who makes its write depend on it): it decides which email follows.
	HasAccount bool
}

// Reviewers are who is asked to review a request that is ready.
type Reviewers struct {
	To []Email
}

// move changes the status through the transitions table; anything else is ErrIllegalMove.
func (r Request) move(to Status, now time.Time) (Request, error) {
	if !CanMove(r.Status, to) {
		return r, fmt.Errorf("%w: %s to %s", ErrIllegalMove, r.Status, to)
	}
	r.Status, r.UpdatedAt = to, now
	return r, nil
}

// note appends to the history without sharing the caller's slice.
func (r Request) note(kind string, by Email, now time.Time, text string) Request {
	r.Notes = append(slices.Clip(r.Notes), Note{Kind: kind, By: by, At: now, Text: text})
	r.UpdatedAt = now
	return r
}

// Received is what follows a new request: its requester is told its reference.
func (r Request) Received() []Event {
	return []Event{RequestReceived{Request: r.ID, Reference: r.Reference, To: r.Requester.Email}}
}

// Submit sends the request's evidence for checks (the first time, or after more information was asked).
func (r Request) Submit(now time.Time) (Request, []Event, error) {
	r, err := r.move(Scanning, now)
	if err != nil {
		return r, nil, err
	}
	r.SubmittedAt = now
	return r, nil, nil
}

// Promote moves a request whose evidence of the current round is all clean (vacuously so with
// none) on to review, and asks each reviewer to review it. ErrNotReady: a file is not clean yet.
func (r Request) Promote(ev []Evidence, reviewers Reviewers, now time.Time) (Request, []Event, error) {
	if r.Status != Scanning {
		return r, nil, fmt.Errorf("%w: %s to %s", ErrIllegalMove, r.Status, ReadyForReview)
	}
	for _, e := range ev {
		if e.Round == r.Round && e.Status != Clean {
			return r, nil, ErrNotReady
		}
	}
	r, err := r.move(ReadyForReview, now)
	if err != nil {
		return r, nil, err
	}
	var events []Event
	for _, to := range reviewers.To {
		events = append(events, ReviewRequested{Request: r.ID, Reference: r.Reference, To: to, Relationship: r.Relationship})
	}
	return r, events, nil
}

// Approve makes the request the access grant, and tells the requester: with a registration link
// when they have no account yet, otherwise that the client was added to it.
func (r Request) Approve(a Approval, now time.Time) (Request, []Event, error) {
	if a.ClientReference == "" || a.By == "" {
		return r, nil, fmt.Errorf("%w: approve needs a client reference and a reviewer", ErrIncomplete)
	}
	r, err := r.move(Approved, now)
	if err != nil {
		return r, nil, err
	}
	r.Decision = &Decision{Outcome: Approved, By: a.By, At: now, ClientReference: a.ClientReference, AccessEndsOn: a.AccessEndsOn}
	text := "Approved. Client reference " + a.ClientReference
	if a.AccessEndsOn != "" {
		text += "; access ends on " + a.AccessEndsOn
	}
	r = r.note(NoteDecision, a.By, now, text)
	return r, []Event{RequestApproved{Request: r.ID, To: r.Requester.Email, HasAccount: a.HasAccount}}, nil
}

// Reject refuses the request; the requester is told the reason.
func (r Request) Reject(by Email, reason string, now time.Time) (Request, []Event, error) {
	if reason == "" || by == "" {
		return r, nil, fmt.Errorf("%w: reject needs a reason and a reviewer", ErrIncomplete)
	}
	r, err := r.move(Rejected, now)
	if err != nil {
		return r, nil, err
	}
	r.Decision = &Decision{Outcome: Rejected, By: by, At: now, Reason: reason}
	r = r.note(NoteDecision, by, now, "Rejected: "+reason)
	return r, []Event{RequestRejected{Request: r.ID, To: r.Requester.Email, Reason: reason}}, nil
}

// RequestInformation asks the requester for more: a new evidence round opens, and the requester
// gets the message with a link to upload more files. When they submit again the same request goes
// through scanning back to review.
func (r Request) RequestInformation(by Email, message string, now time.Time) (Request, []Event, error) {
	if message == "" || by == "" {
		return r, nil, fmt.Errorf("%w: a request for information needs a message and a reviewer", ErrIncomplete)
	}
	r, err := r.move(MoreInfoRequested, now)
	if err != nil {
		return r, nil, err
	}
	r.Decision = &Decision{Outcome: MoreInfoRequested, By: by, At: now, Reason: message}
	r.Round++
	r = r.note(NoteDecision, by, now, "More information requested: "+message)
	return r, []Event{InformationRequested{Request: r.ID, To: r.Requester.Email, Message: message}}, nil
}

// Withdraw is the requester taking their request back before it is decided (a draft, one still
// awaiting or being checked, under review, or asked for more information): it is told, and staff
// are not, as the request simply leaves their queue.
func (r Request) Withdraw(now time.Time) (Request, []Event, error) {
	if r.Expired(now) {
		return r, nil, fmt.Errorf("%w: the draft has expired", ErrIllegalMove)
	}
	r, err := r.move(Withdrawn, now)
	if err != nil {
		return r, nil, err
	}
	if r.Draft {
		// A draft told nobody it existed; nobody is told it went.
		return r, nil, nil
	}
	return r, []Event{RequestWithdrawn{Request: r.ID, Reference: r.Reference, To: r.Requester.Email}}, nil
}

// RecordSecurityCheck adds a security check (a telephone call, say) to the history of a request
// under review. It decides nothing.
func (r Request) RecordSecurityCheck(by Email, note string, now time.Time) (Request, []Event, error) {
	if note == "" || by == "" {
		return r, nil, fmt.Errorf("%w: a security check needs a note and a reviewer", ErrIncomplete)
	}
	if r.Status != ReadyForReview && r.Status != MoreInfoRequested {
		return r, nil, fmt.Errorf("%w: a security check on a request %s", ErrIllegalMove, r.Status)
	}
	return r.note(NoteSecurityCheck, by, now, note), nil, nil
}

// EndAccess ends an approved request's grant at once (the status stays approved: the decision
// records who ended it, when and why), and the grantee is told.
func (r Request) EndAccess(by Email, reason string, now time.Time) (Request, []Event, error) {
	if reason == "" || by == "" {
		return r, nil, fmt.Errorf("%w: ending access needs a reason and a reviewer", ErrIncomplete)
	}
	if !r.Live() {
		return r, nil, fmt.Errorf("%w: ending access of a request %s that gives none", ErrIllegalMove, r.Status)
	}
	d := *r.Decision
	d.EndedAt, d.EndedBy, d.EndReason = now, by, reason
	r.Decision = &d
	r = r.note(NoteAccessEnded, by, now, "Access ended: "+reason)
	return r, []Event{AccessEnded{Request: r.ID, To: r.Requester.Email, Reason: reason}}, nil
}

// ChangeEndDate sets the date a live grant's access ends (YYYY-MM-DD), or removes it (""): a
// deputyship renewed, an appointeeship limited. Access lasts to the end of that day (Grant.Active).
// It tells nobody: the grantee's access goes on as before until the date, and the history records
// who changed it.
func (r Request) ChangeEndDate(by Email, endsOn string, now time.Time) (Request, []Event, error) {
	if by == "" {
		return r, nil, fmt.Errorf("%w: changing an end date needs a reviewer", ErrIncomplete)
	}
	if endsOn != "" {
		if _, err := time.Parse("2006-01-02", endsOn); err != nil {
			return r, nil, fmt.Errorf("%w: the end date %q is not YYYY-MM-DD", ErrIncomplete, endsOn)
		}
	}
	if !r.Live() {
		return r, nil, fmt.Errorf("%w: changing the end date of a request %s that gives no access", ErrIllegalMove, r.Status)
	}
	d := *r.Decision
	d.AccessEndsOn = endsOn
	r.Decision = &d
	text := "Access end date removed"
	if endsOn != "" {
		text = "Access now ends on " + endsOn
	}
	return r.note(NoteEndDate, by, now, text), nil, nil
}

// Live reports whether the request is a grant whose access has not been ended.
func (r Request) Live() bool {
	return r.Status == Approved && r.Decision != nil && r.Decision.EndedAt.IsZero()
}

// EvidenceSettled is what follows a change to one of the request's evidence files: when a file
// first becomes refused, the requester is asked, once, to upload it again.
func (r Request) EvidenceSettled(before, after Evidence) []Event {
	if !after.Status.Refused() || before.Status.Refused() {
		return nil
	}
	return []Event{EvidenceRefused{Request: r.ID, To: r.Requester.Email, FileName: after.File.FileName, Reason: after.Reason}}
}

// Refused reports whether the status needs a new upload (rejected, infected, scan_failed).
func (s EvidenceStatus) Refused() bool {
	return s == EvRejected || s == Infected || s == ScanFailed
}
