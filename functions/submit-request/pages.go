package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// The request journey's pages, one question each (GOV.UK question pages), in this order. Each
// GET shows the question with what was answered; each POST checks the answer with the domain's
// rules (access.NewRequest.ValidateDraft), shows the error summary and changes nothing when it is
// wrong, and otherwise saves it and goes on (once the draft exists, back to "check your answers").
const (
	pathRelationship = "/request/relationship"
	pathNotEligible  = "/request/not-eligible"
	pathDetails      = "/request/your-details"
	pathClient       = "/request/client"
	pathCode         = "/request/lpa-code"
	pathEvidence     = "/request/evidence"
	pathCheck        = "/request/check-answers"
	pathDone         = "/request/confirmation"
	pathLostLink     = "/request/lost-link"
)

// Drafts is what the pages need of the store beyond the API's needs.
type Drafts interface {
	ReviseDraft(ctx context.Context, id access.RequestID, answers access.NewRequest) (access.Request, error)
	SendRequest(ctx context.Context, id access.RequestID, uploaded map[access.EvidenceID]bool) (access.Request, error)
	ResendLinks(ctx context.Context, email access.Email, l store.Limit) error
}

// Messages a page shows for a form it cannot take.
const (
	msgForged = "Your answer was not saved because this page was open for too long or did not come from this service. Check your answer and try again."
	msgSent   = "You have already sent this request, so it cannot be changed. Start again to make another request."
)

// draftOf is the journey's draft, when it has one: nil before the evidence page first opens.
// gone: the cookie names a draft that is no longer there (expired) or not this browser's.
func (h Handler) draftOf(ctx context.Context, j journey, log *slog.Logger) (req *access.Request, ev []access.Evidence, gone bool, p *web.Problem) {
	if j.ID == "" || j.Link {
		return nil, nil, false, nil
	}
	r, ev, err := h.Requests.Request(ctx, j.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil, true, nil
	case err != nil:
		log.Error("reading a draft", "err", err)
		return nil, nil, false, web.Unavailable()
	case !secret.From(j.Token).Matches(r.ContinuationHash):
		return nil, nil, true, nil
	}
	return &r, ev, false, nil
}

// answers are the journey's answers so far, from the draft once there is one.
func (h Handler) answers(ctx context.Context, j journey, log *slog.Logger) (access.NewRequest, *access.Request, *web.Response, *web.Problem) {
	req, _, gone, p := h.draftOf(ctx, j, log)
	switch {
	case p != nil:
		return access.NewRequest{}, nil, nil, p
	case gone, req != nil && req.Expired(h.Now()):
		resp := h.show(ctx, log, http.StatusOK, j, true, h.expiredPage())
		return access.NewRequest{}, nil, &resp, nil
	case req != nil:
		return req.Answers(), req, nil, nil
	}
	n := j.Answers
	if n.Requester == nil {
		n.Requester = &access.Requester{}
	}
	return n, nil, nil, nil
}

func (h Handler) expiredPage() templ.Component {
	return messagePage(h.Brand, "Your answers have been deleted", []string{
		"We delete a request that is not sent within 24 hours, with any documents uploaded for it.",
	}, pathRelationship, "Start again")
}

// save keeps the answers of a question page: in the cookie before the draft, in the draft after.
// It answers with the next page, or nil and the error to show (the request was sent meanwhile).
func (h Handler) save(ctx context.Context, j journey, draft *access.Request, n access.NewRequest, next string, log *slog.Logger) (*web.Response, string, *web.Problem) {
	if draft == nil {
		j.Answers = n
		resp := web.SeeOther(next, h.setCookie(j))
		return &resp, "", nil
	}
	if !draft.Draft {
		return nil, msgSent, nil
	}
	switch _, err := h.Drafts.ReviseDraft(ctx, draft.ID, n); {
	case errors.Is(err, store.ErrConflict):
		return nil, msgSent, nil
	case err != nil:
		log.Error("revising a draft", "err", err)
		return nil, "", web.Unavailable()
	}
	resp := web.SeeOther(pathCheck, "")
	return &resp, "", nil
}

