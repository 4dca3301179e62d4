package main

import (
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/web"
)

// The pages' forms carry an anti-forgery field (page.Forms) bound to a secret the browser already
// holds in an HttpOnly cookie another site can neither read nor send with a POST: the session token
// once signed in; before that (registering, confirming, asking for a code, typing it) a random
// value in the "signin" cookie, which also remembers the address between the two sign-in pages.
// The key is the binding itself, so the function needs no key of its own and a page view writes
// nothing.
const (
	signinCookie         = "__Host-signin"
	insecureSigninCookie = "signin"
	signinLife           = time.Hour     // long enough to find the email and type its code
	formLife             = 2 * time.Hour // a page left open longer is asked again
)

// visit is what the signin cookie holds: the binding and, between the sign-in pages, the address.
type visit struct {
	Bind  string
	Email string
}

func (h Handler) signinName() string {
	if h.Insecure {
		return insecureSigninCookie
	}
	return signinCookie
}

// visitOf reads the signin cookie; without one (or with one that is not ours) it is a fresh visit
// with a new binding, and fresh says the answer must set the cookie.
func (h Handler) visitOf(r web.Request) (v visit, fresh bool) {
	if value := web.Cookie(r, h.signinName()); value != "" {
		bind, email, _ := strings.Cut(value, ".")
		if e, err := base64.RawURLEncoding.DecodeString(email); err == nil && len(bind) >= 16 {
			return visit{Bind: bind, Email: string(e)}, false
		}
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return visit{Bind: base64.RawURLEncoding.EncodeToString(b)}, true
}

// setVisit is the Set-Cookie value that keeps v. SameSite=Lax, not Strict: a person opening an
// emailed link in a new tab then keeps the binding of the page already open in another.
func (h Handler) setVisit(v visit) string {
	c := h.signinName() + "=" + v.Bind + "." + base64.RawURLEncoding.EncodeToString([]byte(v.Email)) + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + strconv.Itoa(int(signinLife/time.Second))
	if !h.Insecure {
		c += "; Secure"
	}
	return c
}

func (h Handler) clearVisit() string {
	c := h.signinName() + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
	if !h.Insecure {
		c += "; Secure"
	}
	return c
}

// forms makes and checks the anti-forgery fields bound to binding.
func (h Handler) forms(binding string) page.Forms {
	return page.Forms{Key: []byte("cfp-account\x00" + binding), TTL: formLife, Now: h.Now}
}

func (h Handler) formToken(binding string) string { return h.forms(binding).Token(binding) }

// readForm reads a posted form and whether its anti-forgery field is current and bound to binding.
func (h Handler) readForm(r web.Request, binding string) (url.Values, bool) {
	v, ok := web.Form(r)
	return v, ok && binding != "" && h.forms(binding).Valid(binding, v.Get(page.FormField))
}

// readJSON reads a JSON API request's body into in, once the request is shown to come from the
// portal in a browser (Origin and content type); the problem says what was wrong.
func (h Handler) readJSON(r web.Request, in any) *web.Problem {
	if p := web.CheckBrowser(r, h.Origin); p != nil {
		return p
	}
	return web.DecodeJSON(r, in)
}
