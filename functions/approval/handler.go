package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/staff"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// Reviews is what the handler needs of the store.
type Reviews interface {
	Token(ctx context.Context, hash string, p mail.Purpose) (store.Token, error)
	Request(ctx context.Context, id access.RequestID) (access.Request, []access.Evidence, error)
	Approve(ctx context.Context, id access.RequestID, a access.Approval) error
	Reject(ctx context.Context, id access.RequestID, by access.Email, reason string) error
	RequestInformation(ctx context.Context, id access.RequestID, by access.Email, message string) error
	RecordSecurityCheck(ctx context.Context, id access.RequestID, by access.Email, note string) error
	EndAccess(ctx context.Context, id access.RequestID, by access.Email, reason string) error
}

// maxForm is the largest form body accepted: the longest field is a 2,000-character text.
const maxForm = 64 << 10

// Handler serves the review routes.
type Handler struct {
	Reviews   Reviews
	Files     Files
	Reviewers map[access.Email]bool // a link works only while its addressee is on the list
	ClientRef *regexp.Regexp        // the council's client reference format, whole-string
	Staff     StaffStore
	IdP       IdP
	Groups    staff.Groups // the identity provider's groups that give each role
	Insecure  bool         // plain-HTTP development: cookies without Secure
	Now       func() time.Time
	Log       *slog.Logger
}

// routes is the function's route table: its keys are the wiring's routes (routes_test.go).
func (h Handler) routes() web.Routes {
	return web.Routes{
		"GET /review/{token}":                       pageRoute(h.show(h.open)),
		"POST /review/{token}":                      pageRoute(h.decide(h.open)),
		"GET /review/{token}/evidence/{evidenceId}": pageRoute(h.evidence(h.open)),

		"GET /staff":                                     pageRoute(h.queue),
		"GET /staff/sign-in":                             pageRoute(h.signIn),
		"GET /staff/callback":                            pageRoute(h.callback),
		"GET /staff/requests/{id}":                       pageRoute(h.show(h.openStaff)),
		"POST /staff/requests/{id}":                      pageRoute(h.decide(h.openStaff)),
		"GET /staff/requests/{id}/evidence/{evidenceId}": pageRoute(h.evidence(h.openStaff)),
	}
}

// pageRoute makes a web.Route of a review route, whose every answer is a page or a redirect, never
// a problem. The log says only how it ended: never the token, the reviewer's address or anything
// the requester wrote.
func pageRoute(serve func(context.Context, web.Request, *slog.Logger) web.Response) web.Route {
	return func(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
		return serve(ctx, r, log), nil
	}
}

func (h Handler) Handle(ctx context.Context, r web.Request) (web.Response, error) {
	return h.routes().Serve(ctx, r, h.Log), nil
}

// review is an opened review page: who is reviewing and the request. It is opened either by a
// review link's token or by a staff session (staff.go).
type review struct {
	raw      string // the secret that keys the page's forms: the link's token or the staff session's (never logged)
	base     string // the page's last path segment: the token, or the request id under /staff/requests/
	staff    bool   // opened by a staff session, not a link
	reviewer access.Email
	req      access.Request
	evidence []access.Evidence
}

// open checks the link's token and loads its request. Unknown tokens, tokens of another purpose and
// tokens of someone no longer on the reviewers' list all get the same 404; an expired one gets 410.
func (h Handler) open(ctx context.Context, r web.Request, log *slog.Logger) (review, *web.Response) {
	raw := r.PathParameters["token"]
	if raw == "" || len(raw) > 200 {
		return review{}, page(http.StatusNotFound, notFoundPage())
	}
	tok, err := h.Reviews.Token(ctx, secret.From(raw).Hash(), mail.Review)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return review{}, page(http.StatusNotFound, notFoundPage())
	case err != nil:
		log.Error("reading a review token", "err", err)
		return review{}, page(http.StatusServiceUnavailable, unavailablePage())
	case !h.Reviewers[access.NormaliseEmail(string(tok.Email))]:
		return review{}, page(http.StatusNotFound, notFoundPage())
	case !h.Now().Before(tok.ExpiresAt):
		return review{}, page(http.StatusGone, expiredPage())
	}
	req, ev, err := h.Reviews.Request(ctx, access.RequestID(tok.Subject))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return review{}, page(http.StatusNotFound, notFoundPage())
	case err != nil:
		log.Error("reading a request", "err", err)
		return review{}, page(http.StatusServiceUnavailable, unavailablePage())
	}
	return review{raw: raw, base: raw, reviewer: tok.Email, req: req, evidence: ev}, nil
}

