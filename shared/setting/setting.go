package setting

import (
	"strconv"
	"time"
)

// Name is a setting's environment variable.
type Name string

// The settings. Each stack gives every required one a value.
const (
	TableName       Name = "TABLE_NAME"       // the single DynamoDB table
	UploadsBucket   Name = "UPLOADS_BUCKET"   // evidence uploads (presigned POST)
	DocumentsBucket Name = "DOCUMENTS_BUCKET" // back-office drops under inbound/, published under published/
	MailFrom        Name = "MAIL_FROM"        // verified SES sender
	Reviewers       Name = "REVIEWERS"        // comma-separated Client Finance team addresses
	PortalURL       Name = "PORTAL_URL"       // the portal frontend; also the only allowed Origin
	// ClientRefFormat is the council's client reference format, a Go regular expression that must
	// match the whole reference.
	ClientRefFormat Name = "CLIENT_REFERENCE_PATTERN"
	MailConfigSet   Name = "SES_CONFIGURATION_SET" // bounces and complaints come back through it
	// InsecureCookies drops Secure and the __Host- prefix for plain-HTTP development. Only the local
	// stack sets it; the AWS stack never does.
	InsecureCookies Name = "INSECURE_COOKIES"
	// NoticeQuiet and NoticeMaxDelay shape new-document notices (Go durations).
	NoticeQuiet    Name = "NOTICE_QUIET_PERIOD"
	NoticeMaxDelay Name = "NOTICE_MAX_DELAY"
	MailRate       Name = "MAIL_MAX_PER_SECOND" // SES's maximum send rate for the account
	// IPRequestLimit is how many new access requests one source address may make in an hour
	// (shared addresses such as libraries make more than one person's worth).
	IPRequestLimit Name = "REQUEST_LIMIT_PER_IP_HOUR"
	// EvidenceDays is how many days uploaded evidence is kept (the bucket's lifecycle deletes it;
	// the privacy notice says so).
	EvidenceDays Name = "EVIDENCE_RETENTION_DAYS"
	// BusinessSupport are the Business Support team's addresses (comma-separated): each batch's
	// summary email goes to them.
	BusinessSupport Name = "BUSINESS_SUPPORT"
	// BatchWindow is how long a batch may take to arrive whole, from its first object (a Go
	// duration); then the schedule closes it, its unarrived files missing.
	BatchWindow Name = "BATCH_WINDOW"
	// RequestExpiry is how long a request may wait on its requester (for its files, or for more
	// information), or be stuck in its checks, before it expires and its files are deleted (a Go
	// duration, counted from when it came into that status).
	RequestExpiry Name = "REQUEST_EXPIRY"
	// S3PathStyle makes S3 clients address buckets by path (local servers); AWS leaves it unset.
	S3PathStyle Name = "S3_PATH_STYLE"

	// The staff workspace's identity provider (OpenID Connect): its issuer URL, the portal's client
	// id there, the Secrets Manager secret holding the client secret (its ARN in AWS; the secret's
	// value is never in the environment), and which of its groups give which role
	// ("group=role,...", shared/staff).
	StaffIssuer       Name = "STAFF_OIDC_ISSUER"
	StaffClientID     Name = "STAFF_OIDC_CLIENT_ID"
	StaffClientSecret Name = "STAFF_OIDC_CLIENT_SECRET"
	StaffGroups       Name = "STAFF_ROLE_GROUPS"

	// SignInKey names the Secrets Manager secret (its ARN in AWS) holding the key that sign-in
	// codes are hashed with (secret.Key): the table holds the hashes, never the key.
	SignInKey Name = "SIGNIN_CODE_KEY_SECRET"

	// The council's branding and contact details, shown on every page (brand.Read reads them).
	// Unset, each takes the local stack's sample value below; `make deploy` requires the council's
	// name, phone and contact email.
	CouncilName      Name = "COUNCIL_NAME"
	CouncilURL       Name = "COUNCIL_URL" // the council's own site, where its name links
	ServiceName      Name = "SERVICE_NAME"
	ContactPhone     Name = "CONTACT_PHONE"
	ContactEmail     Name = "CONTACT_EMAIL"
	OpeningHours     Name = "OPENING_HOURS"
	LogoURL          Name = "LOGO_URL" // optional: a path on the site (images come from 'self' only)
	PrivacyURL       Name = "PRIVACY_URL"
	AccessibilityURL Name = "ACCESSIBILITY_URL"
)

// The sample council: an Ofcom drama-range phone number and a reserved domain, so nothing reaches
// a real person. The privacy and accessibility pages default to the site's own.
const (
	SampleCouncilName       = "Example Borough Council"
	SampleCouncilURL        = "https://www.example.gov.uk/"
	DefaultServiceName      = "Client Finance Portal"
	SampleContactPhone      = "020 7946 0000"
	SampleContactEmail      = "clientfinance@example.gov.uk"
	SampleOpeningHours      = "Monday to Friday, 9am to 5pm (except bank holidays)"
	DefaultPrivacyURL       = "/privacy"
	DefaultAccessibilityURL = "/accessibility"
)

// The defaults of the optional settings. A stack that leaves one unset gets the same value.
const (
	DefaultClientRefFormat = `[0-9]{6,10}` // the contract: 6 to 10 digits
	DefaultNoticeQuiet     = 10 * time.Minute
	DefaultNoticeMaxDelay  = time.Hour
	DefaultMailRate        = 10 // SES's starting rate for an account out of the sandbox
	DefaultIPRequestLimit  = 60
	DefaultEvidenceDays    = 90
	DefaultBatchWindow     = 24 * time.Hour
	// DefaultRequestExpiry is four weeks: twice the 14 days a "more information" link works, so a
	// requester whose link lapsed has two more weeks to ask for a fresh one; well inside the 90
	// days evidence is kept, so the files go with an email saying so rather than silently.
	DefaultRequestExpiry = 28 * 24 * time.Hour
)

// Default is the setting's value when it is unset, written as its variable would be; "" for a
// setting that has none (a required one, or a flag that is off).
func (n Name) Default() string {
	switch n {
	case ClientRefFormat:
		return DefaultClientRefFormat
	case NoticeQuiet:
		return DefaultNoticeQuiet.String()
	case NoticeMaxDelay:
		return DefaultNoticeMaxDelay.String()
	case MailRate:
		return strconv.Itoa(DefaultMailRate)
	case IPRequestLimit:
		return strconv.Itoa(DefaultIPRequestLimit)
	case EvidenceDays:
		return strconv.Itoa(DefaultEvidenceDays)
	case BatchWindow:
		return DefaultBatchWindow.String()
	case RequestExpiry:
		return DefaultRequestExpiry.String()
	case CouncilName:
		return SampleCouncilName
	case CouncilURL:
		return SampleCouncilURL
	case ServiceName:
		return DefaultServiceName
	case ContactPhone:
		return SampleContactPhone
	case ContactEmail:
		return SampleContactEmail
	case OpeningHours:
		return SampleOpeningHours
	case PrivacyURL:
		return DefaultPrivacyURL
	case AccessibilityURL:
		return DefaultAccessibilityURL
	}
	return ""
}
