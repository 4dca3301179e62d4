package main

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/web"
)

// FuzzReviewForm: any urlencoded body parses without panic, and a form that validates always names
// a known action with what that action needs: a reference in the council's format that cannot
// break an index key, a real future end date written YYYY-MM-DD, plain text within limits.
func FuzzReviewForm(f *testing.F) {
	f.Add("action=approve&clientReference=1234567&clientReferenceConfirm=1234567&accessEndsOn=2030-01-01")
	f.Add("action=approve&clientReference=1234567&clientReferenceConfirm=1234576")
	f.Add("action=change_end_date&newEndsOn=31%2F3%2F2027")
	f.Add("action=change_end_date&newEndsOn=")
	f.Add("action=approve&clientReference=+1234567+&accessEndsOn=31%2F3%2F2027")
	f.Add("action=approve&clientReference=1234567&accessEndsOn=2026-02-29")
	f.Add("action=approve&clientReference=1234567&accessEndsOn=9999-12-31")
	f.Add("action=approve&clientReference=12%2334567")
	f.Add("action=reject&reason=%3Cscript%3E")
	f.Add("action=reject&reason=%00")
	f.Add("action=reject&reason=%FF")
	f.Add("action=request_information&message=")
	f.Add("action=record_security_check&note=Called+back+on+the+number+held")
	f.Add("action=end_access&endReason=other&endReasonOther=x")
	f.Add("action=end_access&endReason=client_died")
	f.Add("action=end_access&endReason=nope")
	f.Add("action=approve&action=reject&reason=x")
	f.Add("%zz&&==")
	h := Handler{ClientRef: setting.From(nil).Pattern(setting.ClientRefFormat), Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		in, errs := h.validate(form)
		for _, e := range errs {
			if e.Field == "" || e.Message == "" {
				t.Fatalf("unnamed error %+v", e)
			}
		}
		if len(errs) > 0 {
			return
		}
		switch in.action {
		case actApprove:
			if !access.IsClientReference(in.clientRef) || !h.ClientRef.MatchString(in.clientRef) {
				t.Fatalf("approved with reference %q", in.clientRef)
			}
			if in.endsOn != "" {
				d, err := time.Parse(dateLayout, in.endsOn)
				if err != nil || !d.After(h.Now()) || d.After(h.Now().AddDate(100, 0, 0)) {
					t.Fatalf("approved to end on %q", in.endsOn)
				}
			}
		case actChangeEnd:
			if in.endsOn != "" {
				d, err := time.Parse(dateLayout, in.endsOn)
				if err != nil || !d.After(h.Now()) || d.After(h.Now().AddDate(100, 0, 0)) {
					t.Fatalf("end date changed to %q", in.endsOn)
				}
			}
		case actReject, actMoreInfo, actSecurityCheck, actEndAccess:
			if in.text == "" || in.text != strings.TrimSpace(in.text) || !utf8.ValidString(in.text) ||
				strings.ContainsRune(in.text, 0) || utf8.RuneCountInString(in.text) > maxText {
				t.Fatalf("%s with the text %q", in.action, in.text)
			}
		default:
			t.Fatalf("unknown action %q validated", in.action)
		}
	})
}