func page(status int, v view) *web.Response { r := render(status, v); return &r }

// self is the review page's address relative to itself (and to its evidence links' base), from its
// last path segment.
func self(base string) string { return "./" + url.PathEscape(base) }

// opener opens a review page: the request and who reviews it, or the answer to give instead.
type opener func(ctx context.Context, r web.Request, log *slog.Logger) (review, *web.Response)

type pageFunc = func(context.Context, web.Request, *slog.Logger) web.Response

// show is the review page. It only reads.
func (h Handler) show(open opener) pageFunc {
	return func(ctx context.Context, r web.Request, log *slog.Logger) web.Response {
		rv, fail := open(ctx, r, log)
		if fail != nil {
			return *fail
		}
		return render(http.StatusOK, h.reviewPage(rv, r.QueryStringParameters["done"], nil, nil))
	}
}

// formKey is the anti-forgery value of a review page's forms: an HMAC keyed by the link's token over
// the request it is for. Only someone holding the link can compute it, so a page on another site
// cannot make a reviewer's browser post a decision.
func formKey(raw string, id access.RequestID) string {
	m := hmac.New(sha256.New, []byte(raw))
	m.Write([]byte("review-form|" + string(id)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// decide handles the forms' POST: check the anti-forgery field, validate, make the one conditional
// write, and answer 303 to the page that shows the outcome.
func (h Handler) decide(open opener) pageFunc {
	return func(ctx context.Context, r web.Request, log *slog.Logger) web.Response {
		rv, fail := open(ctx, r, log)
		if fail != nil {
			return *fail
		}
		form, ok := parseForm(r)
		if !ok {
			return render(http.StatusBadRequest, messagePage("The form could not be read", "Go back to the review page and try again.", rv.base))
		}
		want := formKey(rv.raw, rv.req.ID)
		if got := form.Get("csrf"); !hmac.Equal([]byte(got), []byte(want)) {
			log.Warn("review form without a valid anti-forgery field")
			return render(http.StatusForbidden, messagePage("This form was not sent from the review page",
				"Nothing was changed. Open the link from your email again and use the form on that page.", rv.base))
		}
		in, errs := h.validate(form)
		if len(errs) > 0 {
			return render(http.StatusBadRequest, h.reviewPage(rv, "", errs, form))
		}
		var err error
		switch in.action {
		case actApprove:
			err = h.Reviews.Approve(ctx, rv.req.ID, access.Approval{By: rv.reviewer, ClientReference: in.clientRef, AccessEndsOn: in.endsOn})
		case actReject:
			err = h.Reviews.Reject(ctx, rv.req.ID, rv.reviewer, in.text)
		case actMoreInfo:
			err = h.Reviews.RequestInformation(ctx, rv.req.ID, rv.reviewer, in.text)
		case actSecurityCheck:
			err = h.Reviews.RecordSecurityCheck(ctx, rv.req.ID, rv.reviewer, in.text)
		case actEndAccess:
			err = h.Reviews.EndAccess(ctx, rv.req.ID, rv.reviewer, in.text)
		}
		switch {
		case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
			log.Info("review action refused: the request is not in a state for it", "action", in.action)
			return h.conflict(ctx, rv, log)
		case err != nil:
			log.Error("recording a review action", "action", in.action, "err", err)
			return render(http.StatusServiceUnavailable, unavailablePage())
		}
		log.Info("review action recorded", "action", in.action, "request", rv.req.ID)
		// A relative reference: "./<token>" resolved against /review/<token> is that page again, whatever
		// stage prefix the API is served under.
		return web.Response{StatusCode: http.StatusSeeOther, Headers: withSecurity(map[string]string{
			"Location": self(rv.base) + "?done=" + in.action,
		})}
	}
}

// conflict is the 409 page: someone else decided first, or the request left review. It says who
// decided and when, read afresh.
func (h Handler) conflict(ctx context.Context, rv review, log *slog.Logger) web.Response {
	req, _, err := h.Reviews.Request(ctx, rv.req.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		log.Error("reading a request after a conflict", "err", err)
	}
	if err != nil {
		req = rv.req
	}
	return render(http.StatusConflict, conflictPage(req, rv.base))
}
