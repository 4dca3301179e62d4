package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

const (
	defaultPage = 20
	downloadTTL = 60 * time.Second // the contract's limit for a download link
	maxUA       = 256              // user agent characters kept in an audit event
)

type meClient struct {
	ClientReference string              `json:"clientReference"`
	Name            string              `json:"name"`
	Relationship    access.Relationship `json:"relationship"`
	AccessEndsOn    *string             `json:"accessEndsOn"` // null: no end date
}

type meBody struct {
	Email   access.Email `json:"email"`
	Name    string       `json:"name"`
	Clients []meClient   `json:"clients"`
	// EmailDeliveryFailing says that emails to the address bounce or were marked as spam, so the
	// person gets no notices (and no codes) until they fix it or tell the Client Finance team.
	EmailDeliveryFailing bool `json:"emailDeliveryFailing"`
}

// me answers GET /me: the person and each client they can see now, one entry per client.
func (h Handler) me(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	s, p := h.signedIn(ctx, r, log)
	if p != nil {
		return web.Response{}, p
	}
	body, p := h.clientsOf(ctx, s, log)
	if p != nil {
		return web.Response{}, p
	}
	return web.JSON(http.StatusOK, body), nil
}

// clientsOf is the person and each client they can see now, by name, for /me and the clients page.
func (h Handler) clientsOf(ctx context.Context, s store.Session, log *slog.Logger) (meBody, *web.Problem) {
	grants, err := h.Portal.GrantsOf(ctx, s.Email)
	if err != nil {
		log.Error("reading grants", "err", err)
		return meBody{}, web.Unavailable()
	}
	_, suppressed, err := h.Portal.Suppressed(ctx, s.Email)
	if err != nil {
		log.Error("reading suppression", "err", err)
		return meBody{}, web.Unavailable()
	}
	byClient := map[string][]store.Grant{}
	for _, g := range grants {
		byClient[g.ClientReference] = append(byClient[g.ClientReference], g)
	}
	now := h.Now()
	body := meBody{Email: s.Email, Name: s.Name, Clients: []meClient{}, EmailDeliveryFailing: suppressed}
	for ref, gs := range byClient {
		if g, ok := activeGrant(gs, now); ok {
			body.Clients = append(body.Clients, meClient{ClientReference: ref, Name: g.ClientName, Relationship: g.Relationship, AccessEndsOn: endsOn(g)})
		}
	}
	sort.Slice(body.Clients, func(i, j int) bool {
		a, b := body.Clients[i], body.Clients[j]
		return a.Name < b.Name || a.Name == b.Name && a.ClientReference < b.ClientReference
	})
	return body, nil
}

func endsOn(g store.Grant) *string {
	if g.EndsOn == "" {
		return nil
	}
	e := g.EndsOn
	return &e
}

// grantFor returns the person's active grant for a client, or the 404 that unknown clients get too.
func (h Handler) grantFor(ctx context.Context, s store.Session, ref string, log *slog.Logger) (store.Grant, *web.Problem) {
	if !access.IsClientReference(ref) {
		return store.Grant{}, web.NotFound()
	}
	grants, err := h.Portal.GrantFor(ctx, s.Email, ref)
	if err != nil {
		log.Error("reading grants", "err", err)
		return store.Grant{}, web.Unavailable()
	}
	g, ok := activeGrant(grants, h.Now())
	if !ok {
		return store.Grant{}, web.NotFound()
	}
	return g, nil
}

type documentBody struct {
	ID           store.DocumentID   `json:"id"`
	Type         store.DocumentType `json:"type"`
	Title        string             `json:"title"`
	DocumentDate string             `json:"documentDate"`
	PublishedAt  string             `json:"publishedAt"`
	Size         int64              `json:"size"`
}

type documentsBody struct {
	Documents  []documentBody `json:"documents"`
	NextCursor *string        `json:"nextCursor"` // null on the last page
}