// show renders a page of the journey, setting the cookie when the journey is new.
func (h Handler) show(ctx context.Context, log *slog.Logger, status int, j journey, fresh bool, c templ.Component) web.Response {
	resp := page.Respond(ctx, log, status, page.Policy{Personal: true}, c)
	if fresh {
		resp.Headers["Set-Cookie"] = h.setCookie(j)
	}
	return resp
}

func status(errs page.Errors) int {
	if errs.Any() {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

// pageErrors turns the domain's problems with the fields a page asks for into the page's words.
// form holds what was typed, to tell an empty answer from a wrong one.
func pageErrors(errs []access.FieldError, fields []pageField, form url.Values) page.Errors {
	var out page.Errors
	for _, f := range fields {
		for _, e := range errs {
			if e.Field != f.domain {
				continue
			}
			switch v := strings.TrimSpace(form.Get(f.id)); {
			case v == "" && f.empty != "":
				out.Add(f.id, f.empty)
			case strings.Contains(e.Message, "at most 100"):
				out.Add(f.id, f.long)
			default:
				out.Add(f.id, f.format)
			}
		}
	}
	return out
}

// pageField is one answer: its input's id and the domain's name for it, and its messages.
type pageField struct {
	id, domain          string
	empty, long, format string
}

var (
	fName  = pageField{"name", "requester.name", "Enter your full name", "Your full name must be 100 characters or fewer", "Enter your full name on one line"}
	fEmail = pageField{"email", "requester.email", "Enter your email address", "Enter an email address in the correct format, like name@example.com", "Enter an email address in the correct format, like name@example.com"}
	fPhone = pageField{"phone", "requester.phone", "", "", "Enter a telephone number, like 01632 960 001 or 07700 900 982"}
	fCName = pageField{"client-name", "client.name", "Enter the client's full name", "The client's full name must be 100 characters or fewer", "Enter the client's full name on one line"}
	fDOB   = pageField{"dob", "client.dateOfBirth", "", "", "The client's date of birth must be a real date"}
	fPost  = pageField{"postcode", "client.postcode", "Enter the client's postcode", "", "Enter a real postcode, like SW1A 1AA"}
	fCode  = pageField{"code", "lpaAccessCode", "Enter the access code, or leave both answers blank", "", "Enter the access code as it is shown, like V-1234-ABCD-5678"}
	fDonor = pageField{"donor", "donorSurname", "Enter the donor's last name, or leave both answers blank", "The donor's last name must be 100 characters or fewer", "Enter the donor's last name on one line"}
)

// taken reads a question page's POST: the form, the journey's answers and its draft. It answers
// itself (resp) when the journey has expired; errs holds the form's refusal (forged, stale).
type taken struct {
	j     journey
	fresh bool
	form  url.Values
	n     access.NewRequest
	draft *access.Request
	errs  page.Errors
}

func (h Handler) take(ctx context.Context, r web.Request, firstField string, log *slog.Logger) (taken, *web.Response, *web.Problem) {
	t := taken{}
	t.j, t.fresh = h.journeyOf(r)
	var ok bool
	t.form, ok = h.readForm(r, t.j, t.fresh)
	n, draft, resp, p := h.answers(ctx, t.j, log)
	if resp != nil || p != nil {
		return t, resp, p
	}
	t.n, t.draft = n, draft
	switch {
	case !ok:
		t.errs.Add(firstField, msgForged)
	case draft != nil && !draft.Draft:
		t.errs.Add(firstField, msgSent)
	}
	return t, nil, nil
}

// next is the page after a question: the next question before the draft, "check your answers" after.
func next(n access.NewRequest, from string) string {
	switch from {
	case pathRelationship:
		return pathDetails
	case pathDetails:
		return pathClient
	case pathClient:
		if n.Relationship == access.AttorneyLPA {
			return pathCode
		}
	}
	return pathEvidence
}

// back is the question before a page.
func back(n access.NewRequest, to string) string {
	switch to {
	case pathDetails:
		return pathRelationship
	case pathClient:
		return pathDetails
	case pathCode:
		return pathClient
	case pathEvidence:
		if n.Relationship == access.AttorneyLPA {
			return pathCode
		}
		return pathClient
	}
	return "/"
}

var relationships = []page.Choice{
	{Value: string(access.Self), Label: "I am the client", Hint: "You can manage your own money and want to see your own documents."},
	{Value: string(access.AttorneyLPA), Label: "Attorney under a property and financial affairs Lasting Power of Attorney (LPA)"},
	{Value: string(access.AttorneyEPA), Label: "Attorney under a registered Enduring Power of Attorney (EPA)"},
	{Value: string(access.Deputy), Label: "Deputy for property and affairs", Hint: "Appointed by the Court of Protection."},
	{Value: string(access.Appointee), Label: "Appointee", Hint: "Appointed by the Department for Work and Pensions (DWP) to manage the client's benefits."},
	{Value: access.HealthAndWelfare, Label: "Attorney under a health and welfare Lasting Power of Attorney only"},
}

func relationshipGroup(selected, err string) page.RadioGroup {
	return page.RadioGroup{ID: "relationship", Legend: "How are you related to the client?", Heading: true,
		Hint: "The client is the person whose financial documents you want to see.", Error: err, Choices: relationships, Selected: selected}
}

func (h Handler) relationshipGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	j, fresh := h.journeyOf(r)
	if d, _, _, _ := h.draftOf(ctx, j, log); d != nil && !d.Draft {
		j, fresh = journey{Bind: j.Bind}, true // the last request was sent: this is a new one
	}
	n, _, resp, p := h.answers(ctx, j, log)
	if resp != nil || p != nil {
		return deref(resp), p
	}
	q := question{Title: "How are you related to the client?", Back: "/", Token: h.formToken(j)}
	return h.show(ctx, log, http.StatusOK, j, fresh, relationshipPage(h.Brand, q, relationshipGroup(string(n.Relationship), ""))), nil
}

func (h Handler) relationshipPost(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	t, resp, p := h.take(ctx, r, "relationship", log)
	if resp != nil || p != nil {
		return deref(resp), p
	}
	choice := t.form.Get("relationship")
	if !t.errs.Any() {
		switch {
		case choice == access.HealthAndWelfare:
			return web.SeeOther(pathNotEligible, ""), nil
		case !access.Relationship(choice).Valid():
			t.errs.Add("relationship", "Select how you are related to the client")
		}
	}
	if !t.errs.Any() {
		t.n.Relationship = access.Relationship(choice)
		if t.n.Relationship != access.AttorneyLPA {
			t.n.LPAAccessCode, t.n.DonorSurname = "", ""
		}
		resp, msg, p := h.save(ctx, t.j, t.draft, t.n, next(t.n, pathRelationship), log)
		if resp != nil || p != nil {
			return deref(resp), p
		}
		t.errs.Add("relationship", msg)
	}
	q := question{Title: "How are you related to the client?", Back: "/", Token: h.formToken(t.j), Errors: t.errs}
	return h.show(ctx, log, http.StatusBadRequest, t.j, t.fresh, relationshipPage(h.Brand, q, relationshipGroup(choice, t.errs.For("relationship")))), nil
}

func (h Handler) notEligible(ctx context.Context, _ web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	return page.Respond(ctx, log, http.StatusOK, page.Policy{}, notEligiblePage(h.Brand)), nil
}

func detailsFields(v url.Values, errs page.Errors) []page.Field {
	return []page.Field{
		{ID: "name", Label: "Full name", Value: v.Get("name"), Error: errs.For("name"), Autocomplete: "name"},
		{ID: "email", Label: "Email address", Hint: "We will email you about your request at this address.", Type: "email", Value: v.Get("email"), Error: errs.For("email"), Autocomplete: "email"},
		{ID: "phone", Label: "UK telephone number (optional)", Hint: "We may phone you to check who you are.", Type: "tel", Value: v.Get("phone"), Error: errs.For("phone"), Autocomplete: "tel", Width: 20},
	}
}

const detailsIntro = "We use these details to contact you about your request."

func (h Handler) detailsGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	j, fresh := h.journeyOf(r)
	n, _, resp, p := h.answers(ctx, j, log)
	if resp != nil || p != nil {
		return deref(resp), p
	}
	me, p := h.signedIn(ctx, r, false, log)
	if p != nil {
		return web.Response{}, p
	}
	v := url.Values{"name": {n.Requester.Name}, "email": {string(n.Requester.Email)}, "phone": {n.Requester.Phone}}
	if me != nil && n.Requester.Email != me.Email {
		// Answers that are not this person's (none yet, or typed before they signed in) give way to
		// the account's: the name to change if they wish, the address fixed.
		v = url.Values{"name": {me.Name}}
	}
	q := question{Title: "Your details", Back: back(n, pathDetails), Token: h.formToken(j)}
	intro, fields := details(me, v, nil)
	return h.show(ctx, log, http.StatusOK, j, fresh, fieldsPage(h.Brand, q, intro, fields)), nil
}

