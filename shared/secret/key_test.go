package secret

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// The keyed hash is HMAC-SHA-256 (checked against crypto/hmac) of the address and the code, and
// without the key nobody recomputes it: the same code and address under another key, or unkeyed,
// give another hash.
func TestKeyHashIsHMACAndNeedsTheKey(t *testing.T) {
	text := strings.Repeat("k", 32)
	k, err := HMACKey(text)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, []byte(text))
	m.Write([]byte("jane@example.com\x00123456"))
	want := hex.EncodeToString(m.Sum(nil))
	code := From("123456")
	if got := k.HashWith(code, "jane@example.com"); got != want {
		t.Fatalf("keyed hash %s; want HMAC-SHA-256 %s", got, want)
	}
	other, _ := HMACKey(strings.Repeat("j", 32))
	if other.HashWith(code, "jane@example.com") == want || code.HashWith("jane@example.com") == want {
		t.Fatal("the hash can be recomputed without the key")
	}
	if k.HashWith(code, "john@example.com") == want || k.HashWith(From("123457"), "jane@example.com") == want {
		t.Fatal("the hash does not bind the address and the code")
	}
}

func TestKeyRefusesShortKeysAndNeverPrints(t *testing.T) {
	if _, err := HMACKey(strings.Repeat("k", 31)); err == nil {
		t.Fatal("a 31-byte key was accepted")
	}
	text := "a-key-that-must-never-reach-a-log-line-0123456789"
	k, _ := HMACKey(text)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "key", k, "obj", struct{ K Key }{k})
	j, _ := json.Marshal(map[string]any{"k": k})
	for _, out := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %q %x", k, k, k, k, k, k), buf.String(), string(j)} {
		if strings.Contains(out, text) || strings.Contains(out, hex.EncodeToString([]byte(text))) {
			t.Fatalf("key leaked in %q", out)
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("the zero key hashed")
		}
	}()
	Key{}.HashWith(From("123456"), "jane@example.com")
}
