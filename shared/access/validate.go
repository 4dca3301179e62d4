package access

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Limits on evidence, from the contract.
const (
	MaxFiles    = 5
	MaxFileSize = 10 << 20 // 10 MiB
)

// AllowedTypes are the content types an evidence file may be declared as.
var AllowedTypes = map[string]bool{"application/pdf": true, "image/jpeg": true, "image/png": true}

// FieldError names one bad field of a request body, with a message a person understands.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// NewRequest is the body of POST /access-requests.
type NewRequest struct {
	Requester     *Requester   `json:"requester"`
	Relationship  Relationship `json:"relationship"`
	Client        Client       `json:"client"`
	Evidence      []File       `json:"evidence"`
	LPAAccessCode string       `json:"lpaAccessCode"`
	DonorSurname  string       `json:"donorSurname"`
}

// HealthAndWelfare is the relationship people most often ask for that gives no access.
const HealthAndWelfare = "attorney_health_welfare"

// The patterns are compiled on first use, not at start-up: most functions that import this package
// never validate a new request, and compiling them would lengthen every one of their cold starts.
var (
	postcodeRE  = pattern(`^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$`)
	lpaCodeRE   = pattern(`^V-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$`)
	phoneRE     = pattern(`^\+?[0-9 ()-]{7,20}$`)
	clientRefRE = pattern(`^[A-Za-z0-9-]{1,20}$`)
	fileNameBad = pattern(`[\x00-\x1f\x7f/\\]`)
)

const (
	dateLayout   = "2006-01-02"
	maxNameRunes = 100
)

func pattern(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// IsClientReference reports whether ref has the shape of any client reference (letters, digits and
// hyphens, at most 20); the council's own format is checked where it is configured.
func IsClientReference(ref string) bool { return clientRefRE().MatchString(ref) }

// Validate checks every field and returns one FieldError per bad field (nil when all is well).
// signedIn says whether the requester comes from the session rather than the body.
func (n *NewRequest) Validate(now time.Time, signedIn bool) []FieldError {
	var errs []FieldError
	bad := func(field, msg string) { errs = append(errs, FieldError{field, msg}) }

	if signedIn {
		if n.Requester != nil {
			bad("requester", "must be omitted when signed in: your account's details are used")
		}
	} else if n.Requester == nil {
		bad("requester", "is required")
	} else {
		checkName(bad, "requester.name", n.Requester.Name)
		raw := string(n.Requester.Email)
		if !ValidEmail(raw) {
			bad("requester.email", "must be an email address, like name@example.com")
		}
		if n.Requester.Phone != "" && !phoneRE().MatchString(n.Requester.Phone) {
			bad("requester.phone", "must be a telephone number, like 01632 960 001")
		}
	}

	switch {
	case n.Relationship == "":
		bad("relationship", "is required: one of self, attorney_lpa, attorney_epa, deputy, appointee")
	case string(n.Relationship) == HealthAndWelfare:
		bad("relationship", "a health and welfare lasting power of attorney does not give access to financial documents: only a property and financial affairs LPA does")
	case !n.Relationship.Valid():
		bad("relationship", "must be one of self, attorney_lpa, attorney_epa, deputy, appointee")
	}

	checkName(bad, "client.name", n.Client.Name)
	if dob, err := time.Parse(dateLayout, n.Client.DateOfBirth); err != nil {
		bad("client.dateOfBirth", "must be a date, YYYY-MM-DD")
	} else if dob.After(now) {
		bad("client.dateOfBirth", "must be in the past")
	} else if dob.Before(now.AddDate(-130, 0, 0)) {
		bad("client.dateOfBirth", "must be a real date of birth")
	}
	if pc := NormalisePostcode(n.Client.Postcode); !postcodeRE().MatchString(pc) {
		bad("client.postcode", "must be a UK postcode, like SW1A 1AA")
	}
	if r := n.Client.ClientReference; r != "" && !clientRefRE().MatchString(r) {
		bad("client.clientReference", "must be letters, digits or hyphens, at most 20")
	}

	if len(n.Evidence) > MaxFiles {
		bad("evidence", "at most 5 files")
	}
	for i, f := range n.Evidence {
		p := "evidence[" + strconv.Itoa(i) + "]"
		if f.FileName == "" || utf8.RuneCountInString(f.FileName) > 200 || fileNameBad().MatchString(f.FileName) || !utf8.ValidString(f.FileName) {
			bad(p+".fileName", "must be a file name of at most 200 characters")
		}
		if !AllowedTypes[f.ContentType] {
			bad(p+".contentType", "must be application/pdf, image/jpeg or image/png")
		}
		if f.Size <= 0 {
			bad(p+".size", "must be the file's size in bytes")
		} else if f.Size > MaxFileSize {
			bad(p+".size", "must be at most 10 MiB (10485760 bytes)")
		}
	}

	hasCode := n.LPAAccessCode != "" || n.DonorSurname != ""
	if hasCode {
		if n.Relationship != AttorneyLPA {
			bad("lpaAccessCode", "is only for attorneys under a property and financial affairs LPA")
		} else {
			if !lpaCodeRE().MatchString(strings.ToUpper(n.LPAAccessCode)) {
				bad("lpaAccessCode", "must look like V-XXXX-XXXX-XXXX")
			}
			checkName(bad, "donorSurname", n.DonorSurname)
		}
	}
	if n.Relationship.Valid() && n.Relationship != Self && len(n.Evidence) == 0 && !hasCode {
		if n.Relationship == AttorneyLPA {
			bad("evidence", "upload a copy of the LPA, or give its View an LPA access code and the donor's surname")
		} else {
			bad("evidence", "upload at least one document showing your authority")
		}
	}
	return errs
}

func checkName(bad func(string, string), field, v string) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		bad(field, "is required")
	case utf8.RuneCountInString(v) > maxNameRunes || !utf8.ValidString(v):
		bad(field, "must be at most 100 characters")
	case strings.ContainsAny(v, "\x00\r\n\t"):
		bad(field, "must be on one line")
	}
}

// NormalisePostcode upper-cases and puts the single space where it belongs.
func NormalisePostcode(s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(s) > 3 {
		s = s[:len(s)-3] + " " + s[len(s)-3:]
	}
	return s
}

// ValidEmail reports whether s is a plain address (no display name, a dot in the domain, at most
// 254 characters), as every form that takes an address checks it.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == strings.TrimSpace(s) && len(s) <= 254 &&
		strings.Contains(a.Address[strings.LastIndex(a.Address, "@"):], ".")
}
