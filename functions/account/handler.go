package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/brand"
	cfpmail "github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/page"
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
}

// Sessions is what sign-out and every signed-in route need of the store (functions/signin starts
// sessions).
type Sessions interface {
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

// Files gives short-lived download links to objects in the documents bucket.
type Files interface {
	DownloadURL(ctx context.Context, key, fileName string, ttl time.Duration) (string, error)
	VersionURL(ctx context.Context, key, version, fileName string, ttl time.Duration) (string, error)
}

// Handler serves the account and portal routes, and ends sessions.
type Handler struct {
	Accounts Accounts
	Sessions Sessions
	Portal   Portal
	Files    Files
	Passkeys Passkeys
	RP       *passkey.RP   // the portal as WebAuthn relying party
	Origin   string        // the portal's origin: the only one allowed to change state or read answers
	Bases    cfpmail.Bases // link and portal URLs for emails
	Brand    brand.Brand   // the council's branding, on every page
	Insecure bool          // INSECURE_COOKIES: plain-HTTP local development only
	Now      func() time.Time
	Log      *slog.Logger
}

// routes is the function's route table: its keys are the wiring's routes (routes_test.go).
func (h Handler) routes() web.Routes {
	return web.Routes{
		"POST /api/account/register":                   h.register,
		"POST /api/account/verify":                     h.verify,
		"DELETE /api/session":                          h.signOut,
		"GET /api/me":                                  h.me,
		"GET /api/clients/{clientReference}/documents": h.documents,
		"GET /api/clients/{clientReference}/grantees":  h.grantees,
		"GET /api/documents/{id}/download":             h.download,
		"POST /api/passkeys/registration":              h.beginAdding,
		"POST /api/passkeys":                           h.finishAdding,
		"GET /api/passkeys":                            h.listPasskeys,
		"DELETE /api/passkeys/{id}":                    h.removePasskey,

		"GET " + pathRegister:                              h.registerGet,
		"POST " + pathRegister:                             h.registerPost,
		"GET " + pathCheckEmail:                            h.checkEmail,
		"GET " + pathVerify:                                h.verifyGet,
		"POST " + pathVerify:                               h.verifyPost,
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

// signOut answers DELETE /session: the session is deleted and the cookie cleared. Signing out
// without a session, or twice, is not an error.
func (h Handler) signOut(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	if p := web.CheckBrowser(r, h.Origin); p != nil {
		return web.Response{}, p
	}
	if tok := web.SessionToken(r, h.Insecure); !tok.Empty() {
		if err := h.Sessions.EndSession(ctx, tok.Hash()); err != nil {
			log.Error("ending a session", "err", err)
			return web.Response{}, web.Unavailable()
		}
	}
	log.Info("signed out")
	resp := web.Empty(http.StatusNoContent)
	resp.Headers["Set-Cookie"] = web.ClearSessionCookie(h.Insecure)
	return resp, nil
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

func gone(detail string) *web.Problem {
	return &web.Problem{Status: http.StatusGone, Title: "Link expired", Detail: detail}
}

// visits reads and writes the signin cookie functions/signin's pages share (page.Visits).
func (h Handler) visits() page.Visits { return page.Visits{Insecure: h.Insecure, Now: h.Now} }

// readJSON reads a JSON API request's body into in, once the request is shown to come from the
// portal in a browser (Origin and content type); the problem says what was wrong.
func (h Handler) readJSON(r web.Request, in any) *web.Problem {
	if p := web.CheckBrowser(r, h.Origin); p != nil {
		return p
	}
	return web.DecodeJSON(r, in)
}