func (h Handler) detailsPost(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	t, resp, p := h.take(ctx, r, "name", log)
	if resp != nil || p != nil {
		return deref(resp), p
	}
	me, p := h.signedIn(ctx, r, false, log)
	if p != nil {
		return web.Response{}, p
	}
	n := t.n
	n.Requester = &access.Requester{Name: strings.TrimSpace(t.form.Get("name")), Email: access.Email(strings.TrimSpace(t.form.Get("email"))), Phone: strings.TrimSpace(t.form.Get("phone"))}
	if me != nil {
		// Signed in, the request is made from the account's address, whatever the form says: the
		// session is the only source of it, so no link or form can put another address here.
		n.Requester.Email = me.Email
	}
	if !t.errs.Any() {
		t.errs = pageErrors(n.ValidateDraft(h.Now()), []pageField{fName, fEmail, fPhone}, t.form)
	}
	if !t.errs.Any() {
		resp, msg, p := h.save(ctx, t.j, t.draft, n, next(n, pathDetails), log)
		if resp != nil || p != nil {
			return deref(resp), p
		}
		t.errs.Add("name", msg)
	}
	q := question{Title: "Your details", Back: back(n, pathDetails), Token: h.formToken(t.j), Errors: t.errs}
	intro, fields := details(me, t.form, t.errs)
	return h.show(ctx, log, http.StatusBadRequest, t.j, t.fresh, fieldsPage(h.Brand, q, intro, fields)), nil
}