// documents answers GET /clients/{clientReference}/documents: session, grant, one page, audit.
func (h Handler) documents(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	s, p := h.signedIn(ctx, r, log)
	if p != nil {
		return web.Response{}, p
	}
	q := r.QueryStringParameters
	t := store.DocumentType(q["type"])
	var bad []web.FieldError
	if t != "" && !store.DocumentTypes[t] {
		bad = append(bad, web.FieldError{Field: "type", Message: "must be one of assessment_outcome, direct_payment_remittance, deferred_payment_statement, care_invoice"})
	}
	limit := defaultPage
	if v := q["limit"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxPage {
			bad = append(bad, web.FieldError{Field: "limit", Message: "must be a whole number from 1 to " + strconv.Itoa(store.MaxPage)})
		}
		limit = n
	}
	if len(bad) > 0 {
		return web.Response{}, web.Invalid(bad...)
	}
	_, page, p := h.listDocuments(ctx, r, s, r.PathParameters["clientReference"], t, q["cursor"], limit, log)
	if p != nil {
		return web.Response{}, p
	}
	body := documentsBody{Documents: make([]documentBody, len(page.Documents))}
	for i, d := range page.Documents {
		body.Documents[i] = documentBody{ID: d.ID, Type: d.Type, Title: d.Title, DocumentDate: d.DocumentDate,
			PublishedAt: d.PublishedAt.UTC().Format(time.RFC3339), Size: d.Size}
	}
	if page.Next != "" {
		body.NextCursor = &page.Next
	}
	return web.JSON(http.StatusOK, body), nil
}

// listDocuments reads one page of a client's documents for a signed-in person, for the JSON route
// and the client's page alike: the grant, the page, then the audit event before anything is shown.
func (h Handler) listDocuments(ctx context.Context, r web.Request, s store.Session, ref string, t store.DocumentType, cursor string, limit int, log *slog.Logger) (store.Grant, store.DocumentPage, *web.Problem) {
	g, p := h.grantFor(ctx, s, ref, log)
	if p != nil {
		return g, store.DocumentPage{}, p
	}
	page, err := h.Portal.Documents(ctx, ref, t, cursor, limit)
	switch {
	case errors.Is(err, store.ErrBadCursor):
		return g, page, web.Invalid(web.FieldError{Field: "cursor", Message: "is not a cursor of this list: start again from the first page"})
	case err != nil:
		log.Error("reading documents", "err", err)
		return g, page, web.Unavailable()
	}
	detail := "type=" + string(t) + " first=" + strconv.FormatBool(cursor == "") + " shown=" + strconv.Itoa(len(page.Documents))
	if p := h.audit(ctx, r, s, g, store.AuditListDocuments, "", detail, log); p != nil {
		return g, page, p
	}
	return g, page, nil
}

// audit records an access before anything is shown; if it cannot be recorded, nothing is shown.
func (h Handler) audit(ctx context.Context, r web.Request, s store.Session, g store.Grant, action string, doc store.DocumentID, detail string, log *slog.Logger) *web.Problem {
	ua := web.Header(r, "User-Agent")
	if len(ua) > maxUA {
		ua = ua[:maxUA]
	}
	err := h.Portal.Audit(ctx, store.AuditEvent{
		At: h.Now().UTC(), Action: action, Email: s.Email, ClientReference: g.ClientReference, DocumentID: doc,
		GrantID: g.RequestID, Detail: detail, SourceIP: web.SourceIP(r), UserAgent: ua,
	})
	if err != nil {
		log.Error("writing an audit event", "err", err)
		return web.Unavailable()
	}
	return nil
}

type granteeBody struct {
	Name         string              `json:"name"`
	Relationship access.Relationship `json:"relationship"`
	Since        string              `json:"since"` // the day access was approved
	AccessEndsOn *string             `json:"accessEndsOn"`
}

