package main

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/web"
)

//go:embed templates
var files embed.FS

// ViewLPA is where a reviewer checks an OPG access code.
const ViewLPA = "https://www.gov.uk/view-lasting-power-of-attorney"

var (
	fragments = map[string]fragment{}
	css       = mustRead("templates/style.css")
	// The stylesheet is inline and allowed by its hash; with default-src 'none' and no script-src,
	// no script of any kind runs, and the page cannot be framed or post anywhere but here.
	csp = "default-src 'none'; style-src '" + cspHash(css) + "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

func init() { parseFragments(mustRead("templates/page.html"), fragments) }

func mustRead(name string) string {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// withSecurity adds the headers every answer of this function carries.
func withSecurity(h map[string]string) map[string]string {
	h["Content-Security-Policy"] = csp
	h["X-Frame-Options"] = "DENY"
	h["Referrer-Policy"] = "no-referrer" // the link's token must not leak to the evidence host
	h["Cache-Control"] = "no-store"
	h["X-Content-Type-Options"] = "nosniff"
	return h
}

// view is one page: its title and its main content.
type view struct {
	Title string
	Main  html
}

func render(status int, v view) (resp web.Response) {
	defer func() {
		if recover() != nil {
			// A fragment that fails on its own data is a bug; say so plainly rather than send half a page.
			resp = web.Response{StatusCode: http.StatusInternalServerError, Body: "Something went wrong. Nothing was changed.",
				Headers: withSecurity(map[string]string{"Content-Type": "text/plain; charset=utf-8"})}
		}
	}()
	body := fill("layout", "Title", v.Title, "CSS", html(css), "Main", v.Main)
	return web.Response{StatusCode: status, Body: string(body), Headers: withSecurity(map[string]string{"Content-Type": "text/html; charset=utf-8"})}
}

func paragraphs(texts ...string) html {
	var out []html
	for _, t := range texts {
		out = append(out, fill("paragraph", "Text", t))
	}
	return join(out...)
}

// messagePage is a page that only says something; raw, when given, links back to the review page.
func messagePage(heading, body, raw string) view {
	return messageView(heading, raw, body)
}

// messageView is a message page of several paragraphs.
func messageView(heading, raw string, body ...string) view {
	m := join(fill("message", "Heading", heading, "Paragraphs", paragraphs(body...)),
		when(raw != "", fill("back", "Href", self(raw))))
	return view{Title: heading, Main: m}
}

func notFoundPage() view {
	return messagePage("Page not found", "This review link is not valid. Check that you copied the whole link from the email.", "")
}

func expiredPage() view {
	return messagePage("This review link has expired", "Review links stop working after a few days. Look for a newer email about this request, or ask a colleague in the Client Finance team.", "")
}

func unavailablePage() view {
	return messagePage("Sorry, there is a problem with the service", "Try again in a moment. If you had sent a decision or a note, open the link again first to see whether it was recorded.", "")
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
}

// reviewPage is the page a reviewer works on. done names the action just recorded (the banner);
// errs and form re-show a form that was not valid.
func (h Handler) reviewPage(rv review, done string, errs []fieldError, form url.Values) view {
	r := rv.req
	f := formState{values: map[string]string{}, errs: map[string]string{}}
	for k := range form {
		f.values[k] = form.Get(k)
	}
	for _, e := range errs {
		f.errs[e.Field] = e.Message
	}

	var errorSummary html
	if len(errs) > 0 {
		var items []html
		for _, e := range errs {
			items = append(items, fill("error-item", "Field", e.Field, "Message", e.Message))
		}
		errorSummary = fill("error-summary", "Items", join(items...))
	}
	var outcomeBox html
	if r.Status != access.ReadyForReview {
		outcomeBox = fill("outcome", "Paragraphs", paragraphs(outcome(r)...))
	}
	status := r.Status.Title()
	main := fill("review",
		"Banner", when(doneText[done] != "", fill("banner", "Text", doneText[done])),
		"Errors", errorSummary,
		"ID", string(r.ID), "Tag", statusTag[r.Status], "Status", status,
		"Outcome", outcomeBox,
		"Reviewer", string(rv.reviewer),
		"Requester", rows(
			"Name", r.Requester.Name,
			"Email address", string(r.Requester.Email),
			"Telephone", orNot(r.Requester.Phone),
			"Relationship to the client", r.Relationship.Title()),
		"Client", rows(
			"Name", r.Client.Name,
			"Date of birth", day(r.Client.DateOfBirth),
			"Postcode", r.Client.Postcode,
			"Client reference given by the requester", orNot(r.Client.ClientReference)),
		"LPA", when(r.LPAAccessCode != "" || r.DonorSurname != "", fill("lpa",
			"Rows", rows("Access code", r.LPAAccessCode, "Donor's surname", r.DonorSurname), "Href", ViewLPA)),
		"Evidence", evidenceTable(rv),
		"History", history(r),
		"Forms", forms(rv, f),
	)
	title := "Review access request " + string(r.ID)
	if len(errs) > 0 {
		title = "Error: " + title
	}
	return view{Title: title, Main: main}
}

func rows(kv ...string) html {
	var out []html
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, fill("row", "Key", kv[i], "Value", kv[i+1]))
	}
	return join(out...)
}

func orNot(s string) string {
	if s == "" {
		return "Not given"
	}
	return s
}

