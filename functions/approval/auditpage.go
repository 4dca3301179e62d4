package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/council/cfp/shared/access"
	govuk "github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// The information-governance audit page, /staff/audit: the audit trail of a client (by client
// reference) or of a person (by email address: what they did, and what staff did about them),
// within dates, on a page or as a CSV file, and for a person the subject-access export
// (export.go). Only information governance opens it: the trail says who looked at whom, which
// is itself personal data, and administrators, who manage staff, are not the ones to read it
// (auditRoles, nav.go).

// How many events a list shows: the page the newest auditShown, the CSV file the newest
// auditDownload, each saying so when there are more and asking for narrower dates.
const (
	auditShown    = 200
	auditDownload = 5000
)

// auditQuery is the audit page's question as typed (to show it again) and as read.
type auditQuery struct {
	Client   string
	Email    string
	From, To govuk.Date
	Errors   govuk.Errors
	of       []store.AuditOf // the client's list, or the lists by and about the person
	in       store.AuditRange
	Asked    bool // a client or a person was asked for (not the empty form)
	Encoded  string
}

// readAuditQuery reads and checks the page's query. Dates are whole UK days: From from the start
// of its day, To to the end of its day.
func (h Handler) readAuditQuery(params map[string]string) auditQuery {
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	q := auditQuery{Client: strings.TrimSpace(form.Get("client")), Email: strings.TrimSpace(form.Get("email")),
		From: govuk.Date{ID: "from", Legend: "From"}, To: govuk.Date{ID: "to", Legend: "To"}}
	q.Asked = q.Client != "" || q.Email != ""
	switch {
	case !q.Asked && len(params) > 0: // the form sent without either (an empty form is just the page)
		q.Errors.Add("client", "Enter a client reference or an email address")
	case q.Client != "" && q.Email != "":
		q.Errors.Add("client", "Enter a client reference or an email address, not both")
	case q.Client != "" && (!access.IsClientReference(q.Client) || !h.ClientRef.MatchString(q.Client)):
		q.Errors.Add("client", "Enter the client reference as the council's finance system shows it")
	case q.Email != "" && !plainEmail(q.Email):
		q.Errors.Add("email", "Enter an email address in the correct format, like name@example.com")
	case q.Client != "":
		q.of = []store.AuditOf{{Client: q.Client}}
	case q.Email != "":
		e := access.NormaliseEmail(q.Email)
		q.of = []store.AuditOf{{By: e}, {About: e}}
	}
	tomorrow := ukTime(h.Now()).AddDate(0, 0, 1) // ReadDate wants dates before its "today": today is allowed
	var from, to string
	if dateTyped(form, "from") {
		if from = govuk.ReadDate(form, &q.From, "the from date", tomorrow); from == "" {
			q.Errors.Add("from", q.From.Error)
		}
	}
	if dateTyped(form, "to") {
		if to = govuk.ReadDate(form, &q.To, "the to date", tomorrow); to == "" {
			q.Errors.Add("to", q.To.Error)
		}
	}
	if from != "" && to != "" && to < from {
		q.To.Error = "The to date must be the same as or after the from date"
		q.Errors.Add("to", q.To.Error)
	}
	q.in = store.AuditRange{From: ukDayStart(from), To: ukDayStart(to)}
	if !q.in.To.IsZero() {
		q.in.To = ukDayStart(dayAfter(to))
	}
	v := url.Values{}
	for _, k := range []string{"client", "email", "from-day", "from-month", "from-year", "to-day", "to-month", "to-year"} {
		if s := strings.TrimSpace(form.Get(k)); s != "" {
			v.Set(k, s)
		}
	}
	q.Encoded = v.Encode()
	return q
}

func dateTyped(form url.Values, id string) bool {
	return form.Get(id+"-day")+form.Get(id+"-month")+form.Get(id+"-year") != ""
}

// plainEmail is a bare address, as the portal takes them: something@domain, no spaces or name.
func plainEmail(s string) bool {
	at := strings.LastIndex(s, "@")
	return at > 0 && at < len(s)-1 && len(s) <= 254 && !strings.ContainsAny(s, " <>,;\"")
}

// ukDayStart is the instant a UK day (YYYY-MM-DD) starts: midnight UK time ("" is no bound).
func ukDayStart(d string) time.Time {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return time.Time{}
	}
	_, offset := ukTime(t).Zone()
	return t.Add(-time.Duration(offset) * time.Second)
}

