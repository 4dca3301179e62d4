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
	APIURL          Name = "API_URL"          // the API's public base URL (links in emails)
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
	ReviewLinkDays Name = "REVIEW_LINK_DAYS" // how many days a reviewer's link works
	// S3PathStyle makes S3 clients address buckets by path (local servers); AWS leaves it unset.
	S3PathStyle Name = "S3_PATH_STYLE"
)

// The defaults of the optional settings. A stack that leaves one unset gets the same value.
const (
	DefaultClientRefFormat = `[0-9]{6,10}` // the contract: 6 to 10 digits
	DefaultNoticeQuiet     = 10 * time.Minute
	DefaultNoticeMaxDelay  = time.Hour
	DefaultMailRate        = 10 // SES's starting rate for an account out of the sandbox
	DefaultIPRequestLimit  = 60
	DefaultReviewLinkDays  = 7
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
	case ReviewLinkDays:
		return strconv.Itoa(DefaultReviewLinkDays)
	}
	return ""
}
