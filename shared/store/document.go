package store

import (
	"time"

	"github.com/council/cfp/shared/access"
)

// DocumentType is one of the four kinds of financial document (the domain's: access.DocumentType).
type DocumentType = access.DocumentType

// The kinds, as callers of the store name them.
const (
	AssessmentOutcome        = access.AssessmentOutcome
	DirectPaymentRemittance  = access.DirectPaymentRemittance
	DeferredPaymentStatement = access.DeferredPaymentStatement
	CareInvoice              = access.CareInvoice
)

// DocumentTypes lists the valid types.
var DocumentTypes = map[DocumentType]bool{AssessmentOutcome: true, DirectPaymentRemittance: true, DeferredPaymentStatement: true, CareInvoice: true}

// DocumentID identifies a published document; it is derived from the object's identity, so
// publishing the same object twice gives the same id.
type DocumentID string

// Document is a published document.
type Document struct {
	ID              DocumentID
	ClientReference string
	Type            DocumentType
	Title           string
	DocumentDate    string // YYYY-MM-DD
	PublishedAt     time.Time
	Size            int64
	Key             string // where it lives in the documents bucket: published/..., or a batch's file published in place
	// Version is the S3 version id of Key that was published, for a batch's file published in place
	// (the documents bucket keeps versions): a later write at Key by the sender is not what the
	// portal gives. "" for a copy under published/, which only publish-document writes.
	Version string `dynamodbav:",omitempty"`
	// Hidden says why a document no longer shows ("replaced", "withdrawn"; "" while current). A
	// hidden document is kept for the audit trail, out of the client's lists, and not downloadable.
	Hidden     string     `dynamodbav:",omitempty"`
	HiddenAt   time.Time  `dynamodbav:",omitempty"`
	ReplacedBy DocumentID `dynamodbav:",omitempty"`
}

// Current reports whether the document shows on the portal.
func (d Document) Current() bool { return d.Hidden == "" }

// documentItem is a document as stored:
// GSI1 CLIENT#<ref> / DOC#<date>#<id>: the client's documents, newest first (ScanIndexForward false);
// GSI2 CLIENT#<ref>#TYPE#<type> / DOC#<date>#<id>: the same, of one type.
type documentItem struct {
	PK, SK         string
	GSI1PK, GSI1SK string
	GSI2PK, GSI2SK string
	Kind           string // "document"
	Document       Document
}

func newDocumentItem(d Document) documentItem {
	k := documentKey(d.ID)
	sk := documentSK(d)
	return documentItem{
		PK: k.PK, SK: k.SK, Kind: "document", Document: d,
		GSI1PK: clientPK(d.ClientReference), GSI1SK: sk,
		GSI2PK: clientTypePK(d.ClientReference, d.Type), GSI2SK: sk,
	}
}
