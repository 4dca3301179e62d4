package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// The pages' addresses. The signed-in pages (functions/account) send a person without a session
// to pathSignIn; a right code sends them on to pathClients.
const (
	pathSignIn  = "/sign-in"
	pathCode    = "/sign-in/code"
	pathClients = "/clients"
)

// staleForm is what a form says when its anti-forgery field is missing, forged or too old.
const staleForm = "This page was open too long or did not come from this service. Try again"

type signInView struct {
	Email, Token string
	Confirmed    bool
	Errors       page.Errors
}

func (h Handler) signInGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	v, fresh := h.visits().Of(r)
	view := signInView{Email: v.Email, Token: h.visits().Token(v.Bind), Confirmed: r.QueryStringParameters["confirmed"] == "1"}
	return shown(h.show(ctx, log, http.StatusOK, signInPage(h.Brand, view), h.visits().SetIf(fresh, v)))
}

func (h Handler) signInPost(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	v, fresh := h.visits().Of(r)
	form, ok := h.visits().Read(r, v.Bind)
	view := signInView{Email: strings.TrimSpace(form.Get("email")), Token: h.visits().Token(v.Bind)}
	switch {
	case fresh || !ok:
		view.Errors.Add("email", staleForm)
	case view.Email == "":
		view.Errors.Add("email", "Enter your email address")
	case !access.ValidEmail(view.Email):
		view.Errors.Add("email", "Enter an email address in the correct format, like name@example.com")
	}
	if view.Errors.Any() {
		return shown(h.show(ctx, log, http.StatusBadRequest, signInPage(h.Brand, view), h.visits().SetIf(fresh, v)))
	}
	defer h.padFrom(ctx, time.Now())
	email := access.NormaliseEmail(view.Email)
	if p := h.sendCode(ctx, email, log); p != nil {
		return shown(h.unavailable(ctx, log))
	}
	v.Email = string(email)
	return shown(web.SeeOther(pathCode, h.visits().Set(v)))
}

type codeView struct {
	Email, Code, Token string
	Errors             page.Errors
}

func (h Handler) codeGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	v, fresh := h.visits().Of(r)
	if fresh || v.Email == "" {
		return shown(web.SeeOther(pathSignIn, h.visits().SetIf(fresh, v)))
	}
	return shown(h.show(ctx, log, http.StatusOK, codePage(h.Brand, codeView{Email: v.Email, Token: h.visits().Token(v.Bind)}), ""))
}

func (h Handler) codePost(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	v, fresh := h.visits().Of(r)
	if fresh || v.Email == "" {
		return shown(web.SeeOther(pathSignIn, h.visits().SetIf(fresh, v)))
	}
	form, ok := h.visits().Read(r, v.Bind)
	view := codeView{Email: v.Email, Code: form.Get("code"), Token: h.visits().Token(v.Bind)}
	code := strings.Join(strings.Fields(view.Code), "")
	switch {
	case !ok:
		view.Errors.Add("code", staleForm)
	case code == "":
		view.Errors.Add("code", "Enter the 6-digit code from the email we sent you")
	case !digits(code, codeDigits):
		view.Errors.Add("code", "The code must be 6 digits, like 123456")
	}
	if !view.Errors.Any() {
		tok, p := h.startSession(ctx, access.Email(v.Email), code, log)
		switch {
		case p == nil:
			return shown(web.SeeOther(pathClients, web.SetSessionCookie(tok, store.SessionMax, h.Insecure), h.visits().Clear()))
		case p.Status >= 500:
			return shown(h.unavailable(ctx, log))
		case p.Status == http.StatusTooManyRequests:
			view.Errors.Add("code", "This code has been tried too many times and no longer works. Ask for a new code")
		default:
			view.Errors.Add("code", "The code is not right, or it has expired. Check the latest email we sent you, or ask for a new code")
		}
	}
	return shown(h.show(ctx, log, http.StatusBadRequest, codePage(h.Brand, view), ""))
}
