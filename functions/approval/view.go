package main

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/staff"
	"github.com/council/cfp/shared/web"
)

// The pages are templ components (pages.templ, generated into pages_templ.go by `go tool templ
// generate`): typed Go, escaped for each context (text, attribute, URL), with no reflection, so the
// linker still drops what the function does not use.

// ViewLPA is where a reviewer checks an OPG access code.
const ViewLPA = "https://www.gov.uk/view-lasting-power-of-attorney"

// pageCSP is the policy of an answer that is not a page (a redirect, a refusal in plain text):
// nothing may load, frame it or post from it. Pages carry shared/page's policy instead.
const pageCSP = "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// withSecurity adds the headers every answer of this function that is not a page carries.
func withSecurity(h map[string]string) map[string]string {
	h["Content-Security-Policy"] = pageCSP
	h["X-Frame-Options"] = "DENY"
	h["Referrer-Policy"] = "no-referrer" // the link's token must not leak to the evidence host
	h["Cache-Control"] = "no-store"
	h["X-Content-Type-Options"] = "nosniff"
	return h
}

// view is one page: its title and its main content. SignOut, when set, is the anti-forgery value
// of the header's sign-out form: a page shown to a signed-in member of staff carries one. Person
// is who is signed in ("" for nobody): the header shows them and the navigation their roles may
// open; Current is the navigation's address of the section the page belongs to.
type view struct {
	Title   string
	Main    templ.Component
	SignOut string
	Person  staff.Person
	Current string
}

// staff is what the layout shows of the signed-in member of staff.
func (v view) staff() page.Staff {
	s := page.Staff{Name: v.Person.Name, Email: v.Person.Email, SignOut: v.SignOut}
	for _, n := range navFor(v.Person) {
		n.Current = n.Href == v.Current
		s.Nav = append(s.Nav, n)
	}
	return s
}

// render writes a page with shared/page's security headers: the stylesheet and scripts come from
// this site's /assets/ (served by the site function on the same origin), the one inline script
// runs by the answer's nonce, and no cache keeps it (every staff page shows personal data).
func render(status int, v view) web.Response {
	var b strings.Builder
	nonce := page.NewNonce()
	if err := layout(v).Render(templ.WithNonce(context.Background(), nonce), &b); err != nil {
		// The components make no errors of their own and a strings.Builder takes every write, so
		// this is a bug: say so plainly rather than send half a page.
		return web.Response{StatusCode: http.StatusInternalServerError, Body: "Something went wrong. Nothing was changed.",
			Headers: withSecurity(map[string]string{"Content-Type": "text/plain; charset=utf-8"})}
	}
	return web.Response{StatusCode: status, Body: b.String(), Headers: page.Headers(nonce, page.Policy{Personal: true})}
}

// messagePage is a page that only says something; raw, when given, links back to the review page.
func messagePage(heading, body, raw string) view {
	return messageView(heading, raw, body)
}

// messageView is a message page of several paragraphs.
func messageView(heading, raw string, body ...string) view {
	back := ""
	if raw != "" {
		back = self(raw)
	}
	return view{Title: heading, Main: message(heading, back, body)}
}

func notFoundPage() view {
	return staffMessage("Page not found", "There is nothing at this address. Go back to the request and try again.")
}

func unavailablePage() view {
	return messagePage("Sorry, there is a problem with the service", "Try again in a moment. If you had sent a decision or a note, open the request again first to see whether it was recorded.", "")
}

// conflictPage is the 409 page: it says who decided and when.
func conflictPage(req access.Request, raw string) view {
	heading := "This request is not ready for a decision"
	if d := req.Decision; d != nil && (req.Status.Decided() || req.Status == access.MoreInfoRequested) {
		heading = "This request has already been decided"
		if !d.EndedAt.IsZero() {
			heading = "Access has already ended"
		}
	}
	return messageView(heading, raw, append(outcome(req), "Nothing was changed by your form.")...)
}