// details is the details page's introduction and inputs: a signed-in person is not asked for the
// address they sign in with, only told it.
func details(me *access.Requester, v url.Values, errs page.Errors) (string, []page.Field) {
	fields := detailsFields(v, errs)
	if me == nil {
		return detailsIntro, fields
	}
	return "You are signed in as " + string(me.Email) + ". We will email you about this request at that address. " + detailsIntro,
		[]page.Field{fields[0], fields[2]}
}

func clientFields(v url.Values, errs page.Errors) (page.Field, page.Field) {
	return page.Field{ID: "client-name", Label: "Full name", Value: v.Get("client-name"), Error: errs.For("client-name")},
		page.Field{ID: "postcode", Label: "Postcode", Hint: "The postcode of the client's home.", Value: v.Get("postcode"), Error: errs.For("postcode"), Autocomplete: "off", Width: 10}
}

func dobInput() page.Date {
	return page.Date{ID: "dob", Legend: "Date of birth", Hint: "For example, 27 3 1941"}
}

func (h Handler) clientGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	j, fresh := h.journeyOf(r)
	n, _, resp, p := h.answers(ctx, j, log)
	if resp != nil || p != nil {
		return deref(resp), p
	}
	v := url.Values{"client-name": {n.Client.Name}, "postcode": {n.Client.Postcode}}
	dob := dobInput()
	if y, m, d, ok := splitDate(n.Client.DateOfBirth); ok {
		dob.Day, dob.Month, dob.Year = d, m, y
	}
	name, post := clientFields(v, nil)
	q := question{Title: "The client's details", Back: back(n, pathClient), Token: h.formToken(j)}
	return h.show(ctx, log, http.StatusOK, j, fresh, clientPage(h.Brand, q, name, dob, post)), nil
}

func splitDate(s string) (y, m, d string, ok bool) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 {
		return "", "", "", false
	}
	return parts[0], strings.TrimLeft(parts[1], "0"), strings.TrimLeft(parts[2], "0"), true
}

