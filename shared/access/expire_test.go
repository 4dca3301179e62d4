package access

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

const fourWeeks = 28 * 24 * time.Hour

// TestExpireEndsAWaitingRequestOnceItsTimeIsUp: a request waiting on its requester for the whole
// time expires; its continuation token stops working, the history says when and why, and the
// requester (only) is told, with the reference.
func TestExpireEndsAWaitingRequestOnceItsTimeIsUp(t *testing.T) {
	since := now.Add(-fourWeeks)
	for _, st := range []Status{AwaitingEvidence, MoreInfoRequested, Scanning} {
		r := at(st)
		r.Reference, r.ContinuationHash = "CFP-7K3M-9Q2X", "hash"
		got, events, err := r.Expire(since, fourWeeks, now)
		if err != nil {
			t.Fatalf("%s: %v", st, err)
		}
		if got.Status != Expired || got.ContinuationHash != "" || !got.UpdatedAt.Equal(now) {
			t.Errorf("%s: %+v", st, got)
		}
		last := got.Notes[len(got.Notes)-1]
		if last.Kind != NoteExpired || last.By != "" || last.Text != "Expired after 28 days without a reply; its evidence files are deleted" {
			t.Errorf("%s: history %+v", st, last)
		}
		want := RequestExpired{Request: "r1", Reference: "CFP-7K3M-9Q2X", To: asker, After: fourWeeks}
		if len(events) != 1 || events[0] != want {
			t.Errorf("%s: events %+v", st, events)
		}
		if len(r.Notes) != 1 || r.Status != st {
			t.Errorf("%s: the caller's request changed", st)
		}
	}
}

// TestExpireWaitsForTheWholeTime: a second short of the time is not due, and nothing changes.
func TestExpireWaitsForTheWholeTime(t *testing.T) {
	r := at(AwaitingEvidence)
	since := now.Add(-fourWeeks + time.Second)
	if r.ExpiryDue(since, fourWeeks, now) {
		t.Error("due a second early")
	}
	got, events, err := r.Expire(since, fourWeeks, now)
	if !errors.Is(err, ErrNotDue) || got.Status != AwaitingEvidence || events != nil {
		t.Errorf("%v %+v %v", err, got, events)
	}
	if _, _, err := r.Expire(time.Time{}, fourWeeks, now); !errors.Is(err, ErrNotDue) {
		t.Errorf("with no time it came into its status: %v", err)
	}
}

// TestDraftsAndDecidedRequestsDoNotExpire: a draft ends with its own lifetime, having told nobody;
// a request under review waits on the team; a decided one is over.
func TestDraftsAndDecidedRequestsDoNotExpire(t *testing.T) {
	long := now.Add(-10 * fourWeeks)
	draft := at(AwaitingEvidence)
	draft.Draft = true
	if draft.ExpiryDue(long, fourWeeks, now) {
		t.Error("a draft is due")
	}
	if _, events, err := draft.Expire(long, fourWeeks, now); !errors.Is(err, ErrIllegalMove) || events != nil {
		t.Errorf("draft: %v %v", err, events)
	}
	for _, st := range []Status{ReadyForReview, Approved, Rejected, Withdrawn, Expired} {
		if at(st).ExpiryDue(long, fourWeeks, now) {
			t.Errorf("%s is due", st)
		}
		if _, _, err := at(st).Expire(long, fourWeeks, now); !errors.Is(err, ErrIllegalMove) {
			t.Errorf("%s: %v", st, err)
		}
	}
}

func TestExpiringStatusesAreThoseTheTableLetsExpire(t *testing.T) {
	if got := ExpiringStatuses(); !slices.Equal(got, []Status{AwaitingEvidence, MoreInfoRequested, Scanning}) {
		t.Errorf("%v", got)
	}
}

// TestADeletedFileIsNeverShown: once its bytes are deleted, a clean file with a rendition gives
// staff nothing to open.
func TestADeletedFileIsNeverShown(t *testing.T) {
	e := Evidence{ID: "e1", RequestID: "r1", Status: Clean, SHA256: "abc",
		Rendition: &Rendition{SHA256: "abc", Key: RenditionKey("r1", "e1"), Object: "v1"}}
	if e.Showing() != ShowRendition {
		t.Fatalf("before: %v", e.Showing())
	}
	e.DeletedAt = now
	if e.Showing() != ShowNothing {
		t.Errorf("deleted: %v", e.Showing())
	}
}

func TestFilePrefixesHoldEveryFileOfTheRequest(t *testing.T) {
	p := FilePrefixes("r1")
	for _, k := range []string{EvidenceKey("r1", "e1"), RenditionKey("r1", "e1")} {
		if !strings.HasPrefix(k, p[0]) && !strings.HasPrefix(k, p[1]) {
			t.Errorf("%s is in none of %v", k, p)
		}
	}
	if strings.HasPrefix(EvidenceKey("r10", "e1"), p[0]) {
		t.Error("another request's file is under the prefix")
	}
}
