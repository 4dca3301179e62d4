package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// A requester withdraws their request from its status page, with the emailed link or signed in
// (the two ways the status page opens), through a confirmation page whose form carries the
// journey's anti-forgery field; or through the API with the continuation token. Anyone else's
// request answers as an unknown one does.

func withdrawPath(id access.RequestID) string {
	return "/access-requests/" + url.PathEscape(string(id)) + "/withdraw"
}

// canWithdraw reports whether the status page offers withdrawal (a draft has no status page).
func canWithdraw(req access.Request) bool {
	return !req.Draft && access.CanMove(req.Status, access.Withdrawn)
}

// withdrawer is the request the withdraw pages act on, for the holder of its emailed link (kept
// in the journey cookie) or its signed-in requester; ok is false for anyone else. statusLink is
// the way back to the status page for that person.
func (h Handler) withdrawer(ctx context.Context, r web.Request, j journey, id access.RequestID, log *slog.Logger) (req access.Request, statusLink string, ok bool, p *web.Problem) {
	if j.Link && j.ID == id {
		if req, _, ok, p = h.linked(ctx, id, secret.From(j.Token), log); p != nil || ok {
			return req, "/access-requests/" + url.PathEscape(string(id)) + "?token=" + url.QueryEscape(j.Token), ok, p
		}
	}
	req, _, ok, p = h.ownRequest(ctx, r, id, log)
	return req, "/access-requests/" + url.PathEscape(string(id)), ok, p
}

// withdrawGet serves the confirmation page. With the link's token in the address it keeps the
// token in the journey cookie and sends the browser to the same page without it (as moreGet does).
func (h Handler) withdrawGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	id := access.RequestID(r.PathParameters["id"])
	j, fresh := h.journeyOf(r)
	if t := r.QueryStringParameters["token"]; t != "" {
		_, _, ok, p := h.linked(ctx, id, secret.From(t), log)
		if p != nil || !ok {
			return deref(ptr(h.badLink(ctx, log))), p
		}
		return web.SeeOther(withdrawPath(id), h.setCookie(journey{Bind: j.Bind, ID: id, Token: t, Link: true})), nil
	}
	return h.withdrawConfirm(ctx, r, j, fresh, id, nil, log)
}

func (h Handler) withdrawConfirm(ctx context.Context, r web.Request, j journey, fresh bool, id access.RequestID, errs page.Errors, log *slog.Logger) (web.Response, *web.Problem) {
	req, back, ok, p := h.withdrawer(ctx, r, j, id, log)
	switch {
	case p != nil:
		return web.Response{}, p
	case !ok || req.Draft:
		return h.badLink(ctx, log), nil
	case !canWithdraw(req):
		return h.cannotWithdraw(ctx, req, back, log), nil
	}
	v := withdrawView{Errors: errs, Token: h.formToken(j), Reference: reference(req), Back: back}
	return h.show(ctx, log, status(errs), j, fresh, withdrawPage(h.Brand, v)), nil
}

func (h Handler) cannotWithdraw(ctx context.Context, req access.Request, back string, log *slog.Logger) web.Response {
	w := statusWords[req.Status]
	return page.Respond(ctx, log, http.StatusConflict, page.Policy{Personal: true}, messagePage(h.Brand, "This request cannot be withdrawn",
		[]string{"Your request " + reference(req) + " is " + w[0] + ". " + w[2]}, back, "See your request"))
}

// withdrawPost withdraws the request once the person confirmed it on this service's page.
func (h Handler) withdrawPost(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	id := access.RequestID(r.PathParameters["id"])
	j, fresh := h.journeyOf(r)
	if _, ok := h.readForm(r, j, fresh); !ok {
		return h.withdrawConfirm(ctx, r, j, fresh, id, page.Errors{{Field: "withdraw", Message: "Your request was not withdrawn because this page was open for too long or did not come from this service. Try again."}}, log)
	}
	req, back, ok, p := h.withdrawer(ctx, r, j, id, log)
	switch {
	case p != nil:
		return web.Response{}, p
	case !ok || req.Draft:
		return h.badLink(ctx, log), nil
	}
	switch _, err := h.Requests.WithdrawRequest(ctx, id); {
	case errors.Is(err, store.ErrConflict):
		if now, _, err := h.Requests.Request(ctx, id); err == nil {
			req = now
		}
		return h.cannotWithdraw(ctx, req, back, log), nil
	case err != nil:
		log.Error("withdrawing a request", "err", err)
		return web.Response{}, web.Unavailable()
	}
	log.Info("request withdrawn", "id", id)
	return page.Respond(ctx, log, http.StatusOK, page.Policy{Personal: true}, messagePage(h.Brand, "Request withdrawn",
		[]string{"Your request " + reference(req) + " has been withdrawn. The Client Finance team will not review it.",
			"We have sent you an email to confirm this. You can make a new request at any time."},
		back, "See your request")), nil
}

// withdrawAPI serves POST /api/access-requests/{id}/withdraw for the holder of the continuation
// token (or of a "more information" link), which stops working once the request is withdrawn.
func (h Handler) withdrawAPI(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	if p := web.CheckBrowser(r, h.Origin); p != nil {
		return web.Response{}, p
	}
	req, _, p := h.load(ctx, r, log)
	if p != nil {
		return web.Response{}, p
	}
	switch _, err := h.Requests.WithdrawRequest(ctx, req.ID); {
	case errors.Is(err, store.ErrConflict):
		return web.Response{}, web.Conflict("This request has been decided or withdrawn: it can no longer be withdrawn.")
	case err != nil:
		log.Error("withdrawing a request", "err", err)
		return web.Response{}, web.Unavailable()
	}
	log.Info("request withdrawn", "id", req.ID)
	return web.JSON(http.StatusOK, statusBody{req.ID, access.Withdrawn}), nil
}
