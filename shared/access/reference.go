package access

import (
	"crypto/rand"
	"log/slog"
	"strings"
)

// Reference is a request's short reference, the one a person reads out on the phone
// (CFP-7K3M-9Q2X): seven random characters and a check character. The long RequestID stays
// internal. A reference is not a secret, but it points at a person's request: it logs as "[reference]".
type Reference string

// referenceAlphabet leaves out the characters people confuse when reading or hearing them (0 and O;
// 1, I and L; U and V; S and 5): 29 characters, a prime number of them, which the check needs.
const referenceAlphabet = "23456789ABCDEFGHJKMNPQRTVWXYZ"

const (
	referencePrefix = "CFP"
	referenceRandom = 7 // 29^7, about 1.7e10 references
)

// NewReference returns a fresh random reference.
func NewReference() Reference {
	b := make([]byte, referenceRandom)
	if _, err := rand.Read(b); err != nil {
		panic("access: no randomness: " + err.Error())
	}
	body := make([]byte, referenceRandom)
	for i, v := range b {
		// 256 is not a multiple of 29: redraw the few values that would favour the first characters.
		for int(v) >= 256-256%len(referenceAlphabet) {
			var one [1]byte
			if _, err := rand.Read(one[:]); err != nil {
				panic("access: no randomness: " + err.Error())
			}
			v = one[0]
		}
		body[i] = referenceAlphabet[int(v)%len(referenceAlphabet)]
	}
	return format(string(body) + string(checkCharacter(string(body))))
}

// ParseReference reads a reference as a person types it: any case, with or without the prefix,
// hyphens or spaces. ok is false when it is not one (a character outside the alphabet, a wrong
// length, or a check character that does not match: a mistyped or misheard character).
func ParseReference(s string) (Reference, bool) {
	s = strings.ToUpper(strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, s))
	if len(s) == len(referencePrefix)+referenceRandom+1 {
		// Only a prefix that leaves a whole reference: a body may itself start with C, F, P.
		s = strings.TrimPrefix(s, referencePrefix)
	}
	if len(s) != referenceRandom+1 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(referenceAlphabet, s[i]) < 0 {
			return "", false
		}
	}
	if checkCharacter(s[:referenceRandom]) != s[referenceRandom] {
		return "", false
	}
	return format(s), true
}

func format(s string) Reference {
	return Reference(referencePrefix + "-" + s[:4] + "-" + s[4:])
}

// checkCharacter makes the weighted sum of every character's value (weights 1 to 8, the check
// character's last) a multiple of 29. With a prime modulus and distinct weights, one wrong
// character or two characters swapped anywhere always breaks the sum.
func checkCharacter(s string) byte {
	const m = len(referenceAlphabet)
	sum := 0
	for i := 0; i < len(s); i++ {
		sum += (i + 1) * strings.IndexByte(referenceAlphabet, s[i])
	}
	// c * (len(s)+1) + sum = 0 (mod m): c = -sum / (len(s)+1), by trying the m values.
	for c := 0; c < m; c++ {
		if (sum+c*(len(s)+1))%m == 0 {
			return referenceAlphabet[c]
		}
	}
	panic("access: reference check: no inverse")
}

func (r Reference) LogValue() slog.Value { return slog.StringValue("[reference]") }
