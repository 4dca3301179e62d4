package mail

import (
	"net/url"
	"strings"
	"time"

	"github.com/council/cfp/shared/access"
)

// Template names an email the system sends.
type Template string

const (
	RequestReceived Template = "request_received"
	ReadyForReview  Template = "ready_for_review"
	MoreInformation Template = "more_information"
	RequestRejected Template = "request_rejected"
	Approved        Template = "approved"         // with a registration link
	ApprovedAccount Template = "approved_account" // already has an account
	Verification    Template = "verification"
	SignInCode      Template = "sign_in_code"
	NewDocuments    Template = "new_documents"
	UploadProblem   Template = "upload_problem"
	AccessEnded     Template = "access_ended"
)

// Purpose says what a link's token lets its holder do. Tokens are single-purpose.
type Purpose string

const (
	Review     Purpose = "review"
	Invitation Purpose = "invitation"
	Verify     Purpose = "verify"
	MoreInfo   Purpose = "more_information"
)

// Link asks the sender to mint a token for Purpose, bound to Subject (a request id, an address),
// valid for TTL, and to put its URL in the email.
type Link struct {
	Purpose Purpose       `dynamodbav:"purpose"`
	Subject string        `dynamodbav:"subject"`
	TTL     time.Duration `dynamodbav:"ttl"`
}

// Message is one email to send. Data holds only values that may sit in the table and in the
// email: never a secret, never a financial figure.
type Message struct {
	ID       string            `dynamodbav:"id"`
	To       access.Email      `dynamodbav:"to"`
	Template Template          `dynamodbav:"template"`
	Data     map[string]string `dynamodbav:"data,omitempty"`
	Link     *Link             `dynamodbav:"link,omitempty"`
}

// New returns a message with a fresh id, which is also its idempotency key in the outbox.
func New(to access.Email, t Template, data map[string]string) Message {
	return Message{ID: access.NewID("m"), To: to, Template: t, Data: data}
}

// WithLink returns the message asking for a minted link.
func (m Message) WithLink(p Purpose, subject string, ttl time.Duration) Message {
	m.Link = &Link{Purpose: p, Subject: subject, TTL: ttl}
	return m
}

// Bases are the public base URLs links are made from. Every link now opens a page of the portal's
// site; API is no longer used for links (its readers, API_URL, can go).
type Bases struct{ API, Portal string }

// URL is the link a token of this purpose opens.
func (b Bases) URL(l Link, token string) string {
	portal := strings.TrimRight(b.Portal, "/")
	t := url.QueryEscape(token)
	switch l.Purpose {
	case Review: // a page of the site, as every link is
		return portal + "/review/" + url.PathEscape(token)
	case Invitation:
		return portal + "/register?invitation=" + t
	case Verify:
		return portal + "/verify?token=" + t
	case MoreInfo:
		return portal + "/access-requests/" + url.PathEscape(l.Subject) + "/more-information?token=" + t
	}
	return portal
}