func (h Handler) clientPost(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	t, resp, p := h.take(ctx, r, "client-name", log)
	if resp != nil || p != nil {
		return deref(resp), p
	}
	n := t.n
	dob := dobInput()
	date := page.ReadDate(t.form, &dob, "the client's date of birth", h.Now())
	n.Client = access.Client{Name: strings.TrimSpace(t.form.Get("client-name")), DateOfBirth: date, Postcode: strings.TrimSpace(t.form.Get("postcode"))}
	if !t.errs.Any() {
		// The date's own words (page.ReadDate) first; then the domain's rule (a real age).
		for _, e := range pageErrors(n.ValidateDraft(h.Now()), []pageField{fCName, fDOB, fPost}, t.form) {
			if e.Field == "dob" && dob.Error != "" {
				e.Message = dob.Error
			}
			t.errs.Add(e.Field, e.Message)
		}
		dob.Error = t.errs.For("dob")
	}
	if !t.errs.Any() {
		resp, msg, p := h.save(ctx, t.j, t.draft, n, next(n, pathClient), log)
		if resp != nil || p != nil {
			return deref(resp), p
		}
		t.errs.Add("client-name", msg)
	}
	name, post := clientFields(t.form, t.errs)
	q := question{Title: "The client's details", Back: back(n, pathClient), Token: h.formToken(t.j), Errors: t.errs}
	return h.show(ctx, log, http.StatusBadRequest, t.j, t.fresh, clientPage(h.Brand, q, name, dob, post)), nil
}

func codeFields(v url.Values, errs page.Errors) []page.Field {
	return []page.Field{
		{ID: "code", Label: "Access code", Hint: "It starts with V, like V-1234-ABCD-5678.", Value: v.Get("code"), Error: errs.For("code"), Width: 20},
		{ID: "donor", Label: "The donor's last name", Hint: "The donor is the person who made the LPA.", Value: v.Get("donor"), Error: errs.For("donor"), Width: 20},
	}
}

const codeIntro = "If you have an access code from the Office of the Public Guardian's \"View a lasting power of attorney\" service, we can check the LPA with it. This is optional: leave both answers blank if you do not have one, and upload a copy of the LPA instead."

func (h Handler) codeGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	j, fresh := h.journeyOf(r)
	n, _, resp, p := h.answers(ctx, j, log)
	if resp != nil || p != nil {
		return deref(resp), p
	}
	v := url.Values{"code": {n.LPAAccessCode}, "donor": {n.DonorSurname}}
	q := question{Title: "Do you have a View an LPA access code?", Back: back(n, pathCode), Token: h.formToken(j)}
	return h.show(ctx, log, http.StatusOK, j, fresh, fieldsPage(h.Brand, q, codeIntro, codeFields(v, nil))), nil
}

func (h Handler) codePost(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	t, resp, p := h.take(ctx, r, "code", log)
	if resp != nil || p != nil {
		return deref(resp), p
	}
	n := t.n
	n.LPAAccessCode = strings.ToUpper(strings.TrimSpace(t.form.Get("code")))
	n.DonorSurname = strings.TrimSpace(t.form.Get("donor"))
	if !t.errs.Any() && n.Relationship != access.AttorneyLPA {
		t.errs.Add("code", "An access code is only for attorneys under a property and financial affairs LPA. Leave both answers blank.")
	}
	if !t.errs.Any() {
		t.errs = pageErrors(n.ValidateDraft(h.Now()), []pageField{fCode, fDonor}, t.form)
	}
	if !t.errs.Any() {
		resp, msg, p := h.save(ctx, t.j, t.draft, n, next(n, pathCode), log)
		if resp != nil || p != nil {
			return deref(resp), p
		}
		t.errs.Add("code", msg)
	}
	q := question{Title: "Do you have a View an LPA access code?", Back: back(n, pathCode), Token: h.formToken(t.j), Errors: t.errs}
	return h.show(ctx, log, http.StatusBadRequest, t.j, t.fresh, fieldsPage(h.Brand, q, codeIntro, codeFields(t.form, t.errs))), nil
}

func deref(r *web.Response) web.Response {
	if r == nil {
		return web.Response{}
	}
	return *r
}
