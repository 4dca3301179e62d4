package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/big"
)

// Secret is a value that must reach only the person it was made for.
type Secret struct{ value string }

const redacted = "[redacted]"

// New returns a random token of 32 bytes (256 bits), URL-safe.
func New() Secret {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("secret: no randomness: " + err.Error()) // crypto/rand never fails on Linux; if it does, nothing is safe
	}
	return Secret{base64.RawURLEncoding.EncodeToString(b)}
}

// NewCode returns a numeric one-time code of the given number of digits from a CSPRNG.
func NewCode(digits int) Secret {
	max := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil)
	n, err := rand.Int(rand.Reader, max)
	if err != nil {
		panic("secret: no randomness: " + err.Error())
	}
	s := n.String()
	for len(s) < digits {
		s = "0" + s
	}
	return Secret{s}
}

// From wraps a value that arrived from outside (a header, a form field, a link).
func From(v string) Secret { return Secret{v} }

// Reveal returns the value itself: call it only to put the value where its owner will read it.
func (s Secret) Reveal() string { return s.value }

// Empty reports whether no value was given.
func (s Secret) Empty() bool { return s.value == "" }

// Hash is what the table stores: SHA-256 of a 256-bit random value needs no salt or stretching.
func (s Secret) Hash() string {
	sum := sha256.Sum256([]byte(s.value))
	return hex.EncodeToString(sum[:])
}

// HashWith binds a short value (a sign-in code) to what it was issued for, so that a stored hash
// of a 6-digit code is not a lookup table away from the code for every address.
func (s Secret) HashWith(context string) string {
	sum := sha256.Sum256([]byte(context + "\x00" + s.value))
	return hex.EncodeToString(sum[:])
}

// Matches compares the secret's hash with a stored one in constant time.
func (s Secret) Matches(storedHash string) bool {
	return !s.Empty() && subtle.ConstantTimeCompare([]byte(s.Hash()), []byte(storedHash)) == 1
}

func (Secret) String() string               { return redacted }
func (Secret) GoString() string             { return redacted }
func (Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (Secret) Format(f fmt.State, _ rune)   { _, _ = f.Write([]byte(redacted)) }