var doneText = map[string]string{
	actApprove:       "Request approved. The requester has been emailed.",
	actReject:        "Request rejected. The requester has been emailed the reason.",
	actMoreInfo:      "More information requested. The requester has been emailed your message and a link to upload documents.",
	actSecurityCheck: "Security check recorded.",
	actEndAccess:     "Access ended. The person has been emailed.",
	actChangeEnd:     "The date access ends has been changed.",
}

// reviewPage is the page a reviewer works on. done names the action just recorded (the banner);
// errs and form re-show a form that was not valid.
func (h Handler) reviewPage(rv review, done string, errs []fieldError, form url.Values) view {
	f := formState{values: map[string]string{}, errs: map[string]string{}}
	for k := range form {
		f.values[k] = form.Get(k)
	}
	for _, e := range errs {
		f.errs[e.Field] = e.Message
	}
	title := "Review access request " + shortRef(rv.req.Reference, rv.req.ID)
	if len(errs) > 0 {
		title = "Error: " + title
	}
	return view{Title: title, Main: reviewMain(rv, done, errs, f), SignOut: signOutKey(rv.raw), Person: rv.person, Current: "/staff"}
}

// row is one line of a summary list.
type row struct{ Key, Value string }

func pageRows(rows []row) []page.Row {
	out := make([]page.Row, len(rows))
	for i, r := range rows {
		out[i] = page.Row{Key: r.Key, Value: []string{r.Value}}
	}
	return out
}

// shortRef is how staff name a request: its short reference (CFP-7K3M-9Q2X), the one a caller
// reads out, or its id for a request made before references existed.
func shortRef(ref access.Reference, id access.RequestID) string {
	if ref != "" {
		return string(ref)
	}
	return string(id)
}

func requesterRows(r access.Request) []row {
	return []row{
		{"Name", r.Requester.Name},
		{"Email address", string(r.Requester.Email)},
		{"Telephone", orNot(r.Requester.Phone)},
		{"Relationship to the client", r.Relationship.Title()},
	}
}

func clientRows(r access.Request) []row {
	return []row{
		{"Name", r.Client.Name},
		{"Date of birth", day(r.Client.DateOfBirth)},
		{"Postcode", r.Client.Postcode},
		{"Client reference given by the requester", orNot(r.Client.ClientReference)},
	}
}

// clientHref is a client's page in the workspace.
func clientHref(ref string) templ.SafeURL {
	return templ.SafeURL("/staff/clients/" + url.PathEscape(ref))
}

// until is when a grant's access ends, as a reviewer reads it.
func until(g access.Grant) string {
	if g.EndsOn == "" {
		return "No end date"
	}
	return day(g.EndsOn)
}

func orNot(s string) string {
	if s == "" {
		return "Not given"
	}
	return s
}

// words names a status for people, or shows it as it is when it has no name.
func sortedEvidence(ev []access.Evidence) []access.Evidence {
	ev = append([]access.Evidence(nil), ev...)
	sort.Slice(ev, func(i, j int) bool {
		return ev[i].Round < ev[j].Round || ev[i].Round == ev[j].Round && ev[i].File.FileName < ev[j].File.FileName
	})
	return ev
}

func evidenceStatus(e access.Evidence) string {
	status := e.Status.Title()
	if e.Reason != "" && e.Status != access.Clean {
		status += ": " + e.Reason
	}
	if !e.DeletedAt.IsZero() {
		status += ". File deleted on " + at(e.DeletedAt) + " when the request expired"
	}
	return status
}

// round says which submission a file came with.
func round(e access.Evidence) string {
	switch {
	case e.Round == access.ReplacedRound:
		return "Replaced by a later upload"
	case e.Round > 0:
		return "After request for more information " + strconv.Itoa(e.Round)
	}
	return "First submission"
}

