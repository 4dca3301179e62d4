package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// verificationEmail asks the notifier to mint a verification link bound to the address.
func verificationEmail(to string) mail.Message { return mail.VerificationOf(access.NormaliseEmail(to)) }

type registerBody struct {
	Invitation string `json:"invitation"`
	Name       string `json:"name"`
}

func (h Handler) register(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	var in registerBody
	if p := h.readJSON(r, &in); p != nil {
		return web.Response{}, p
	}
	if p := h.registerWith(ctx, in, log); p != nil {
		return web.Response{}, p
	}
	return web.JSON(http.StatusAccepted, map[string]string{
		"status": "verification_sent", "detail": "We have sent you an email with a link to confirm your email address.",
	}), nil
}

// registerWith registers from an invitation, for the JSON route and the page alike.
func (h Handler) registerWith(ctx context.Context, in registerBody, log *slog.Logger) *web.Problem {
	name := strings.TrimSpace(in.Name)
	var bad []web.FieldError
	if in.Invitation == "" {
		bad = append(bad, web.FieldError{Field: "invitation", Message: "is required: the code from the link in your approval email"})
	}
	switch {
	case name == "":
		bad = append(bad, web.FieldError{Field: "name", Message: "is required"})
	case utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name):
		bad = append(bad, web.FieldError{Field: "name", Message: "must be at most 100 characters"})
	case strings.ContainsAny(name, "\x00\r\n\t"):
		bad = append(bad, web.FieldError{Field: "name", Message: "must be on one line"})
	}
	if len(bad) > 0 {
		return web.Invalid(bad...)
	}

	hash := secret.From(in.Invitation).Hash()
	inv, err := h.Accounts.Token(ctx, hash, mail.Invitation)
	now := h.Now()
	switch {
	case errors.Is(err, store.ErrNotFound):
		return unknownLink()
	case err != nil:
		log.Error("reading an invitation", "err", err)
		return web.Unavailable()
	case !inv.UsedAt.IsZero():
		return invitationUsed()
	case !inv.ReplacedAt.IsZero():
		return invitationReplaced()
	case !now.Before(inv.ExpiresAt):
		return gone("This registration link has expired: it worked for 14 days. Contact the Client Finance team and they will send you a new one.")
	}

	acct := store.Account{Email: inv.Email, Name: name, CreatedAt: now.UTC()}
	switch err := h.Accounts.Register(ctx, hash, acct, verificationEmail(string(inv.Email))); {
	case errors.Is(err, store.ErrLinkUsed):
		return invitationUsed() // used by a request a moment ago
	case errors.Is(err, store.ErrConflict):
		return web.Conflict("There is already an account for this email address. Sign in with your email address instead.")
	case err != nil:
		log.Error("registering", "err", err)
		return web.Unavailable()
	}
	log.Info("account registered", "invitation", inv.Subject)
	return nil
}

func unknownLink() *web.Problem {
	return &web.Problem{Status: http.StatusNotFound, Title: "Link not recognised",
		Detail: "This link is not one we sent, or it was not copied in full. Open the link from the email again."}
}

// invitationReplaced answers an invitation support has since sent a newer one of: only the newest works.
func invitationReplaced() *web.Problem {
	return gone("This registration link has been replaced by a newer one. Use the link in the most recent email we sent you.")
}

func invitationUsed() *web.Problem {
	return web.Conflict("This registration link has already been used. Check your email for the link to confirm your address, or sign in if you have done so.")
}

type verifyBody struct {
	Token string `json:"token"`
}

func (h Handler) verify(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	var in verifyBody
	if p := h.readJSON(r, &in); p != nil {
		return web.Response{}, p
	}
	if p := h.verifyWith(ctx, in.Token, log); p != nil {
		return web.Response{}, p
	}
	return web.Empty(http.StatusNoContent), nil
}

// verifyWith uses a verification link, for the JSON route and the page alike. Confirming an
// address that is already active is not an error (see alreadyVerified).
func (h Handler) verifyWith(ctx context.Context, token string, log *slog.Logger) *web.Problem {
	if token == "" {
		return web.Invalid(web.FieldError{Field: "token", Message: "is required: the code from the link in your email"})
	}
	hash := secret.From(token).Hash()
	tok, err := h.Accounts.Token(ctx, hash, mail.Verify)
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && tok.Subject != string(tok.Email):
		return unknownLink()
	case err != nil:
		log.Error("reading a verification link", "err", err)
		return web.Unavailable()
	case !tok.UsedAt.IsZero():
		return h.alreadyVerified(ctx, tok, log)
	case !h.Now().Before(tok.ExpiresAt):
		return gone("This link has expired: it worked for 24 hours. Ask to sign in with your email address and we will send you a new one.")
	}
	switch err := h.Accounts.Activate(ctx, hash, tok.Email); {
	case errors.Is(err, store.ErrLinkUsed):
		return h.alreadyVerified(ctx, tok, log)
	case errors.Is(err, store.ErrNotFound):
		return unknownLink()
	case err != nil:
		log.Error("activating an account", "err", err)
		return web.Unavailable()
	}
	log.Info("account verified")
	return nil
}

// alreadyVerified answers a verification link used before: confirming twice is not an error when
// the account is active (a person clicks twice; a second tab), but a spent link verifies nothing else.
func (h Handler) alreadyVerified(ctx context.Context, tok store.Token, log *slog.Logger) *web.Problem {
	a, err := h.Accounts.Account(ctx, tok.Email)
	switch {
	case err == nil && a.Status == store.AccountActive:
		return nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		log.Error("reading an account", "err", err)
		return web.Unavailable()
	}
	return web.Conflict("This link has already been used.")
}
