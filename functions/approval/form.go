package main

import (
	"mime"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/web"
)

// The form actions. The first four are the contract's; end_access ends an approved request's access,
// change_end_date sets or removes the date it ends.
const (
	actApprove       = "approve"
	actReject        = "reject"
	actMoreInfo      = "request_information"
	actSecurityCheck = "record_security_check"
	actEndAccess     = "end_access"
	actChangeEnd     = "change_end_date"
)

// endReasons are the reasons an approved access can end, as the reviewer picks them and as the
// grantee reads them in their email.
var endReasons = []option{
	{"client_died", "The client has died"},
	{"authority_revoked", "The lasting power of attorney or other authority was revoked"},
	{"deputyship_ended", "The deputyship has ended"},
	{"other", "Another reason"},
}

type option struct{ Value, Label string }

// fieldError is one bad field; Field is the id of the input the error summary links to.
type fieldError = page.FieldError

// input is a valid form: the action and what it needs.
type input struct {
	action    string
	clientRef string // approve
	endsOn    string // approve: YYYY-MM-DD or ""
	text      string // the reason, message, note or end reason
}

const maxText = 2000

// parseForm reads an application/x-www-form-urlencoded body.
func parseForm(r web.Request) (url.Values, bool) {
	mt, _, err := mime.ParseMediaType(web.Header(r, "Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, false
	}
	body, err := web.Body(r)
	if err != nil || len(body) > maxForm {
		return nil, false
	}
	v, err := url.ParseQuery(string(body))
	return v, err == nil
}

// validate checks the form for its action and returns every problem, each naming its field.
func (h Handler) validate(f url.Values) (input, []fieldError) {
	var errs []fieldError
	bad := func(field, msg string) { errs = append(errs, fieldError{Field: field, Message: msg}) }
	text := func(field, missing, name string) string {
		v := strings.TrimSpace(f.Get(field))
		switch {
		case v == "":
			bad(field, missing)
		case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
			bad(field, name+" must be plain text")
		case utf8.RuneCountInString(v) > maxText:
			bad(field, name+" must be 2,000 characters or fewer")
		}
		return v
	}
	in := input{action: f.Get("action")}
	switch in.action {
	case actApprove:
		in.clientRef = strings.TrimSpace(f.Get("clientReference"))
		switch {
		case in.clientRef == "":
			bad("clientReference", "Enter the client reference")
		// Whatever format the council configures, a reference must not break the grant's index keys.
		case !access.IsClientReference(in.clientRef) || !h.ClientRef.MatchString(in.clientRef):
			bad("clientReference", "Enter the client reference in the council's format, for example 1234567")
		}
		// Typed twice, so a slip of one digit does not grant access to another client's documents.
		switch again := strings.TrimSpace(f.Get("clientReferenceConfirm")); {
		case again == "":
			bad("clientReferenceConfirm", "Enter the client reference again")
		case again != in.clientRef:
			bad("clientReferenceConfirm", "The client references do not match: enter the same reference twice")
		}
		in.endsOn = h.endDate(f, "accessEndsOn", bad)
	case actChangeEnd:
		// Empty removes the end date: access then lasts until someone ends it.
		in.endsOn = h.endDate(f, "newEndsOn", bad)
	case actReject:
		in.text = text("reason", "Enter the reason for rejecting the request", "The reason")
	case actMoreInfo:
		in.text = text("message", "Enter the information you need from the requester", "The message")
	case actSecurityCheck:
		in.text = text("note", "Enter what the security check found", "The note")
	case actEndAccess:
		switch reason := f.Get("endReason"); reason {
		case "other":
			in.text = text("endReasonOther", "Enter why access is ending", "The reason")
		case "":
			bad("endReason", "Select why access is ending")
		default:
			for _, o := range endReasons {
				if o.Value == reason {
					in.text = o.Label
				}
			}
			if in.text == "" {
				bad("endReason", "Select why access is ending")
			}
		}
	default:
		bad("action", "Select whether to approve, reject or ask for more information")
	}
	return in, errs
}

// endDate reads an optional date access ends from field: "" when empty, YYYY-MM-DD when a real
// future date within 100 years; anything else is a problem named for field.
func (h Handler) endDate(f url.Values, field string, bad func(field, msg string)) string {
	raw := strings.TrimSpace(f.Get(field))
	if raw == "" {
		return ""
	}
	d, ok := parseDate(raw)
	switch {
	case !ok:
		bad(field, "The date access ends must be a real date, like 2027-03-31")
	case d.Format(dateLayout) <= ukTime(h.Now()).Format(dateLayout):
		bad(field, "The date access ends must be in the future")
	case d.After(h.Now().AddDate(100, 0, 0)):
		bad(field, "The date access ends must be within 100 years")
	default:
		return d.Format(dateLayout)
	}
	return ""
}

const dateLayout = "2006-01-02"

// parseDate accepts 2027-03-31 and 31/3/2027 (how people in the UK write dates).
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{dateLayout, "2/1/2006"} {
		if d, err := time.Parse(layout, s); err == nil {
			return d, true
		}
	}
	return time.Time{}, false
}
