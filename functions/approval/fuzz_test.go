package main

import (
	"net/url"
	"testing"
	"time"
)

// FuzzReviewForm: any urlencoded body parses without panic, and a form that validates always names
// a known action with what that action needs.
func FuzzReviewForm(f *testing.F) {
	f.Add("action=approve&clientReference=1234567&accessEndsOn=2030-01-01")
	f.Add("action=reject&reason=%3Cscript%3E")
	f.Add("action=request_information&message=")
	f.Add("action=end_access&endReason=other&endReasonOther=x")
	f.Add("action=approve&clientReference=12%2334567")
	f.Add("%zz&&==")
	h := Handler{ClientRef: clientRefPattern(""), Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		in, errs := h.validate(form)
		if len(errs) > 0 {
			return
		}
		switch in.action {
		case actApprove:
			if !safeRef.MatchString(in.clientRef) || !h.ClientRef.MatchString(in.clientRef) {
				t.Fatalf("approved with reference %q", in.clientRef)
			}
		case actReject, actMoreInfo, actSecurityCheck, actEndAccess:
			if in.text == "" {
				t.Fatalf("%s with no text", in.action)
			}
		default:
			t.Fatalf("unknown action %q validated", in.action)
		}
	})
}
