package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"

	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// The pages' addresses. The emails link to /register and /verify (mail.Bases).
const (
	pathRegister   = "/register"
	pathCheckEmail = "/register/check-email"
	pathVerify     = "/verify"
	pathSignIn     = "/sign-in"
	pathSignOut    = "/sign-out"
	pathSignedOut  = "/signed-out"
	pathClients    = "/clients"
	// Served by submit-request, which owns requests: the person's own requests, and a new request,
	// whose details that function fills in from the session.
	pathRequests   = "/requests"
	pathNewRequest = "/request/relationship"
)

func clientPath(ref string) string            { return pathClients + "/" + ref }
func accessPath(ref string) string            { return clientPath(ref) + "/access" }
func downloadPath(id store.DocumentID) string { return "/api/documents/" + string(id) + "/download" }

// show renders a page. Every page of this function is personal or carries a token: none is stored.
func (h Handler) show(ctx context.Context, log *slog.Logger, status int, c templ.Component, cookie string) web.Response {
	resp := page.Respond(ctx, log, status, page.Policy{Personal: true}, c)
	if cookie != "" {
		resp.Headers["Set-Cookie"] = cookie
	}
	return resp
}

// shown is a page route's answer: pages answer every outcome themselves, never a problem.
func shown(resp web.Response) (web.Response, *web.Problem) { return resp, nil }

// --- Registration ---

type registerView struct {
	Invitation, Name, Token string
	Errors                  page.Errors
}

func (h Handler) registerGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	inv := r.QueryStringParameters["invitation"]
	if _, p := h.checkLink(ctx, inv, mail.Invitation, log); p != nil {
		return shown(h.linkProblem(ctx, log, linkInvitation, p))
	}
	v, fresh := h.visits().Of(r)
	return shown(h.show(ctx, log, http.StatusOK, registerPage(h.brand(), registerView{Invitation: inv, Token: h.visits().Token(v.Bind)}), h.visits().SetIf(fresh, v)))
}

func (h Handler) registerPost(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	v, fresh := h.visits().Of(r)
	form, ok := h.visits().Read(r, v.Bind)
	view := registerView{Invitation: form.Get("invitation"), Name: form.Get("name"), Token: h.visits().Token(v.Bind)}
	if fresh || !ok {
		view.Errors.Add("name", staleForm)
		return shown(h.show(ctx, log, http.StatusBadRequest, registerPage(h.brand(), view), h.visits().Set(v)))
	}
	name := strings.TrimSpace(view.Name)
	switch {
	case name == "":
		view.Errors.Add("name", "Enter your full name")
	case utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name):
		view.Errors.Add("name", "Your name must be 100 characters or fewer")
	case strings.ContainsAny(name, "\x00\r\n\t"):
		view.Errors.Add("name", "Your name must be on one line")
	}
	if view.Errors.Any() {
		return shown(h.show(ctx, log, http.StatusBadRequest, registerPage(h.brand(), view), ""))
	}
	if p := h.registerWith(ctx, registerBody{Invitation: view.Invitation, Name: name}, log); p != nil {
		return shown(h.linkProblem(ctx, log, linkInvitation, p))
	}
	return shown(web.SeeOther(pathCheckEmail))
}

func (h Handler) checkEmail(ctx context.Context, _ web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	return shown(h.show(ctx, log, http.StatusOK, checkEmailPage(h.brand()), ""))
}

// checkLink reads an emailed link's token without using it: opening a link changes nothing.
func (h Handler) checkLink(ctx context.Context, raw string, p mail.Purpose, log *slog.Logger) (store.Token, *web.Problem) {
	if raw == "" || len(raw) > 200 {
		return store.Token{}, unknownLink()
	}
	tok, err := h.Accounts.Token(ctx, secret.From(raw).Hash(), p)
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && p == mail.Verify && tok.Subject != string(tok.Email):
		return tok, unknownLink()
	case err != nil:
		log.Error("reading a link", "err", err)
		return tok, web.Unavailable()
	case !tok.UsedAt.IsZero():
		return tok, web.Conflict("used")
	case !h.Now().Before(tok.ExpiresAt):
		return tok, gone("expired")
	}
	return tok, nil
}

// --- Verification ---

type verifyView struct {
	Link, Token string
	Errors      page.Errors
}

func (h Handler) verifyGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	raw := r.QueryStringParameters["token"]
	tok, p := h.checkLink(ctx, raw, mail.Verify, log)
	if p != nil && p.Status == http.StatusConflict && h.alreadyVerified(ctx, tok, log) == nil {
		return shown(web.SeeOther(pathSignIn + "?confirmed=1")) // confirmed before: nothing left to do
	}
	if p != nil {
		return shown(h.linkProblem(ctx, log, linkVerify, p))
	}
	v, fresh := h.visits().Of(r)
	return shown(h.show(ctx, log, http.StatusOK, verifyPage(h.brand(), verifyView{Link: raw, Token: h.visits().Token(v.Bind)}), h.visits().SetIf(fresh, v)))
}