// grantees answers GET /clients/{clientReference}/grantees: who can see this client's documents,
// for the client themself only (an active "self" grant); everyone else gets 404.
func (h Handler) grantees(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	s, p := h.signedIn(ctx, r, log)
	if p != nil {
		return web.Response{}, p
	}
	ref := r.PathParameters["clientReference"]
	out, p := h.granteesOf(ctx, s, ref, log)
	if p != nil {
		return web.Response{}, p
	}
	return web.JSON(http.StatusOK, map[string]any{"clientReference": ref, "grantees": out}), nil
}

// granteesOf is who can see a client's documents now, oldest access first, for the client
// themself only; anyone else gets the 404 unknown clients get.
func (h Handler) granteesOf(ctx context.Context, s store.Session, ref string, log *slog.Logger) ([]granteeBody, *web.Problem) {
	if !access.IsClientReference(ref) {
		return nil, web.NotFound()
	}
	mine, err := h.Portal.GrantFor(ctx, s.Email, ref)
	if err != nil {
		log.Error("reading grants", "err", err)
		return nil, web.Unavailable()
	}
	now := h.Now()
	self := false
	for _, g := range mine {
		self = self || g.Active(now) && g.Relationship == access.Self
	}
	if !self {
		return nil, web.NotFound()
	}
	all, err := h.Portal.GranteesOf(ctx, ref)
	if err != nil {
		log.Error("reading grantees", "err", err)
		return nil, web.Unavailable()
	}
	out := []granteeBody{}
	for _, g := range all {
		if g.Active(now) {
			out = append(out, granteeBody{Name: g.Name, Relationship: g.Relationship, Since: g.Start.UTC().Format("2006-01-02"), AccessEndsOn: endsOn(g)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Since < out[j].Since || out[i].Since == out[j].Since && out[i].Name < out[j].Name
	})
	return out, nil
}

// download answers GET /documents/{id}/download: the document, the grant for its client, the audit
// event, then a redirect to a link that works for a minute and makes the browser save the file.
func (h Handler) download(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	s, p := h.signedIn(ctx, r, log)
	if p != nil {
		return web.Response{}, p
	}
	id := store.DocumentID(r.PathParameters["id"])
	if id == "" || len(id) > 100 {
		return web.Response{}, web.NotFound()
	}
	d, err := h.Portal.PublishedDocument(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return web.Response{}, web.NotFound()
	case err != nil:
		log.Error("reading a document", "err", err)
		return web.Response{}, web.Unavailable()
	}
	g, p := h.grantFor(ctx, s, d.ClientReference, log)
	if p != nil {
		return web.Response{}, p
	}
	// A copy under published/, or a batch's file published in place, pinned to its version.
	inPlace := strings.HasPrefix(d.Key, "batches/") && d.Version != ""
	if !strings.HasPrefix(d.Key, "published/") && !inPlace {
		log.Error("a document outside published/ and no batch's version", "document", d.ID)
		return web.Response{}, web.NotFound()
	}
	if p := h.audit(ctx, r, s, g, store.AuditDownloadDocument, d.ID, "", log); p != nil {
		return web.Response{}, p
	}
	var url string
	if inPlace {
		url, err = h.Files.VersionURL(ctx, d.Key, d.Version, fileName(d), downloadTTL)
	} else {
		url, err = h.Files.DownloadURL(ctx, d.Key, fileName(d), downloadTTL)
	}
	if err != nil {
		log.Error("presigning a download", "err", err)
		return web.Response{}, web.Unavailable()
	}
	resp := web.Empty(http.StatusFound)
	resp.Headers["Location"] = url
	resp.Headers["Referrer-Policy"] = "no-referrer"
	return resp, nil
}

// fileName is what the browser saves a document as: its date, type and title.
func fileName(d store.Document) string {
	name := d.DocumentDate + " " + strings.TrimSpace(d.Title)
	if len(name) > 120 {
		name = name[:120]
	}
	return strings.TrimSpace(name) + ".pdf"
}
