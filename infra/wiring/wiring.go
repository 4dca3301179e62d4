package wiring

import (
	"slices"
	"time"

	"github.com/council/cfp/shared/setting"
)

// Setting is a deployment setting: the environment variable a function reads it from. Its name and
// default are declared in shared/setting, which the functions read them through.
type Setting = setting.Name

// The settings (see shared/setting for what each one is).
const (
	TableName       = setting.TableName
	UploadsBucket   = setting.UploadsBucket
	DocumentsBucket = setting.DocumentsBucket
	MailFrom        = setting.MailFrom
	Reviewers       = setting.Reviewers
	PortalURL       = setting.PortalURL
	ClientRefFormat = setting.ClientRefFormat
	MailConfigSet   = setting.MailConfigSet
	InsecureCookies = setting.InsecureCookies // only the local stack sets it
	NoticeQuiet     = setting.NoticeQuiet
	NoticeMaxDelay  = setting.NoticeMaxDelay
	MailRate        = setting.MailRate
	IPRequestLimit  = setting.IPRequestLimit
	S3PathStyle     = setting.S3PathStyle // only the local stack sets it
	EvidenceDays    = setting.EvidenceDays
	BusinessSupport = setting.BusinessSupport
	BatchWindow     = setting.BatchWindow
	RequestExpiry   = setting.RequestExpiry

	StaffIssuer       = setting.StaffIssuer
	StaffClientID     = setting.StaffClientID
	StaffClientSecret = setting.StaffClientSecret
	StaffGroups       = setting.StaffGroups

	SignInKey = setting.SignInKey

	CouncilName      = setting.CouncilName
	CouncilURL       = setting.CouncilURL
	ServiceName      = setting.ServiceName
	ContactPhone     = setting.ContactPhone
	ContactEmail     = setting.ContactEmail
	OpeningHours     = setting.OpeningHours
	LogoURL          = setting.LogoURL
	PrivacyURL       = setting.PrivacyURL
	AccessibilityURL = setting.AccessibilityURL
)

// Brand is the council's branding every page shows and every email is signed with (brand.Read
// reads them all; the contact email is also the emails' Reply-To).
var Brand = []Setting{CouncilName, CouncilURL, ServiceName, ContactPhone, ContactEmail, OpeningHours, LogoURL, PrivacyURL, AccessibilityURL}

// Event names as S3 sends them in a notification's eventName (without the "s3:" prefix there).
const (
	ObjectCreated    = "s3:ObjectCreated:*"
	ObjectTaggingPut = "s3:ObjectTagging:Put"
)

// Bucket names a bucket by the setting that holds its name.
type Bucket = Setting

// APIPrefix is where the JSON API sits on the site: its routes are written with it, so API
// Gateway's resources, the handlers' route tables and the events' resource are one shape. Pages
// (the portal's, the staff review pages) have none.
const APIPrefix = "/api"

// RequestHeaders are the headers the portal may send across origins beyond the simple ones, which
// a CORS preflight allows: the JSON body's type, a continuation token, and a create's idempotency key.
var RequestHeaders = []string{"Content-Type", "Authorization", "Idempotency-Key"}

// Route is an API Gateway REST route. Path parameters are written {name}.
type Route struct {
	Method string
	Path   string
}

// RouteKeys are the function's routes as "METHOD /path/{param}", the keys of its route table.
func (f Function) RouteKeys() []string {
	keys := make([]string, len(f.Routes))
	for i, r := range f.Routes {
		keys[i] = r.Method + " " + r.Path
	}
	return keys
}

// Notification subscribes a function to a bucket's events under a key prefix.
type Notification struct {
	Bucket Bucket
	Prefix string
	Events []string
}

// Access is what a function may do in AWS: exactly the actions its code calls (a test walks each
// function's code and ties the two together), each on the resources it needs. The AWS stack turns
// it into IAM statement by statement; the local stack does not enforce IAM.
type Access struct {
	Table   []Action // DynamoDB actions, on the table and its indexes
	Keys    []string // the partition keys it may touch, as dynamodb:LeadingKeys patterns ("REQ#*")
	Objects []Objects
	Mail    []Action // SES actions, from the mail-from identity through the configuration set
	// Secrets are the settings that name a Secrets Manager secret the function reads (GetSecretValue
	// on exactly that secret). Locally the stack answers from its own store.
	Secrets []Setting
}

