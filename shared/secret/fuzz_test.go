package secret

import (
	"strings"
	"testing"
)

// hexHash reports whether h looks like what the table stores: 64 lower-case hex digits.
func hexHash(h string) bool {
	return len(h) == 64 && strings.Trim(h, "0123456789abcdef") == ""
}

// FuzzMatches: whatever arrives from outside (a cookie, a link, a form field) hashes without panic,
// matches only the hash of the same value, and an empty value matches nothing, not even its own
// hash or an empty stored one.
func FuzzMatches(f *testing.F) {
	f.Add("abc", "abd")
	f.Add("", "")
	f.Add(New().Reveal(), "x")
	f.Add(NewCode(6).Reveal(), "")
	f.Add("tok\x00", "tok")
	f.Add("\xff\xfe", "\ufffd\ufffd")
	f.Fuzz(func(t *testing.T, a, b string) {
		sa, sb := From(a), From(b)
		if !hexHash(sa.Hash()) || sa.Reveal() != a || sa.Empty() != (a == "") {
			t.Fatalf("%q: hash %q", a, sa.Hash())
		}
		if sa.Matches(sb.Hash()) != (a == b && a != "") {
			t.Fatalf("%q matches %q: %v", a, b, sa.Matches(sb.Hash()))
		}
		if sa.Matches(b) && (a == "" || b != sa.Hash()) {
			t.Fatalf("%q matches the stored value %q", a, b)
		}
		if sa.Matches("") {
			t.Fatalf("%q matches an empty stored hash", a)
		}
	})
}

// FuzzHashWith: a value hashed with what it was issued for (a sign-in code with its address) has a
// hash of its own: another value, another address, or the value's plain Hash never gives the same.
//
// The hash is of context + NUL + value, so it binds only contexts without a NUL ("a\x00", "b" and
// "a", "\x00b" hash alike). That holds where it is used: the context is an address that passed
// net/mail parsing, and a code is digits.
func FuzzHashWith(f *testing.F) {
	f.Add("123456", "jane@example.com", "123456", "john@example.com")
	f.Add("123456", "jane@example.com", "123457", "jane@example.com")
	f.Add("1", "a", "1", "a")
	f.Add("", "", "", "x")
	f.Add("456", "jane@example.com123", "123456", "jane@example.com")
	f.Fuzz(func(t *testing.T, v1, ctx1, v2, ctx2 string) {
		h1, h2 := From(v1).HashWith(ctx1), From(v2).HashWith(ctx2)
		if !hexHash(h1) {
			t.Fatalf("hash %q", h1)
		}
		if strings.ContainsRune(ctx1+ctx2, 0) {
			return
		}
		if (h1 == h2) != (v1 == v2 && ctx1 == ctx2) {
			t.Fatalf("%q for %q and %q for %q: equal hashes %v", v1, ctx1, v2, ctx2, h1 == h2)
		}
		if h1 == From(v1).Hash() {
			t.Fatal("a bound hash equals the value's unbound one")
		}
	})
}
