package main

import (
	"slices"

	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/staff"
)

// Who may open the sections other pages of the workspace serve: people (support alone: a person's
// addresses, sessions and sign-in state are theirs to help with) and the audit trail with
// subject-access exports (information governance alone: the trail says who looked at whom).
// Administrators manage staff and settings and read the queue as support does. The routes of those
// pages check these same lists.
var (
	peopleRoles = []staff.Role{staff.Support}
	auditRoles  = []staff.Role{staff.Governance}
)

// sections are the workspace's service navigation, in order, each with the roles that may open it.
var sections = []struct {
	item  page.NavItem
	roles []staff.Role
}{
	{page.NavItem{Text: "Queue", Href: "/staff"}, readers},
	{page.NavItem{Text: "Find", Href: "/staff/find"}, readers},
	{page.NavItem{Text: "People", Href: "/staff/people"}, peopleRoles},
	{page.NavItem{Text: "Audit", Href: "/staff/audit"}, auditRoles},
}

// navFor is the navigation a person sees: only the sections their roles open, so no link leads to
// "You do not have access". Nobody signed in, or a person with no role, sees none.
func navFor(p staff.Person) []page.NavItem {
	var out []page.NavItem
	for _, s := range sections {
		if slices.ContainsFunc(s.roles, p.Can) {
			out = append(out, s.item)
		}
	}
	return out
}