// Objects grants S3 actions on the objects under a key prefix in a bucket ("" for the whole
// bucket). ListBucket is granted on the bucket, for keys under the prefix only.
type Objects struct {
	Bucket  Bucket
	Prefix  string
	Actions []Action
}

// Action is an IAM action, "service:Name".
type Action string

// The actions the functions call. Transactions are authorised item by item (PutItem, UpdateItem,
// DeleteItem, ConditionCheckItem); a presigned link or form, by the action it signs; reading an
// object's head, by GetObject.
const (
	GetItem            Action = "dynamodb:GetItem"
	PutItem            Action = "dynamodb:PutItem"
	UpdateItem         Action = "dynamodb:UpdateItem"
	DeleteItem         Action = "dynamodb:DeleteItem"
	ConditionCheckItem Action = "dynamodb:ConditionCheckItem"
	Query              Action = "dynamodb:Query"
	BatchGetItem       Action = "dynamodb:BatchGetItem" // a rate limit's two buckets, every limit's at once

	GetObject        Action = "s3:GetObject"
	PutObject        Action = "s3:PutObject"
	DeleteObject     Action = "s3:DeleteObject"
	GetObjectTagging Action = "s3:GetObjectTagging"
	// Reading one version by its id (what was checked is read again by the version S3 named).
	GetObjectVersion        Action = "s3:GetObjectVersion"
	GetObjectVersionTagging Action = "s3:GetObjectVersionTagging"
	ListBucket              Action = "s3:ListBucket"
	// Deleting one version for good, and listing versions (a bucket action, like ListBucket, granted
	// for keys under the prefix only): what deleting every version of a file takes.
	DeleteObjectVersion Action = "s3:DeleteObjectVersion"
	ListBucketVersions  Action = "s3:ListBucketVersions"

	SendEmail Action = "ses:SendEmail"

	GetSecretValue Action = "secretsmanager:GetSecretValue"
)

