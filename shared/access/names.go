package access

// The words people read for the domain's values, in one place. A value with no words shows as itself.

var relationshipTitles = map[Relationship][2]string{
	// {as a page shows it, as a sentence in an email names it}
	Self:        {"The client themselves", "the client themselves"},
	AttorneyLPA: {"Attorney under a property and financial affairs lasting power of attorney", "attorney (property and financial affairs LPA)"},
	AttorneyEPA: {"Attorney under a registered enduring power of attorney", "attorney (registered EPA)"},
	Deputy:      {"Deputy for property and affairs (Court of Protection)", "deputy (Court of Protection, property and affairs)"},
	Appointee:   {"DWP appointee", "DWP appointee"},
}

// Title is the relationship in full, as a page shows it.
func (r Relationship) Title() string { return orRaw(relationshipTitles[r][0], string(r)) }

// Short is the relationship as a sentence names it ("… relationship: deputy (…)").
func (r Relationship) Short() string { return orRaw(relationshipTitles[r][1], string(r)) }

var statusTitles = map[Status]string{
	AwaitingEvidence:  "Awaiting evidence",
	Scanning:          "Checking uploads",
	ReadyForReview:    "Ready for review",
	MoreInfoRequested: "More information requested",
	Approved:          "Approved",
	Rejected:          "Rejected",
	Withdrawn:         "Withdrawn",
	Expired:           "Expired",
}

// Title is the status as staff read it.
func (s Status) Title() string { return orRaw(statusTitles[s], string(s)) }

var evidenceTitles = map[EvidenceStatus]string{
	AwaitingUpload: "Not uploaded",
	EvScanning:     "Being checked",
	Clean:          "Checked",
	EvRejected:     "Not accepted",
	Infected:       "Removed: a virus was found",
	ScanFailed:     "Could not be checked",
}

// Title is the evidence status as staff read it.
func (s EvidenceStatus) Title() string { return orRaw(evidenceTitles[s], string(s)) }

func orRaw(words, raw string) string {
	if words == "" {
		return raw
	}
	return words
}

// DocumentType is one of the four kinds of financial document the portal shows.
type DocumentType string

const (
	AssessmentOutcome        DocumentType = "assessment_outcome"
	DirectPaymentRemittance  DocumentType = "direct_payment_remittance"
	DeferredPaymentStatement DocumentType = "deferred_payment_statement"
	CareInvoice              DocumentType = "care_invoice"
)

var documentTitles = map[DocumentType]string{
	AssessmentOutcome:        "Financial assessment outcome",
	DirectPaymentRemittance:  "Direct payment remittance",
	DeferredPaymentStatement: "Deferred payment statement",
	CareInvoice:              "Care invoice",
}

// Valid reports whether t is one of the four kinds.
func (t DocumentType) Valid() bool { return documentTitles[t] != "" }

// Title is the kind of document as the portal names it.
func (t DocumentType) Title() string { return orRaw(documentTitles[t], string(t)) }
