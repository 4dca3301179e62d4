package staff

import (
	"slices"
	"testing"
	"time"
)

func TestParseGroups(t *testing.T) {
	g, err := ParseGroups(" g-rev = reviewer , g-adm=administrator,g-ig=information-governance")
	if err != nil {
		t.Fatal(err)
	}
	if got := g.RolesOf([]string{"g-adm", "other", "g-rev", "g-rev"}); !slices.Equal(got, []Role{Reviewer, Administrator}) {
		t.Errorf("RolesOf = %v; want [reviewer administrator]", got)
	}
	if got := g.RolesOf([]string{"other"}); got != nil {
		t.Errorf("RolesOf an unmapped group = %v; want none", got)
	}
	for _, bad := range []string{"", "g=", "=reviewer", "g=root", "g"} {
		if _, err := ParseGroups(bad); err == nil {
			t.Errorf("ParseGroups(%q) accepted", bad)
		}
	}
}

func TestSessionLive(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	s := Session{CreatedAt: t0, LastSeen: t0}
	for _, c := range []struct {
		now  time.Time
		live bool
	}{{t0.Add(SessionIdle - time.Second), true}, {t0.Add(SessionIdle), false}} {
		if got := s.Live(c.now); got != c.live {
			t.Errorf("Live(%v) = %v", c.now.Sub(t0), got)
		}
	}
	busy := Session{CreatedAt: t0, LastSeen: t0.Add(SessionMax - time.Minute)}
	if busy.Live(t0.Add(SessionMax)) {
		t.Error("a session outlived SessionMax")
	}
}
