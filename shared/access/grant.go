package access

import "time"

// Grant is an approved request seen as what it gives: one person's access to one client's documents.
type Grant struct {
	RequestID       RequestID
	Email           Email
	Name            string
	ClientReference string
	ClientName      string
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
