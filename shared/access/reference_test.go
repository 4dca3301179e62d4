package access

import (
	"strings"
	"testing"
)

func TestReferencesAreReadableAndParseBack(t *testing.T) {
	seen := map[Reference]bool{}
	for i := 0; i < 2000; i++ {
		r := NewReference()
		if len(r) != len("CFP-7K3M-9Q2X") || !strings.HasPrefix(string(r), "CFP-") || r[8] != '-' {
			t.Fatalf("reference %q is not shaped CFP-XXXX-XXXX", r)
		}
		if strings.ContainsAny(string(r[4:]), "01ILOUS") {
			t.Fatalf("reference %q holds a character people confuse", r)
		}
		for _, typed := range []string{string(r), strings.ToLower(string(r)), strings.ReplaceAll(string(r[4:]), "-", " ")} {
			if got, ok := ParseReference(typed); !ok || got != r {
				t.Fatalf("ParseReference(%q) = %q, %v; want %q", typed, got, ok, r)
			}
		}
		seen[r] = true
	}
	if len(seen) < 1990 {
		t.Errorf("only %d different references in 2000", len(seen))
	}
}

// A person reading a reference out, or a member of staff typing it, gets one character wrong or
// swaps two: the check character catches both, so no other request is found by mistake.
func TestMistypedReferencesAreRefused(t *testing.T) {
	for i := 0; i < 300; i++ {
		r := NewReference()
		body := []byte(strings.ReplaceAll(string(r[4:]), "-", ""))
		for pos := range body {
			for _, c := range []byte(referenceAlphabet) {
				if c == body[pos] {
					continue
				}
				typo := append([]byte{}, body...)
				typo[pos] = c
				if _, ok := ParseReference(string(typo)); ok {
					t.Fatalf("%s with %c at %d is accepted", r, c, pos)
				}
			}
			for other := pos + 1; other < len(body); other++ {
				if body[pos] == body[other] {
					continue
				}
				swap := append([]byte{}, body...)
				swap[pos], swap[other] = swap[other], swap[pos]
				if _, ok := ParseReference(string(swap)); ok {
					t.Fatalf("%s with characters %d and %d swapped is accepted", r, pos, other)
				}
			}
		}
	}
	for _, bad := range []string{"", "CFP-", "CFP-7K3M-9Q2", "CFP-7K3M-9Q2XX", "CFP-0K3M-9Q2X", "CFP-7K3M-9Q2!"} {
		if _, ok := ParseReference(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A reference whose own characters begin with the prefix's letters reads back without the
// prefix too (CFP-CFP4-GA6x typed as "CFP4GA6x").
func TestAReferenceThatStartsLikeThePrefix(t *testing.T) {
	body := "CFP4GA6"
	want := format(body + string(checkCharacter(body)))
	for _, typed := range []string{string(want), strings.TrimPrefix(string(want), "CFP-"), strings.ReplaceAll(strings.TrimPrefix(string(want), "CFP-"), "-", " ")} {
		if got, ok := ParseReference(typed); !ok || got != want {
			t.Errorf("ParseReference(%q) = %q, %v; want %q", typed, got, ok, want)
		}
	}
}
