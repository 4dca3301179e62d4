package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/passkey"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// Passkeys is what signing in with a passkey needs of the store.
type Passkeys interface {
	HandleOwner(ctx context.Context, handle []byte) (access.Email, error)
	Passkey(ctx context.Context, e access.Email, id store.PasskeyID) (store.Passkey, error)
	StartCeremony(ctx context.Context, challengeHash string, c store.Ceremony, limits ...store.Limit) error
	TakeCeremony(ctx context.Context, challengeHash string) (store.Ceremony, error)
	SignInWithPasskey(ctx context.Context, p store.Passkey, sess store.Session) error
}

// ceremoniesPerSource bounds the sign-in challenges one source address may ask for: they are
// asked for before anyone is known, so this is what keeps a stranger from filling the table. A
// care home's residents and staff share an address; nobody signs in 600 times an hour.
var ceremoniesPerSource = store.Limit{Kind: "passkey-source", Window: time.Hour, Max: 600}

func passkeyRefused() *web.Problem {
	return web.Unauthorized("The passkey was not accepted. Try again, or sign in with a code we email you.")
}

// beginPasskeySignIn answers POST /session/passkey/options: a challenge for any passkey of this
// site. It names nobody and no passkey, so it tells nothing about who has an account.
func (h Handler) beginPasskeySignIn(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	if p := web.CheckBrowser(r, h.Origin); p != nil {
		return web.Response{}, p
	}
	b, err := h.RP.BeginSignIn()
	if err != nil {
		log.Error("beginning a passkey sign-in", "err", err)
		return web.Response{}, web.Unavailable()
	}
	limit := ceremoniesPerSource
	limit.Key = web.SourceIP(r)
	c := store.Ceremony{Kind: store.SigningInWithPasskey, Data: b.Data, StartedAt: h.Now()}
	switch err := h.Passkeys.StartCeremony(ctx, b.ChallengeHash, c, limit); {
	case errors.Is(err, store.ErrLimited):
		log.Warn("passkey sign-ins from one source over the hourly limit")
		return web.Response{}, web.TooMany(int(limit.Window / time.Second))
	case err != nil:
		log.Error("keeping a passkey ceremony", "err", err)
		return web.Response{}, web.Unavailable()
	}
	return web.JSON(http.StatusOK, b.Options), nil
}

// finishPasskeySignIn answers POST /session/passkey: the browser's answer, checked once against
// its challenge, starts the same session a code does. Every way it can fail that is not the
// table's is the same 401.
func (h Handler) finishPasskeySignIn(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	var in struct {
		Credential json.RawMessage `json:"credential"`
	}
	if p := h.readJSON(r, &in); p != nil {
		return web.Response{}, p
	}
	hash, err := passkey.ChallengeHash(in.Credential)
	if err != nil {
		return web.Response{}, passkeyRefused()
	}
	c, err := h.Passkeys.TakeCeremony(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		log.Info("a passkey answer to no live challenge") // replayed, too late, or made up
		return web.Response{}, passkeyRefused()
	case err != nil:
		log.Error("taking a passkey ceremony", "err", err)
		return web.Response{}, web.Unavailable()
	case c.Kind != store.SigningInWithPasskey:
		return web.Response{}, passkeyRefused()
	}
	u, pk, err := h.RP.FinishSignIn(c.Data, in.Credential, func(handle []byte, id store.PasskeyID) (passkey.User, error) {
		return h.passkeyOwner(ctx, handle, id)
	})
	switch {
	case errors.Is(err, passkey.ErrCopied):
		log.Warn("a passkey's sign count did not move on: refused")
		return web.Response{}, passkeyRefused()
	case errors.Is(err, passkey.ErrRefused):
		log.Info("a passkey answer was refused")
		return web.Response{}, passkeyRefused()
	case err != nil:
		log.Error("finding a passkey's owner", "err", err)
		return web.Response{}, web.Unavailable()
	}
	now := h.Now()
	tok := secret.New()
	sess := store.Session{Hash: tok.Hash(), Email: u.Email, Name: u.Name, CreatedAt: now, LastSeen: now}
	switch err := h.Passkeys.SignInWithPasskey(ctx, pk, sess); {
	case errors.Is(err, store.ErrConflict):
		// Removed, its count overtaken by a use a moment ago, or the account no longer active.
		return web.Response{}, passkeyRefused()
	case err != nil:
		log.Error("starting a session", "err", err)
		return web.Response{}, web.Unavailable()
	}
	log.Info("signed in with a passkey")
	resp := web.Empty(http.StatusNoContent)
	resp.Headers["Set-Cookie"] = web.SetSessionCookie(tok, store.SessionMax, h.Insecure)
	return resp, nil
}

// passkeyOwner is the person whose handle the answer names, with the passkey of theirs it names;
// store.ErrNotFound when there is no such person, passkey or active account.
func (h Handler) passkeyOwner(ctx context.Context, handle []byte, id store.PasskeyID) (passkey.User, error) {
	e, err := h.Passkeys.HandleOwner(ctx, handle)
	if err != nil {
		return passkey.User{}, err
	}
	pk, err := h.Passkeys.Passkey(ctx, e, id)
	if err != nil {
		return passkey.User{}, err
	}
	acct, err := h.Accounts.Account(ctx, e)
	switch {
	case err != nil:
		return passkey.User{}, err
	case acct.Status != store.AccountActive:
		return passkey.User{}, store.ErrNotFound
	}
	return passkey.User{Handle: handle, Email: e, Name: acct.Name, Keys: []store.Passkey{pk}}, nil
}
