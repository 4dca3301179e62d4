package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// Uploads from the pages. A page cannot know a file's type or size before it is chosen, so each
// upload is an empty "slot": an evidence file of the request's current round declared with no type
// or size, awaiting its upload, with its own presigned POST form (bucket.PageForm: any type, 1 byte
// to 10 MiB, S3 sends the browser back to the page). The checks then read the type from the
// file's bytes. A page keeps one empty slot while more files may be added; the slots still empty
// when the request is sent are deleted with the send (store.SendRequest). Showing the page may
// thus write (a new slot, refused files taken out of the round): the evidence page is where the
// draft is made, and its forms need their keys to exist before S3 is posted to.

// slotName is how a page names the n-th file of a request.
func slotName(n int) string { return "File " + strconv.Itoa(n) }

// fileRows is what the page shows of each file of the current round (and of refused files taken
// out of it, so the person is told), and the empty slot, if any. uploaded says which files still
// awaiting their upload are in the bucket (their checks have not begun).
func (h Handler) fileRows(ctx context.Context, req access.Request, ev []access.Evidence, justUploaded access.EvidenceID, log *slog.Logger) (files, *access.Evidence, map[access.EvidenceID]bool, *web.Problem) {
	sort.SliceStable(ev, func(i, j int) bool {
		a, b := ev[i].File.FileName, ev[j].File.FileName
		return len(a) < len(b) || len(a) == len(b) && a < b
	})
	f := files{Checked: true}
	var empty *access.Evidence
	uploaded := map[access.EvidenceID]bool{}
	for _, e := range ev {
		if e.Round != req.Round && !(e.Round == access.ReplacedRound && req.Round == 0) {
			continue
		}
		row := fileRow{Name: e.File.FileName}
		switch {
		case e.Status == access.AwaitingUpload:
			up := e.ID == justUploaded
			if !up {
				ok, err := h.Uploads.Exists(ctx, e.Key())
				if err != nil {
					log.Error("checking an upload", "err", err)
					return f, nil, nil, web.Unavailable()
				}
				up = ok
			}
			if !up {
				e := e
				empty = &e
				continue
			}
			uploaded[e.ID] = true
			row.Status, row.Colour, f.Checked = "Checking", "yellow", false
		case e.Status == access.Clean:
			row.Status, row.Colour = "Accepted", "green"
		case e.Status == access.EvScanning:
			row.Status, row.Colour, f.Checked = "Checking", "yellow", false
		case e.Status == access.Infected:
			row.Status, row.Colour = "Not accepted", "red"
			row.Reason = "Our virus check found a threat in this file, so we deleted it. Upload another copy, from a different device if you can."
		case e.Status == access.ScanFailed:
			row.Status, row.Colour = "Not accepted", "red"
			row.Reason = "We could not check this file for viruses, so we deleted it. Upload it again."
		default:
			row.Status, row.Colour = "Not accepted", "red"
			row.Reason = strings.TrimSpace("We could not accept this file. "+e.Reason) + " Upload another file in its place."
		}
		f.Rows = append(f.Rows, row)
	}
	f.Next = len(ev) + 1
	if empty != nil {
		n, err := strconv.Atoi(strings.TrimPrefix(empty.File.FileName, "File "))
		if err != nil {
			n = len(f.Rows) + 1
		}
		f.Next = n
	}
	return f, empty, uploaded, nil
}

// canAdd reports whether files may be added to the request now (as the API's evidence route).
func canAdd(req access.Request, ev []access.Evidence) bool {
	switch req.Status {
	case access.AwaitingEvidence, access.MoreInfoRequested:
		return true
	case access.Scanning:
		for _, e := range current(req, ev) {
			if e.Status.Refused() {
				return true
			}
		}
	}
	return false
}

