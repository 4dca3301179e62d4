package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/staff"
)

// Each role's navigation links only the sections it may open; the header names who is signed in
// and offers sign-out; the current section is marked for screen readers.
func TestNavigationShowsEachRoleOnlyItsSections(t *testing.T) {
	h, _, _ := staffSetup(t)
	fs := h.Staff.(*fakeStaff)
	links := map[string]string{"Queue": `href="/staff"`, "Find": `href="/staff/find"`, "People": `href="/staff/people"`, "Audit": `href="/staff/audit"`}
	for role, want := range map[staff.Role][]string{
		staff.Reviewer:      {"Queue", "Find"},
		staff.Support:       {"Queue", "Find", "People"},
		staff.Governance:    {"Queue", "Find", "Audit"},
		staff.Administrator: {"Queue", "Find"},
	} {
		tok := secret.New()
		fs.sessions[tok.Hash()] = staff.Session{Hash: tok.Hash(), CreatedAt: now, LastSeen: now,
			Person: staff.Person{Email: "kim@council.example", Name: "Kim <Staff>", Roles: []staff.Role{role}}}
		b := call(h, "GET", "/staff", "/staff", "staff="+tok.Reveal(), nil, nil, "").Body
		nav := b[strings.Index(b, `<nav aria-label="Menu"`)+1:]
		nav = nav[:strings.Index(nav, "</nav>")]
		for _, item := range []string{"Queue", "Find", "People", "Audit"} {
			if shown, ok := strings.Contains(nav, links[item]), contains(want, item); shown != ok {
				t.Errorf("%s: %s shown %v, want %v", role, item, shown, ok)
			}
		}
		if !strings.Contains(nav, `aria-current="page"`) || strings.Count(nav, "aria-current") != 1 {
			t.Errorf("%s: the queue is not marked as the current section: %s", role, nav)
		}
		if !strings.Contains(b, "Kim &lt;Staff&gt;") || !strings.Contains(b, "kim@council.example") || !strings.Contains(b, `action="/staff/sign-out"`) ||
			!strings.Contains(b, `value="`+signOutKey(tok.Reveal())+`"`) || !strings.Contains(b, "Client Finance staff") {
			t.Errorf("%s: the header lacks the person or the sign-out form", role)
		}
	}
	// Nobody signed in, and a person with no role, see no navigation.
	tok := secret.New()
	fs.sessions[tok.Hash()] = staff.Session{Hash: tok.Hash(), CreatedAt: now, LastSeen: now, Person: staff.Person{Email: "n@council.example"}}
	for _, cookie := range []string{"staff=" + tok.Reveal(), ""} {
		if b := call(h, "POST", "/staff/sign-out", "/staff/sign-out", cookie, nil, nil, "csrf="+signOutKey(strings.TrimPrefix(cookie, "staff="))).Body; strings.Contains(b, "<nav") {
			t.Errorf("navigation without a role or a session: %.300s", b)
		}
	}
	tok = secret.New()
	fs.sessions[tok.Hash()] = staff.Session{Hash: tok.Hash(), CreatedAt: now, LastSeen: now, Person: staff.Person{Email: "n@council.example"}}
	if b := call(h, "GET", "/staff", "/staff", "staff="+tok.Reveal(), nil, nil, "").Body; strings.Contains(b, "<nav") || !strings.Contains(b, "You do not have access") {
		t.Errorf("no role: %.300s", b)
	}
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }
