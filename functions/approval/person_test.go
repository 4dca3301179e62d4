package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/staff"
	"github.com/council/cfp/shared/store"
)

// fakePeople holds people in memory, as the store would read them, and records each change.
type fakePeople struct {
	people map[access.Email]*store.Person
	done   []string // "action email" of each change made
	err    error    // returned by every change when set
}

func newFakePeople() *fakePeople {
	pat := &store.Person{
		Email:       "pat@example.com",
		Requests:    []access.Request{{ID: "r9", Reference: "CFP-AAAA-BBBB", Status: access.Approved, Requester: access.Requester{Name: "Pat Smith", Email: "pat@example.com"}, Client: access.Client{Name: "Cli Ent"}, Decision: &access.Decision{Outcome: access.Approved, ClientReference: "1234567"}}},
		Grants:      []store.Grant{{RequestID: "r9", ClientReference: "1234567", ClientName: "Cli Ent", Relationship: access.Deputy, Start: now}},
		Mail:        []store.SentMail{{ID: "m1", Template: mail.Approved, Request: "r9", Status: "suppressed", QueuedAt: now}},
		Suppression: &store.Suppression{Reason: "bounce", Detail: "General", At: now, First: now, Counts: 1},
	}
	ann := &store.Person{Email: "ann@example.com", Account: &store.Account{Email: "ann@example.com", Name: "Ann Smithson", Status: store.AccountUnverified, CreatedAt: now},
		Sessions: 2, CodeLocked: true}
	return &fakePeople{people: map[access.Email]*store.Person{pat.Email: pat, ann.Email: ann}}
}

func (f *fakePeople) FindPeople(_ context.Context, prefix string, limit int) ([]store.PersonMatch, error) {
	var out []store.PersonMatch
	for _, p := range f.people {
		n := personName(*p)
		if w := strings.Fields(strings.ToLower(n)); len(w) > 0 && strings.HasPrefix(w[len(w)-1], strings.ToLower(prefix)) {
			out = append(out, store.PersonMatch{Email: p.Email, Name: n})
		}
	}
	slices.SortFunc(out, func(a, b store.PersonMatch) int { return strings.Compare(a.Name, b.Name) })
	return out[:min(limit, len(out))], nil
}

func (f *fakePeople) Person(_ context.Context, e access.Email) (store.Person, error) {
	if p, ok := f.people[e]; ok {
		return *p, nil
	}
	return store.Person{Email: e}, nil
}

func (f *fakePeople) change(action string, e access.Email, ok func(p *store.Person) bool) error {
	if f.err != nil {
		return f.err
	}
	p, found := f.people[e]
	if !found || !ok(p) {
		return store.ErrConflict
	}
	f.done = append(f.done, action+" "+string(e))
	return nil
}

func (f *fakePeople) ClearSuppression(_ context.Context, e access.Email) error {
	return f.change(actClearSuppression, e, func(p *store.Person) bool { had := p.Suppression != nil; p.Suppression = nil; return had })
}

func (f *fakePeople) ReissueInvitation(_ context.Context, id access.RequestID) error {
	for _, p := range f.people {
		for _, r := range p.Requests {
			if r.ID == id {
				return f.change(actReissue, p.Email, func(p *store.Person) bool { return p.Account == nil })
			}
		}
	}
	return store.ErrNotFound
}

func (f *fakePeople) ResendVerification(_ context.Context, e access.Email, m mail.Message, l store.Limit) error {
	if m.To != e || m.Template != mail.Verification || l.Key != string(e) || l.Kind != "staff-verify" {
		return store.ErrConflict
	}
	return f.change(actVerification, e, func(p *store.Person) bool { return p.Account != nil && p.Account.Status == store.AccountUnverified })
}

func (f *fakePeople) EndSessionsOf(_ context.Context, e access.Email) (int, error) {
	n := 0
	err := f.change(actSignOutAll, e, func(p *store.Person) bool { n, p.Sessions = p.Sessions, 0; return true })
	return n, err
}