// uploadForm makes sure the request has an empty slot while another file may be added (taking
// refused files out of the round, as the API's evidence route does) and returns the page's files
// with the slot's form, which sends the browser back to here.
func (h Handler) uploadForm(ctx context.Context, req access.Request, ev []access.Evidence, here string, r web.Request, log *slog.Logger) (files, map[access.EvidenceID]bool, *web.Problem) {
	_, evID, _ := access.ParseEvidenceKey(r.QueryStringParameters["key"])
	f, empty, uploaded, p := h.fileRows(ctx, req, ev, evID, log)
	f.Here = here
	if p != nil || !canAdd(req, ev) {
		return f, uploaded, p
	}
	var refused []access.EvidenceID
	live := 0
	for _, e := range current(req, ev) {
		switch {
		case e.Status.Refused():
			refused = append(refused, e.ID)
		case e.Status != access.AwaitingUpload || uploaded[e.ID]:
			live++
		}
	}
	var add []access.Evidence
	if empty == nil && live < access.MaxFiles {
		add = newEvidence(req, []access.File{{FileName: slotName(len(ev) + 1)}}, h.Now().UTC())
		empty, f.Next = &add[0], len(ev)+1
	}
	if len(add)+len(refused) > 0 {
		switch err := h.Scans.AddEvidence(ctx, req, add, refused); {
		case errors.Is(err, store.ErrConflict):
			return f, uploaded, nil // changed meanwhile: "check again" shows it as it now is
		case err != nil:
			log.Error("adding an upload slot", "err", err)
			return f, uploaded, web.Unavailable()
		}
	}
	if empty == nil {
		return f, uploaded, nil
	}
	form, err := h.Uploads.PageForm(ctx, empty.Key(), h.Origin+here, access.MaxFileSize, formTTL)
	if err != nil {
		log.Error("presigning an upload form", "err", err)
		return f, uploaded, web.Unavailable()
	}
	f.Form = &form
	return f, uploaded, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// policy is a page's policy: its upload forms post to the bucket's origin.
func policy(f files) page.Policy {
	p := page.Policy{Personal: true}
	if f.Form != nil {
		if u, err := url.Parse(f.Form.URL); err == nil {
			p.FormTargets = []string{u.Scheme + "://" + u.Host}
		}
	}
	return p
}

// pageOf is the question that asks for a field the domain found wrong.
func pageOf(field string) string {
	switch {
	case field == "relationship":
		return pathRelationship
	case strings.HasPrefix(field, "requester"):
		return pathDetails
	case strings.HasPrefix(field, "client"):
		return pathClient
	}
	return pathCode
}

func (h Handler) evidenceGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	j, fresh := h.journeyOf(r)
	req, ev, gone, p := h.draftOf(ctx, j, log)
	now := h.Now().UTC()
	switch {
	case p != nil:
		return web.Response{}, p
	case gone, req != nil && req.Expired(now):
		return h.show(ctx, log, http.StatusOK, j, fresh, h.expiredPage()), nil
	case req != nil && !req.Draft:
		return web.SeeOther(pathDone, ""), nil
	case req == nil:
		n := j.Answers
		if n.Requester == nil {
			return web.SeeOther(pathRelationship, ""), nil
		}
		if errs := n.ValidateDraft(now); len(errs) > 0 {
			return web.SeeOther(pageOf(errs[0].Field), ""), nil
		}
		token := secret.New()
		d := access.NewDraft(n, access.NewRequestID(), token.Hash(), now)
		email := perEmail
		email.Key = string(d.Requester.Email)
		ip := store.Limit{Kind: "request-ip", Key: web.SourceIP(r), Window: time.Hour, Max: h.PerIP}
		switch err := h.Requests.CreateRequest(ctx, d, nil, nil, email, ip); {
		case errors.Is(err, store.ErrLimited):
			return h.show(ctx, log, http.StatusTooManyRequests, j, fresh, messagePage(h.Brand, "Too many requests",
				[]string{"You have made too many requests in the last hour. Please try again later, or contact us."}, "", "")), nil
		case err != nil:
			log.Error("creating a draft", "err", err)
			return web.Response{}, web.Unavailable()
		}
		log.Info("draft created", "id", d.ID, "relationship", d.Relationship)
		j, fresh = journey{Bind: j.Bind, ID: d.ID, Token: token.Reveal()}, true
		req = &d
	}
	f, _, p := h.uploadForm(ctx, *req, ev, pathEvidence, r, log)
	if p != nil {
		return web.Response{}, p
	}
	n := req.Answers()
	v := evidenceView{Files: f, Self: req.Relationship == access.Self, LPA: req.Relationship == access.AttorneyLPA, Back: back(n, pathEvidence)}
	resp := page.Respond(ctx, log, http.StatusOK, policy(f), evidencePage(h.Brand, v))
	if fresh {
		resp.Headers["Set-Cookie"] = h.setCookie(j)
	}
	return resp, nil
}

var relationshipWords = map[access.Relationship]string{}

func init() {
	for _, c := range relationships {
		relationshipWords[access.Relationship(c.Value)] = c.Label
	}
}

func longDate(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("2 January 2006")
}

func (h Handler) checkView(req access.Request, f files, token string, errs page.Errors) checkView {
	phone := req.Requester.Phone
	if phone == "" {
		phone = "Not given"
	}
	v := checkView{Errors: errs, Token: token,
		You: []page.Row{
			{Key: "How you are related to the client", Value: []string{relationshipWords[req.Relationship]}, Change: pathRelationship, ChangeWhat: "how you are related to the client"},
			{Key: "Name", Value: []string{req.Requester.Name}, Change: pathDetails, ChangeWhat: "your name"},
			{Key: "Email address", Value: []string{string(req.Requester.Email)}, Change: pathDetails, ChangeWhat: "your email address"},
			{Key: "Telephone", Value: []string{phone}, Change: pathDetails, ChangeWhat: "your telephone number"},
		},
		Client: []page.Row{
			{Key: "Name", Value: []string{req.Client.Name}, Change: pathClient, ChangeWhat: "the client's name"},
			{Key: "Date of birth", Value: []string{longDate(req.Client.DateOfBirth)}, Change: pathClient, ChangeWhat: "the client's date of birth"},
			{Key: "Postcode", Value: []string{req.Client.Postcode}, Change: pathClient, ChangeWhat: "the client's postcode"},
		},
	}
	if req.Relationship == access.AttorneyLPA {
		code := []string{"Not given"}
		if req.LPAAccessCode != "" {
			code = []string{req.LPAAccessCode, "Donor's last name: " + req.DonorSurname}
		}
		v.You = append(v.You, page.Row{Key: "View an LPA access code", Value: code, Change: pathCode, ChangeWhat: "the access code"})
	}
	var lines []string
	for _, r := range f.Rows {
		lines = append(lines, r.Name+": "+strings.ToLower(r.Status))
	}
	if len(lines) == 0 {
		lines = []string{"No files uploaded"}
	}
	v.Evidence = []page.Row{{Key: "Files", Value: lines, Change: pathEvidence, ChangeWhat: "your files"}}
	return v
}

func (h Handler) checkGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	return h.check(ctx, r, nil, log)
}

// check shows "check your answers", with errs when sending failed.
func (h Handler) check(ctx context.Context, r web.Request, errs page.Errors, log *slog.Logger) (web.Response, *web.Problem) {
	j, fresh := h.journeyOf(r)
	req, ev, gone, p := h.draftOf(ctx, j, log)
	switch {
	case p != nil:
		return web.Response{}, p
	case gone, req != nil && req.Expired(h.Now()):
		return h.show(ctx, log, http.StatusOK, j, fresh, h.expiredPage()), nil
	case req == nil:
		return web.SeeOther(pathEvidence, ""), nil // the evidence page makes the draft
	case !req.Draft:
		return web.SeeOther(pathDone, ""), nil
	}
	f, _, _, p := h.fileRows(ctx, *req, ev, "", log)
	if p != nil {
		return web.Response{}, p
	}
	return h.show(ctx, log, status(errs), j, fresh, checkPage(h.Brand, h.checkView(*req, f, h.formToken(j), errs))), nil
}

// checkPost sends the draft. Sent twice (a second click, a stale page), it changes nothing and
// shows the confirmation again; no second email is sent.
func (h Handler) checkPost(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	j, fresh := h.journeyOf(r)
	_, ok := h.readForm(r, j, fresh)
	if !ok {
		return h.check(ctx, r, page.Errors{{Field: "evidence", Message: "Your request was not sent because this page was open for too long or did not come from this service. Check your answers and send it again."}}, log)
	}
	req, ev, gone, p := h.draftOf(ctx, j, log)
	switch {
	case p != nil:
		return web.Response{}, p
	case gone || req == nil || req.Expired(h.Now()) || !req.Draft:
		return h.check(ctx, r, nil, log)
	}
	_, _, uploaded, p := h.fileRows(ctx, *req, ev, "", log)
	if p != nil {
		return web.Response{}, p
	}
	switch _, err := h.Drafts.SendRequest(ctx, req.ID, uploaded); {
	case errors.Is(err, access.ErrNoEvidence):
		msg := "Upload a copy of your authority"
		if req.Relationship == access.AttorneyLPA {
			msg = "Upload a copy of the LPA, or give its View an LPA access code"
		}
		return h.check(ctx, r, page.Errors{{Field: "evidence", Message: msg}}, log)
	case errors.Is(err, access.ErrRefusedEvidence):
		return h.check(ctx, r, page.Errors{{Field: "evidence", Message: "Upload another file in place of the one we could not accept"}}, log)
	case errors.Is(err, store.ErrConflict):
		return h.check(ctx, r, nil, log) // sent or expired meanwhile: the page says which
	case err != nil:
		log.Error("sending a draft", "err", err)
		return web.Response{}, web.Unavailable()
	}
	log.Info("request sent", "id", req.ID)
	if _, p := h.promote(ctx, req.ID, log); p != nil {
		log.Warn("the request was sent; its move on to review waits for its files' checks")
	}
	return web.SeeOther(pathDone, ""), nil
}

