package main

import (
	"context"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// Auditor is what the handler needs of the audit trail: every staff view and action is recorded,
// in the signed-in member of staff's name, before what it shows is shown or what it hands out is
// handed out. If the record cannot be written, the page is not served.
type Auditor interface {
	Audit(ctx context.Context, e store.AuditEvent) error
	// AuditTrail is one list's events within dates, newest first, up to limit, and whether there are more.
	AuditTrail(ctx context.Context, of store.AuditOf, in store.AuditRange, limit int) ([]store.AuditEvent, bool, error)
}

// maxUA is how much of a user agent an audit event keeps.
const maxUA = 256

// audit records e as done now by who, from the request's address and browser. The caller fills in
// the action and what it was about (Subject, ClientReference, RequestID, Detail) and, on an error,
// serves nothing of what it was about to show.
func (h Handler) audit(ctx context.Context, r web.Request, who access.Email, e store.AuditEvent) error {
	ua := web.Header(r, "User-Agent")
	if len(ua) > maxUA {
		ua = ua[:maxUA]
	}
	e.At, e.Email, e.SourceIP, e.UserAgent = h.Now().UTC(), who, web.SourceIP(r), ua
	return h.Trail.Audit(ctx, e)
}

// auditRequest records a view of or an action on a request's page: about its requester, and about
// the client whose grants the page shows.
func (h Handler) auditRequest(ctx context.Context, r web.Request, rv review, action, detail string) error {
	return h.audit(ctx, r, rv.reviewer, store.AuditEvent{Action: action, Subject: rv.req.Requester.Email,
		ClientReference: rv.ref, RequestID: rv.req.ID, Detail: detail})
}
