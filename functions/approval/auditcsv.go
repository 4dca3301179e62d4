package main

import (
	"context"
	"encoding/csv"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// auditCSV is GET /staff/audit/csv: the same question as the page, answered as a file of up to
// auditDownload events per list (a person's two lists in one file, each event once, newest first).
// A query the page would refuse gets the page with its errors instead.
func (h Handler) auditCSV(ctx context.Context, r web.Request, log *slog.Logger) web.Response {
	s, raw, fail := h.session(ctx, r, auditRoles, log)
	if fail != nil {
		return *fail
	}
	q := h.readAuditQuery(r.QueryStringParameters)
	if !q.Asked && !q.Errors.Any() { // no query at all: a file of nothing is no answer
		q.Errors.Add("client", "Enter a client reference or an email address")
	}
	if q.Errors.Any() {
		return render(http.StatusBadRequest, view{Title: "Error: Audit trail", Main: auditMain(auditView{Query: q}), SignOut: signOutKey(raw), Person: s.Person, Current: "/staff/audit"})
	}
	lists, err := h.trail(ctx, r, s.Person.Email, q, auditDownload, store.AuditStaffDownloadAudit)
	if err != nil {
		log.Error("reading the audit trail", "err", err)
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	name := "audit-" + q.Client
	if q.Email != "" {
		name = "audit-person"
	}
	return web.Response{StatusCode: http.StatusOK, Body: auditRows(sortedUnique(lists), lists),
		Headers: withSecurity(map[string]string{"Content-Type": "text/csv; charset=utf-8",
			"Content-Disposition": `attachment; filename="` + name + `.csv"`})}
}

// auditRows is the events as CSV, with a header row and, when a list had more events than the
// bound, a last row saying so.
func auditRows(events []store.AuditEvent, lists []auditList) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write([]string{"time (UTC)", "action", "by", "about", "client reference", "request", "document", "grant", "detail", "source IP", "user agent"})
	for _, e := range events {
		w.Write(safeCells(e.At.UTC().Format(time.RFC3339), e.Action, string(e.Email), string(e.Subject), e.ClientReference,
			string(e.RequestID), string(e.DocumentID), string(e.GrantID), e.Detail, e.SourceIP, e.UserAgent))
	}
	for _, l := range lists {
		if l.More {
			w.Write([]string{"", "(more events than this file holds: choose narrower dates)", "", "", "", "", "", "", l.Title})
		}
	}
	w.Flush()
	return b.String()
}

// safeCells defuses formulas: a spreadsheet runs a cell that starts with = + - @ (or a tab or
// carriage return before one), and a user agent or a typed detail is anyone's text. Such a cell
// is prefixed with a quote, which shows as text.
func safeCells(cells ...string) []string {
	for i, c := range cells {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			cells[i] = "'" + c
		}
	}
	return cells
}
