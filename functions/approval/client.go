package main

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"

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

// The same, as the page says them.
var (
	clientDocumentsText = strconv.Itoa(clientDocuments)
	clientAuditText     = strconv.Itoa(clientAudit)
)

// clientView is a client page: who has access under the reference and the documents published for it.
type clientView struct {
	ref      string
	raw      string // the staff session's token: the end-access forms' key ("" for a reader)
	grants   []access.Grant
	docs     []store.Document // current, replaced and withdrawn, newest dated first
	moreDocs bool
	opened   map[store.DocumentID][]store.AuditEvent // downloads of each document, newest first
	shown    map[store.DocumentID]string             // the title of each document the page lists
}

// docAnchor is the id of a document's row, which a replaced document's "replaced by" links to.
func docAnchor(id store.DocumentID) string { return "document-" + string(id) }

// mergeDocuments is the newest n of a client's current and hidden documents, each list newest
// first: the newest n of the two lists are among the newest n of each.
func mergeDocuments(current, hidden []store.Document, n int) ([]store.Document, bool) {
	all := append(append([]store.Document(nil), current...), hidden...)
	slices.SortStableFunc(all, func(a, b store.Document) int {
		if c := cmp.Compare(b.DocumentDate, a.DocumentDate); c != 0 {
			return c
		}
		return b.PublishedAt.Compare(a.PublishedAt)
	})
	if len(all) > n {
		return all[:n], true
	}
	return all, false
}

// client is the client page, by client reference: who has access now, since and until when, by
// which request, with a form per grant for a reviewer to end it (posted to the request's own page,
// through the same decision as there); and the documents published for the client, replaced and
// withdrawn ones among them, marked (read from the client's hidden partition: one Query more, no
// Scan). A reference in no grant and no document answers as an unknown one does.
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
	var hidden []store.Document
	var moreHidden bool
	var audit []store.AuditEvent
	if err == nil {
		docs, err = h.Reviews.Documents(ctx, ref, "", "", clientDocuments)
	}
	if err == nil {
		hidden, moreHidden, err = h.Reviews.HiddenDocuments(ctx, ref, clientDocuments)
	}
	if err == nil {
		audit, err = h.Reviews.AuditOfClient(ctx, ref, clientAudit)
	}
	if err != nil {
		log.Error("reading a client", "err", err)
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	if len(grants) == 0 && len(docs.Documents) == 0 && len(hidden) == 0 {
		return render(http.StatusNotFound, staffMessage("Page not found", "There is no client at this address. Check the client reference."))
	}
	if err := h.audit(ctx, r, access.Email(s.Person.Email), store.AuditEvent{Action: store.AuditStaffViewClient, ClientReference: ref}); err != nil {
		log.Error("writing an audit event", "err", err)
		return render(http.StatusServiceUnavailable, staffUnavailablePage())
	}
	v := clientView{ref: ref, grants: grants, opened: map[store.DocumentID][]store.AuditEvent{}, shown: map[store.DocumentID]string{}}
	v.docs, v.moreDocs = mergeDocuments(docs.Documents, hidden, clientDocuments)
	v.moreDocs = v.moreDocs || docs.Next != "" || moreHidden
	for _, d := range v.docs {
		v.shown[d.ID] = d.Title
	}
	for _, e := range audit {
		if e.Action == store.AuditDownloadDocument { // not a list, nor a batch's correction of the document
			v.opened[e.DocumentID] = append(v.opened[e.DocumentID], e)
		}
	}
	if !readsOnly(s.Person) {
		v.raw = raw
	}
	return render(http.StatusOK, view{Title: "Client reference " + ref, Main: clientMain(v), SignOut: signOutKey(raw), Person: s.Person})
}