// Actions lists every action the access grants, once each, sorted.
func (a Access) Actions() []Action {
	out := append(append([]Action{}, a.Table...), a.Mail...)
	for _, o := range a.Objects {
		out = append(out, o.Actions...)
	}
	if len(a.Secrets) > 0 {
		out = append(out, GetSecretValue)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Function is one Lambda function: one binary under functions/<Name>.
type Function struct {
	Name          string
	Description   string
	Settings      []Setting
	Routes        []Route
	Notifications []Notification
	Schedule      time.Duration // 0: not scheduled
	MailFeedback  bool          // receives SES bounce and complaint notifications (SNS)
	MemoryMB      int
	Timeout       time.Duration
	Access        Access
}

// Dir is the function's source directory, relative to the repository root.
func (f Function) Dir() string { return "functions/" + f.Name }

// Every function keeps its records in the table.
func with(extra ...Setting) []Setting { return append([]Setting{TableName}, extra...) }

// Functions is the system.
var Functions = []Function{
	{
		Name:        "submit-request",
		Description: "Access requests: create, upload forms, submit, status; the request journey's pages",
		Settings:    append(with(UploadsBucket, S3PathStyle, PortalURL, InsecureCookies, IPRequestLimit, Reviewers), Brand...),
		Routes: []Route{
			{"POST", "/api/access-requests"},
			{"GET", "/api/access-requests/{id}"},
			{"POST", "/api/access-requests/{id}/submit"},
			{"POST", "/api/access-requests/{id}/evidence"},
			{"POST", "/api/access-requests/{id}/withdraw"},
			// The request journey's pages, and the pages its emails link to.
			{"GET", "/request/relationship"},
			{"POST", "/request/relationship"},
			{"GET", "/request/not-eligible"},
			{"GET", "/request/your-details"},
			{"POST", "/request/your-details"},
			{"GET", "/request/client"},
			{"POST", "/request/client"},
			{"GET", "/request/lpa-code"},
			{"POST", "/request/lpa-code"},
			{"GET", "/request/evidence"},
			{"GET", "/request/check-answers"},
			{"POST", "/request/check-answers"},
			{"GET", "/request/confirmation"},
			{"GET", "/request/lost-link"},
			{"POST", "/request/lost-link"},
			{"GET", "/access-requests/{id}"},
			// The signed-in person's own requests (REQUESTER#, REQ#: read already for "I lost my link").
			{"GET", "/requests"},
			{"GET", "/access-requests/{id}/more-information"},
			{"POST", "/access-requests/{id}/more-information"},
			{"GET", "/access-requests/{id}/withdraw"},
			{"POST", "/access-requests/{id}/withdraw"},
		},
		MemoryMB: 256, Timeout: 10 * time.Second,
		Access: Access{
			Table: []Action{GetItem, PutItem, UpdateItem, DeleteItem, ConditionCheckItem, Query, BatchGetItem},
			Keys:  []string{"MAIL#*", "ONCE#*", "RATE#*", "REQ#*", "REQ#REF#*", "REQUESTER#*", "SESSION#*", "TOKEN#*"},
			// It signs the browser's upload form and asks whether the file arrived; it never reads one.
			Objects: []Objects{{UploadsBucket, "evidence/", []Action{PutObject, ListBucket}}},
		},
	},
	{
		Name:          "scan-upload",
		Description:   "Checks each evidence upload and records the malware verdict",
		Settings:      with(UploadsBucket, S3PathStyle, Reviewers),
		Notifications: []Notification{{UploadsBucket, "evidence/", []string{ObjectCreated, ObjectTaggingPut}}},
		MemoryMB:      512, Timeout: 60 * time.Second,
		Access: Access{
			Table: []Action{GetItem, PutItem, UpdateItem, ConditionCheckItem, Query},
			Keys:  []string{"MAIL#*", "REQ#*"},
			// It reads GuardDuty's verdict tag but never writes one (only GuardDuty may).
			Objects: []Objects{
				{UploadsBucket, "evidence/", []Action{GetObject, GetObjectVersion, GetObjectTagging, GetObjectVersionTagging, DeleteObject}},
				{UploadsBucket, "render/", []Action{PutObject}}, // asks for a clean file's rendition
			},
		},
	},
	{
		Name:          "render",
		Description:   "Makes the copy staff open of each clean evidence file: PDF pages as pictures, images encoded again",
		Settings:      with(UploadsBucket, S3PathStyle),
		Notifications: []Notification{{UploadsBucket, "render/", []string{ObjectCreated}}},
		// PDFium runs as WebAssembly: 1.5 GB gives its instance room for large pages and a full
		// vCPU; 2 minutes renders 100 pages at the benchmark's speed with room to spare.
		MemoryMB: 1536, Timeout: 2 * time.Minute,
		Access: Access{
			Table: []Action{GetItem, UpdateItem},
			Keys:  []string{"REQ#*"},
			Objects: []Objects{
				{UploadsBucket, "evidence/", []Action{GetObject, GetObjectVersion}},
				{UploadsBucket, "renditions/", []Action{PutObject}},
				{UploadsBucket, "render/", []Action{DeleteObject}},
			},
		},
	},
	{
		Name:        "approval",
		Description: "The staff workspace: sign-in, the queue, review pages and decisions",
		Settings: with(UploadsBucket, DocumentsBucket, S3PathStyle, ClientRefFormat,
			PortalURL, InsecureCookies, StaffIssuer, StaffClientID, StaffClientSecret, StaffGroups),
		Routes: []Route{
			{"GET", "/staff"},
			{"GET", "/staff/sign-in"},
			{"GET", "/staff/callback"},
			{"POST", "/staff/sign-out"},
			{"GET", "/staff/requests/{id}"},
			{"POST", "/staff/requests/{id}"},
			{"GET", "/staff/requests/{id}/evidence/{evidenceId}"},
			{"GET", "/staff/clients/{clientReference}"},
			{"GET", "/staff/find"},
			{"GET", "/staff/people"},
			{"GET", "/staff/people/{email}"},
			{"POST", "/staff/people/{email}"},
			{"GET", "/staff/audit"},
			{"GET", "/staff/audit/csv"},
			{"POST", "/staff/audit/export"},
		},
		MemoryMB: 256, Timeout: 10 * time.Second,
		Access: Access{
			Table: []Action{GetItem, PutItem, UpdateItem, DeleteItem, ConditionCheckItem, Query, BatchGetItem}, // BatchGetItem: a reissued verification email's limit
			// The person pages (support) also read a person's request list, end their sessions, clear
			// their suppression and sign-in counters, and replace their invitation links.
			Keys: []string{"ACCOUNT#*", "AUDIT#CLIENT#*", "AUDIT#EVENT#*", "DOC#*", "MAIL#*", "RATE#*", "REQ#*", "REQ#REF#*", "REQUESTER#*",
				"SESSION#*", "STAFF#*", "SUPPRESS#*", "TOKEN#*"},
			// It signs links to one version of a rendition, the copy staff open; never to an upload.
			// Subject-access exports are written under exports/ of the documents bucket (the uploads
			// bucket lets nothing be read before GuardDuty has scanned it) and handed over as a
			// presigned GET, which acts with the signer's rights: so GetObject there too.
			Objects: []Objects{{UploadsBucket, "renditions/", []Action{GetObject, GetObjectVersion}},
				{DocumentsBucket, "exports/", []Action{PutObject, GetObject}}},
			Secrets: []Setting{StaffClientSecret}, // the identity provider's client secret
		},
	},
	{
		Name:        "account",
		Description: "Accounts, sessions once started and the signed-in portal; their pages",
		Settings:    append(with(DocumentsBucket, S3PathStyle, PortalURL, InsecureCookies), Brand...),
		Routes: []Route{
			{"POST", "/api/account/register"},
			{"POST", "/api/account/verify"},
			{"DELETE", "/api/session"},
			{"GET", "/api/me"},
			{"GET", "/api/clients/{clientReference}/documents"},
			{"GET", "/api/clients/{clientReference}/grantees"},
			{"GET", "/api/documents/{id}/download"},
			{"POST", "/api/passkeys/registration"},
			{"POST", "/api/passkeys"},
			{"GET", "/api/passkeys"},
			{"DELETE", "/api/passkeys/{id}"},
			// The pages: registration and verification (the emails' links), signing out, the client
			// list, a client's documents and, for the client themself, who has access.
			{"GET", "/register"},
			{"POST", "/register"},
			{"GET", "/register/check-email"},
			{"GET", "/verify"},
			{"POST", "/verify"},
			{"POST", "/sign-out"},
			{"GET", "/signed-out"},
			{"GET", "/clients"},
			{"GET", "/clients/{clientReference}"},
			{"GET", "/clients/{clientReference}/access"},
			{"GET", "/account/passkeys"},
			{"POST", "/account/passkeys"},
			{"POST", "/account/passkeys/{id}/remove"},
		},
		MemoryMB: 256, Timeout: 10 * time.Second,
		Access: Access{
			Table: []Action{GetItem, PutItem, UpdateItem, DeleteItem, ConditionCheckItem, Query, BatchGetItem},
			Keys:  []string{"ACCOUNT#*", "AUDIT#CLIENT#*", "AUDIT#EVENT#*", "DOC#*", "MAIL#*", "PASSKEY#CEREMONY#*", "PASSKEY#USER#*", "RATE#*", "SESSION#*", "SUPPRESS#*", "TOKEN#*"},
			Objects: []Objects{ // signs download links: a copy, or a batch's file published in place (one version)
				{DocumentsBucket, "published/", []Action{GetObject}},
				{DocumentsBucket, "batches/", []Action{GetObject, GetObjectVersion}},
			},
		},
	},
	{
		Name:        "signin",
		Description: "Sign-in: one-time codes by email and the sessions they start; their pages",
		// Its own function, so a flood of sign-in attempts meets its own reserved concurrency
		// (infra/cdk) and never takes the instances the document lists run on.
		Settings: append(with(PortalURL, InsecureCookies, MailFrom, MailConfigSet, SignInKey), Brand...), // sends sign-in codes itself
		Routes: []Route{
			{"POST", "/api/session"},
			{"POST", "/api/session/verify"},
			{"POST", "/api/session/passkey/options"},
			{"POST", "/api/session/passkey"},
			{"GET", "/sign-in"},
			{"POST", "/sign-in"},
			{"GET", "/sign-in/code"},
			{"POST", "/sign-in/code"},
		},
		MemoryMB: 256, Timeout: 10 * time.Second,
		Access: Access{
			Table:   []Action{GetItem, PutItem, UpdateItem, DeleteItem, ConditionCheckItem, BatchGetItem},
			Keys:    []string{"ACCOUNT#*", "MAIL#*", "PASSKEY#CEREMONY#*", "PASSKEY#USER#*", "RATE#*", "SESSION#*"},
			Mail:    []Action{SendEmail},
			Secrets: []Setting{SignInKey}, // the key sign-in codes are hashed with
		},
	},
	{
		Name:        "publish-document",
		Description: "Publishes documents the back office drops under inbound/ and batches under batches/; closes batches whose time is up",
		Settings:    with(DocumentsBucket, S3PathStyle, ClientRefFormat, BusinessSupport, BatchWindow),
		Notifications: []Notification{
			{DocumentsBucket, "inbound/", []string{ObjectCreated}},
			{DocumentsBucket, "batches/", []string{ObjectCreated}},
		},
		Schedule: 5 * time.Minute,               // closes the batches whose time is up
		MemoryMB: 256, Timeout: 5 * time.Minute, // a manifest of 12,000 rows is acted on in one run
		Access: Access{
			Table: []Action{GetItem, PutItem, UpdateItem, Query},
			Keys:  []string{"AUDIT#CLIENT#*", "AUDIT#EVENT#*", "BATCH#*", "DOC#*", "MAIL#*", "NOTICE#*"},
			Objects: []Objects{
				{DocumentsBucket, "inbound/", []Action{GetObject, DeleteObject}},
				{DocumentsBucket, "batches/", []Action{GetObject, PutObject, DeleteObject, ListBucket}}, // manifests and files in (a manifest lists its folder), reports out
				{DocumentsBucket, "published/", []Action{PutObject}},
				{DocumentsBucket, "rejected/", []Action{PutObject}},
			},
		},
	},
	{
		Name:        "site",
		Description: "The start page, the footer's pages and the static files",
		// No table, bucket or mail: it renders the council's branding and nothing else.
		Settings: append([]Setting{InsecureCookies, EvidenceDays}, Brand...),
		Routes: []Route{
			{"GET", "/"},
			{"GET", "/accessibility"},
			{"GET", "/privacy"},
			{"GET", "/cookies"},
			{"GET", "/contact"},
			{"GET", "/assets/{file}"},
			{"GET", "/{proxy+}"}, // every other path: a "page not found" page
		},
		MemoryMB: 128, Timeout: 5 * time.Second,
	},
	{
		Name:        "expire",
		Description: "Expires requests left waiting too long; deletes their files (every version) and links",
		Settings:    with(UploadsBucket, S3PathStyle, RequestExpiry),
		// Expiry counts in days, but a failed deletion is taken up soon, and the heartbeat alarm
		// (infra/cdk) watches a scheduled function over 10 minutes: every 5 minutes, 4 queries a run.
		Schedule: 5 * time.Minute,
		MemoryMB: 256, Timeout: 5 * time.Minute,
		Access: Access{
			Table: []Action{PutItem, UpdateItem, DeleteItem, Query},
			Keys:  []string{"MAIL#*", "REQ#*", "TOKEN#*"},
			// The only role that may delete a version of an evidence file (or of its copy) for good.
			Objects: []Objects{
				{UploadsBucket, "evidence/", []Action{ListBucketVersions, DeleteObject, DeleteObjectVersion}},
				{UploadsBucket, "renditions/", []Action{ListBucketVersions, DeleteObject, DeleteObjectVersion}},
			},
		},
	},
	{
		Name:         "notify",
		Description:  "Sends queued emails and new-document notices; handles SES feedback",
		Settings:     append(with(PortalURL, MailFrom, MailConfigSet, NoticeQuiet, NoticeMaxDelay, MailRate), Brand...), // every email is signed with it
		Schedule:     time.Minute,
		MailFeedback: true,
		MemoryMB:     256, Timeout: 5 * time.Minute,
		Access: Access{
			Table: []Action{GetItem, PutItem, UpdateItem, DeleteItem, Query},
			Keys:  []string{"MAIL#*", "NOTICE#*", "SUPPRESS#*", "TOKEN#*"},
			Mail:  []Action{SendEmail},
		},
	},
}

// Find returns the function with that name.
func Find(name string) (Function, bool) {
	for _, f := range Functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

// Environment returns the function's environment from a stack's setting values: exactly the
// settings the function reads, no more. A setting with no value is left out, and the function
// takes its default (Setting.Default).
func (f Function) Environment(values map[Setting]string) map[string]string {
	env := map[string]string{}
	for _, s := range f.Settings {
		if v, ok := values[s]; ok && v != "" {
			env[string(s)] = v
		}
	}
	return env
}
