package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// pathPasskeys is the account's Passkeys page: the person's passkeys, adding and removing them.
const pathPasskeys = "/account/passkeys"

func removePath(id store.PasskeyID) string { return pathPasskeys + "/" + string(id) + "/remove" }

type passkeysView struct {
	Keys           []store.Passkey
	Name, Token    string
	Added, Removed bool
	Errors         page.Errors
}

// Full says the person has as many passkeys as they may.
func (v passkeysView) Full() bool { return len(v.Keys) >= access.MaxPasskeys }

// passkeysGet shows the Passkeys page. Adding one needs the page's script (passkey.js), which
// drives the browser's WebAuthn prompt through the JSON routes; removing one is a plain form.
func (h Handler) passkeysGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	s, bind, resp := h.session(ctx, r, log)
	if resp != nil {
		return shown(*resp)
	}
	keys, p := h.passkeysOf(ctx, s, log)
	if p != nil {
		return shown(h.unavailable(ctx, log))
	}
	q := r.QueryStringParameters
	v := passkeysView{Keys: keys, Token: h.visits().Token(bind), Added: q["added"] == "1", Removed: q["removed"] == "1"}
	return shown(h.show(ctx, log, http.StatusOK, passkeysPage(h.brand(), v), ""))
}

// passkeysPost is the add form posted without its script: when the script runs, it posts only a
// form whose name is not right, so that this answers with the error summary; without it the
// name is checked the same and the page says what adding a passkey needs.
func (h Handler) passkeysPost(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	s, bind, resp := h.session(ctx, r, log)
	if resp != nil {
		return shown(*resp)
	}
	form, ok := h.visits().Read(r, bind)
	keys, p := h.passkeysOf(ctx, s, log)
	if p != nil {
		return shown(h.unavailable(ctx, log))
	}
	v := passkeysView{Keys: keys, Name: form.Get("name"), Token: h.visits().Token(bind)}
	_, msg := access.PasskeyName(v.Name)
	switch {
	case !ok:
		v.Errors.Add("name", staleForm)
	case msg != "":
		v.Errors.Add("name", msg)
	default:
		v.Errors.Add("name", "Adding a passkey needs JavaScript, which is off or blocked in this browser. You can still sign in with a code we email you")
	}
	return shown(h.show(ctx, log, http.StatusBadRequest, passkeysPage(h.brand(), v), ""))
}

// passkeyRemovePost removes one of the person's passkeys (a form per passkey on the page).
func (h Handler) passkeyRemovePost(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	s, bind, resp := h.session(ctx, r, log)
	if resp != nil {
		return shown(*resp)
	}
	if _, ok := h.visits().Read(r, bind); !ok {
		return shown(web.SeeOther(pathPasskeys)) // not this browser's form: remove nothing
	}
	switch p := h.remove(ctx, s, store.PasskeyID(r.PathParameters["id"]), log); {
	case p == nil:
		return shown(web.SeeOther(pathPasskeys + "?removed=1"))
	case p.Status == http.StatusNotFound:
		return shown(h.show(ctx, log, http.StatusNotFound, notFoundPage(h.brand()), ""))
	}
	return shown(h.unavailable(ctx, log))
}