func (h Handler) confirmation(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	j, _ := h.journeyOf(r)
	req, _, gone, p := h.draftOf(ctx, j, log)
	switch {
	case p != nil:
		return web.Response{}, p
	case gone || req == nil:
		return web.SeeOther(pathRelationship, ""), nil
	case req.Draft:
		return web.SeeOther(pathCheck, ""), nil
	}
	return page.Respond(ctx, log, http.StatusOK, page.Policy{Personal: true}, confirmationPage(h.Brand, req.Reference, req.Requester.Email)), nil
}

// request reads a request for a page; ok is false when there is none.
func (h Handler) request(ctx context.Context, id access.RequestID, log *slog.Logger) (access.Request, []access.Evidence, bool, *web.Problem) {
	req, ev, err := h.Requests.Request(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return access.Request{}, nil, false, nil
	case err != nil:
		log.Error("reading a request", "err", err)
		return access.Request{}, nil, false, web.Unavailable()
	}
	return req, ev, true, nil
}

// linked returns the request an emailed link's token opens: a status link, or a "more
// information" link. ok is false for an unknown, expired or another request's token.
func (h Handler) linked(ctx context.Context, id access.RequestID, tok secret.Secret, log *slog.Logger) (access.Request, []access.Evidence, bool, *web.Problem) {
	if tok.Empty() || h.Scans == nil {
		return access.Request{}, nil, false, nil
	}
	for _, purpose := range []mail.Purpose{mail.Status, mail.MoreInfo} {
		link, err := h.Scans.Token(ctx, tok.Hash(), purpose)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			log.Error("reading a link token", "err", err)
			return access.Request{}, nil, false, web.Unavailable()
		case link.Subject != string(id) || !h.Now().Before(link.ExpiresAt):
			return access.Request{}, nil, false, nil
		}
		return h.request(ctx, id, log)
	}
	return access.Request{}, nil, false, nil
}

func (h Handler) badLink(ctx context.Context, log *slog.Logger) web.Response {
	return page.Respond(ctx, log, http.StatusNotFound, page.Policy{}, messagePage(h.Brand, "This link does not work",
		[]string{"The link may have expired, or it may not have been copied in full. Links to a request work for 30 days."},
		pathLostLink, "Get a new link to your request"))
}

var statusWords = map[access.Status][3]string{
	access.AwaitingEvidence:  {"Waiting for your documents", "yellow", "Upload your documents, then send them to us."},
	access.Scanning:          {"Checking your documents", "yellow", "We are checking the documents you uploaded. The Client Finance team then reviews your request."},
	access.ReadyForReview:    {"With the Client Finance team", "blue", "The Client Finance team is reviewing your request. They may phone you to confirm who you are. We will email you our decision."},
	access.MoreInfoRequested: {"We need more information", "orange", "The Client Finance team needs more information before they can decide. Add the documents they asked for."},
	access.Approved:          {"Approved", "green", "Your request was approved. We have emailed you about setting up your account or signing in."},
	access.Rejected:          {"Not approved", "red", "Your request was not approved. We have emailed you the reason."},
	access.Withdrawn:         {"Withdrawn", "grey", "This request was withdrawn."},
	access.Expired:           {"Expired", "grey", "This request has expired. You can make a new request."},
}