func dayAfter(d string) string {
	t, _ := time.Parse(time.DateOnly, d)
	return t.AddDate(0, 0, 1).Format(time.DateOnly)
}

// auditList is one list of events as a page or file shows it.
type auditList struct {
	Title  string
	Events []store.AuditEvent
	More   bool // there are more than the bound within the dates
}

// trail reads each list the query names, newest first, up to limit each, and records that who
// read them (action: the page or the file).
func (h Handler) trail(ctx context.Context, r web.Request, who string, q auditQuery, limit int, action string) ([]auditList, error) {
	var lists []auditList
	for _, of := range q.of {
		events, more, err := h.Trail.AuditTrail(ctx, of, q.in, limit)
		if err != nil {
			return nil, err
		}
		title := "Events for client reference " + of.Client
		switch {
		case of.By != "":
			title = "What " + string(of.By) + " did"
		case of.About != "":
			title = "What staff did about " + string(of.About)
		}
		lists = append(lists, auditList{Title: title, Events: events, More: more})
	}
	return lists, h.audit(ctx, r, access.Email(who), q.auditEvent(action))
}

// auditEvent is what the audit trail records of reading it: about the client or the person asked for.
func (q auditQuery) auditEvent(action string) store.AuditEvent {
	e := store.AuditEvent{Action: action, ClientReference: q.Client, Detail: "from=" + day0(q.in.From) + " to=" + day0(q.in.To)}
	if q.Email != "" {
		e.Subject = access.NormaliseEmail(q.Email)
	}
	return e
}

func day0(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// auditPage is GET /staff/audit: the form, and the lists it asks for.
func (h Handler) auditPage(ctx context.Context, r web.Request, log *slog.Logger) web.Response {
	s, raw, fail := h.session(ctx, r, auditRoles, log)
	if fail != nil {
		return *fail
	}
	q := h.readAuditQuery(r.QueryStringParameters)
	v := auditView{Query: q, SignOut: signOutKey(raw)}
	if q.Asked && !q.Errors.Any() {
		lists, err := h.trail(ctx, r, s.Person.Email, q, auditShown, store.AuditStaffViewAudit)
		if err != nil {
			log.Error("reading the audit trail", "err", err)
			return render(http.StatusServiceUnavailable, staffUnavailablePage())
		}
		v.Lists = lists
		if q.Email != "" {
			v.ExportKey = exportKey(raw, access.NormaliseEmail(q.Email))
		}
	}
	status, title := http.StatusOK, "Audit trail"
	if q.Errors.Any() {
		status, title = http.StatusBadRequest, "Error: "+title
	}
	return render(status, view{Title: title, Main: auditMain(v), SignOut: v.SignOut, Person: s.Person, Current: "/staff/audit"})
}

// auditView is the audit page.
type auditView struct {
	Query     auditQuery
	Lists     []auditList
	SignOut   string
	ExportKey string // the export form's anti-forgery value ("" when no person is shown)
}

// sortedUnique is the events of lists, each once (an event can be both by and about a person),
// newest first.
func sortedUnique(lists []auditList) []store.AuditEvent {
	seen := map[string]bool{}
	var out []store.AuditEvent
	for _, l := range lists {
		for _, e := range l.Events {
			if !seen[e.ID] {
				seen[e.ID] = true
				out = append(out, e)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b store.AuditEvent) int { return b.At.Compare(a.At) })
	return out
}

// actionText is an action as the page names it.
func actionText(a string) string {
	return strings.ReplaceAll(strings.TrimPrefix(a, "staff_"), "_", " ")
}

func withHint(d govuk.Date, hint string) govuk.Date { d.Hint = hint; return d }

// eventDetail is what an event names besides its people and client: request, document, grant, detail.
func eventDetail(e store.AuditEvent) string {
	var parts []string
	for _, p := range [][2]string{{"request ", string(e.RequestID)}, {"document ", string(e.DocumentID)}, {"grant ", string(e.GrantID)}, {"", e.Detail}} {
		if p[1] != "" {
			parts = append(parts, p[0]+p[1])
		}
	}
	return strings.Join(parts, ", ")
}

// actor is who did an event: a person, or the sending system for a batch's correction.
func actor(e store.AuditEvent) string {
	if e.Email == "" {
		return "the sending system"
	}
	return string(e.Email)
}
