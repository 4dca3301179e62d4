package access

import (
	"strings"
	"time"
)

// Grant is an approved request seen as what it gives: one person's access to one client's documents.
type Grant struct {
	RequestID       RequestID
	Reference       Reference // the request's short reference, as staff name it
	Email           Email
	Name            string
	ClientReference string
	ClientName      string
	ClientBirth     string // the client's date of birth as the approved request gave it, YYYY-MM-DD
	Relationship    Relationship
	Start           time.Time
	EndsOn          string // YYYY-MM-DD, "" for no end date
	Ended           bool
}

// Active reports whether the grant gives access at now: not ended, not past its end date
// (access lasts to the end of the EndsOn day, UK time being within a day of UTC).
func (g Grant) Active(now time.Time) bool {
	if g.Ended {
		return false
	}
	if g.EndsOn == "" {
		return true
	}
	end, err := time.Parse("2006-01-02", g.EndsOn)
	return err == nil && now.Before(end.AddDate(0, 0, 1))
}

// Strangers are the grants for a client reference whose client is not c: another name (ignoring
// case and spacing) or another date of birth than the grant's request recorded. Approving a request
// under a reference with strangers would, if the reference was mistyped, show one client's
// documents to another's representative; the reviewer must see why and confirm before it stands.
// The request's own grant (self) is never a stranger.
func Strangers(c Client, self RequestID, grants []Grant) []Grant {
	var out []Grant
	for _, g := range grants {
		if g.RequestID == self {
			continue
		}
		if !sameName(g.ClientName, c.Name) || g.ClientBirth != c.DateOfBirth {
			out = append(out, g)
		}
	}
	return out
}

func sameName(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}
