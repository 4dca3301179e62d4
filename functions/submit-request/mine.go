package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/web"
)

// A signed-in person's own requests. GET /requests lists the requests sent from the address they
// sign in with, newest first, each linking to its status page, which opens for them without the
// emailed link. This function serves the list because it owns the requests (design decision 11)
// and already reads what the list needs: the address's list (REQUESTER#, kept by SendRequest) and
// each request's top item (REQ#), so no function gains access to anything. The page costs the
// session's read, one Query and one GetItem per request listed (at most myRequests).
const (
	pathRequests = "/requests"
	pathSignIn   = "/sign-in" // the account function's pages
	pathClients  = "/clients"
	myRequests   = 20
)

// RequestLists is what the list of a person's requests needs of the store.
type RequestLists interface {
	RequestsOf(ctx context.Context, e access.Email, limit int) ([]access.Request, error)
}

type myRequest struct {
	Reference, Client, Made, Status, Colour, Link string
}

type requestsView struct {
	Me   access.Requester
	Rows []myRequest
	More bool // the person has made more requests than are listed
}

func (h Handler) requestsGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	me, p := h.signedIn(ctx, r, false, log)
	switch {
	case p != nil:
		return web.Response{}, p
	case me == nil:
		return web.SeeOther(pathSignIn, ""), nil
	}
	reqs, err := h.Mine.RequestsOf(ctx, me.Email, myRequests)
	if err != nil {
		log.Error("listing a person's requests", "err", err)
		return web.Response{}, web.Unavailable()
	}
	v := requestsView{Me: *me, More: len(reqs) == myRequests}
	for _, req := range reqs {
		w := statusWords[req.Status]
		v.Rows = append(v.Rows, myRequest{Reference: reference(req), Client: req.Client.Name, Made: req.CreatedAt.Format("2 January 2006"),
			Status: w[0], Colour: w[1], Link: "/access-requests/" + url.PathEscape(string(req.ID))})
	}
	return page.Respond(ctx, log, http.StatusOK, page.Policy{Personal: true}, requestsPage(h.Brand, v)), nil
}

// ownRequest is the request a status page shows to the signed-in person who made it; ok is false
// for anyone else, a draft, or no session. Someone else's request looks like an unknown one.
func (h Handler) ownRequest(ctx context.Context, r web.Request, id access.RequestID, log *slog.Logger) (access.Request, []access.Evidence, bool, *web.Problem) {
	me, p := h.signedIn(ctx, r, false, log)
	if p != nil || me == nil {
		return access.Request{}, nil, false, p
	}
	req, ev, ok, p := h.request(ctx, id, log)
	if !ok || req.Draft || req.Requester.Email != me.Email {
		return access.Request{}, nil, false, p
	}
	return req, ev, true, nil
}
