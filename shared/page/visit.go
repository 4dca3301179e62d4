package page

import (
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/council/cfp/shared/web"
)

// The portal's account and sign-in pages (functions/account, functions/signin) bind their forms'
// anti-forgery fields to a secret the browser already holds in an HttpOnly cookie another site can
// neither read nor send with a POST: the session token once signed in; before that (registering,
// confirming, asking for a code, typing it) a random value in the "signin" cookie, which also
// remembers the address between the two sign-in pages. The key is the binding itself, so neither
// function needs a key of its own and a page view writes nothing; the two functions read the same
// cookie, so a person who registers goes on to sign in with the same binding.
const (
	signinCookie         = "__Host-signin"
	insecureSigninCookie = "signin"
	signinLife           = time.Hour     // long enough to find the email and type its code
	formLife             = 2 * time.Hour // a page left open longer is asked again
)

// Visit is what the signin cookie holds: the binding and, between the sign-in pages, the address.
type Visit struct {
	Bind  string
	Email string
}

// Visits reads and writes the signin cookie and the anti-forgery fields bound to it (or to the
// session token, once signed in).
type Visits struct {
	Insecure bool // INSECURE_COOKIES: plain-HTTP local development only
	Now      func() time.Time
}

func (v Visits) name() string {
	if v.Insecure {
		return insecureSigninCookie
	}
	return signinCookie
}

// Of reads the signin cookie; without one (or with one that is not ours) it is a fresh visit with
// a new binding, and fresh says the answer must set the cookie.
func (v Visits) Of(r web.Request) (visit Visit, fresh bool) {
	if value := web.Cookie(r, v.name()); value != "" {
		bind, email, _ := strings.Cut(value, ".")
		if e, err := base64.RawURLEncoding.DecodeString(email); err == nil && len(bind) >= 16 {
			return Visit{Bind: bind, Email: string(e)}, false
		}
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return Visit{Bind: base64.RawURLEncoding.EncodeToString(b)}, true
}

// Set is the Set-Cookie value that keeps visit. SameSite=Lax, not Strict: a person opening an
// emailed link in a new tab then keeps the binding of the page already open in another.
func (v Visits) Set(visit Visit) string {
	c := v.name() + "=" + visit.Bind + "." + base64.RawURLEncoding.EncodeToString([]byte(visit.Email)) + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + strconv.Itoa(int(signinLife/time.Second))
	if !v.Insecure {
		c += "; Secure"
	}
	return c
}

// SetIf is Set when fresh (the browser has no cookie yet), else "".
func (v Visits) SetIf(fresh bool, visit Visit) string {
	if fresh {
		return v.Set(visit)
	}
	return ""
}

// Clear is the Set-Cookie value that removes the signin cookie.
func (v Visits) Clear() string {
	c := v.name() + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
	if !v.Insecure {
		c += "; Secure"
	}
	return c
}

// forms makes and checks the anti-forgery fields bound to binding.
func (v Visits) forms(binding string) Forms {
	return Forms{Key: []byte("cfp-account\x00" + binding), TTL: formLife, Now: v.Now}
}

// Token is the anti-forgery field of a form shown to the browser holding binding.
func (v Visits) Token(binding string) string { return v.forms(binding).Token(binding) }

// Read reads a posted form and whether its anti-forgery field is current and bound to binding.
func (v Visits) Read(r web.Request, binding string) (url.Values, bool) {
	form, ok := web.Form(r)
	return form, ok && binding != "" && v.forms(binding).Valid(binding, form.Get(FormField))
}