// evidenceLink is a file's link, relative to the review page.
func evidenceLink(raw string, id access.EvidenceID) string {
	return self(raw) + "/evidence/" + url.PathEscape(string(id))
}

// event is one line of a request's history.
type event struct{ When, Who, What string }

func history(r access.Request) []event {
	out := []event{
		{at(r.CreatedAt), "Requester", "Request made"},
		{at(r.SubmittedAt), "Requester", "Evidence submitted for checks"},
	}
	for _, n := range r.Notes {
		what := n.Text
		if n.Kind == "security_check" {
			what = "Security check: " + n.Text
		}
		who := string(n.By)
		if who == "" {
			who = "The portal" // an expiry: nobody decided it
		}
		out = append(out, event{at(n.At), who, what})
	}
	return out
}

// formState is a form being shown again: what was typed and what was wrong.
type formState struct{ values, errs map[string]string }

func (f formState) bad(name string) bool { _, bad := f.errs[name]; return bad }

// describedBy is what a field with an error adds to its aria-describedby.
func (f formState) describedBy(name string) string {
	if f.bad(name) {
		return " " + name + "-error"
	}
	return ""
}

// outcome says where a request stands, who decided and when.
func outcome(r access.Request) []string {
	d := r.Decision
	switch r.Status {
	case access.Approved:
		if d == nil {
			return []string{"Approved."}
		}
		ends := "Access has no end date."
		if d.AccessEndsOn != "" {
			ends = "Access ends on " + day(d.AccessEndsOn) + "."
		}
		out := []string{"Approved by " + string(d.By) + " on " + at(d.At) + ". Client reference " + d.ClientReference + ". " + ends}
		if !d.EndedAt.IsZero() {
			out = append(out, "Access ended by "+string(d.EndedBy)+" on "+at(d.EndedAt)+". Reason: "+d.EndReason)
		}
		return out
	case access.Rejected:
		if d == nil {
			return []string{"Rejected."}
		}
		return []string{"Rejected by " + string(d.By) + " on " + at(d.At) + ". Reason: " + d.Reason}
	case access.MoreInfoRequested:
		if d == nil {
			return []string{"More information was requested."}
		}
		return []string{"More information was requested by " + string(d.By) + " on " + at(d.At) + ": " + d.Reason,
			"When the requester sends it, the request comes back for review and the team gets a new email."}
	case access.Withdrawn:
		return []string{"The requester withdrew this request."}
	case access.Expired:
		return []string{"This request expired before it was completed."}
	}
	return []string{"The request's evidence is still being uploaded or checked. The team gets an email when it is ready for review."}
}

// at shows a time as UK staff read it: 2 March 2026 at 2:05pm.
func at(t time.Time) string {
	if t.IsZero() {
		return "not yet"
	}
	return ukTime(t).Format("2 January 2006 at 3:04pm")
}

// ukTime is t in UK time. British Summer Time runs from 01:00 UTC on the last Sunday of March to
// 01:00 UTC on the last Sunday of October. The rule is written out rather than read from a zone
// database, which Lambda's base image need not have and which would add 450 KB to the binary.
func ukTime(t time.Time) time.Time {
	t = t.UTC()
	lastSunday := func(month time.Month) time.Time {
		d := time.Date(t.Year(), month+1, 1, 1, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
		return d.AddDate(0, 0, -int(d.Weekday()))
	}
	if !t.Before(lastSunday(time.March)) && t.Before(lastSunday(time.October)) {
		return t.In(bst)
	}
	return t.In(gmt)
}

var (
	gmt = time.FixedZone("GMT", 0)
	bst = time.FixedZone("BST", 3600)
)

func day(s string) string {
	d, err := time.Parse(dateLayout, s)
	if err != nil {
		return s
	}
	return d.Format("2 January 2006")
}

// requestName is how staff know a request: its short reference, or its id before references.
func requestName(r access.Request) string {
	if r.Reference != "" {
		return string(r.Reference)
	}
	return string(r.ID)
}
