package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// A create sent again because its answer never arrived (a lost answer, a dropped connection) must
// not make a second request, with a second "received" email and a second review. The portal sends
// an Idempotency-Key header, a random value per form it submits; the first sending with a key
// claims it for the request it makes, and a later sending with the same key and body gets that
// request back. Its continuation token cannot be sent again (only its hash is kept), so it gets a
// new one, which replaces the lost one; the key is treated as a secret for that reason.

const idempotencyHeader = "Idempotency-Key"

// validKey accepts what a client can sensibly generate (a UUID, a base64url value): 16 to 128
// letters, digits, '-' and '_'.
func validKey(k string) bool {
	if len(k) < 16 || len(k) > 128 {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// claim returns the id the create is to make, or the answer when the key's request already exists.
func (h Handler) claim(ctx context.Context, r web.Request, requester access.Email, id access.RequestID, log *slog.Logger) (access.RequestID, *web.Response, *web.Problem) {
	key := web.Header(r, idempotencyHeader)
	if key == "" {
		return id, nil, nil
	}
	if !validKey(key) {
		return "", nil, web.BadRequest(idempotencyHeader + " must be 16 to 128 letters, digits, '-' or '_' (a UUID will do).")
	}
	body, _ := web.Body(r) // already read and decoded once
	claimed, err := h.Requests.Claim(ctx, secret.From(key).Hash(), secret.From(string(body)).HashWith(string(requester)), id)
	switch {
	case errors.Is(err, store.ErrConflict):
		return "", nil, &web.Problem{Status: http.StatusUnprocessableEntity, Title: "Idempotency key reused",
			Detail: "This " + idempotencyHeader + " was already sent with a different request. Use a new key for a new request."}
	case err != nil:
		log.Error("claiming an idempotency key", "err", err)
		return "", nil, web.Unavailable()
	case claimed == id:
		return id, nil, nil
	}
	resp, p := h.again(ctx, claimed, log)
	if resp == nil && p == nil { // the first sending claimed the key but made nothing: make it now
		return claimed, nil, nil
	}
	return "", resp, p
}

// again answers a create sent again: the request the first sending made, with a new continuation
// token and new upload forms. Nil, nil when the first sending made no request.
func (h Handler) again(ctx context.Context, id access.RequestID, log *slog.Logger) (*web.Response, *web.Problem) {
	req, ev, err := h.Requests.Request(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		log.Error("reading a request sent again", "err", err)
		return nil, web.Unavailable()
	}
	token := secret.New()
	switch err := h.Requests.ReissueContinuation(ctx, id, token.Hash()); {
	case errors.Is(err, store.ErrConflict):
		return nil, web.Conflict("This request was already sent (reference " + string(id) + "); we have emailed you about it.")
	case err != nil:
		log.Error("reissuing a continuation token", "err", err)
		return nil, web.Unavailable()
	}
	uploads, p := h.uploadForms(ctx, current(req, ev), log)
	if p != nil {
		return nil, p
	}
	log.Info("request sent again: the first answer was lost", "id", id)
	resp := web.JSON(http.StatusCreated, created{ID: id, Status: req.Status, ContinuationToken: token.Reveal(), Reference: req.Reference, Uploads: uploads})
	return &resp, nil
}
