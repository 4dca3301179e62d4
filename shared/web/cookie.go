package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/council/cfp/shared/secret"
)

// The session cookie holds only the session's random token; the table holds its hash.
//
// In AWS it is "__Host-session": the prefix makes browsers refuse it unless it is Secure, has
// Path=/ and no Domain, so no other host (a sibling subdomain, a plain-HTTP page) can set or
// overwrite it. HttpOnly keeps it from scripts; SameSite=Strict keeps it off cross-site requests.
// Plain-HTTP local development cannot keep a Secure cookie, so the INSECURE_COOKIES setting (local
// stack only, never the AWS stack) drops Secure and with it the prefix, which requires Secure.
const (
	sessionCookie         = "__Host-session"
	insecureSessionCookie = "session"
)

// SessionCookieName is the session cookie's name: "__Host-session", or "session" when insecure.
func SessionCookieName(insecure bool) string {
	if insecure {
		return insecureSessionCookie
	}
	return sessionCookie
}

// JourneyCookieName is the request journey's cookie (functions/submit-request keeps a journey's
// place in it): "__Host-journey", or "journey" when insecure.
func JourneyCookieName(insecure bool) string {
	if insecure {
		return "journey"
	}
	return "__Host-journey"
}

// SetSessionCookie returns the Set-Cookie value that gives the browser a session token for maxAge.
func SetSessionCookie(token secret.Secret, maxAge time.Duration, insecure bool) string {
	return sessionCookieHeader(token.Reveal(), int(maxAge/time.Second), insecure)
}

// ClearSessionCookie returns the Set-Cookie value that removes the session cookie.
func ClearSessionCookie(insecure bool) string { return sessionCookieHeader("", -1, insecure) }

func sessionCookieHeader(value string, maxAge int, insecure bool) string {
	v := SessionCookieName(insecure) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict"
	if maxAge < 0 {
		v += "; Max-Age=0"
	} else {
		v += "; Max-Age=" + strconv.Itoa(maxAge)
	}
	if !insecure {
		v += "; Secure"
	}
	return v
}

// SessionToken returns the session token the request's cookies carry (empty when none).
func SessionToken(r Request, insecure bool) secret.Secret {
	return secret.From(Cookie(r, SessionCookieName(insecure)))
}

// Cookie returns the value of the request's cookie of that name ("" when none).
func Cookie(r Request, name string) string {
	var lines []string
	for k, v := range r.MultiValueHeaders {
		if http.CanonicalHeaderKey(k) == "Cookie" {
			lines = append(lines, v...)
		}
	}
	if len(lines) == 0 {
		if h := Header(r, "Cookie"); h != "" {
			lines = []string{h}
		}
	}
	// Cookies() skips malformed pairs rather than failing the whole header.
	req := http.Request{Header: http.Header{"Cookie": lines}}
	for _, c := range req.Cookies() {
		if c.Name == name && c.Value != "" {
			return c.Value
		}
	}
	return ""
}

// AllowPortal adds the CORS headers that let the portal, and only the portal, read an answer to a
// request made with credentials (the session cookie). Preflights are answered by the API itself
// (API Gateway's CORS preflight for the portal's origin); these headers go on the real answers.
func AllowPortal(r Response, origin string) Response {
	if r.Headers == nil {
		r.Headers = map[string]string{}
	}
	r.Headers["Access-Control-Allow-Origin"] = origin
	r.Headers["Access-Control-Allow-Credentials"] = "true"
	r.Headers["Vary"] = "Origin"
	return r
}
