package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	s := New()
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "token", s, "obj", struct{ T Secret }{s})
	j, _ := json.Marshal(map[string]any{"t": s})
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q", s, s, s, s, s), buf.String(), string(j)} {
		if strings.Contains(out, s.Reveal()) {
			t.Fatalf("secret leaked in %q", out)
		}
	}
}

func TestMatchesAndCodes(t *testing.T) {
	s := New()
	if !s.Matches(s.Hash()) || New().Matches(s.Hash()) || From("").Matches(From("").Hash()) {
		t.Fatal("hash comparison wrong")
	}
	if len(s.Reveal()) < 43 {
		t.Fatalf("token too short: %d", len(s.Reveal()))
	}
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		c := NewCode(6).Reveal()
		if len(c) != 6 || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("bad code %q", c)
		}
		seen[c] = true
	}
	if len(seen) < 45 {
		t.Fatal("codes repeat too often")
	}
	if From("1").HashWith("a") == From("1").HashWith("b") {
		t.Fatal("context not bound")
	}
}
