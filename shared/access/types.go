package access

import (
	"crypto/rand"
	"encoding/base32"
	"log/slog"
	"strings"
	"time"
)

// Identifiers are opaque; distinct types keep one kind from being used as another.
type (
	RequestID  string
	EvidenceID string
)

// NewID returns a random, URL-safe, lower-case identifier with the given prefix (for readability in logs).
func NewID(prefix string) string {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		panic("access: no randomness: " + err.Error())
	}
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func NewRequestID() RequestID   { return RequestID(NewID("r")) }
func NewEvidenceID() EvidenceID { return EvidenceID(NewID("e")) }

// Email is a normalised (trimmed, lower-cased) address. It is personal data: it logs as "[email]".
type Email string

// NormaliseEmail lower-cases and trims: the contract says addresses compare case-insensitively.
func NormaliseEmail(s string) Email { return Email(strings.ToLower(strings.TrimSpace(s))) }

func (e Email) LogValue() slog.Value { return slog.StringValue("[email]") }

// EmailList reads a comma-separated list of addresses (a setting such as REVIEWERS), normalised,
// empty entries dropped.
func EmailList(list string) []Email {
	var out []Email
	for _, a := range strings.Split(list, ",") {
		if e := NormaliseEmail(a); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// Relationship is how the requester stands to the client.
type Relationship string

const (
	Self        Relationship = "self"
	AttorneyLPA Relationship = "attorney_lpa" // property and financial affairs LPA only
	AttorneyEPA Relationship = "attorney_epa" // registered EPA
	Deputy      Relationship = "deputy"       // Court of Protection, property and affairs
	Appointee   Relationship = "appointee"    // DWP appointeeship
)

var relationships = map[Relationship]bool{Self: true, AttorneyLPA: true, AttorneyEPA: true, Deputy: true, Appointee: true}

// Valid reports whether r is one of the relationships that can give access.
func (r Relationship) Valid() bool { return relationships[r] }

// Status is where a request is in its life.
type Status string

const (
	AwaitingEvidence  Status = "awaiting_evidence"
	Scanning          Status = "scanning"
	ReadyForReview    Status = "ready_for_review"
	MoreInfoRequested Status = "more_information_requested"
	Approved          Status = "approved"
	Rejected          Status = "rejected"
	Withdrawn         Status = "withdrawn"
	Expired           Status = "expired"
)

// transitions lists every allowed status change; anything else is refused.
var transitions = map[Status][]Status{
	// A requester may withdraw (Request.Withdraw) until the request is decided.
	AwaitingEvidence:  {Scanning, Withdrawn, Expired},
	Scanning:          {ReadyForReview, AwaitingEvidence, Withdrawn, Expired},
	ReadyForReview:    {Approved, Rejected, MoreInfoRequested, Withdrawn},
	MoreInfoRequested: {Scanning, Withdrawn, Expired, Rejected},
}

// CanMove reports whether a request may go from one status to another.
func CanMove(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Decided reports whether the request has a final decision.
func (s Status) Decided() bool {
	return s == Approved || s == Rejected || s == Withdrawn || s == Expired
}

// EvidenceStatus is where one uploaded file is in its checks.
type EvidenceStatus string

const (
	AwaitingUpload EvidenceStatus = "awaiting_upload"
	EvScanning     EvidenceStatus = "scanning"
	Clean          EvidenceStatus = "clean"
	EvRejected     EvidenceStatus = "rejected"
	Infected       EvidenceStatus = "infected"
	ScanFailed     EvidenceStatus = "scan_failed"
)

// Requester is the person asking for access.
type Requester struct {
	Name  string `json:"name"`
	Email Email  `json:"email"`
	Phone string `json:"phone,omitempty"`
}

// Client is the person whose documents are asked for.
type Client struct {
	Name            string `json:"name"`
	DateOfBirth     string `json:"dateOfBirth"`
	Postcode        string `json:"postcode"`
	ClientReference string `json:"clientReference,omitempty"`
}

// File is an evidence file as the requester declared it.
type File struct {
	FileName    string `json:"fileName"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
}

// Evidence is one evidence file of a request, as stored.
type Evidence struct {
	ID         EvidenceID
	RequestID  RequestID
	File       File
	Status     EvidenceStatus
	Reason     string // why rejected, infected or failed, in words a person understands
	SHA256     string
	Verdict    string // the malware scanner's tag value
	Round      int    // 0 for the first submission, 1.. for each "more information" round
	UploadedAt time.Time
	UpdatedAt  time.Time
	Rendition  *Rendition // the copy staff open instead of the upload; nil until it is made
	// DeletedAt is when the file and its copy were deleted from the bucket, every version (its
	// request expired); the facts above stay as the request's record. Zero while it is kept.
	DeletedAt time.Time
}

// Key is where the evidence file lives in the uploads bucket.
func (e Evidence) Key() string { return EvidenceKey(e.RequestID, e.ID) }

// EvidenceKey is the server-chosen object key of an evidence upload.
func EvidenceKey(r RequestID, e EvidenceID) string {
	return "evidence/" + string(r) + "/" + string(e)
}

// RenditionKey is where the rendition of an evidence file lives in the uploads bucket, which
// keeps it as long as the evidence (the bucket's expiry), and scans it as it scans uploads.
func RenditionKey(r RequestID, e EvidenceID) string {
	return "renditions/" + string(r) + "/" + string(e)
}

// FilePrefixes are the folders of the uploads bucket that hold a request's files: its uploads and
// the copies made of them. Deleting them deletes every file of the request.
func FilePrefixes(r RequestID) []string {
	return []string{"evidence/" + string(r) + "/", "renditions/" + string(r) + "/"}
}

// RenderKey is the key of the empty object that asks for an evidence file's rendition once the
// file is clean: its creation event starts the rendering function.
func RenderKey(r RequestID, e EvidenceID) string { return "render/" + string(r) + "/" + string(e) }

// ParseRenderKey is RenderKey's inverse.
func ParseRenderKey(key string) (RequestID, EvidenceID, bool) {
	rest, ok := strings.CutPrefix(key, "render/")
	if !ok {
		return "", "", false
	}
	return ParseEvidenceKey("evidence/" + rest)
}

// ParseEvidenceKey is EvidenceKey's inverse; ok is false for any key outside evidence/<request>/<evidence>.
func ParseEvidenceKey(key string) (RequestID, EvidenceID, bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 3 || parts[0] != "evidence" || parts[1] == "" || parts[2] == "" {
		return "", "", false
	}
	return RequestID(parts[1]), EvidenceID(parts[2]), true
}

// Request is an access request. Once approved, the same record is the access grant.
type Request struct {
	ID            RequestID
	Reference     Reference // the short reference a person reads out (CFP-7K3M-9Q2X); "" on requests made before it
	Status        Status
	Draft         bool      // made by the pages and not yet confirmed (draft.go)
	ExpiresAt     time.Time // a draft's end (zero once confirmed)
	Requester     Requester
	Relationship  Relationship
	Client        Client
	LPAAccessCode string
	DonorSurname  string
	CreatedAt     time.Time
	SubmittedAt   time.Time
	UpdatedAt     time.Time
	// ContinuationHash is the hash of the token that lets the requester's browser continue.
	ContinuationHash string
	Round            int // current evidence round (see Evidence.Round)
	Decision         *Decision
	Notes            []Note
}

// Decision is a reviewer's decision; an approved request's decision is what the grant rests on.
type Decision struct {
	Outcome         Status // Approved, Rejected or MoreInfoRequested
	By              Email
	At              time.Time
	ClientReference string // approved: the council's reference for the client
	AccessEndsOn    string // approved: optional YYYY-MM-DD
	Reason          string // rejected: sent to the requester; more info: the message
	EndedAt         time.Time
	EndedBy         Email
	EndReason       string
}

// Note is an entry in a request's history: a security check, a decision, an end of access.
type Note struct {
	Kind string // "security_check", "decision", "access_ended", ...
	By   Email
	At   time.Time
	Text string
}
