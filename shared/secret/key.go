package secret

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
)

// MinKeyBytes is the shortest key HMACKey accepts: a key shorter than the hash's own 32 bytes
// would be the weakest part of it.
const MinKeyBytes = 32

// Key is a keyed hash's secret key, held apart from what it hashes (the table holds the hashes,
// Secrets Manager the key), so that a copy of the table is not a million hashes away from a live
// six-digit code. It prints as "[redacted]" like a Secret.
type Key struct{ b []byte }

// HMACKey wraps a key's text as Secrets Manager holds it.
func HMACKey(text string) (Key, error) {
	if len(text) < MinKeyBytes {
		return Key{}, errors.New("secret: a key needs at least 32 bytes")
	}
	return Key{[]byte(text)}, nil
}

// HashWith is the HMAC-SHA-256, under the key, of s bound to what it was issued for (context + NUL
// + value, as Secret.HashWith), hex-encoded. The zero Key refuses to hash: a function that forgot
// its key must fail loudly, not store hashes anyone can recompute.
func (k Key) HashWith(s Secret, context string) string {
	if len(k.b) == 0 {
		panic("secret: hashing with no key")
	}
	m := hmac.New(sha256.New, k.b)
	m.Write([]byte(context + "\x00" + s.value))
	return hex.EncodeToString(m.Sum(nil))
}

func (Key) String() string               { return redacted }
func (Key) GoString() string             { return redacted }
func (Key) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (Key) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (Key) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (Key) Format(f fmt.State, _ rune)   { _, _ = f.Write([]byte(redacted)) }