// statusPage serves GET /access-requests/{id}?token=: the request's status page, opened from the
// "request received" email (or a fresh link). Opening it changes nothing.
func (h Handler) statusPage(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	tok := secret.From(r.QueryStringParameters["token"])
	id := access.RequestID(r.PathParameters["id"])
	req, ev, ok, p := h.linked(ctx, id, tok, log)
	if p != nil {
		return web.Response{}, p
	}
	back := ""
	if !ok {
		if req, ev, ok, p = h.ownRequest(ctx, r, id, log); p != nil {
			return web.Response{}, p
		}
		back = pathRequests
	}
	if !ok || req.Draft {
		return h.badLink(ctx, log), nil
	}
	f, _, _, p := h.fileRows(ctx, req, ev, "", log)
	if p != nil {
		return web.Response{}, p
	}
	f.Checked = true // reloading the page shows the checks as they finish
	w := statusWords[req.Status]
	v := statusView{Reference: reference(req), Status: w[0], Colour: w[1], Next: w[2], Files: f, Back: back}
	if req.Status == access.MoreInfoRequested && req.Decision != nil {
		v.Message = req.Decision.Reason
	}
	if canAdd(req, ev) && !tok.Empty() { // adding files needs the emailed link, which the session does not replace
		v.AddLink = "/access-requests/" + url.PathEscape(string(id)) + "/more-information?token=" + url.QueryEscape(tok.Reveal())
	}
	if canWithdraw(req) {
		v.Withdraw = withdrawPath(id)
		if !tok.Empty() {
			v.Withdraw += "?token=" + url.QueryEscape(tok.Reveal())
		}
	}
	return page.Respond(ctx, log, http.StatusOK, page.Policy{Personal: true}, statusPage(h.Brand, v)), nil
}

func reference(r access.Request) string {
	if r.Reference != "" {
		return string(r.Reference)
	}
	return string(r.ID)
}

func morePath(id access.RequestID) string {
	return "/access-requests/" + url.PathEscape(string(id)) + "/more-information"
}

// moreGet serves the "more information" link (and "Add documents" on the status page): with the
// link's token it keeps the token in the journey cookie and sends the browser to the same page
// without it, so the token leaves the address bar and S3's redirect needs none.
func (h Handler) moreGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	return h.more(ctx, r, nil, log)
}

func (h Handler) more(ctx context.Context, r web.Request, errs page.Errors, log *slog.Logger) (web.Response, *web.Problem) {
	id := access.RequestID(r.PathParameters["id"])
	j, _ := h.journeyOf(r)
	if t := r.QueryStringParameters["token"]; t != "" && r.HTTPMethod == http.MethodGet {
		_, _, ok, p := h.linked(ctx, id, secret.From(t), log)
		if p != nil || !ok {
			return deref(ptr(h.badLink(ctx, log))), p
		}
		j = journey{Bind: j.Bind, ID: id, Token: t, Link: true}
		return web.SeeOther(morePath(id), h.setCookie(j)), nil
	}
	if !j.Link || j.ID != id {
		return h.badLink(ctx, log), nil
	}
	req, ev, ok, p := h.linked(ctx, id, secret.From(j.Token), log)
	if p != nil {
		return web.Response{}, p
	}
	if !ok {
		return h.badLink(ctx, log), nil
	}
	f, _, p := h.uploadForm(ctx, req, ev, morePath(id), r, log)
	if p != nil {
		return web.Response{}, p
	}
	v := moreView{Errors: errs, Token: h.formToken(j), Reference: reference(req), Files: f,
		CanSend: req.Status == access.MoreInfoRequested || req.Status == access.AwaitingEvidence && !req.Draft}
	if req.Status == access.MoreInfoRequested && req.Decision != nil {
		v.Message = req.Decision.Reason
	}
	if !canAdd(req, ev) && !errs.Any() {
		w := statusWords[req.Status]
		return page.Respond(ctx, log, http.StatusOK, page.Policy{Personal: true}, statusPage(h.Brand,
			statusView{Reference: reference(req), Status: w[0], Colour: w[1], Next: w[2], Files: f})), nil
	}
	return page.Respond(ctx, log, status(errs), policy(f), morePage(h.Brand, v)), nil
}

func ptr[T any](v T) *T { return &v }

