package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/mail"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
)

// Feedback is what the notifier needs of the store for SES feedback.
type Feedback interface {
	Suppress(ctx context.Context, e access.Email, why store.Suppression) error
}

// sesFeedback is the part of an SES bounce or complaint notification the notifier reads: the
// Message of the SNS notification, as SES publishes it for a configuration set's event destination
// (eventType) or for an identity's feedback notifications (notificationType).
type sesFeedback struct {
	EventType        string `json:"eventType"`
	NotificationType string `json:"notificationType"`
	Bounce           *struct {
		BounceType        string      `json:"bounceType"` // Permanent, Transient, Undetermined
		BounceSubType     string      `json:"bounceSubType"`
		BouncedRecipients []recipient `json:"bouncedRecipients"`
		Timestamp         time.Time   `json:"timestamp"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients  []recipient `json:"complainedRecipients"`
		ComplaintFeedbackType string      `json:"complaintFeedbackType"`
		Timestamp             time.Time   `json:"timestamp"`
	} `json:"complaint"`
}

type recipient struct {
	EmailAddress string `json:"emailAddress"`
}

// feedback records SES's bounce and complaint notifications. A permanent bounce or any complaint
// suppresses the address; a transient bounce (mailbox full, out of office) does not, as SES's own
// suppression list does not. A message that is not SES feedback is logged and dropped; a store
// failure fails the event, so SNS delivers it again.
func (h Handler) feedback(ctx context.Context, ev events.SNSEvent) error {
	var errs []error
	for i, rec := range ev.Records {
		log := h.Log.With("record", i, "snsMessage", rec.SNS.MessageID)
		var fb sesFeedback
		if rec.EventSource != "aws:sns" || json.Unmarshal([]byte(rec.SNS.Message), &fb) != nil {
			log.Warn("SNS record ignored: not an SES notification")
			continue
		}
		kind := fb.EventType
		if kind == "" {
			kind = fb.NotificationType
		}
		var why store.Suppression
		var to []recipient
		switch {
		case kind == "Bounce" && fb.Bounce != nil && fb.Bounce.BounceType == "Permanent":
			why = store.Suppression{Reason: "bounce", Detail: fb.Bounce.BounceSubType, At: fb.Bounce.Timestamp}
			to = fb.Bounce.BouncedRecipients
		case kind == "Complaint" && fb.Complaint != nil:
			why = store.Suppression{Reason: "complaint", Detail: fb.Complaint.ComplaintFeedbackType, At: fb.Complaint.Timestamp}
			to = fb.Complaint.ComplainedRecipients
		case kind == "Bounce" && fb.Bounce != nil:
			log.Info("transient bounce: the address is kept", "bounceType", fb.Bounce.BounceType, "bounceSubType", fb.Bounce.BounceSubType)
			continue
		default:
			log.Info("SES notification ignored", "type", kind)
			continue
		}
		if why.At.IsZero() {
			why.At = rec.SNS.Timestamp
		}
		if why.At.IsZero() {
			why.At = h.Now()
		}
		n := 0
		for _, r := range to {
			addr, err := mail.ParseAddress(r.EmailAddress) // "Name <a@b>" or a bare address
			if err != nil {
				log.Warn("SES feedback with an unreadable recipient")
				continue
			}
			if err := h.Feedback.Suppress(ctx, access.NormaliseEmail(addr.Address), why); err != nil {
				errs = append(errs, err)
				continue
			}
			n++
		}
		log.Info("addresses suppressed", "reason", why.Reason, "detail", why.Detail, "count", n)
	}
	return errors.Join(errs...)
}
