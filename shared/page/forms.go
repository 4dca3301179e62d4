package page

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// FormField is the name of every form's anti-forgery field.
const FormField = "csrf"

// Forms makes and checks anti-forgery fields: an expiry and an HMAC of it and of the binding,
// a secret only this browser holds (see doc.go). Nothing is stored.
type Forms struct {
	Key []byte        // at least 32 random bytes, from the function's configuration
	TTL time.Duration // how long a page may stay open before its form is refused
	Now func() time.Time
}

// Token is the field's value for a form shown to the browser holding binding.
func (f Forms) Token(binding string) string {
	exp := strconv.FormatInt(f.Now().Add(f.TTL).Unix(), 10)
	return exp + "." + f.mac(binding, exp)
}

// Valid reports whether token was made by Token for the same binding and has not expired. An
// empty binding never validates: a form without one would protect nothing.
func (f Forms) Valid(binding, token string) bool {
	exp, mac, ok := strings.Cut(token, ".")
	if !ok || binding == "" || len(f.Key) == 0 {
		return false
	}
	n, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !f.Now().Before(time.Unix(n, 0)) {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(f.mac(binding, exp)))
}

func (f Forms) mac(binding, exp string) string {
	m := hmac.New(sha256.New, f.Key)
	m.Write([]byte("cfp-form\x00" + exp + "\x00" + binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