func (h Handler) verifyPost(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	v, fresh := h.visits().Of(r)
	form, ok := h.visits().Read(r, v.Bind)
	view := verifyView{Link: form.Get("token"), Token: h.visits().Token(v.Bind)}
	if fresh || !ok {
		view.Errors.Add("confirm", staleForm)
		return shown(h.show(ctx, log, http.StatusBadRequest, verifyPage(h.brand(), view), h.visits().Set(v)))
	}
	if p := h.verifyWith(ctx, view.Link, log); p != nil {
		if p.Status == http.StatusBadRequest {
			p = unknownLink()
		}
		return shown(h.linkProblem(ctx, log, linkVerify, p))
	}
	return shown(web.SeeOther(pathSignIn + "?confirmed=1"))
}

// --- Signed in ---

// session is the signed-in person of a page, or the answer that sends them to sign in (clearing a
// cookie that is no good).
func (h Handler) session(ctx context.Context, r web.Request, log *slog.Logger) (store.Session, string, *web.Response) {
	s, p := h.signedIn(ctx, r, log)
	switch {
	case p == nil:
		return s, web.SessionToken(r, h.Insecure).Reveal(), nil
	case p.Status == http.StatusUnauthorized:
		resp := web.SeeOther(pathSignIn)
		if !web.SessionToken(r, h.Insecure).Empty() {
			resp.Headers["Set-Cookie"] = web.ClearSessionCookie(h.Insecure)
		}
		return s, "", &resp
	}
	resp := h.unavailable(ctx, log)
	return s, "", &resp
}

type clientsView struct {
	Me      meBody
	SignOut string // the sign-out form's anti-forgery field
}

func (h Handler) clientsGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	s, bind, resp := h.session(ctx, r, log)
	if resp != nil {
		return shown(*resp)
	}
	me, p := h.clientsOf(ctx, s, log)
	if p != nil {
		return shown(h.unavailable(ctx, log))
	}
	return shown(h.show(ctx, log, http.StatusOK, clientsPage(h.brand(), clientsView{Me: me, SignOut: h.visits().Token(bind)}), ""))
}

// documentsPerPage is the client page's page size: a year of four-weekly invoices fits on one.
const documentsPerPage = 20

type clientView struct {
	Grant     store.Grant
	Type      store.DocumentType
	Documents []store.Document
	Next      string // the next page's address, "" on the last page
	Previous  string // the previous page's address, "" on the first
	PageNo    int
	SignOut   string
	Errors    page.Errors
}

func (h Handler) clientGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	s, bind, resp := h.session(ctx, r, log)
	if resp != nil {
		return shown(*resp)
	}
	ref := r.PathParameters["clientReference"]
	q := r.QueryStringParameters
	view := clientView{Type: store.DocumentType(q["type"]), SignOut: h.visits().Token(bind)}
	if view.Type != "" && !store.DocumentTypes[view.Type] {
		view.Errors.Add("type", "Choose a type of document from the list")
		view.Type = ""
	}
	trail := splitTrail(q["back"])
	cursor := q["cursor"]
	g, docs, p := h.listDocuments(ctx, r, s, ref, view.Type, cursor, documentsPerPage, log)
	if p != nil && p.Status == http.StatusBadRequest { // a cursor from an old page: start again
		view.Errors.Add("type", "This page of the list is out of date: it shows the first page instead")
		cursor, trail = "", nil
		g, docs, p = h.listDocuments(ctx, r, s, ref, view.Type, "", documentsPerPage, log)
	}
	switch {
	case p != nil && p.Status == http.StatusNotFound:
		return shown(h.show(ctx, log, http.StatusNotFound, notFoundPage(h.brand()), ""))
	case p != nil:
		return shown(h.unavailable(ctx, log))
	}
	view.Grant, view.Documents, view.PageNo = g, docs.Documents, 1
	if cursor != "" {
		view.PageNo = len(trail) + 2
		view.Previous = listURL(ref, view.Type, "", nil)
		if n := len(trail); n > 0 {
			view.Previous = listURL(ref, view.Type, trail[n-1], trail[:n-1])
		}
		trail = append(trail, cursor)
	}
	if docs.Next != "" {
		view.Next = listURL(ref, view.Type, docs.Next, trail)
	}
	status := http.StatusOK
	if view.Errors.Any() {
		status = http.StatusBadRequest
	}
	return shown(h.show(ctx, log, status, clientPage(h.brand(), view), ""))
}

// A page of the client's list after the first carries the cursors of the pages between the first
// and it ("back"), for its previous-page link; at most maxTrail are kept, so a very long walk's "Previous" leads
// back to the first page at worst.
const maxTrail = 50

func splitTrail(s string) []string {
	if s == "" {
		return nil
	}
	var t []string
	for _, c := range strings.Split(s, "~") {
		if c != "" && strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == "" {
			t = append(t, c) // cursors are base64url: anything else is not one of ours
		}
	}
	if len(t) > maxTrail {
		t = t[len(t)-maxTrail:]
	}
	return t
}