// FuzzDecide: whatever is posted to a request's page (any staff cookie, content type and body,
// base64 or not), the handler answers without panic or failure, and nothing is decided unless the
// session is the reviewer's, the body is a form carrying the page's anti-forgery field, and the form validates;
// then exactly one decision is made and the answer is a redirect to the page itself. No answer
// carries markup from the request.
func FuzzDecide(f *testing.F) {
	csrf := "csrf=" + formKey(goodToken, "r1")
	form := "application/x-www-form-urlencoded"
	for _, body := range []string{
		csrf + "&action=approve&clientReference=1234567&clientReferenceConfirm=1234567&accessEndsOn=2030-01-01",
		csrf + "&action=change_end_date&newEndsOn=2030-01-01",
		csrf + "&action=reject&reason=Not+the+client%27s+attorney",
		csrf + "&action=request_information&message=Please+send+page+2",
		csrf + "&action=record_security_check&note=Called+back",
		csrf + "&action=end_access&endReason=client_died",
		csrf + "&action=approve&clientReference=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
		csrf + "&action=reject&reason=",
		"action=approve&clientReference=1234567",
		"csrf=&action=approve&clientReference=1234567",
		"csrf=" + formKey(goodToken, "r2") + "&action=approve&clientReference=1234567",
		"csrf=" + formKey("other-token", "r1") + "&action=approve&clientReference=1234567",
		"csrf=x&" + csrf + "&action=approve&clientReference=1234567",
		csrf + ";action=approve",
	} {
		f.Add(goodToken, form, body, false)
	}
	f.Add(goodToken, form+"; charset=utf-8", csrf+"&action=reject&reason=x", false)
	f.Add(goodToken, "application/json", `{"csrf":"x","action":"approve"}`, false)
	f.Add(goodToken, "multipart/form-data; boundary=x", csrf+"&action=reject&reason=x", false)
	f.Add(goodToken, form, base64.StdEncoding.EncodeToString([]byte(csrf+"&action=reject&reason=x")), true)
	f.Add(goodToken, form, "not base64", true)
	f.Add("nope", form, "csrf="+formKey("nope", "r1")+"&action=reject&reason=x", false)
	f.Add("", form, csrf+"&action=reject&reason=x", false)
	f.Fuzz(func(t *testing.T, token, contentType, body string, b64 bool) {
		h, rv, _ := setup()
		r := web.Request{HTTPMethod: "POST", Resource: "/staff/requests/{id}", PathParameters: map[string]string{"id": "r1"},
			Headers: map[string]string{"Content-Type": contentType, "Cookie": "staff=" + token}, Body: body, IsBase64Encoded: b64}
		resp, err := h.Handle(context.Background(), r)
		if err != nil || resp.StatusCode >= 500 {
			t.Fatalf("answered %d, %v", resp.StatusCode, err)
		}
		low := strings.ToLower(withoutLayoutScripts(resp.Body))
		for _, tag := range []string{"<script", "<img", "<svg", "<iframe"} {
			if strings.Contains(low, tag) {
				t.Fatalf("the answer carries %s", tag)
			}
		}
		if strings.ContainsAny(resp.Headers["Location"], "\r\n") {
			t.Fatalf("Location %q", resp.Headers["Location"])
		}
		if len(rv.calls) == 0 {
			if resp.StatusCode == http.StatusSeeOther {
				t.Fatal("a redirect without a decision")
			}
			return
		}
		posted, ok := parseForm(r)
		if len(rv.calls) != 1 || token != goodToken || !ok || posted.Get("csrf") != formKey(goodToken, "r1") {
			t.Fatalf("decided %q for session %q, body %q", rv.calls, token, body)
		}
		in, errs := h.validate(posted)
		if len(errs) > 0 || !strings.HasPrefix(rv.calls[0], decisionWord[in.action]+" ") {
			t.Fatalf("decided %q from a form that does not validate (%v)", rv.calls, errs)
		}
		if resp.StatusCode != http.StatusSeeOther || resp.Headers["Location"] != "./r1?done="+in.action {
			t.Fatalf("answered %d %v after a decision", resp.StatusCode, resp.Headers)
		}
	})
}

// decisionWord is how fakeReviews (handler_test.go) writes each action in its record of calls.
var decisionWord = map[string]string{actApprove: "approve", actReject: "reject", actMoreInfo: "more", actSecurityCheck: "check", actEndAccess: "end",
	actChangeEnd: "end date"}

// layoutScripts are the staff layout's own two scripts: the nonce'd line that marks JavaScript as
// on, and GOV.UK Frontend's module from /assets/. Any other script on a page came from its content.
var layoutScripts = regexp.MustCompile(`<script nonce="[^"]+">document\.body\.className \+= [^<]*</script>|<script type="module" src="/assets/init\.[0-9a-f]+\.js"></script>`)

func withoutLayoutScripts(body string) string { return layoutScripts.ReplaceAllString(body, "") }
