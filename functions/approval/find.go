package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// find looks a request up by the short reference a caller reads out (CFP-7K3M-9Q2X, typed in any
// case, with or without hyphens) and sends the browser to its page. A reference that is not one
// asks again; an unknown one and a draft's (sent to nobody yet) answer alike.
func (h Handler) find(ctx context.Context, r web.Request, log *slog.Logger) web.Response {
	s, raw, fail := h.session(ctx, r, readers, log)
	if fail != nil {
		return *fail
	}
	v := view{Title: "Find a request", SignOut: signOutKey(raw), Person: s.Person, Current: "/staff/find"}
	typed, asked := r.QueryStringParameters["reference"]
	if !asked { // the navigation's link: the form alone
		v.Main = findMain("", "")
		return render(http.StatusOK, v)
	}
	ref, ok := access.ParseReference(typed)
	if !ok {
		v.Title, v.Main = "Error: Find a request", findMain(typed, "Enter the request's reference as it was given, like CFP-7K3M-9Q2X")
		return render(http.StatusBadRequest, v)
	}
	req, _, err := h.Reviews.RequestByReference(ctx, ref)
	switch {
	case errors.Is(err, store.ErrNotFound):
		v.Title, v.Main = "Error: No request found", findMain(typed, "No request has the reference "+string(ref)+". Check it with the caller")
		return render(http.StatusNotFound, v)
	case err != nil:
		log.Error("finding a request by reference", "err", err)
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	return redirect("/staff/requests/" + url.PathEscape(string(req.ID)))
}
