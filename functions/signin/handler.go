package main

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/passkey"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// Accounts is what sign-in needs of an address's account: whether it is active, and for one not
// yet verified, the verification email again.
type Accounts interface {
	Account(ctx context.Context, e access.Email) (store.Account, error)
	ResendVerification(ctx context.Context, e access.Email, verification mail.Message, limit store.Limit) error
}

// Codes is what asking for a code and typing it need of the store.
type Codes interface {
	PutCode(ctx context.Context, e access.Email, browser, hash string, limits ...store.Limit) error
	TryCode(ctx context.Context, e access.Email, browser string) (store.Code, error)
	StartSession(ctx context.Context, browser, codeHash string, s store.Session) error
	Count(ctx context.Context, limits ...store.Limit) error
}

// Mailer sends one rendered email now: the sign-in code, which never goes through the outbox.
type Mailer interface {
	Send(ctx context.Context, to access.Email, r mail.Rendered, idempotencyKey string) (string, error)
}

// Handler serves the routes that get a session: asking for a code and typing it, JSON and pages.
type Handler struct {
	Accounts Accounts
	Codes    Codes
	Passkeys Passkeys    // signing in with a passkey (passkey.go)
	RP       *passkey.RP // the portal as WebAuthn relying party
	Mailer   Mailer
	Origin   string      // the portal's origin: the only one allowed to change state or read answers
	Brand    brand.Brand // the council's branding, on every page and in the sign-in code email
	Insecure bool        // INSECURE_COOKIES: plain-HTTP local development only
	// SignInFloor is the least time asking for a code takes, so that its timing does not tell
	// whether the address has an account (sending the code takes longer than doing nothing).
	SignInFloor time.Duration
	// CodeKey is the key sign-in codes are hashed with (HMAC), read from Secrets Manager on first
	// need (vault): the table holds the hashes and not the key, so a copy of it does not give away
	// live codes.
	CodeKey interface {
		Text(context.Context) (string, error)
	}
	Now func() time.Time
	Log *slog.Logger
}

// routes is the function's route table: its keys are the wiring's routes (routes_test.go).
func (h Handler) routes() web.Routes {
	return web.Routes{
		"POST /api/session":                 h.askForCode,
		"POST /api/session/verify":          h.signIn,
		"POST /api/session/passkey/options": h.beginPasskeySignIn,
		"POST /api/session/passkey":         h.finishPasskeySignIn,

		"GET " + pathSignIn:  h.signInGet,
		"POST " + pathSignIn: h.signInPost,
		"GET " + pathCode:    h.codeGet,
		"POST " + pathCode:   h.codePost,
	}
}

func (h Handler) Handle(ctx context.Context, r web.Request) (web.Response, error) {
	resp := h.routes().Serve(ctx, r, h.Log)
	if !strings.HasPrefix(r.Resource, "/api/") {
		return resp, nil // a page: same origin only
	}
	return web.AllowPortal(resp, h.Origin), nil
}

// visits reads and writes the signin cookie functions/account's pages share (page.Visits).
func (h Handler) visits() page.Visits { return page.Visits{Insecure: h.Insecure, Now: h.Now} }

// readJSON reads a JSON API request's body into in, once the request is shown to come from the
// portal in a browser (Origin and content type); the problem says what was wrong.
func (h Handler) readJSON(r web.Request, in any) *web.Problem {
	if p := web.CheckBrowser(r, h.Origin); p != nil {
		return p
	}
	return web.DecodeJSON(r, in)
}

// unavailable is the pages' 503.
func (h Handler) unavailable(ctx context.Context, log *slog.Logger) web.Response {
	return page.Unavailable(ctx, log, h.Brand)
}

// show renders a page. Every page of this function carries the address or a form bound to the
// browser: none is stored.
func (h Handler) show(ctx context.Context, log *slog.Logger, status int, c templ.Component, cookie string) web.Response {
	resp := page.Respond(ctx, log, status, page.Policy{Personal: true}, c)
	if cookie != "" {
		resp.Headers["Set-Cookie"] = cookie
	}
	return resp
}

// shown is a page route's answer: pages answer every outcome themselves, never a problem.
func shown(resp web.Response) (web.Response, *web.Problem) { return resp, nil }
