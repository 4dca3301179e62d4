package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/council/cfp/shared/access"
	govuk "github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// The subject-access export: one zip of everything the portal holds about a person, for
// information governance to answer a subject access request. It holds the facts, not the evidence
// files: their names, sizes, hashes and verdicts are here, and the files themselves (copies of
// identity documents) stay where they are, opened from the request's page if the answer needs them;
// copying them through the function would make it hold and move megabytes for a rare request.
// Emails: the table keeps no per-person record of the emails sent (an outbox item is found only by
// its id), so the export has the request histories, which say each step the person was emailed
// about, and whether their address is suppressed.

// Holdings is what the export reads of the store about a person.
type Holdings interface {
	Account(ctx context.Context, e access.Email) (store.Account, error)
	RequestsOf(ctx context.Context, e access.Email, limit int) ([]access.Request, error)
	GrantsOf(ctx context.Context, e access.Email) ([]store.Grant, error)
	Suppressed(ctx context.Context, e access.Email) (store.Suppression, bool, error)
	MailTo(ctx context.Context, e access.Email, limit int) ([]store.SentMail, error)
}

// Archive is where an export is written, and the short link it is handed over by.
type Archive interface {
	Put(ctx context.Context, key string, body []byte, contentType string) error
	DownloadURL(ctx context.Context, key, fileName string, ttl time.Duration) (string, error)
}

const (
	exportPrefix   = "exports/"       // in the documents bucket; a lifecycle rule deletes them after a day
	exportTTL      = 15 * time.Minute // how long the link works
	exportRequests = 100              // a person's requests in an export, newest first
	exportEvents   = 10000            // events by, and about, a person in an export (each)
)

// exportKey is the export form's anti-forgery value, bound to the session and the person.
func exportKey(raw string, e access.Email) string {
	return formKey(raw, access.RequestID("|export|"+string(e)))
}

