package secret

import "testing"

// FuzzMatches: a token matches only its own hash, and an empty one matches nothing.
func FuzzMatches(f *testing.F) {
	f.Add("abc", "abd")
	f.Add("", "")
	f.Add(New().Reveal(), "x")
	f.Fuzz(func(t *testing.T, a, b string) {
		sa, sb := From(a), From(b)
		if sa.Matches(sb.Hash()) != (a == b && a != "") {
			t.Fatalf("%q matches %q: %v", a, b, sa.Matches(sb.Hash()))
		}
		if a != b && sa.HashWith("x") == sb.HashWith("x") {
			t.Fatal("hash collision")
		}
	})
}
