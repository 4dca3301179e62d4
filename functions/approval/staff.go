package main

import (
	"context"
	"crypto/hmac"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/staff"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// The staff workspace at /staff: sign-in with the council's identity provider (OpenID Connect,
// authorization code with PKCE), a staff session of its own, the queue, and the review page of
// any request, authorised by the session and its roles rather than by a link's token.

// StaffStore is what the staff routes need of the store.
type StaffStore interface {
	StartStaffSignIn(ctx context.Context, stateHash string, in staff.SignIn) error
	TakeStaffSignIn(ctx context.Context, stateHash string) (staff.SignIn, error)
	StartStaffSession(ctx context.Context, s staff.Session) error
	StaffSession(ctx context.Context, hash string) (staff.Session, error)
	EndStaffSession(ctx context.Context, hash string) error
	Queue(ctx context.Context) ([]store.Waiting, error)
}

// The staff cookies live under /staff only, and are sent on the top-level return from the identity
// provider and on a click from an email (SameSite=Lax). Without INSECURE_COOKIES they are Secure and
// carry the __Secure- prefix (__Host- would need Path=/).
func staffCookie(insecure bool) string  { return prefix(insecure) + "staff" }
func signInCookie(insecure bool) string { return prefix(insecure) + "staff-sign-in" }
func prefix(insecure bool) string {
	if insecure {
		return ""
	}
	return "__Secure-"
}

func cookieHeader(name, value string, maxAge int, insecure bool) string {
	v := name + "=" + value + "; Path=/staff; HttpOnly; SameSite=Lax; Max-Age=" + strconv.Itoa(maxAge)
	if !insecure {
		v += "; Secure"
	}
	return v
}

// returnPath is a staff page a sign-in may go back to: never another site. Compiled on first use,
// as the project's other patterns are, to keep it out of the cold start; its lengths are checked
// apart (returnable), because a counted repetition ({1,254}) compiles into that many copies and cost
// a first request 5 ms.
var returnPath = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^/staff(/requests/[A-Za-z0-9_-]+|/clients/[0-9A-Za-z]+|/audit|/people(/[A-Za-z0-9._%+@-]+)?)?$`)
})

// returnable reports whether a sign-in may go back to path: a staff page, of a length no page's
// address exceeds (the longest, a person's, is /staff/people/ and an address of up to 254).
func returnable(path string) bool { return len(path) <= 300 && returnPath().MatchString(path) }

func redirect(to string, cookies ...string) web.Response {
	r := web.Response{StatusCode: http.StatusSeeOther, Headers: withSecurity(map[string]string{"Location": to})}
	if len(cookies) > 0 {
		r.MultiValueHeaders = map[string][]string{"Set-Cookie": cookies}
	}
	return r
}

// signIn starts a sign-in: a fresh state, nonce and PKCE verifier, kept in the table under the
// state's hash; the state also goes in a cookie, so the callback is accepted only in this browser.
func (h Handler) signIn(ctx context.Context, r web.Request, log *slog.Logger) web.Response {
	back := r.QueryStringParameters["return"]
	if !returnable(back) {
		back = "/staff"
	}
	state, nonce, verifier := secret.New(), secret.New(), secret.New()
	to, err := h.IdP.AuthURL(ctx, state.Reveal(), nonce.Reveal(), verifier.Reveal())
	if err == nil {
		err = h.Staff.StartStaffSignIn(ctx, state.Hash(), staff.SignIn{Verifier: verifier.Reveal(), Nonce: nonce.Reveal(), Return: back, StartedAt: h.Now()})
	}
	if err != nil {
		log.Error("starting a staff sign-in", "err", err)
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	return redirect(to, cookieHeader(signInCookie(h.Insecure), state.Reveal(), int(staff.SignInWithin.Seconds()), h.Insecure))
}

// callback accepts the identity provider's answer: the state must be this browser's and a sign-in
// under way (taken, so never twice), the ID token valid for us with this sign-in's nonce.
func (h Handler) callback(ctx context.Context, r web.Request, log *slog.Logger) web.Response {
	q := r.QueryStringParameters
	state, cookie := q["state"], web.Cookie(r, signInCookie(h.Insecure))
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(cookie)) != 1 {
		log.Warn("staff sign-in callback without this browser's state")
		return render(http.StatusBadRequest, signInFailedPage())
	}
	in, err := h.Staff.TakeStaffSignIn(ctx, secret.From(state).Hash())
	switch {
	case errors.Is(err, store.ErrNotFound):
		log.Warn("staff sign-in callback for no sign-in under way")
		return render(http.StatusBadRequest, signInFailedPage())
	case err != nil:
		log.Error("reading a staff sign-in", "err", err)
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	case q["code"] == "":
		log.Info("the identity provider refused the sign-in", "error", q["error"])
		return render(http.StatusBadRequest, signInFailedPage())
	}
	c, err := h.IdP.Claims(ctx, q["code"], in.Verifier, in.Nonce)
	if err != nil {
		log.Warn("staff sign-in refused", "err", err)
		return render(http.StatusBadRequest, signInFailedPage())
	}
	tok, now := secret.New(), h.Now()
	p := staff.Person{Subject: c.Subject, Email: string(access.NormaliseEmail(c.Email)), Name: c.Name, Roles: h.Groups.RolesOf(c.Groups)}
	if err := h.Staff.StartStaffSession(ctx, staff.Session{Hash: tok.Hash(), Person: p, CreatedAt: now, LastSeen: now}); err != nil {
		log.Error("starting a staff session", "err", err)
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	log.Info("staff signed in", "roles", len(p.Roles))
	return redirect(in.Return,
		cookieHeader(signInCookie(h.Insecure), "", 0, h.Insecure),
		cookieHeader(staffCookie(h.Insecure), tok.Reveal(), int(staff.SessionMax.Seconds()), h.Insecure))
}

// Who may do what in the workspace. Reviewers decide, and alone open evidence files (copies of
// identity documents and legal authority: only those who judge them need them). Support and
// information governance read the queue and request pages, without the files or the forms: support
// to answer "where is my request", governance to check what was decided and by whom;
// administrators read them too, as they may open every section (nav.go). Without one of these
// roles a person sees "no access".
var (
	readers  = []staff.Role{staff.Reviewer, staff.Support, staff.Governance, staff.Administrator}
	deciders = []staff.Role{staff.Reviewer}
)

func readsOnly(p staff.Person) bool { return !p.Can(staff.Reviewer) }

// session is the request's live staff session with one of roles, or the answer to give instead: a
// sign-in for none (or an ended one), "no access" for a person without any of them.
func (h Handler) session(ctx context.Context, r web.Request, roles []staff.Role, log *slog.Logger) (staff.Session, string, *web.Response) {
	raw := web.Cookie(r, staffCookie(h.Insecure))
	var s staff.Session
	err := store.ErrNotFound
	if raw != "" && len(raw) <= 200 {
		s, err = h.Staff.StaffSession(ctx, secret.From(raw).Hash())
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		if r.HTTPMethod != http.MethodGet {
			return s, "", answer(http.StatusForbidden, signInAgainPage())
		}
		to := "/staff/sign-in"
		if returnable(r.Path) {
			to += "?return=" + r.Path
		}
		resp := redirect(to)
		return s, "", &resp
	case err != nil:
		log.Error("reading a staff session", "err", err)
		return s, "", answer(http.StatusServiceUnavailable, staffUnavailablePage())
	case !slices.ContainsFunc(roles, s.Person.Can):
		log.Info("staff without the role", "roles", roles)
		return s, "", answer(http.StatusForbidden, noAccessPage())
	}
	return s, raw, nil
}

// openReader opens a request's page for anyone who may read it; only a reviewer gets its forms.
func (h Handler) openReader(ctx context.Context, r web.Request, log *slog.Logger) (review, *web.Response) {
	return h.openAs(ctx, r, readers, log)
}

// openStaff opens a request's review page for a signed-in reviewer, who is named in what they record.
func (h Handler) openStaff(ctx context.Context, r web.Request, log *slog.Logger) (review, *web.Response) {
	return h.openAs(ctx, r, deciders, log)
}

func (h Handler) openAs(ctx context.Context, r web.Request, roles []staff.Role, log *slog.Logger) (review, *web.Response) {
	s, raw, fail := h.session(ctx, r, roles, log)
	if fail != nil {
		return review{}, fail
	}
	id := r.PathParameters["id"]
	req, ev, err := h.Reviews.Request(ctx, access.RequestID(id))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return review{}, answer(http.StatusNotFound, staffNotFoundPage())
	case err != nil:
		log.Error("reading a request", "err", err)
		return review{}, answer(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	rv := review{raw: raw, base: id, person: s.Person, reviewer: access.Email(s.Person.Email), readOnly: readsOnly(s.Person), req: req, evidence: ev, ref: knownReference(req)}
	if rv.ref != "" {
		if rv.grants, err = h.Reviews.GranteesOf(ctx, rv.ref); err != nil {
			log.Error("reading the grants of a client reference", "err", err)
			return review{}, answer(http.StatusServiceUnavailable, staffUnavailablePage())
		}
		open, err := h.Reviews.OpenRequestsFor(ctx, rv.ref)
		if err != nil {
			log.Error("reading the open requests of a client reference", "err", err)
			return review{}, answer(http.StatusServiceUnavailable, staffUnavailablePage())
		}
		for _, o := range open {
			if o.ID != req.ID {
				rv.others = append(rv.others, o)
			}
		}
	}
	return rv, nil
}

// knownReference is the client reference a request's page shows current grants for: the one it
// was approved under, or else the one its requester gave, when that could be one.
func knownReference(r access.Request) string {
	if r.Decision != nil && r.Decision.ClientReference != "" {
		return r.Decision.ClientReference
	}
	if access.IsClientReference(r.Client.ClientReference) {
		return r.Client.ClientReference
	}
	return ""
}

// queue is the reviewers' queue: requests awaiting review, more information or upload, oldest first.
func (h Handler) queue(ctx context.Context, r web.Request, log *slog.Logger) web.Response {
	s, raw, fail := h.session(ctx, r, readers, log)
	if fail != nil {
		return *fail
	}
	q, err := h.Staff.Queue(ctx)
	if err != nil {
		log.Error("reading the queue", "err", err)
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	// The queue names clients and requesters: who looked at it is recorded, as for any other page.
	if err := h.audit(ctx, r, access.Email(s.Person.Email), store.AuditEvent{Action: store.AuditStaffViewQueue, Detail: "shown=" + strconv.Itoa(len(q))}); err != nil {
		log.Error("writing an audit event", "err", err)
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	return render(http.StatusOK, view{Title: "Requests to work on", Main: queueMain(queueRows(q, h.Now())), SignOut: signOutKey(raw), Person: s.Person, Current: "/staff"})
}

// signOutKey is the anti-forgery value of the sign-out form, keyed by the session's token as the
// review forms are, so another site cannot sign a member of staff out.
func signOutKey(raw string) string { return formKey(raw, "|sign-out") }

// signOut ends the staff session: its item is deleted, so the cookie's token no longer opens
// anything even if a copy of it survives, and the cookie is cleared. Without a live session there
// is nothing to end and the answer is the same.
func (h Handler) signOut(ctx context.Context, r web.Request, log *slog.Logger) web.Response {
	raw := web.Cookie(r, staffCookie(h.Insecure))
	clear := cookieHeader(staffCookie(h.Insecure), "", 0, h.Insecure)
	if raw != "" && len(raw) <= 200 {
		form, ok := parseForm(r)
		if !ok || !hmac.Equal([]byte(form.Get("csrf")), []byte(signOutKey(raw))) {
			log.Warn("staff sign-out without a valid anti-forgery field")
			return render(http.StatusForbidden, staffMessage("This form was not sent from the staff workspace", "You are still signed in. Use the Sign out button at the top of a staff page."))
		}
		if err := h.Staff.EndStaffSession(ctx, secret.From(raw).Hash()); err != nil {
			log.Error("ending a staff session", "err", err)
			return render(http.StatusServiceUnavailable, staffUnavailablePage())
		}
		log.Info("staff signed out")
	}
	resp := render(http.StatusOK, view{Title: "You have signed out", Main: signedOutMain()})
	resp.MultiValueHeaders = map[string][]string{"Set-Cookie": {clear}}
	return resp
}
