package staff

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Role is what a member of staff may do in the workspace.
type Role string

// The roles (issue 15).
const (
	Reviewer      Role = "reviewer"               // decides requests
	Support       Role = "support"                // helps people
	Governance    Role = "information-governance" // audit and exports
	Administrator Role = "administrator"          // staff and settings
)

// Roles are every role, in the order pages list them.
var Roles = []Role{Reviewer, Support, Governance, Administrator}

// Staff sessions are shorter than citizens': the workspace shows other people's data.
const (
	SessionIdle  = 15 * time.Minute // unused for this long, a staff session has ended
	SessionMax   = 10 * time.Hour   // a working day, however busy
	SignInWithin = 10 * time.Minute // the identity provider's round trip must end within this
)

// Groups maps an identity provider's group ids to roles.
type Groups map[string]Role

// ParseGroups reads "group=role,group=role". Group ids are kept as written (Entra ID's are GUIDs);
// each role must be one of Roles.
func ParseGroups(s string) (Groups, error) {
	g := Groups{}
	for _, pair := range strings.Split(s, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		id, role, ok := strings.Cut(pair, "=")
		id, role = strings.TrimSpace(id), strings.TrimSpace(role)
		if !ok || id == "" || !slices.Contains(Roles, Role(role)) {
			return nil, fmt.Errorf("%q is not group=role with a role among %v", pair, Roles)
		}
		g[id] = Role(role)
	}
	if len(g) == 0 {
		return nil, fmt.Errorf("maps no group to a role")
	}
	return g, nil
}

// RolesOf are the roles a person's groups give them, once each, in the order of Roles. None: the
// person is staff the workspace does not serve, and sees "no access" only.
func (g Groups) RolesOf(groups []string) []Role {
	var out []Role
	for _, r := range Roles {
		for _, id := range groups {
			if g[id] == r {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// Person is a signed-in member of staff, as their session holds them: who the identity provider
// says they are (subject and email), and their roles at sign-in.
type Person struct {
	Subject string
	Email   string
	Name    string
	Roles   []Role
}

// Can reports whether the person holds the role.
func (p Person) Can(r Role) bool { return slices.Contains(p.Roles, r) }

// Session is a staff session: the hash of the cookie's token, the person, and its times.
type Session struct {
	Hash      string
	Person    Person
	CreatedAt time.Time
	LastSeen  time.Time
}

// Live reports whether the session still works at now.
func (s Session) Live(now time.Time) bool {
	return now.Before(s.LastSeen.Add(SessionIdle)) && now.Before(s.CreatedAt.Add(SessionMax))
}

// SignIn is a sign-in under way: what the callback must find again to accept the identity
// provider's answer (the hash of state is its key).
type SignIn struct {
	Verifier  string // PKCE code verifier
	Nonce     string
	Return    string // the staff page to go back to, a path under /staff
	StartedAt time.Time
}
