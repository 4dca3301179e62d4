package access

import "time"

// Event says what must follow a change, as data: who is to be told what. Wording, branding and
// links are the sender's (notify renders each email and mints its link when it sends it). An
// event carries no secret and no financial figure: it rests in the outbox.
type Event interface{ event() }

// RequestReceived: the requester is told their request's reference, with a link to its status
// page (StatusLink).
type RequestReceived struct {
	Request   RequestID
	Reference Reference
	To        Email
}

// StatusLinkRequested: the requester asked for a fresh link to the request's status page.
type StatusLinkRequested struct {
	Request   RequestID
	Reference Reference
	To        Email
}

// ReviewRequested: a reviewer is asked to review a request. Its email links to the request in the
// staff workspace, with no token: the staff session and role authorise.
type ReviewRequested struct {
	Request      RequestID
	Reference    Reference
	To           Email
	Relationship Relationship
}

// RequestApproved: the requester is told; with a registration link (InvitationLink) unless
// HasAccount.
type RequestApproved struct {
	Request    RequestID
	To         Email
	HasAccount bool
}

// RequestRejected: the requester is told the reason.
type RequestRejected struct {
	Request RequestID
	To      Email
	Reason  string
}

// InformationRequested: the requester gets the reviewer's message and an upload link (MoreInfoLink).
type InformationRequested struct {
	Request RequestID
	To      Email
	Message string
}

// RequestWithdrawn: the requester is told their request was withdrawn (staff are not told).
type RequestWithdrawn struct {
	Request   RequestID
	Reference Reference
	To        Email
}

// RequestExpired: the requester is told their request expired, having waited After, and that its
// files are deleted (staff are not told: it leaves their queue).
type RequestExpired struct {
	Request   RequestID
	Reference Reference
	To        Email
	After     time.Duration
}

// AccessEnded: the grantee is told their access ended, and why.
type AccessEnded struct {
	Request RequestID
	To      Email
	Reason  string
}

// EvidenceRefused: the requester is asked to upload a file again, and told why.
type EvidenceRefused struct {
	Request  RequestID
	To       Email
	FileName string
	Reason   string
}

func (RequestReceived) event()      {}
func (StatusLinkRequested) event()  {}
func (ReviewRequested) event()      {}
func (RequestApproved) event()      {}
func (RequestRejected) event()      {}
func (InformationRequested) event() {}
func (AccessEnded) event()          {}
func (RequestWithdrawn) event()     {}
func (RequestExpired) event()       {}
func (EvidenceRefused) event()      {}