func (f *fakePeople) UnlockSignIn(_ context.Context, e access.Email) error {
	return f.change(actUnlock, e, func(p *store.Person) bool { p.CodeLocked = false; return true })
}

// supportCookie is a live support session's cookie in h's staff store.
func supportCookie(h Handler, roles ...staff.Role) (cookie, raw string) {
	tok := secret.New()
	if len(roles) == 0 {
		roles = []staff.Role{staff.Support}
	}
	h.Staff.(*fakeStaff).sessions[tok.Hash()] = staff.Session{Hash: tok.Hash(), Person: staff.Person{Email: "sue@council.example", Name: "Sue Support", Roles: roles}, CreatedAt: now, LastSeen: now}
	return "staff=" + tok.Reveal(), tok.Reveal()
}

func personParams(e string) map[string]string { return map[string]string{"email": e} }

// Support finds people by surname prefix or exact address; no match says so; a bad query is an
// error summary and searches nothing.
func TestPeopleSearch(t *testing.T) {
	h, _, _ := setup()
	cookie, _ := supportCookie(h)
	search := func(q string) (int, string) {
		query := map[string]string{"q": q}
		resp := call(h, "GET", "/staff/people", "/staff/people", cookie, nil, query, "")
		return resp.StatusCode, resp.Body
	}
	if code, b := search("SMITH"); code != 200 || !strings.Contains(b, `href="/staff/people/ann@example.com"`) || !strings.Contains(b, `href="/staff/people/pat@example.com"`) {
		t.Errorf("smith: %d\n%s", code, b)
	}
	if code, b := search("smiths"); code != 200 || strings.Contains(b, "pat@example.com") || !strings.Contains(b, "Ann Smithson") {
		t.Errorf("smiths: %d\n%s", code, b)
	}
	if code, b := search("Pat@Example.com"); code != 200 || !strings.Contains(b, `href="/staff/people/pat@example.com"`) {
		t.Errorf("exact address: %d\n%s", code, b)
	}
	for _, q := range []string{"jones", "nobody@example.com"} {
		if code, b := search(q); code != 200 || !strings.Contains(b, "No one found") {
			t.Errorf("%s: %d\n%s", q, code, b)
		}
	}
	for q, says := range map[string]string{"": "Enter an email address or the start of a surname", "  ": "Enter an email address or the start of a surname",
		"smi#th": "letters, spaces", "a@": "correct format", "Pat <pat@example.com>": "correct format", strings.Repeat("a", 51): "at most 50"} {
		code, b := search(q)
		if code != http.StatusBadRequest || !strings.Contains(b, "govuk-error-summary") || !strings.Contains(b, says) || !strings.Contains(b, `href="#q"`) {
			t.Errorf("%q: %d\n%s", q, code, b)
		}
	}
	// Without a query the page is the form alone.
	if resp := call(h, "GET", "/staff/people", "/staff/people", cookie, nil, nil, ""); resp.StatusCode != 200 || strings.Contains(resp.Body, "No one found") || strings.Contains(resp.Body, "govuk-error-summary") {
		t.Errorf("no query: %d\n%s", resp.StatusCode, resp.Body)
	}
}

