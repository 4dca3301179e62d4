package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/brand"
	cfpmail "github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/passkey"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// Accounts is what registration and verification need of the store.
type Accounts interface {
	Token(ctx context.Context, hash string, p cfpmail.Purpose) (store.Token, error)
	Account(ctx context.Context, e access.Email) (store.Account, error)
	Register(ctx context.Context, invitationHash string, a store.Account, verification cfpmail.Message) error
	Activate(ctx context.Context, tokenHash string, e access.Email) error
	ResendVerification(ctx context.Context, e access.Email, verification cfpmail.Message, limit store.Limit) error
}

// Sessions is what sign-in, sign-out and every signed-in route need of the store.
type Sessions interface {
	PutCode(ctx context.Context, e access.Email, hash string, limit store.Limit) error
	TryCode(ctx context.Context, e access.Email) (store.Code, error)
	StartSession(ctx context.Context, codeHash string, s store.Session) error
	Session(ctx context.Context, hash string) (store.Session, error)
	EndSession(ctx context.Context, hash string) error
}

// Portal is what the signed-in reads need of the store.
type Portal interface {
	GrantsOf(ctx context.Context, e access.Email) ([]store.Grant, error)
	GrantFor(ctx context.Context, e access.Email, clientRef string) ([]store.Grant, error)
	GranteesOf(ctx context.Context, clientRef string) ([]store.Grant, error)
	Documents(ctx context.Context, clientRef string, t store.DocumentType, cursor string, limit int) (store.DocumentPage, error)
	PublishedDocument(ctx context.Context, id store.DocumentID) (store.Document, error)
	Suppressed(ctx context.Context, e access.Email) (store.Suppression, bool, error)
	Audit(ctx context.Context, e store.AuditEvent) error
}

// Mailer sends one rendered email now (the sign-in code; everything else goes through the outbox).
type Mailer interface {
	Send(ctx context.Context, to access.Email, r cfpmail.Rendered, idempotencyKey string) (string, error)
}

// Files gives short-lived download links to objects in the documents bucket.
type Files interface {
	DownloadURL(ctx context.Context, key, fileName string, ttl time.Duration) (string, error)
}

// Handler serves the account, session and portal routes.
type Handler struct {
	Accounts Accounts
	Sessions Sessions
	Portal   Portal
	Mailer   Mailer
	Files    Files
	Passkeys Passkeys
	// PasskeySignIn and RP (the portal as WebAuthn relying party) serve passkeys.
	PasskeySignIn PasskeySignIn
	RP            *passkey.RP
	Origin        string        // the portal's origin: the only one allowed to change state or read answers
	Bases         cfpmail.Bases // link and portal URLs for emails
	Brand         brand.Brand   // the council's branding, on every page and in the sign-in code email
	Insecure      bool          // INSECURE_COOKIES: plain-HTTP local development only
	// SignInFloor is the least time POST /session takes, so that its timing does not tell whether
	// the address has an account (sending the code takes longer than doing nothing).
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
		"POST /api/account/register":                   h.register,
		"POST /api/account/verify":                     h.verify,
		"POST /api/session":                            h.askForCode,
		"POST /api/session/verify":                     h.signIn,
		"DELETE /api/session":                          h.signOut,
		"GET /api/me":                                  h.me,
		"GET /api/clients/{clientReference}/documents": h.documents,
		"GET /api/clients/{clientReference}/grantees":  h.grantees,
		"GET /api/documents/{id}/download":             h.download,
		"POST /api/passkeys/registration":              h.beginAdding,
		"POST /api/passkeys":                           h.finishAdding,
		"GET /api/passkeys":                            h.listPasskeys,
		"DELETE /api/passkeys/{id}":                    h.removePasskey,
		"POST /api/session/passkey/options":            h.beginPasskeySignIn,
		"POST /api/session/passkey":                    h.finishPasskeySignIn,

		"GET " + pathRegister:                              h.registerGet,
		"POST " + pathRegister:                             h.registerPost,
		"GET " + pathCheckEmail:                            h.checkEmail,
		"GET " + pathVerify:                                h.verifyGet,
		"POST " + pathVerify:                               h.verifyPost,
		"GET " + pathSignIn:                                h.signInGet,
		"POST " + pathSignIn:                               h.signInPost,
		"GET " + pathCode:                                  h.codeGet,
		"POST " + pathCode:                                 h.codePost,
		"POST " + pathSignOut:                              h.signOutPost,
		"GET " + pathSignedOut:                             h.signedOut,
		"GET " + pathClients:                               h.clientsGet,
		"GET " + pathClients + "/{clientReference}":        h.clientGet,
		"GET " + pathClients + "/{clientReference}/access": h.accessGet,
		"GET " + pathPasskeys:                              h.passkeysGet,
		"POST " + pathPasskeys:                             h.passkeysPost,
		"POST " + pathPasskeys + "/{id}/remove":            h.passkeyRemovePost,
	}
}

func (h Handler) Handle(ctx context.Context, r web.Request) (web.Response, error) {
	resp := h.routes().Serve(ctx, r, h.Log)
	if !strings.HasPrefix(r.Resource, "/api/") {
		return resp, nil // a page: same origin only, and it clears a stale cookie itself
	}
	if resp.StatusCode == http.StatusUnauthorized && !web.SessionToken(r, h.Insecure).Empty() {
		// The cookie is no good: let the browser forget it.
		resp.Headers["Set-Cookie"] = web.ClearSessionCookie(h.Insecure)
	}
	return web.AllowPortal(resp, h.Origin), nil
}

// signedIn returns the session the request's cookie belongs to, sliding its idle expiry.
func (h Handler) signedIn(ctx context.Context, r web.Request, log *slog.Logger) (store.Session, *web.Problem) {
	tok := web.SessionToken(r, h.Insecure)
	if tok.Empty() {
		return store.Session{}, signInFirst()
	}
	s, err := h.Sessions.Session(ctx, tok.Hash())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Session{}, signInFirst()
	case err != nil:
		log.Error("reading a session", "err", err)
		return store.Session{}, web.Unavailable()
	}
	return s, nil
}

func signInFirst() *web.Problem {
	return web.Unauthorized("Sign in to continue. If you were signed in, your session has ended.")
}

// activeGrant picks, of a person's grants for one client, the one access rests on now: an active
// grant without an end date if there is one, else the one that ends last.
func activeGrant(grants []store.Grant, now time.Time) (store.Grant, bool) {
	var best store.Grant
	found := false
	for _, g := range grants {
		if !g.Active(now) {
			continue
		}
		if !found || best.EndsOn != "" && (g.EndsOn == "" || g.EndsOn > best.EndsOn) {
			best, found = g, true
		}
	}
	return best, found
}

// validEmail reports whether s is a plain address (no display name), as the request form checks it.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == strings.TrimSpace(s) && len(s) <= 254 &&
		strings.Contains(a.Address[strings.LastIndex(a.Address, "@"):], ".")
}

func gone(detail string) *web.Problem {
	return &web.Problem{Status: http.StatusGone, Title: "Link expired", Detail: detail}
}