func evidenceTable(rv review) html {
	if len(rv.evidence) == 0 {
		return paragraphs("No files were uploaded.")
	}
	ev := append([]access.Evidence(nil), rv.evidence...)
	sort.Slice(ev, func(i, j int) bool {
		return ev[i].Round < ev[j].Round || ev[i].Round == ev[j].Round && ev[i].File.FileName < ev[j].File.FileName
	})
	var out []html
	for _, e := range ev {
		status := e.Status.Title()
		if e.Reason != "" && e.Status != access.Clean {
			status += ": " + e.Reason
		}
		round := "First submission"
		switch {
		case e.Round == access.ReplacedRound:
			round = "Replaced by a later upload"
		case e.Round > 0:
			round = "After request for more information " + strconv.Itoa(e.Round)
		}
		// Only clean files are ever linked (and only clean files are handed out).
		view := when(e.Status == access.Clean, fill("evidence-view",
			"Href", self(rv.raw)+"/evidence/"+url.PathEscape(string(e.ID)), "Name", e.File.FileName))
		out = append(out, fill("evidence-row", "Name", e.File.FileName, "Round", round, "Status", status, "View", view))
	}
	return fill("evidence", "Rows", join(out...))
}

func history(r access.Request) html {
	out := []html{
		fill("history-row", "When", at(r.CreatedAt), "Who", "Requester", "What", "Request made"),
		fill("history-row", "When", at(r.SubmittedAt), "Who", "Requester", "What", "Evidence submitted for checks"),
	}
	for _, n := range r.Notes {
		what := n.Text
		if n.Kind == "security_check" {
			what = "Security check: " + n.Text
		}
		out = append(out, fill("history-row", "When", at(n.At), "Who", string(n.By), "What", what))
	}
	return join(out...)
}

// formState is a form being shown again: what was typed and what was wrong.
type formState struct{ values, errs map[string]string }

// errorParts are the pieces a field or group shows when it has an error.
func (f formState) errorParts(name string) (group, input, describedBy, message html) {
	msg, bad := f.errs[name]
	if !bad {
		return "", "", "", ""
	}
	return " form-group--error", " field--error", " " + html(name) + "-error",
		fill("error-message", "ID", name+"-error", "Message", msg)
}

func (f formState) field(kind, name, label, hint string) html {
	group, input, describedBy, msg := f.errorParts(name)
	return fill(kind, "Name", name, "Label", label, "Hint", hint, "Value", f.values[name],
		"ErrorClass", group, "InputErrorClass", input, "ErrorID", describedBy, "Error", msg)
}

func (f formState) radio(id, name, value, label string) html {
	return fill("radio", "ID", id, "Name", name, "Value", value, "Label", label,
		"Checked", when(f.values[name] == value, " checked"))
}

// forms are the forms the request's state allows: notes and decisions while it is being reviewed
// (only rejection while more information is awaited), ending access while it is an active grant.
func forms(rv review, f formState) html {
	r := rv.req
	key, me := formKey(rv.raw, r.ID), self(rv.raw)
	reviewing, waiting := r.Status == access.ReadyForReview, r.Status == access.MoreInfoRequested
	var out []html
	if reviewing || waiting {
		out = append(out, fill("note-form", "Self", me, "Key", key, "Note", f.field("textarea", "note",
			"What did the security check find?", "For example, who you phoned, on which number, and what they confirmed. This does not decide the request.")))

		// The first radio has the group's id, so the error summary's link lands on it.
		rejectID := "action-reject"
		var radios []html
		if reviewing {
			radios = append(radios, f.radio("action", "action", actApprove, "Approve"), fill("conditional", "Content", join(
				f.field("input", "clientReference", "Client reference", "The council's reference for this client, for example 1234567."),
				f.field("input", "accessEndsOn", "Date access ends (optional)", "For example, 2027-03-31 for a time-limited deputyship. Leave it empty if access has no end date."))))
		} else {
			rejectID = "action"
		}
		radios = append(radios, f.radio(rejectID, "action", actReject, "Reject"),
			fill("conditional", "Content", f.field("textarea", "reason", "Reason for rejecting", "The requester is sent this reason.")))
		if reviewing {
			radios = append(radios, f.radio("action-more", "action", actMoreInfo, "Ask for more information"),
				fill("conditional", "Content", f.field("textarea", "message", "What information do you need?", "The requester is sent this message with a link to upload more documents.")))
		}
		group, _, describedBy, msg := f.errorParts("action")
		out = append(out, fill("decision-form", "Self", me, "Key", key, "ErrorClass", group, "ErrorID", describedBy, "Error", msg, "Radios", join(radios...)))
	}
	if r.Status == access.Approved && r.Decision != nil && r.Decision.EndedAt.IsZero() {
		var radios []html
		for i, o := range endReasons {
			id := "endReason"
			if i > 0 {
				id += "-" + o.Value
			}
			radios = append(radios, f.radio(id, "endReason", o.Value, o.Label))
			if o.Value == "other" {
				radios = append(radios, fill("conditional", "Content", f.field("textarea", "endReasonOther", "Reason", "The person is sent this reason.")))
			}
		}
		group, _, describedBy, msg := f.errorParts("endReason")
		out = append(out, fill("end-form", "Self", me, "Key", key, "ErrorClass", group, "Error", msg, "Radios", join(radios...),
			"DescribedBy", when(describedBy != "", ` aria-describedby="endReason-error"`)))
	}
	return join(out...)
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

var statusTag = map[access.Status]string{
	access.ReadyForReview:    "tag--blue",
	access.MoreInfoRequested: "tag--yellow",
	access.Approved:          "tag--green",
	access.Rejected:          "tag--red",
}
