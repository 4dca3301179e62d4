package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/smithy-go"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// codeDigits is the length of a sign-in code. Six digits, five attempts per code and five codes per
// address per hour allow at most 25 guesses an hour at one address, 1 in 40,000.
const codeDigits = 6

// perAddress bounds the emails that asking to sign in sends to one address in an hour: codes and
// repeated verification emails together.
var perAddress = store.Limit{Kind: "signin", Window: time.Hour, Max: 5}

type askBody struct {
	Email string `json:"email"`
}

// askForCode answers POST /session: always 202, never sooner than SignInFloor.
func (h Handler) askForCode(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	var in askBody
	if p := h.readJSON(r, &in); p != nil {
		return web.Response{}, p
	}
	if !access.ValidEmail(in.Email) {
		return web.Response{}, web.Invalid(web.FieldError{Field: "email", Message: "must be an email address, like name@example.com"})
	}
	defer h.padFrom(ctx, time.Now())
	if p := h.sendCode(ctx, access.NormaliseEmail(in.Email), log); p != nil {
		return web.Response{}, p
	}
	return web.JSON(http.StatusAccepted, map[string]string{
		"status": "accepted", "detail": "If there is an account for this address, we have sent a sign-in code to it.",
	}), nil
}

// sendCode does what asking to sign in does for an address; nil whatever the address is, so the
// answer is the same for every address. Only the account's lookup, which every address makes, can
// answer "try again": a failure after it (the code's write, the verification's queueing, SES) is
// met only by an existing account, so it is logged and answered as for any address, or an outage
// would tell who has an account. The person who gets no code asks again.
func (h Handler) sendCode(ctx context.Context, email access.Email, log *slog.Logger) *web.Problem {
	key, p := h.codeKey(ctx, log)
	if p != nil {
		return p
	}
	acct, err := h.Accounts.Account(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		log.Error("reading an account", "err", err)
		return web.Unavailable()
	}
	limit := perAddress
	limit.Key = string(email)
	if err != nil || acct.Status != store.AccountActive {
		// No account, or one not yet verified: a code nobody can type takes the place a real one
		// would, under the same limit, so that POST /session/verify then answers as for an active
		// account (see "No account oracle" in doc.go).
		switch err := h.Codes.PutCode(ctx, email, key.HashWith(secret.New(), string(email)), limit); {
		case errors.Is(err, store.ErrLimited):
			return nil
		case err != nil:
			log.Error("storing a stand-in sign-in code", "err", err)
			return nil
		}
		if acct.Status != store.AccountUnverified {
			return nil
		}
		verifyLimit := perAddress
		verifyLimit.Kind, verifyLimit.Key = "signin-verify", string(email)
		err := h.Accounts.ResendVerification(ctx, email, mail.VerificationOf(email), verifyLimit)
		if err != nil && !errors.Is(err, store.ErrLimited) && !errors.Is(err, store.ErrConflict) {
			log.Error("queueing a verification email", "err", err)
			return nil
		}
		log.Info("sign-in asked for an unverified account", "verificationQueued", err == nil)
		return nil
	}
	code := secret.NewCode(codeDigits)
	switch err := h.Codes.PutCode(ctx, email, key.HashWith(code, string(email)), limit); {
	case errors.Is(err, store.ErrLimited):
		log.Warn("sign-in codes for one address over the hourly limit")
		return nil
	case err != nil:
		log.Error("storing a sign-in code", "err", err)
		return nil
	}
	// The code goes straight to SES: it is never in the outbox, so never in the table in the clear.
	msg := mail.New(email, mail.SignInCode)
	rendered, err := mail.SignIn(code.Reveal(), h.Brand)
	if err != nil {
		log.Error("rendering the sign-in email", "err", err)
		return nil
	}
	if _, err := h.Mailer.Send(ctx, email, rendered, msg.ID); err != nil {
		// SES error messages can name the address: log only the error's code.
		log.Error("sending a sign-in code", "mail", msg.ID, "err", errorCode(err))
		return nil
	}
	log.Info("sign-in code sent", "mail", msg.ID)
	return nil
}

