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
	"github.com/council/cfp/shared/staff"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// Reviews is what the handler needs of the store. Whoever acts is the signed-in member of staff,
// by the address their identity provider vouched for.
type Reviews interface {
	Request(ctx context.Context, id access.RequestID) (access.Request, []access.Evidence, error)
	RequestByReference(ctx context.Context, ref access.Reference) (access.Request, []access.Evidence, error)
	Approve(ctx context.Context, id access.RequestID, a access.Approval) error
	Reject(ctx context.Context, id access.RequestID, by access.Email, reason string) error
	RequestInformation(ctx context.Context, id access.RequestID, by access.Email, message string) error
	RecordSecurityCheck(ctx context.Context, id access.RequestID, by access.Email, note string) error
	EndAccess(ctx context.Context, id access.RequestID, by access.Email, reason string) error
	ChangeEndDate(ctx context.Context, id access.RequestID, by access.Email, endsOn string) error
	// GranteesOf is every current grant for a client reference.
	GranteesOf(ctx context.Context, clientRef string) ([]access.Grant, error)
	// OpenRequestsFor is every request for a client reference sent and not yet decided.
	OpenRequestsFor(ctx context.Context, clientRef string) ([]access.Request, error)
	// Documents is a page of a client's published documents, newest first.
	Documents(ctx context.Context, clientRef string, t store.DocumentType, cursor string, limit int) (store.DocumentPage, error)
	// HiddenDocuments is a page of a client's replaced and withdrawn documents, newest first.
	HiddenDocuments(ctx context.Context, clientRef string, limit int) ([]store.Document, bool, error)
	// AuditOfClient is a client's newest audit events: who listed and downloaded their documents.
	AuditOfClient(ctx context.Context, clientRef string, limit int) ([]store.AuditEvent, error)
}

// maxForm is the largest form body accepted: the longest field is a 2,000-character text.
const maxForm = 64 << 10

// Handler serves the review routes.
type Handler struct {
	Reviews   Reviews
	Files     Files
	Trail     Auditor        // every staff view and action is recorded here first (audit.go)
	Holdings  Holdings       // what a subject-access export reads about a person (export.go)
	Archive   Archive        // where exports are written and linked from (export.go)
	ClientRef *regexp.Regexp // the council's client reference format, whole-string
	Staff     StaffStore
	People    People // support's person pages (person.go)
	IdP       IdP
	Groups    staff.Groups // the identity provider's groups that give each role
	Insecure  bool         // plain-HTTP development: cookies without Secure
	Now       func() time.Time
	Log       *slog.Logger
}

// routes is the function's route table: its keys are the wiring's routes (routes_test.go).
func (h Handler) routes() web.Routes {
	return web.Routes{
		"GET /staff":                                     pageRoute(h.queue),
		"GET /staff/sign-in":                             pageRoute(h.signIn),
		"GET /staff/callback":                            pageRoute(h.callback),
		"POST /staff/sign-out":                           pageRoute(h.signOut),
		"GET /staff/requests/{id}":                       pageRoute(h.show(h.openReader)),
		"POST /staff/requests/{id}":                      pageRoute(h.decide(h.openStaff)),
		"GET /staff/requests/{id}/evidence/{evidenceId}": pageRoute(h.evidence(h.openStaff)),
		"GET /staff/clients/{clientReference}":           pageRoute(h.client),
		"GET /staff/find":                                pageRoute(h.find),
		"GET /staff/people":                              pageRoute(h.people),
		"GET /staff/people/{email}":                      pageRoute(h.person),
		"POST /staff/people/{email}":                     pageRoute(h.personAct),
		"GET /staff/audit":                               pageRoute(h.auditPage),
		"GET /staff/audit/csv":                           pageRoute(h.auditCSV),
		"POST /staff/audit/export":                       pageRoute(h.export),
	}
}

// pageRoute makes a web.Route of a staff route, whose every answer is a page or a redirect, never
// a problem. The log says only how it ended: never a token, the reviewer's address or anything
// the requester wrote.
func pageRoute(serve func(context.Context, web.Request, *slog.Logger) web.Response) web.Route {
	return func(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
		return serve(ctx, r, log), nil
	}
}

func (h Handler) Handle(ctx context.Context, r web.Request) (web.Response, error) {
	return h.routes().Serve(ctx, r, h.Log), nil
}

// review is an opened review page: the signed-in member of staff and the request (staff.go).
type review struct {
	raw      string // the staff session's token, which keys the page's forms (never logged)
	base     string // the page's last path segment: the request id under /staff/requests/
	person   staff.Person
	reviewer access.Email
	readOnly bool // the person may read the page but not decide, nor open evidence files
	req      access.Request
	evidence []access.Evidence
	ref      string           // the client reference the page shows grants for ("" for none known)
	grants   []access.Grant   // the current grants for ref
	others   []access.Request // the other requests for ref, sent and not yet decided
}

func answer(status int, v view) *web.Response { r := render(status, v); return &r }

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
		if err := h.auditRequest(ctx, r, rv, store.AuditStaffViewRequest, ""); err != nil {
			log.Error("writing an audit event", "err", err)
			return render(http.StatusServiceUnavailable, unavailablePage())
		}
		return render(http.StatusOK, h.reviewPage(rv, r.QueryStringParameters["done"], nil, nil))
	}
}

// formKey is the anti-forgery value of a review page's forms: an HMAC keyed by the staff session's
// token over the request it is for. Only the session's browser can compute it, so a page on another
// site cannot make a reviewer's browser post a decision.
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
				"Nothing was changed. Open the request again and use the form on its page.", rv.base))
		}
		in, errs := h.validate(form)
		if len(errs) > 0 {
			return render(http.StatusBadRequest, h.reviewPage(rv, "", errs, form))
		}
		if in.action == actApprove {
			// A reference whose grants name another client is likely mistyped: approving under it
			// would show a stranger's documents. The reviewer sees who, and must confirm.
			grants, err := h.Reviews.GranteesOf(ctx, in.clientRef)
			if err != nil {
				log.Error("reading the grants of a client reference", "err", err)
				return render(http.StatusServiceUnavailable, unavailablePage())
			}
			rv.ref, rv.grants = in.clientRef, grants
			if len(access.Strangers(rv.req.Client, rv.req.ID, grants)) > 0 && form.Get("confirmClient") != "yes" {
				errs = []fieldError{{Field: "confirmClient", Message: "Check the client reference: earlier grants for " + in.clientRef +
					" record another name or date of birth. If it is the same client, confirm it"}}
				return render(http.StatusBadRequest, h.reviewPage(rv, "", errs, form))
			}
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
		case actChangeEnd:
			err = h.Reviews.ChangeEndDate(ctx, rv.req.ID, rv.reviewer, in.endsOn)
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
		// The decision is made and is in the request's own history in the reviewer's name; a failed
		// audit write cannot undo it, so it is logged as an error and the outcome still shown.
		if err := h.auditRequest(ctx, r, rv, store.AuditStaffDecide, in.action); err != nil {
			log.Error("writing an audit event", "err", err)
		}
		// A relative reference: "./<id>" resolved against /staff/requests/<id> is that page again,
		// whatever stage prefix the API is served under.
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