// export is POST /staff/audit/export: build the person's archive, write it, record that, and show
// the link (on the page only: it is never logged and never in an address).
func (h Handler) export(ctx context.Context, r web.Request, log *slog.Logger) web.Response {
	s, raw, fail := h.session(ctx, r, auditRoles, log)
	if fail != nil {
		return *fail
	}
	form, ok := parseForm(r)
	if !ok {
		return render(http.StatusBadRequest, staffMessage("The form could not be read", "Go back to the audit trail and try again."))
	}
	typed := strings.TrimSpace(form.Get("email"))
	who := access.NormaliseEmail(typed)
	if !hmac.Equal([]byte(form.Get("csrf")), []byte(exportKey(raw, who))) {
		log.Warn("export form without a valid anti-forgery field")
		return render(http.StatusForbidden, staffMessage("This form was not sent from the audit trail",
			"Nothing was exported. Look the person up on the audit trail page and use the form there."))
	}
	if !plainEmail(typed) {
		return render(http.StatusBadRequest, staffMessage("The form could not be read", "Go back to the audit trail and try again."))
	}
	body, counts, err := h.buildExport(ctx, who, s.Person.Email)
	key := exportPrefix + access.NewID("x") + "/subject-access.zip"
	if err == nil {
		err = h.Archive.Put(ctx, key, body, "application/zip")
	}
	var link string
	if err == nil {
		link, err = h.Archive.DownloadURL(ctx, key, "subject-access.zip", exportTTL)
	}
	if err == nil { // the link is handed over only once the export is on the record
		err = h.audit(ctx, r, access.Email(s.Person.Email), store.AuditEvent{Action: store.AuditStaffExport, Subject: who,
			Detail: "bytes=" + strconv.Itoa(len(body))})
	}
	if err != nil {
		log.Error("building a subject-access export", "err", err)
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	log.Info("subject-access export built", "bytes", len(body))
	return render(http.StatusOK, view{Title: "Export ready", Main: exportMain(string(who), link, counts), SignOut: signOutKey(raw), Person: s.Person, Current: "/staff/audit"})
}

// buildExport reads everything held about who and zips it: one JSON file per kind, and a note
// saying what each is.
func (h Handler) buildExport(ctx context.Context, who access.Email, by string) ([]byte, []govuk.Row, error) {
	account, err := h.Holdings.Account(ctx, who)
	var acc *store.Account
	switch {
	case err == nil:
		acc = &account
	case !errors.Is(err, store.ErrNotFound):
		return nil, nil, err
	}
	listed, err := h.Holdings.RequestsOf(ctx, who, exportRequests)
	if err != nil {
		return nil, nil, err
	}
	type requestOut struct {
		Request  access.Request
		Evidence []access.Evidence // the facts of each file, not the file
	}
	requests := make([]requestOut, 0, len(listed))
	for _, l := range listed {
		req, ev, err := h.Reviews.Request(ctx, l.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		req.ContinuationHash = "" // a hash of the browser's token: the system's, not the person's
		requests = append(requests, requestOut{req, ev})
	}
	grants, err := h.Holdings.GrantsOf(ctx, who)
	if err != nil {
		return nil, nil, err
	}
	suppression, suppressed, err := h.Holdings.Suppressed(ctx, who)
	if err != nil {
		return nil, nil, err
	}
	emails, err := h.Holdings.MailTo(ctx, who, exportEvents)
	if err != nil {
		return nil, nil, err
	}
	byThem, moreBy, err := h.Trail.AuditTrail(ctx, store.AuditOf{By: who}, store.AuditRange{}, exportEvents)
	if err != nil {
		return nil, nil, err
	}
	aboutThem, moreAbout, err := h.Trail.AuditTrail(ctx, store.AuditOf{About: who}, store.AuditRange{}, exportEvents)
	if err != nil {
		return nil, nil, err
	}
	var mail *store.Suppression
	if suppressed {
		mail = &suppression
	}
	files := []struct {
		name string
		v    any
	}{
		{"account.json", acc},
		{"requests.json", requests},
		{"grants.json", grants},
		{"audit-by-them.json", byThem},
		{"audit-about-them.json", aboutThem},
		{"email-suppression.json", mail},
		{"emails.json", emails},
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	note := "Subject-access export of everything the Client Finance Portal holds about " + string(who) + ",\n" +
		"built " + h.Now().UTC().Format(time.RFC3339) + " by " + by + ".\n\n" +
		"account.json            the portal account (null: none)\n" +
		"requests.json           each access request as the person typed it, its history (which says what they were emailed about),\n" +
		"                        and the facts of each evidence file: name, size, SHA-256, checks and verdict (not the file)\n" +
		"grants.json             the access the person has been granted to clients' documents\n" +
		"audit-by-them.json      what the person did: documents listed and downloaded, and as staff, what they looked at\n" +
		"audit-about-them.json   what staff looked at or did about the person\n" +
		"email-suppression.json  whether emails to the address are stopped after a bounce or complaint (null: not)\n" +
		"emails.json             the emails sent or queued to the address that the outbox still keeps (each until 30 days\n" +
		"                        after sending): which email, for which request, when, and what became of it; not their text\n"
	if moreBy || moreAbout || len(listed) == exportRequests {
		note += "\nThis export is bounded (" + strconv.Itoa(exportRequests) + " requests, " + strconv.Itoa(exportEvents) +
			" audit events of each kind, newest first) and the person has more: ask the service team for the rest.\n"
	}
	w, err := z.Create("README.txt")
	if err == nil {
		_, err = w.Write([]byte(note))
	}
	for _, f := range files {
		if err != nil {
			break
		}
		var b []byte
		if b, err = json.MarshalIndent(f.v, "", "  "); err == nil {
			if w, err = z.Create(f.name); err == nil {
				_, err = w.Write(b)
			}
		}
	}
	if err == nil {
		err = z.Close()
	}
	if err != nil {
		return nil, nil, err
	}
	counts := []govuk.Row{
		{Key: "Account", Value: []string{map[bool]string{true: "Yes", false: "None"}[acc != nil]}},
		{Key: "Requests", Value: []string{strconv.Itoa(len(requests))}},
		{Key: "Grants", Value: []string{strconv.Itoa(len(grants))}},
		{Key: "Audit events by them", Value: []string{strconv.Itoa(len(byThem))}},
		{Key: "Audit events about them", Value: []string{strconv.Itoa(len(aboutThem))}},
		{Key: "Emails suppressed", Value: []string{map[bool]string{true: "Yes", false: "No"}[suppressed]}},
	}
	return buf.Bytes(), counts, nil
}
