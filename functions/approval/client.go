package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// How much of a client the client page shows: the newest documents, and who opened them from the
// newest audit events.
const (
	clientDocuments = 50
	clientAudit     = 500
)

// clientView is a client page: who has access under the reference and the documents published for it.
type clientView struct {
	ref      string
	raw      string // the staff session's token: the end-access forms' key ("" for a reader)
	grants   []access.Grant
	docs     []store.Document
	moreDocs bool
	opened   map[store.DocumentID][]store.AuditEvent // downloads of each document, newest first
}

// client is the client page, by client reference: who has access now, since and until when, by
// which request, with a form per grant for a reviewer to end it (posted to the request's own page,
// through the same decision as there); and the documents published for the client. A reference in
// no grant and no document answers as an unknown one does.
func (h Handler) client(ctx context.Context, r web.Request, log *slog.Logger) web.Response {
	s, raw, fail := h.session(ctx, r, readers, log)
	if fail != nil {
		return *fail
	}
	ref := r.PathParameters["clientReference"]
	if !access.IsClientReference(ref) || !h.ClientRef.MatchString(ref) {
		return render(http.StatusNotFound, staffMessage("Page not found", "There is no client at this address. Check the client reference."))
	}
	grants, err := h.Reviews.GranteesOf(ctx, ref)
	var docs store.DocumentPage
	var audit []store.AuditEvent
	if err == nil {
		docs, err = h.Reviews.Documents(ctx, ref, "", "", clientDocuments)
	}
	if err == nil {
		audit, err = h.Reviews.AuditOfClient(ctx, ref, clientAudit)
	}
	if err != nil {
		log.Error("reading a client", "err", err)
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	if len(grants) == 0 && len(docs.Documents) == 0 {
		return render(http.StatusNotFound, staffMessage("Page not found", "There is no client at this address. Check the client reference."))
	}
	if err := h.audit(ctx, r, access.Email(s.Person.Email), store.AuditEvent{Action: store.AuditStaffViewClient, ClientReference: ref}); err != nil {
		log.Error("writing an audit event", "err", err)
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	v := clientView{ref: ref, grants: grants, docs: docs.Documents, moreDocs: docs.Next != "", opened: map[store.DocumentID][]store.AuditEvent{}}
	for _, e := range audit {
		if e.DocumentID != "" { // a download; a list has no document
			v.opened[e.DocumentID] = append(v.opened[e.DocumentID], e)
		}
	}
	if !readsOnly(s.Person) {
		v.raw = raw
	}
	return render(http.StatusOK, view{Title: "Client reference " + ref, Main: clientMain(v), SignOut: signOutKey(raw)})
}
