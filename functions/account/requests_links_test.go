package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/web/webtest"
)

// The clients list leads to the person's own requests and to a new request, both served by
// submit-request; the new request's link carries nothing about the person (that function takes
// their details from the session).
func TestPagesClientsLeadToTheirRequestsAndANewOne(t *testing.T) {
	p := newPages()
	e := access.Email("lee@example.com")
	b := p.signedIn(t, e, "Lee Ray")
	p.grant(e, "Lee Ray", access.Deputy, "200001", "Mary Ray", "")
	resp := b.Get(pathClients, nil)
	webtest.WantStatus(t, resp, http.StatusOK, "")
	body := webtest.MainOf(resp.Body)
	for _, want := range []string{`href="/requests"`, `href="/request/relationship"`, "Request access for another client"} {
		if !strings.Contains(body, want) {
			t.Errorf("the clients page lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, `href="/request/relationship?`) {
		t.Errorf("the new request's link carries the person's details:\n%s", body)
	}
}
