package access

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxTitle is the most characters a document's title may have.
const MaxTitle = 200

// DocumentFields are what a sender says of a document it publishes, trimmed: the same four facts
// whether they come as an object's metadata (inbound/) or a manifest's row (batches/).
type DocumentFields struct{ ClientReference, Type, Date, Title string }

// FieldNames are the sender's names for the four fields, so that a reason names the field as
// the sender wrote it (a metadata header or a manifest column).
type FieldNames struct{ ClientReference, Type, Date, Title string }

// Problems returns every reason the fields cannot be published (none: they can), so that the
// sender can mend them all at once. A client reference is known when it is in the council's format.
func (f DocumentFields) Problems(refFormat *regexp.Regexp, n FieldNames) []string {
	var reasons []string
	for _, v := range []struct{ name, value string }{{n.ClientReference, f.ClientReference}, {n.Type, f.Type}, {n.Date, f.Date}, {n.Title, f.Title}} {
		if v.value == "" {
			reasons = append(reasons, v.name+" is missing")
		}
	}
	if f.ClientReference != "" && !refFormat.MatchString(f.ClientReference) {
		reasons = append(reasons, "unknown client reference (not in the council's format)")
	}
	if f.Type != "" && !DocumentType(f.Type).Valid() {
		reasons = append(reasons, n.Type+" is not one of "+strings.Join(DocumentTypeNames(), ", "))
	}
	if f.Date != "" {
		if _, err := time.Parse("2006-01-02", f.Date); err != nil {
			reasons = append(reasons, n.Date+" is not a date written YYYY-MM-DD")
		}
	}
	if c := utf8.RuneCountInString(f.Title); c > MaxTitle || !utf8.ValidString(f.Title) {
		reasons = append(reasons, fmt.Sprintf("%s is not text of at most %d characters", n.Title, MaxTitle))
	}
	return reasons
}

// DocumentTypeNames lists the four kinds as senders write them.
func DocumentTypeNames() []string {
	return []string{string(AssessmentOutcome), string(DirectPaymentRemittance), string(DeferredPaymentStatement), string(CareInvoice)}
}
