package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
)

// suppressions is a Feedback store that records every suppression.
type suppressions struct {
	got map[access.Email]store.Suppression
}

func (s *suppressions) Suppress(_ context.Context, e access.Email, why store.Suppression) error {
	s.got[e] = why
	return nil
}

// FuzzFeedback: whatever an SNS notification carries as its message, the notifier handles it
// without panic or failure, suppresses only on a permanent bounce or a complaint, and only
// addresses read from the notification (net/mail), lower-cased, each with a reason and a time.
func FuzzFeedback(f *testing.F) {
	for _, m := range []string{
		`{"eventType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General","bouncedRecipients":[{"emailAddress":"No-Such-Person@example.com"}],"timestamp":"2026-11-02T09:00:00.000Z"}}`,
		`{"notificationType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"Jane <jane@example.com>"}],"complaintFeedbackType":"abuse"}}`,
		`{"eventType":"Bounce","bounce":{"bounceType":"Transient","bouncedRecipients":[{"emailAddress":"full@example.com"}]}}`,
		`{"eventType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"not an address"},{"emailAddress":""},null]}}`,
		`{"eventType":"Complaint","complaint":null}`,
		`{"eventType":"Delivery","delivery":{}}`,
		`{"eventType":"Bounce","bounce":{"bounceType":"Permanent","timestamp":"yesterday"}}`,
		`not json`,
	} {
		f.Add(m, true)
	}
	f.Add(`{"eventType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"a@b.example"}]}}`, false)
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, message string, fromSNS bool) {
		rec := events.SNSEventRecord{EventSource: "aws:sns", SNS: events.SNSEntity{MessageID: "m1", Message: message}}
		if !fromSNS {
			rec.EventSource = "aws:sqs"
		}
		raw, err := json.Marshal(events.SNSEvent{Records: []events.SNSEventRecord{rec}})
		if err != nil {
			t.Fatal(err)
		}
		s := &suppressions{got: map[access.Email]store.Suppression{}}
		h := Handler{Feedback: s, Now: func() time.Time { return now }, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
		if err := h.Handle(context.Background(), raw); err != nil {
			t.Fatalf("feedback failed: %v", err)
		}
		if len(s.got) == 0 {
			return
		}
		var fb sesFeedback
		if !fromSNS || json.Unmarshal([]byte(message), &fb) != nil {
			t.Fatalf("suppressed %v from a record that is not SES feedback", s.got)
		}
		kind := fb.EventType
		if kind == "" {
			kind = fb.NotificationType
		}
		permanent := kind == "Bounce" && fb.Bounce != nil && fb.Bounce.BounceType == "Permanent"
		if !permanent && !(kind == "Complaint" && fb.Complaint != nil) {
			t.Fatalf("suppressed %v on a %q notification", s.got, kind)
		}
		for e, why := range s.got {
			if access.NormaliseEmail(string(e)) != e || !strings.Contains(string(e), "@") {
				t.Fatalf("suppressed %q", e)
			}
			if why.Reason == "" || why.At.IsZero() {
				t.Fatalf("suppression %+v", why)
			}
		}
	})
}
