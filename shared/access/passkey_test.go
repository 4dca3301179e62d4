package access

import (
	"strings"
	"testing"
)

func TestPasskeyName(t *testing.T) {
	for typed, want := range map[string]string{
		"  My phone ":           "My phone",
		"Ключ Ани":              "Ключ Ани",
		strings.Repeat("é", 50): strings.Repeat("é", 50),
	} {
		if got, msg := PasskeyName(typed); got != want || msg != "" {
			t.Errorf("%q: %q %q, want %q", typed, got, msg, want)
		}
	}
	for _, bad := range []string{"", "   ", strings.Repeat("a", 51), "two\nlines", "tab\there", "\xff"} {
		if got, msg := PasskeyName(bad); got != "" || msg == "" {
			t.Errorf("%q was kept as %q", bad, got)
		}
	}
}
