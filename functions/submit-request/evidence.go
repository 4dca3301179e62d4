package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// Scans is what the evidence route and the move to review need of the store.
type Scans interface {
	AddEvidence(ctx context.Context, req access.Request, add []access.Evidence, replace []access.EvidenceID) error
	PromoteIfReady(ctx context.Context, id access.RequestID, reviewers access.Reviewers) (access.Status, error)
	Token(ctx context.Context, hash string, p mail.Purpose) (store.Token, error)
}

type moreEvidence struct {
	Evidence []access.File `json:"evidence"`
}

type added struct {
	ID      access.RequestID `json:"id"`
	Status  access.Status    `json:"status"`
	Uploads []createdUpload  `json:"uploads"`
}

// addEvidence serves POST /access-requests/{id}/evidence: more files for the request's current
// round, each with its upload form (as at creation). It is open while the request awaits its
// files, after a reviewer asked for more information, and while it is scanning if a file was
// refused. The refused files of the round are replaced: they leave the round (and stay on the
// request as a record), so they no longer hold up the submit or the move to review. The round
// never holds more than access.MaxFiles files that are not refused.
func (h Handler) addEvidence(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	if p := web.CheckBrowser(r, h.Origin); p != nil {
		return web.Response{}, p
	}
	req, ev, p := h.load(ctx, r, log)
	if p != nil {
		return web.Response{}, p
	}
	var in moreEvidence
	if p := web.DecodeJSON(r, &in); p != nil {
		return web.Response{}, p
	}
	now := h.Now().UTC()
	if errs := validateFiles(in.Evidence, now); len(errs) > 0 {
		return web.Response{}, web.Invalid(errs...)
	}
	var kept int
	var replace []access.EvidenceID
	for _, e := range current(req, ev) {
		if e.Status.Refused() {
			replace = append(replace, e.ID)
		} else {
			kept++
		}
	}
	switch req.Status {
	case access.AwaitingEvidence, access.MoreInfoRequested:
	case access.Scanning:
		if len(replace) == 0 {
			return web.Response{}, web.Conflict("The request has been sent and its files are being checked: there is no refused file to replace.")
		}
	default:
		return web.Response{}, web.Conflict("Files can no longer be added to this request.")
	}
	if kept+len(in.Evidence) > access.MaxFiles {
		return web.Response{}, web.Invalid(web.FieldError{Field: "evidence", Message: "at most 5 files: this request already has " + strconv.Itoa(kept)})
	}
	items := newEvidence(req, in.Evidence, now)
	uploads, p := h.uploadForms(ctx, items, log)
	if p != nil {
		return web.Response{}, p
	}
	switch err := h.Scans.AddEvidence(ctx, req, items, replace); {
	case errors.Is(err, store.ErrConflict):
		return web.Response{}, web.Conflict("The request changed while the files were being added. Please try again.")
	case err != nil:
		log.Error("adding evidence", "err", err)
		return web.Response{}, web.Unavailable()
	}
	log.Info("evidence added", "id", req.ID, "files", len(items), "replaced", len(replace))
	return web.JSON(http.StatusCreated, added{ID: req.ID, Status: req.Status, Uploads: uploads}), nil
}

// load returns the request to the holder of its continuation token, or of an unexpired "more
// information" link token issued for this request (the person may have only the email's link).
// An unknown id and any other token get the same 404.
func (h Handler) load(ctx context.Context, r web.Request, log *slog.Logger) (access.Request, []access.Evidence, *web.Problem) {
	tok := secret.From(web.Bearer(r))
	id := access.RequestID(r.PathParameters["id"])
	req, ev, err := h.Requests.Request(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return req, nil, web.NotFound()
	case err != nil:
		log.Error("reading a request", "err", err)
		return req, nil, web.Unavailable()
	case tok.Matches(req.ContinuationHash):
		return req, ev, nil
	case tok.Empty(), h.Scans == nil:
		return req, nil, web.NotFound()
	}
	link, err := h.Scans.Token(ctx, tok.Hash(), mail.MoreInfo)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return req, nil, web.NotFound()
	case err != nil:
		log.Error("reading a link token", "err", err)
		return req, nil, web.Unavailable()
	case link.Subject != string(id) || !h.Now().Before(link.ExpiresAt):
		return req, nil, web.NotFound()
	}
	return req, ev, nil
}

// validateFiles applies exactly the creation's rules to the files (access.NewRequest.Validate's
// evidence checks), and asks for at least one.
func validateFiles(files []access.File, now time.Time) []web.FieldError {
	if len(files) == 0 {
		return []web.FieldError{{Field: "evidence", Message: "add at least one file"}}
	}
	n := access.NewRequest{Evidence: files}
	var out []web.FieldError
	for _, e := range n.Validate(now, true) {
		if e.Field == "evidence" || strings.HasPrefix(e.Field, "evidence[") {
			out = append(out, web.FieldError(e))
		}
	}
	return out
}

// promote moves a request that has just been submitted (or is still scanning) on to review if its
// files are all clean already, and returns its status. The files' own scans do the same when they
// finish; doing it here too covers files that were all clean before the submit.
func (h Handler) promote(ctx context.Context, id access.RequestID, log *slog.Logger) (access.Status, *web.Problem) {
	if h.Scans == nil { // handlers built for tests of other routes
		return access.Scanning, nil
	}
	st, err := h.Scans.PromoteIfReady(ctx, id, h.Reviewers)
	if err != nil {
		log.Error("moving the request on to review", "err", err)
		return "", &web.Problem{Status: http.StatusServiceUnavailable, Title: "Service unavailable", RetryAfter: 5,
			Detail: "Your request was sent, but its status could not be updated. Please send it again in a moment."}
	}
	return st, nil
}
