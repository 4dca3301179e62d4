package access

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// A request left unfinished expires: one that waits on its requester (for their files, or for the
// more information a reviewer asked for), or on its checks, for longer than the council allows.
// Its evidence files are then deleted (the facts about them stay on the request's record, marked
// deleted) and its links stop working; the requester is told, and may make a new request.

// ErrNotDue: the request has not waited long enough to expire (it moved on, or came back since).
var ErrNotDue = errors.New("access: the request has not waited long enough to expire")

// ExpiringStatuses are the statuses in which a request expires once it has waited long enough:
// those the transitions table lets move to Expired (its requester, or its checks, must act next).
// Under review it waits on the team, whom the queue reminds; it does not expire.
func ExpiringStatuses() []Status {
	var out []Status
	for from := range transitions {
		if CanMove(from, Expired) {
			out = append(out, from)
		}
	}
	slices.Sort(out)
	return out
}

// ExpiryDue reports whether a request that came into its status at since has waited after or
// longer by now, in a status that expires. A draft is never due: it ends with its own lifetime
// (DraftLifetime), having told nobody.
func (r Request) ExpiryDue(since time.Time, after time.Duration, now time.Time) bool {
	if r.Draft || since.IsZero() || after <= 0 || !CanMove(r.Status, Expired) {
		return false
	}
	return !now.Before(since.Add(after))
}

// Expire ends a request that has waited after or longer since it came into its status (since, as
// recorded when it did): its continuation token stops working, and the requester is told. The
// caller deletes its evidence files and links with it. ErrIllegalMove: its status does not expire
// (it was decided, sent for review, or is a draft); ErrNotDue: it has not waited long enough.
func (r Request) Expire(since time.Time, after time.Duration, now time.Time) (Request, []Event, error) {
	if r.Draft || !CanMove(r.Status, Expired) {
		return r, nil, fmt.Errorf("%w: a request %s (draft %t) does not expire", ErrIllegalMove, r.Status, r.Draft)
	}
	if !r.ExpiryDue(since, after, now) {
		return r, nil, ErrNotDue
	}
	r, err := r.move(Expired, now)
	if err != nil {
		return r, nil, err
	}
	r.ContinuationHash = ""
	r = r.note(NoteExpired, "", now, fmt.Sprintf("Expired after %s without a reply; its evidence files are deleted", days(after)))
	return r, []Event{RequestExpired{Request: r.ID, Reference: r.Reference, To: r.Requester.Email, After: after}}, nil
}

// days says a duration in whole days for people ("28 days"), or as it is when shorter than a day.
func days(d time.Duration) string {
	n := int(d / (24 * time.Hour))
	switch {
	case n == 1:
		return "1 day"
	case n > 1:
		return fmt.Sprintf("%d days", n)
	}
	return d.String()
}

// ExpiryWords is how long a request may wait, for people ("28 days").
func ExpiryWords(after time.Duration) string { return days(after) }
