package mail

import (
	"crypto/sha256"
	"encoding/base32"
	"net/url"
	"strings"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/batch"
	"github.com/council/cfp/shared/brand"
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
	SignInCode      Template = "sign_in_code" // never queued: see SignIn
	NewDocuments    Template = "new_documents"
	UploadProblem   Template = "upload_problem"
	AccessEnded     Template = "access_ended"
	StatusLink      Template = "status_link" // "I lost my link": a fresh link to the status page
	Withdrawn       Template = "request_withdrawn"
	Expired         Template = "request_expired" // left waiting too long: its files are deleted
	BatchReport     Template = "batch_report"    // to Business Support: a batch's counts
	PasskeyAdded    Template = "passkey_added"
	PasskeyRemoved  Template = "passkey_removed"
)

// Purpose says what a link's token lets its holder do. Tokens are single-purpose.
type Purpose string

const (
	Invitation Purpose = "invitation"
	Verify     Purpose = "verify"
	MoreInfo   Purpose = "more_information"
	Status     Purpose = "status" // opens a request's status page (and lets its holder add files it asks for)
)

// Link asks the sender to mint a token for Purpose, bound to Subject (a request id, an address),
// valid for TTL, and to put its URL in the email.
type Link struct {
	Purpose Purpose       `dynamodbav:"purpose"`
	Subject string        `dynamodbav:"subject"`
	TTL     time.Duration `dynamodbav:"ttl"`
}

// Message is one email to send, as the outbox holds it: which email, and the typed values it
// needs. The values may sit in the table and in the email: never a secret, never a financial figure.
type Message struct {
	ID           string              `dynamodbav:"id"`
	To           access.Email        `dynamodbav:"to"`
	Template     Template            `dynamodbav:"template"`
	Request      access.RequestID    `dynamodbav:"request,omitempty"`
	Reference    access.Reference    `dynamodbav:"reference,omitempty"` // the short one a person reads out
	Relationship access.Relationship `dynamodbav:"relationship,omitempty"`
	FileName     string              `dynamodbav:"fileName,omitempty"`
	Reason       string              `dynamodbav:"reason,omitempty"` // a rejection's, an end of access's, a refused file's
	Text         string              `dynamodbav:"text,omitempty"`   // the reviewer's request for more information; how long an expired request waited
	Link         *Link               `dynamodbav:"link,omitempty"`
	Batch        string              `dynamodbav:"batch,omitempty"` // <system>/<batch>
	Tally        *batch.Tally        `dynamodbav:"tally,omitempty"`
	Replaced     bool                `dynamodbav:"replaced,omitempty"` // new documents: one of them replaces one seen before
	Passkey      string              `dynamodbav:"passkey,omitempty"`  // the name a person gave a passkey
}

// New returns a message with a fresh id, which is also its idempotency key in the outbox.
func New(to access.Email, t Template) Message {
	return Message{ID: access.NewID("m"), To: to, Template: t}
}

// WithLink returns the message asking for a minted link.
func (m Message) WithLink(p Purpose, subject string, ttl time.Duration) Message {
	m.Link = &Link{Purpose: p, Subject: subject, TTL: ttl}
	return m
}

// VerifyLink is how long an email-address confirmation link works.
const VerifyLink = 24 * time.Hour

// VerificationOf is the email that asks a new account's holder to confirm their address.
func VerificationOf(to access.Email) Message {
	return New(to, Verification).WithLink(Verify, string(to), VerifyLink)
}

// For is the email a domain event asks for; false when it asks for none.
func For(e access.Event) (Message, bool) {
	var m Message
	switch e := e.(type) {
	case access.RequestReceived:
		m = Message{To: e.To, Template: RequestReceived, Request: e.Request, Reference: e.Reference, Link: &Link{Status, string(e.Request), access.StatusLink}}
	case access.StatusLinkRequested:
		m = Message{To: e.To, Template: StatusLink, Request: e.Request, Reference: e.Reference, Link: &Link{Status, string(e.Request), access.StatusLink}}
	case access.ReviewRequested:
		// No token: the link opens the request in the staff workspace, where the staff session and
		// its role authorise, so no bearer secret sits in a URL for traces and logs to keep.
		m = Message{To: e.To, Template: ReadyForReview, Request: e.Request, Reference: e.Reference, Relationship: e.Relationship}
	case access.RequestApproved:
		m = Message{To: e.To, Template: Approved, Request: e.Request, Link: &Link{Invitation, string(e.Request), access.InvitationLink}}
		if e.HasAccount {
			m = Message{To: e.To, Template: ApprovedAccount, Request: e.Request}
		}
	case access.RequestRejected:
		m = Message{To: e.To, Template: RequestRejected, Request: e.Request, Reason: e.Reason}
	case access.InformationRequested:
		m = Message{To: e.To, Template: MoreInformation, Request: e.Request, Text: e.Message, Link: &Link{MoreInfo, string(e.Request), access.MoreInfoLink}}
	case access.AccessEnded:
		m = Message{To: e.To, Template: AccessEnded, Request: e.Request, Reason: e.Reason}
	case access.RequestWithdrawn:
		m = Message{To: e.To, Template: Withdrawn, Request: e.Request, Reference: e.Reference}
	case access.RequestExpired:
		// No link: the request is over, and its links were deleted with it.
		m = Message{To: e.To, Template: Expired, Request: e.Request, Reference: e.Reference, Text: access.ExpiryWords(e.After)}
	case access.PasskeyAdded:
		m = Message{To: e.To, Template: PasskeyAdded, Passkey: e.Name}
	case access.PasskeyRemoved:
		m = Message{To: e.To, Template: PasskeyRemoved, Passkey: e.Name}
	case access.EvidenceRefused:
		m = Message{To: e.To, Template: UploadProblem, Request: e.Request, FileName: e.FileName, Reason: e.Reason}
	default:
		return Message{}, false
	}
	m.ID = access.NewID("m")
	return m, true
}

// Bases are what every email is made from besides its message: the portal's public base URL, which
// every link opens (a page of the portal's site), and the council's brand, which names the council
// and the service and signs every email with how to contact the Client Finance team.
type Bases struct {
	Portal string
	Brand  brand.Brand
}

// URL is the link a token of this purpose opens.
func (b Bases) URL(l Link, token string) string {
	portal := strings.TrimRight(b.Portal, "/")
	t := url.QueryEscape(token)
	switch l.Purpose {
	case Invitation:
		return portal + "/register?invitation=" + t
	case Verify:
		return portal + "/verify?token=" + t
	case MoreInfo:
		return portal + "/access-requests/" + url.PathEscape(l.Subject) + "/more-information?token=" + t
	case Status:
		return portal + "/access-requests/" + url.PathEscape(l.Subject) + "?token=" + t
	}
	return portal
}

// Workspace is a request's page in the staff workspace: no token, the staff session authorises.
func (b Bases) Workspace(id access.RequestID) string {
	return strings.TrimRight(b.Portal, "/") + "/staff/requests/" + url.PathEscape(string(id))
}

// BatchReportOf is the one summary of a batch to a Business Support address: its id is derived
// from the batch and the address, so queuing it twice queues it once.
func BatchReportOf(to access.Email, b batch.ID, t batch.Tally) Message {
	sum := sha256.Sum256([]byte(b.String() + "\x00" + string(to)))
	id := "b" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
	return Message{ID: id, To: to, Template: BatchReport, Batch: b.String(), Tally: &t}
}