// morePost sends the files added after a reviewer asked for more information.
func (h Handler) morePost(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	id := access.RequestID(r.PathParameters["id"])
	j, fresh := h.journeyOf(r)
	if _, ok := h.readForm(r, j, fresh); !ok || !j.Link || j.ID != id {
		return h.more(ctx, r, page.Errors{{Field: "file", Message: "Your documents were not sent because this page was open for too long or did not come from this service. Send them again."}}, log)
	}
	req, ev, ok, p := h.linked(ctx, id, secret.From(j.Token), log)
	if p != nil {
		return web.Response{}, p
	}
	if !ok {
		return h.badLink(ctx, log), nil
	}
	_, _, uploaded, p := h.fileRows(ctx, req, ev, "", log)
	if p != nil {
		return web.Response{}, p
	}
	switch _, err := h.Drafts.SendRequest(ctx, id, uploaded); {
	case errors.Is(err, access.ErrNoEvidence):
		return h.more(ctx, r, page.Errors{{Field: "file", Message: "Upload at least one file"}}, log)
	case errors.Is(err, access.ErrRefusedEvidence):
		return h.more(ctx, r, page.Errors{{Field: "file", Message: "Upload another file in place of the one we could not accept"}}, log)
	case errors.Is(err, store.ErrConflict):
		return h.more(ctx, r, nil, log) // sent meanwhile: the page shows where it is
	case err != nil:
		log.Error("sending more information", "err", err)
		return web.Response{}, web.Unavailable()
	}
	log.Info("more information sent", "id", id)
	if _, p := h.promote(ctx, id, log); p != nil {
		log.Warn("the documents were sent; the move on to review waits for their checks")
	}
	status := "/access-requests/" + url.PathEscape(string(id)) + "?token=" + url.QueryEscape(j.Token)
	return page.Respond(ctx, log, http.StatusOK, page.Policy{Personal: true}, messagePage(h.Brand, "Documents sent",
		[]string{"We have your documents. We will check them and the Client Finance team will look at your request again."},
		status, "See your request")), nil
}

func lostLinkFields(v url.Values, errs page.Errors) []page.Field {
	return []page.Field{{ID: "email", Label: "Email address", Hint: "The email address you gave when you made your request.", Type: "email", Value: v.Get("email"), Error: errs.For("email"), Autocomplete: "email"}}
}

const lostLinkIntro = "We will email a new link to each of your latest requests. The links work for 30 days."

func (h Handler) lostLinkGet(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	j, fresh := h.journeyOf(r)
	q := question{Title: "Get a new link to your request", Back: "/", Token: h.formToken(j), Button: "Send me a new link"}
	return h.show(ctx, log, http.StatusOK, j, fresh, fieldsPage(h.Brand, q, lostLinkIntro, lostLinkFields(nil, nil))), nil
}

// lostLinkPost sends fresh links to the address's requests. Its answer is the same whatever the
// address: it never says whether the address made a request.
func (h Handler) lostLinkPost(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	j, fresh := h.journeyOf(r)
	form, ok := h.readForm(r, j, fresh)
	var errs page.Errors
	raw := strings.TrimSpace(form.Get("email"))
	n := access.NewRequest{Requester: &access.Requester{Email: access.Email(raw)}}
	switch {
	case !ok:
		errs.Add("email", "We could not send a link because this page was open for too long or did not come from this service. Try again.")
	case raw == "":
		errs.Add("email", "Enter your email address")
	default:
		for _, e := range n.ValidateDraft(h.Now()) {
			if e.Field == "requester.email" {
				errs.Add("email", "Enter an email address in the correct format, like name@example.com")
			}
		}
	}
	if errs.Any() {
		q := question{Title: "Get a new link to your request", Back: "/", Token: h.formToken(j), Button: "Send me a new link", Errors: errs}
		return h.show(ctx, log, http.StatusBadRequest, j, fresh, fieldsPage(h.Brand, q, lostLinkIntro, lostLinkFields(form, errs))), nil
	}
	email := access.NormaliseEmail(raw)
	limit := store.Limit{Kind: "lost-link", Key: string(email), Window: time.Hour, Max: 3}
	switch err := h.Drafts.ResendLinks(ctx, email, limit); {
	case errors.Is(err, store.ErrLimited):
		log.Info("lost link: limited")
	case err != nil:
		log.Error("resending links", "err", err)
		return web.Response{}, web.Unavailable()
	}
	return page.Respond(ctx, log, http.StatusOK, page.Policy{}, lostLinkSentPage(h.Brand)), nil
}
