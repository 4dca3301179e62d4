package main

import (
	"strconv"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// The limits on sign-in, each a sliding window (store.Limit). A source is an IPv4 address or an
// IPv6 /64 (web.Source). Per source they are sized for a care home or a library where many people
// share one address: ten people asking for a code in an hour, each typing it twice, fit; the daily
// ceilings bound what one source can try in a day (README, threat model: at most 100 guesses a day,
// so 1 in 10,000 that one source takes over any one account in a day). The global ceilings protect
// SES and the table from a distributed flood: far above a council portal's sign-ins (a few hundred
// people a day), far below SES's sending quota. Per address, the limit counts codes per asking
// browser, so a stranger's requests never use up the person's own.
const (
	sourceCodesPerHour    = 10
	sourceCodesPerDay     = 50
	globalCodesPerHour    = 500
	browserCodesPerHour   = 5 // per address and asking browser: codes and verification emails alike
	sourceAttemptsPerHour = 20
	sourceAttemptsPerDay  = 100
	globalAttemptsPerHour = 2000
)

// The limits' kinds. "signin" and "signin-verify" are the per-address ones store.UnlockSignIn
// clears; only they are silent (202 whatever), as they depend on the address.
const (
	kindAddress = "signin"
	kindVerify  = "signin-verify"
)

// codeLimits are counted, all or none, with every code stored, real or stand-in alike.
func codeLimits(e access.Email, browser, source string) []store.Limit {
	return []store.Limit{
		{Kind: "signin-source", Key: source, Window: time.Hour, Max: sourceCodesPerHour},
		{Kind: "signin-source-day", Key: source, Window: 24 * time.Hour, Max: sourceCodesPerDay},
		{Kind: "signin-all", Key: "all", Window: time.Hour, Max: globalCodesPerHour},
		{Kind: kindAddress, Key: string(e), Sub: browser, Window: time.Hour, Max: browserCodesPerHour},
	}
}

// verifyLimit bounds the verification emails asking to sign in sends an unverified address, per
// asking browser (as codes), and no sooner than the codes' limit is reached.
func verifyLimit(e access.Email, browser string) store.Limit {
	return store.Limit{Kind: kindVerify, Key: string(e), Sub: browser, Window: time.Hour, Max: browserCodesPerHour}
}

// attemptLimits are counted with every attempt at a code, before anything about the address is
// read, so that they answer alike for every address.
func attemptLimits(source string) []store.Limit {
	return []store.Limit{
		{Kind: "signin-attempt-source", Key: source, Window: time.Hour, Max: sourceAttemptsPerHour},
		{Kind: "signin-attempt-source-day", Key: source, Window: 24 * time.Hour, Max: sourceAttemptsPerDay},
		{Kind: "signin-attempt-all", Key: "all", Window: time.Hour, Max: globalAttemptsPerHour},
	}
}

// tooMany is the 429 of a source or global limit, with when to try again.
func tooMany(le *store.LimitedError) *web.Problem {
	p := web.TooMany(int(le.RetryAfter / time.Second))
	p.Detail = "There have been too many sign-in attempts from this connection. Try again in " + minutes(le.RetryAfter) + "."
	return p
}

func minutes(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	if m <= 1 {
		return "a minute"
	}
	return strconv.Itoa(m) + " minutes"
}

// The browser cookie binds a code to the browser that asked for it: a random value, HttpOnly and
// SameSite=Strict, which the code item keeps only as a hash. A guess made without it reaches no
// code; a stranger who asks for a code for someone's address gets a code of their own browser,
// which neither replaces the person's code nor shares its attempts.
const (
	browserCookie         = "__Host-signin-browser"
	insecureBrowserCookie = "signin-browser"
	browserLife           = time.Hour // longer than a code lives
)

func (h Handler) browserName() string {
	if h.Insecure {
		return insecureBrowserCookie
	}
	return browserCookie
}

// browserOf is the browser's value, or a new one (fresh) when it has none that could be ours.
func (h Handler) browserOf(r web.Request) (b secret.Secret, fresh bool) {
	if v := web.Cookie(r, h.browserName()); len(v) == 43 {
		return secret.From(v), false
	}
	return secret.New(), true
}

// browserHash is what the code item keeps of the request's browser value; "" without one.
func (h Handler) browserHash(r web.Request) string {
	if v := web.Cookie(r, h.browserName()); len(v) == 43 {
		return secret.From(v).Hash()
	}
	return ""
}

// setBrowser is the Set-Cookie value that keeps b for browserLife.
func (h Handler) setBrowser(b secret.Secret) string {
	c := h.browserName() + "=" + b.Reveal() + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + strconv.Itoa(int(browserLife/time.Second))
	if !h.Insecure {
		c += "; Secure"
	}
	return c
}
