package access

import (
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