// The person page shows the account, emails, requests and grants, linked to their staff pages,
// with the fixes that apply and each form's anti-forgery field.
func TestPersonPage(t *testing.T) {
	h, _, _ := setup()
	cookie, raw := supportCookie(h)
	open := func(e string) (int, string) {
		resp := call(h, "GET", "/staff/people/{email}", "/staff/people/"+e, cookie, personParams(e), nil, "")
		return resp.StatusCode, resp.Body
	}
	code, b := open("pat@example.com")
	for _, want := range []string{"Pat Smith", "Not registered", `href="/staff/requests/r9"`, `href="/staff/clients/1234567"`, "the address bounced (General)",
		"Clear the suppression", "Send a new invitation for CFP-AAAA-BBBB", `name="request" value="r9"`, `value="` + personKey(raw, "pat@example.com") + `"`,
		"Approved: invitation to register", "Not sent: the address is suppressed"} {
		if !strings.Contains(b, want) {
			t.Errorf("pat's page has no %q", want)
		}
	}
	if code != 200 || strings.Contains(b, "Sign them out everywhere") || strings.Contains(b, "Unlock sign-in") {
		t.Errorf("pat's page: %d\n%s", code, b)
	}
	code, b = open("ann@example.com")
	for _, want := range []string{"Ann Smithson", "Not confirmed", "Yes, on 2 devices", "Locked", "Send a new email to confirm the address", "Sign them out everywhere", "Unlock sign-in", "Emails to this address are sent"} {
		if !strings.Contains(b, want) {
			t.Errorf("ann's page has no %q", want)
		}
	}
	if code != 200 || strings.Contains(b, "Send a new invitation") {
		t.Errorf("ann's page: %d\n%s", code, b)
	}
	for _, e := range []string{"nobody@example.com", "not-an-address", "pat@example.com%0A"} {
		if code, _ := open(e); code != http.StatusNotFound {
			t.Errorf("%s: %d; want 404", e, code)
		}
	}
}

