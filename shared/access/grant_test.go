package access

import (
	"errors"
	"slices"
	"testing"
)

// A grant whose client has another name or date of birth is a stranger; spacing and case are not a
// difference, and the request's own grant never is.
func TestStrangers(t *testing.T) {
	c := Client{Name: "Ann  Smith", DateOfBirth: "1941-03-04"}
	grants := []Grant{
		{RequestID: "same", ClientName: "ann smith", ClientBirth: "1941-03-04"},
		{RequestID: "other-name", ClientName: "Anne Smyth", ClientBirth: "1941-03-04"},
		{RequestID: "other-birth", ClientName: "Ann Smith", ClientBirth: "1941-04-03"},
		{RequestID: "self", ClientName: "Someone Else", ClientBirth: "1950-01-01"},
	}
	var ids []RequestID
	for _, g := range Strangers(c, "self", grants) {
		ids = append(ids, g.RequestID)
	}
	if !slices.Equal(ids, []RequestID{"other-name", "other-birth"}) {
		t.Errorf("strangers %v; want [other-name other-birth]", ids)
	}
	if got := Strangers(c, "", nil); got != nil {
		t.Errorf("strangers among no grants: %v", got)
	}
}

// A live grant's end date can be set, moved or removed, recorded in the history; an ended grant's
// or a request's that gives no access cannot, nor can a date that is not one.
func TestChangeEndDate(t *testing.T) {
	r := at(Approved)
	got, events, err := r.ChangeEndDate(staff, "2027-03-31", later)
	if err != nil || len(events) != 0 || got.Decision.AccessEndsOn != "2027-03-31" || r.Decision.AccessEndsOn != "" {
		t.Fatalf("set: %v %+v; the original changed: %v", err, got.Decision, r.Decision.AccessEndsOn != "")
	}
	if n := got.Notes[len(got.Notes)-1]; n.Kind != NoteEndDate || n.By != staff || n.Text != "Access now ends on 2027-03-31" {
		t.Errorf("note %+v", n)
	}
	if !(Grant{EndsOn: got.Decision.AccessEndsOn}).Active(later) {
		t.Error("the grant stopped before its new end date")
	}
	got, _, err = got.ChangeEndDate(staff, "", later)
	if err != nil || got.Decision.AccessEndsOn != "" || got.Notes[len(got.Notes)-1].Text != "Access end date removed" {
		t.Fatalf("remove: %v %+v", err, got.Decision)
	}
	ended, _, _ := at(Approved).EndAccess(staff, "died", later)
	for name, c := range map[string]struct {
		r      Request
		by     Email
		endsOn string
		want   error
	}{
		"ended":        {ended, staff, "2027-01-01", ErrIllegalMove},
		"rejected":     {at(Rejected), staff, "2027-01-01", ErrIllegalMove},
		"under review": {at(ReadyForReview), staff, "2027-01-01", ErrIllegalMove},
		"no reviewer":  {at(Approved), "", "2027-01-01", ErrIncomplete},
		"not a date":   {at(Approved), staff, "31/3/2027", ErrIncomplete},
	} {
		if _, _, err := c.r.ChangeEndDate(c.by, c.endsOn, later); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}
