package page

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"

	"github.com/a-h/templ"

	"github.com/council/cfp/shared/web"
)

// Policy is what one page allows beyond the strict default.
type Policy struct {
	// Personal marks a page that shows personal data (a request's details, a status page): no
	// cache, shared or private, may keep it.
	Personal bool
	// FormTargets are other origins the page's forms post to: the uploads bucket, which takes
	// the evidence files' presigned POST forms.
	FormTargets []string
}

// Headers are the security headers of a page whose inline script carries nonce.
//
// Scripts run only from this site or with the response's nonce; styles come only from this site
// (no inline style, which the stylesheet never needs); nothing may frame the page, and the
// referrer is never sent, because tokens sit in the query strings of emailed links.
func Headers(nonce string, p Policy) map[string]string {
	formAction := "'self'"
	for _, o := range p.FormTargets {
		formAction += " " + o
	}
	csp := strings.Join([]string{
		"default-src 'none'",
		"script-src 'self' 'nonce-" + nonce + "'",
		"style-src 'self'",
		"img-src 'self'",
		"connect-src 'self'",
		"form-action " + formAction,
		"frame-ancestors 'none'",
		"base-uri 'none'",
	}, "; ")
	cache := "no-cache" // the nonce and anti-forgery field differ on every answer
	if p.Personal {
		cache = "no-store"
	}
	return map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": csp,
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           cache,
	}
}

// NewNonce is a fresh script nonce: 128 random bits.
func NewNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.StdEncoding.EncodeToString(b)
}

// Respond renders a page with a fresh nonce and its security headers. A page that fails to
// render answers a plain 500 rather than half a page.
func Respond(ctx context.Context, log *slog.Logger, status int, p Policy, c templ.Component) web.Response {
	nonce := NewNonce()
	var buf bytes.Buffer
	if err := c.Render(templ.WithNonce(ctx, nonce), &buf); err != nil {
		log.ErrorContext(ctx, "render page", "error", err)
		h := Headers(nonce, Policy{Personal: true})
		h["Content-Type"] = "text/plain; charset=utf-8"
		return web.Response{StatusCode: http.StatusInternalServerError, Headers: h,
			Body: "Sorry, there is a problem with the service. Nothing was changed."}
	}
	return web.Response{StatusCode: status, Headers: Headers(nonce, p), Body: buf.String()}
}