// Each fix is a POST with the anti-forgery field, made once, confirmed by a banner on the page.
func TestPersonActions(t *testing.T) {
	h, _, _ := setup()
	f := newFakePeople()
	h.People = f
	cookie, raw := supportCookie(h)
	post := func(e string, form url.Values) (int, string, string) {
		resp := call(h, "POST", "/staff/people/{email}", "/staff/people/"+e, cookie, personParams(e), nil, form.Encode())
		return resp.StatusCode, resp.Headers["Location"], resp.Body
	}
	act := func(e, action string, extra ...string) url.Values {
		v := url.Values{"csrf": {personKey(raw, access.Email(e))}, "action": {action}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	for _, c := range []struct {
		e, action string
		extra     []string
	}{
		{"pat@example.com", actClearSuppression, nil},
		{"pat@example.com", actReissue, []string{"request", "r9"}},
		{"ann@example.com", actVerification, nil},
		{"ann@example.com", actSignOutAll, nil},
		{"ann@example.com", actUnlock, nil},
	} {
		code, loc, b := post(c.e, act(c.e, c.action, c.extra...))
		if code != http.StatusSeeOther || loc != "/staff/people/"+c.e+"?done="+c.action {
			t.Errorf("%s: %d %q\n%s", c.action, code, loc, b)
			continue
		}
		page := call(h, "GET", "/staff/people/{email}", "/staff/people/"+c.e, cookie, personParams(c.e), map[string]string{"done": c.action}, "").Body
		if !strings.Contains(page, "govuk-notification-banner--success") || !strings.Contains(page, personDone[c.action]) {
			t.Errorf("%s: no banner\n%s", c.action, page)
		}
	}
	want := []string{"clear_suppression pat@example.com", "reissue_invitation pat@example.com", "resend_verification ann@example.com", "sign_out_everywhere ann@example.com", "unlock_sign_in ann@example.com"}
	if !slices.Equal(f.done, want) {
		t.Fatalf("done %v; want %v", f.done, want)
	}
	// Bad input changes nothing: no or another page's anti-forgery field, an unknown action,
	// another person's request, a fix that no longer applies, a form that is not one.
	f.done = nil
	for name, c := range map[string]struct {
		e    string
		form url.Values
		code int
		says string
	}{
		"no csrf":           {"pat@example.com", url.Values{"action": {actUnlock}}, http.StatusForbidden, "not sent from the person"},
		"another's csrf":    {"pat@example.com", act("ann@example.com", actUnlock), http.StatusForbidden, "not sent from the person"},
		"unknown action":    {"pat@example.com", act("pat@example.com", "delete_everything"), http.StatusBadRequest, "Choose what to do"},
		"no action":         {"pat@example.com", act("pat@example.com", ""), http.StatusBadRequest, "Choose what to do"},
		"another's request": {"ann@example.com", act("ann@example.com", actReissue, "request", "r9"), http.StatusConflict, "Nothing was changed"},
		"bad request id":    {"pat@example.com", act("pat@example.com", actReissue, "request", "r9 OR 1=1"), http.StatusBadRequest, "Choose a request"},
		"cleared already":   {"pat@example.com", act("pat@example.com", actClearSuppression), http.StatusConflict, "Nothing was changed"},
		"verified already":  {"pat@example.com", act("pat@example.com", actVerification), http.StatusConflict, "Nothing was changed"},
	} {
		code, _, b := post(c.e, c.form)
		if code != c.code || !strings.Contains(b, c.says) {
			t.Errorf("%s: %d\n%s", name, code, b)
		}
	}
	resp := call(h, "POST", "/staff/people/{email}", "/staff/people/pat@example.com", cookie, personParams("pat@example.com"), nil, "%zz")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unreadable form: %d", resp.StatusCode)
	}
	f.err = store.ErrLimited
	if code, _, b := post("ann@example.com", act("ann@example.com", actVerification)); code != http.StatusTooManyRequests || !strings.Contains(b, "Too many emails") {
		t.Errorf("limited: %d\n%s", code, b)
	}
	if len(f.done) != 0 {
		t.Errorf("bad input changed things: %v", f.done)
	}
}

// Every person page view, search and action is on the record in the supporter's name, about the
// person; when the record cannot be written nothing is shown or changed.
func TestPersonPagesAreAudited(t *testing.T) {
	h, _, _ := setup()
	f := newFakePeople()
	h.People = f
	trail := h.Trail.(*fakeTrail)
	cookie, raw := supportCookie(h)
	view := func() int {
		return call(h, "GET", "/staff/people/{email}", "/staff/people/pat@example.com", cookie, personParams("pat@example.com"), nil, "").StatusCode
	}
	clear := func() int {
		form := url.Values{"csrf": {personKey(raw, "pat@example.com")}, "action": {actClearSuppression}}.Encode()
		return call(h, "POST", "/staff/people/{email}", "/staff/people/pat@example.com", cookie, personParams("pat@example.com"), nil, form).StatusCode
	}
	search := func(q string) int {
		return call(h, "GET", "/staff/people", "/staff/people", cookie, nil, map[string]string{"q": q}, "").StatusCode
	}
	if view() != 200 || clear() != http.StatusSeeOther || search("smi") != 200 || search("pat@example.com") != 200 {
		t.Fatal("the pages did not answer")
	}
	want := []store.AuditEvent{
		{Action: store.AuditStaffViewPerson, Subject: "pat@example.com"},
		{Action: store.AuditStaffClearSuppression, Subject: "pat@example.com", Detail: actClearSuppression},
		{Action: store.AuditStaffFind, Detail: "people found=2"},
		{Action: store.AuditStaffFind, Subject: "pat@example.com", Detail: "people found=1"},
	}
	if len(trail.events) != len(want) {
		t.Fatalf("events %+v", trail.events)
	}
	for i, w := range want {
		got := trail.events[i]
		if got.Email != "sue@council.example" || got.Action != w.Action || got.Subject != w.Subject || got.Detail != w.Detail {
			t.Errorf("event %d: %+v; want %+v by sue", i, got, w)
		}
	}
	trail.err, f.done = errors.New("down"), nil
	f.people["pat@example.com"].Suppression = &store.Suppression{Reason: "bounce"}
	if view() != http.StatusServiceUnavailable || clear() != http.StatusServiceUnavailable || search("smi") != http.StatusServiceUnavailable || len(f.done) != 0 {
		t.Errorf("unrecorded: done %v", f.done)
	}
}
