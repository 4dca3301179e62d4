package main

import (
	"context"
	"crypto/hmac"
	"errors"
	"log/slog"
	"net/http"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/staff"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// People is what the person pages need of the store.
type People interface {
	FindPeople(ctx context.Context, prefix string, limit int) ([]store.PersonMatch, error)
	Person(ctx context.Context, e access.Email) (store.Person, error)
	ClearSuppression(ctx context.Context, e access.Email) error
	ReissueInvitation(ctx context.Context, id access.RequestID) error
	ResendVerification(ctx context.Context, e access.Email, verification mail.Message, limit store.Limit) error
	EndSessionsOf(ctx context.Context, e access.Email) (int, error)
	UnlockSignIn(ctx context.Context, e access.Email) error
}

// How many people a name search lists: a surname prefix of one letter can match many.
const peopleListed = 50

// verifyByStaff bounds the verification emails support sends one address, apart from the
// person's own asking (functions/account), so a slip of the mouse cannot flood a mailbox.
var verifyByStaff = store.Limit{Kind: "staff-verify", Window: time.Hour, Max: 3}

// Person page actions (the form's action field) and their banners.
const (
	actClearSuppression = "clear_suppression"
	actReissue          = "reissue_invitation"
	actVerification     = "resend_verification"
	actSignOutAll       = "sign_out_everywhere"
	actUnlock           = "unlock_sign_in"
)

var personDone = map[string]string{
	actClearSuppression: "The suppression is cleared: emails will be sent to this address again.",
	actReissue:          "A new invitation is on its way. Earlier invitation links for the request no longer work.",
	actVerification:     "A new email to confirm the address is on its way.",
	actSignOutAll:       "The person is signed out everywhere: every session they had has ended.",
	actUnlock:           "Sign-in is unlocked: the person can ask for a new code now.",
}

// personKey is the anti-forgery value of a person page's forms, keyed by the staff session's
// token as the review forms are, and bound to the address.
func personKey(raw string, e access.Email) string {
	return formKey(raw, access.RequestID("|person|"+string(e)))
}

func personHref(e access.Email) string { return "/staff/people/" + url.PathEscape(string(e)) }

// peopleView is the search page.
type peopleView struct {
	query    string
	problem  string // the query's error, for the error summary
	searched bool
	found    []store.PersonMatch
}

// people is the search: an exact address, or a surname prefix through the name index. GET with
// no query shows the form; a bad query is an error summary; no match says so.
func (h Handler) people(ctx context.Context, r web.Request, log *slog.Logger) web.Response {
	s, raw, fail := h.session(ctx, r, peopleRoles, log)
	if fail != nil {
		return *fail
	}
	q := strings.TrimSpace(r.QueryStringParameters["q"])
	v := peopleView{query: q}
	show := func(status int) web.Response {
		title := "Find a person"
		if v.problem != "" {
			title = "Error: " + title
		}
		return render(status, view{Title: title, Main: peopleMain(v), SignOut: signOutKey(raw), Person: s.Person, Current: "/staff/people"})
	}
	if _, asked := r.QueryStringParameters["q"]; !asked {
		return show(http.StatusOK)
	}
	v.searched = true
	var err error
	switch {
	case q == "":
		v.problem = "Enter an email address or the start of a surname"
		return show(http.StatusBadRequest)
	case strings.Contains(q, "@"):
		e, ok := emailOf(q)
		if !ok {
			v.problem = "Enter an email address in the correct format, like name@example.com"
			return show(http.StatusBadRequest)
		}
		var p store.Person
		if p, err = h.People.Person(ctx, e); err == nil && p.Known() {
			v.found = []store.PersonMatch{{Email: e, Name: personName(p)}}
		}
	default:
		if !isSurnamePrefix(q) {
			v.problem = "Enter the start of a surname using letters, spaces, hyphens and apostrophes only (at most 50)"
			return show(http.StatusBadRequest)
		}
		v.found, err = h.People.FindPeople(ctx, q, peopleListed)
	}
	if err != nil {
		log.Error("finding people", "err", err)
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	var about access.Email
	if len(v.found) == 1 && strings.Contains(q, "@") {
		about = v.found[0].Email
	}
	if !h.auditPerson(ctx, r, access.Email(s.Person.Email), about, store.AuditStaffFind, "people found="+strconv.Itoa(len(v.found)), log) {
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	return show(http.StatusOK)
}

// emailOf is a typed address, normalised, or false when it is not one.
func emailOf(s string) (access.Email, bool) {
	if len(s) > 254 {
		return "", false
	}
	a, err := netmail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", false
	}
	return access.NormaliseEmail(s), true
}

// isSurnamePrefix allows what surnames are made of (any script), so the query cannot be an index
// key's separator or a control character.
func isSurnamePrefix(s string) bool {
	if utf8.RuneCountInString(s) > 50 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsMark(r) && r != '-' && r != '\'' && r != '’' && r != ' ' {
			return false
		}
	}
	return true
}

// personName is the name the table holds for a person: their account's, else their newest request's.
func personName(p store.Person) string {
	if p.Account != nil && p.Account.Name != "" {
		return p.Account.Name
	}
	if len(p.Requests) > 0 {
		return p.Requests[0].Requester.Name
	}
	return ""
}

// personView is a person page.
type personView struct {
	p      store.Person
	name   string
	csrf   string
	done   string           // the banner's text after an action
	invite []access.Request // requests a new invitation can be sent for
}

// openPerson is the signed-in supporter and the address of the page, or the answer to give instead.
func (h Handler) openPerson(ctx context.Context, r web.Request, log *slog.Logger) (staff.Session, string, access.Email, *web.Response) {
	s, raw, fail := h.session(ctx, r, peopleRoles, log)
	if fail != nil {
		return s, "", "", fail
	}
	e, ok := emailOf(r.PathParameters["email"])
	if !ok {
		return s, "", "", answer(http.StatusNotFound, personNotFoundPage())
	}
	return s, raw, e, nil
}

func personNotFoundPage() view {
	return staffMessage("Page not found", "There is no person at this address. Find them by their email address or surname.")
}

// person is the person page. It only reads (and audits the view).
func (h Handler) person(ctx context.Context, r web.Request, log *slog.Logger) web.Response {
	s, raw, e, fail := h.openPerson(ctx, r, log)
	if fail != nil {
		return *fail
	}
	p, err := h.People.Person(ctx, e)
	if err != nil {
		log.Error("reading a person", "err", err)
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	if !p.Known() {
		return render(http.StatusNotFound, personNotFoundPage())
	}
	if !h.auditPerson(ctx, r, access.Email(s.Person.Email), e, store.AuditStaffViewPerson, "", log) {
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	v := personView{p: p, name: personName(p), csrf: personKey(raw, e), done: personDone[r.QueryStringParameters["done"]]}
	if p.Account == nil {
		for _, req := range p.Requests {
			if _, err := req.InviteAgain(false); err == nil {
				v.invite = append(v.invite, req)
			}
		}
	}
	title := v.name
	if title == "" {
		title = string(e)
	}
	return render(http.StatusOK, view{Title: title, Main: personMain(v), SignOut: signOutKey(raw), Person: s.Person, Current: "/staff/people"})
}

// personAct handles the person page's forms: check the anti-forgery field, make the one change,
// audit it in the supporter's name, and answer 303 to the page with its banner.
func (h Handler) personAct(ctx context.Context, r web.Request, log *slog.Logger) web.Response {
	s, raw, e, fail := h.openPerson(ctx, r, log)
	if fail != nil {
		return *fail
	}
	back := personHref(e)
	form, ok := parseForm(r)
	if !ok {
		return render(http.StatusBadRequest, staffMessageBack("The form could not be read", "Nothing was changed. Go back to the person's page and try again.", back))
	}
	if got := form.Get("csrf"); !hmac.Equal([]byte(got), []byte(personKey(raw, e))) {
		log.Warn("person form without a valid anti-forgery field")
		return render(http.StatusForbidden, staffMessageBack("This form was not sent from the person's page",
			"Nothing was changed. Open the person's page again and use the form on it.", back))
	}
	action := form.Get("action")
	if personDone[action] == "" {
		return render(http.StatusBadRequest, staffMessageBack("Choose what to do", "Nothing was changed. Use one of the buttons on the person's page.", back))
	}
	// Recorded before it is done, so no change is ever made unrecorded (a refused one is recorded
	// as asked for, which the trail shows next to the unchanged state).
	detail := action
	if action == actReissue {
		if !requestID().MatchString(form.Get("request")) {
			return render(http.StatusBadRequest, staffMessageBack("Choose a request", "Nothing was changed. Use the button of the request on the person's page.", back))
		}
		detail += " request=" + form.Get("request")
	}
	if !h.auditPerson(ctx, r, access.Email(s.Person.Email), e, personAudit[action], detail, log) {
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	var err error
	switch action {
	case actClearSuppression:
		err = h.People.ClearSuppression(ctx, e)
	case actReissue:
		id := access.RequestID(form.Get("request"))
		// Only a request of this person: the page's address is who the action is for.
		var p store.Person
		if p, err = h.People.Person(ctx, e); err == nil {
			err = store.ErrConflict
			for _, req := range p.Requests {
				if req.ID == id {
					err = h.People.ReissueInvitation(ctx, id)
				}
			}
		}
	case actVerification:
		l := verifyByStaff
		l.Key = string(e)
		err = h.People.ResendVerification(ctx, e, mail.VerificationOf(e), l)
	case actSignOutAll:
		_, err = h.People.EndSessionsOf(ctx, e)
	case actUnlock:
		err = h.People.UnlockSignIn(ctx, e)
	}
	switch {
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		log.Info("person action refused: nothing to do", "action", action)
		return render(http.StatusConflict, staffMessageBack("Nothing was changed",
			"The person's details changed since the page was shown, so this no longer applies. Look at their page again.", back))
	case errors.Is(err, store.ErrLimited):
		return render(http.StatusTooManyRequests, staffMessageBack("Too many emails sent",
			"Three confirmation emails have been sent to this address in the last hour. Ask the person to check their spam folder, and try again later.", back))
	case err != nil:
		log.Error("a person action", "action", action, "err", err)
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	log.Info("person action done", "action", action)
	return redirect(back + "?done=" + action)
}

// requestID is the shape of a request id (access.NewRequestID), checked before it is recorded.
var requestID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`) })

func staffMessageBack(heading, body, back string) view {
	return view{Title: heading, Main: staffMessageBackMain(heading, body, back)}
}
