package main

import (
	"context"
	"log/slog"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// personAudit is the audit action of each person page action; a reissued verification email is
// recorded as a reissue, with what was sent in Detail.
var personAudit = map[string]string{
	actClearSuppression: store.AuditStaffClearSuppression,
	actReissue:          store.AuditStaffReissueInvitation,
	actVerification:     store.AuditStaffReissueInvitation,
	actSignOutAll:       store.AuditStaffSignOutEverywhere,
	actUnlock:           store.AuditStaffUnlockSignIn,
}

// auditPerson records a support member's search, view of or action on a person (about: whom, ""
// for a surname search, whose words are not kept); false when it could not be recorded, and then
// nothing is shown or done.
func (h Handler) auditPerson(ctx context.Context, r web.Request, by access.Email, about access.Email, action, detail string, log *slog.Logger) bool {
	if err := h.audit(ctx, r, by, store.AuditEvent{Action: action, Subject: about, Detail: detail}); err != nil {
		log.Error("recording a person page in the audit trail", "action", action, "err", err)
		return false
	}
	return true
}