// listURL is the address of a page of a client's list, with its trail of earlier pages.
func listURL(ref string, t store.DocumentType, cursor string, trail []string) string {
	var q []string
	if t != "" {
		q = append(q, "type="+string(t))
	}
	if cursor != "" {
		q = append(q, "cursor="+cursor)
		if len(trail) > 0 {
			if len(trail) > maxTrail {
				trail = trail[len(trail)-maxTrail:]
			}
			q = append(q, "back="+strings.Join(trail, "~"))
		}
	}
	u := clientPath(ref)
	if len(q) > 0 {
		u += "?" + strings.Join(q, "&")
	}
	return u
}

type accessView struct {
	Ref      string
	Grantees []granteeBody
	SignOut  string
}

func (h Handler) accessGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	s, bind, resp := h.session(ctx, r, log)
	if resp != nil {
		return shown(*resp)
	}
	ref := r.PathParameters["clientReference"]
	out, p := h.granteesOf(ctx, s, ref, log)
	switch {
	case p != nil && p.Status == http.StatusNotFound:
		return shown(h.show(ctx, log, http.StatusNotFound, notFoundPage(h.brand()), ""))
	case p != nil:
		return shown(h.unavailable(ctx, log))
	}
	return shown(h.show(ctx, log, http.StatusOK, accessPage(h.brand(), accessView{Ref: ref, Grantees: out, SignOut: h.visits().Token(bind)}), ""))
}

func (h Handler) signOutPost(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	tok := web.SessionToken(r, h.Insecure)
	if _, ok := h.visits().Read(r, tok.Reveal()); !ok {
		// Not this browser's form, or no session: end nothing, and show where to go next.
		return shown(web.SeeOther(pathClients))
	}
	if err := h.Sessions.EndSession(ctx, tok.Hash()); err != nil {
		log.Error("ending a session", "err", err)
		return shown(h.unavailable(ctx, log))
	}
	log.Info("signed out")
	return shown(web.SeeOther(pathSignedOut, web.ClearSessionCookie(h.Insecure)))
}

func (h Handler) signedOut(ctx context.Context, _ web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	return shown(h.show(ctx, log, http.StatusOK, signedOutPage(h.brand()), ""))
}

// --- Plain-words answers ---

// staleForm is what a form says when its anti-forgery field is missing, forged or too old.
const staleForm = "This page was open too long or did not come from this service. Try again"

// linkKind says which email a link came from, for the words of its problem page.
type linkKind int

const (
	linkInvitation linkKind = iota
	linkVerify
)

// linkWords is what a link's problem page says: a title, what happened, and the next step.
type linkWords struct {
	Title, Body string
	SignIn      bool // the next step is to sign in
	Contact     bool // the next step is to ask the Client Finance team
}

// linkProblem answers a link that does not work with a page in plain words, never a trace.
func (h Handler) linkProblem(ctx context.Context, log *slog.Logger, kind linkKind, p *web.Problem) web.Response {
	var w linkWords
	switch {
	case p.Status >= 500:
		return h.unavailable(ctx, log)
	case p.Status == http.StatusConflict && kind == linkInvitation && p.Detail != invitationUsed().Detail && p.Detail != "used":
		w = linkWords{Title: "You already have an account", SignIn: true,
			Body: "There is already an account for this email address. Sign in with your email address to see your clients."}
	case p.Status == http.StatusConflict && kind == linkInvitation:
		w = linkWords{Title: "This registration link has already been used", SignIn: true,
			Body: "If you registered, we sent you an email with a link to confirm your email address. Once you have confirmed it, sign in with your email address."}
	case p.Status == http.StatusConflict:
		w = linkWords{Title: "This link has already been used", SignIn: true,
			Body: "Sign in with your email address. If you have not confirmed your email address yet, we will send you a new link when you do."}
	case p.Status == http.StatusGone && kind == linkInvitation:
		w = linkWords{Title: "This registration link has expired", Contact: true,
			Body: "Registration links work for 14 days. Ask the Client Finance team for a new invitation."}
	case p.Status == http.StatusGone:
		w = linkWords{Title: "This link has expired", SignIn: true,
			Body: "Links to confirm your email address work for 24 hours. Sign in with your email address and we will send you a new link."}
	case kind == linkInvitation:
		w = linkWords{Title: "This link does not work", Contact: true,
			Body: "The link may not have been copied in full. Open the link in your approval email again. If it still does not work, ask the Client Finance team for a new invitation."}
	default:
		w = linkWords{Title: "This link does not work", SignIn: true,
			Body: "The link may not have been copied in full. Open the link in the email again, or sign in with your email address and we will send you a new link."}
	}
	return h.show(ctx, log, p.Status, linkPage(h.brand(), w), "")
}

func (h Handler) unavailable(ctx context.Context, log *slog.Logger) web.Response {
	return page.Unavailable(ctx, log, h.Brand)
}

func (h Handler) brand() brand.Brand { return h.Brand }

// ukDate is a YYYY-MM-DD date as the pages write it: "2 January 2026".
func ukDate(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.Format("2 January 2006")
}

// size is a file's size as a download link gives it.
func size(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt((n+1<<9)>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