// padFrom waits until SignInFloor has passed since begun.
func (h Handler) padFrom(ctx context.Context, begun time.Time) {
	wait := time.Until(begun.Add(h.SignInFloor))
	if wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// errorCode is an AWS error's code, without its message.
func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	var op *smithy.OperationError
	if errors.As(err, &op) {
		return op.Service() + " " + op.Operation() + ": no answer"
	}
	return "unknown"
}

type signInBody struct {
	Email string `json:"email"`
	Code  string `json:"code"`
}

func wrongCode() *web.Problem {
	return web.Unauthorized("The code is not right, or it has expired. Check the latest email we sent you, or ask for a new code.")
}

// signIn answers POST /session/verify.
func (h Handler) signIn(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	var in signInBody
	if p := h.readJSON(r, &in); p != nil {
		return web.Response{}, p
	}
	if !access.ValidEmail(in.Email) {
		return web.Response{}, web.Invalid(web.FieldError{Field: "email", Message: "must be an email address, like name@example.com"})
	}
	tok, p := h.startSession(ctx, access.NormaliseEmail(in.Email), in.Code, log)
	if p != nil {
		return web.Response{}, p
	}
	resp := web.Empty(http.StatusNoContent)
	resp.Headers["Set-Cookie"] = web.SetSessionCookie(tok, store.SessionMax, h.Insecure)
	return resp, nil
}

// startSession spends a sign-in code and starts a session, for the JSON route and the page alike;
// it returns the session's token for the cookie.
func (h Handler) startSession(ctx context.Context, email access.Email, typed string, log *slog.Logger) (secret.Secret, *web.Problem) {
	code := strings.Join(strings.Fields(typed), "") // "123 456" as people copy it
	if !digits(code, codeDigits) {
		return secret.Secret{}, wrongCode()
	}
	key, p := h.codeKey(ctx, log)
	if p != nil {
		return secret.Secret{}, p
	}
	c, err := h.Codes.TryCode(ctx, email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return secret.Secret{}, wrongCode()
	case err != nil:
		log.Error("counting a sign-in attempt", "err", err)
		return secret.Secret{}, web.Unavailable()
	}
	now := h.Now()
	// The attempt is counted before anything is compared: the sixth is refused even when right.
	switch {
	case c.Used:
		return secret.Secret{}, wrongCode()
	case c.Attempts > store.CodeAttempts:
		log.Warn("sign-in code tried too often")
		return secret.Secret{}, &web.Problem{Status: http.StatusTooManyRequests, Title: "Too many attempts",
			Detail: "This code has been tried too many times and no longer works. Ask for a new code."}
	case !now.Before(c.ValidTo):
		return secret.Secret{}, wrongCode()
	case subtle.ConstantTimeCompare([]byte(key.HashWith(secret.From(code), string(email))), []byte(c.Hash)) != 1:
		return secret.Secret{}, wrongCode()
	}
	acct, err := h.Accounts.Account(ctx, email)
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && acct.Status != store.AccountActive:
		return secret.Secret{}, wrongCode()
	case err != nil:
		log.Error("reading an account", "err", err)
		return secret.Secret{}, web.Unavailable()
	}
	tok := secret.New()
	sess := store.Session{Hash: tok.Hash(), Email: email, Name: acct.Name, CreatedAt: now, LastSeen: now}
	switch err := h.Codes.StartSession(ctx, c.Hash, sess); {
	case errors.Is(err, store.ErrConflict):
		return secret.Secret{}, wrongCode() // spent by a request a moment ago
	case err != nil:
		log.Error("starting a session", "err", err)
		return secret.Secret{}, web.Unavailable()
	}
	log.Info("signed in")
	return tok, nil
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// codeKey is the sign-in code key. It does not depend on the address, so its failure (a
// "try again" for everyone) tells nobody who has an account; without it no code is hashed under a
// key anyone could guess.
func (h Handler) codeKey(ctx context.Context, log *slog.Logger) (secret.Key, *web.Problem) {
	text, err := h.CodeKey.Text(ctx)
	if err != nil {
		log.Error("reading the sign-in code key", "err", err)
		return secret.Key{}, web.Unavailable()
	}
	k, err := secret.HMACKey(text)
	if err != nil {
		log.Error("the sign-in code key is unusable", "err", err)
		return secret.Key{}, web.Unavailable()
	}
	return k, nil
}
