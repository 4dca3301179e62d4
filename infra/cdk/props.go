package cdk

import (
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/staff"
)

// StackProps is everything a council engineer sets for one deployment. Zero values of the optional
// fields take the defaults below (WithDefaults).
type StackProps struct {
	awscdk.StackProps

	// AssetRoot holds one directory per function with its bootstrap (make build: .local/build).
	AssetRoot string

	// MailFrom is the sender address (MAIL_FROM), at MailDomain or one of its subdomains.
	MailFrom string
	// MailDomain is the SES identity domain to verify; default: the domain of MailFrom.
	MailDomain string
	// Reviewers are the Client Finance team addresses that receive review links (REVIEWERS).
	Reviewers []string
	// BusinessSupport are the Business Support addresses that receive each batch's summary
	// (BUSINESS_SUPPORT); empty: the Reviewers do.
	BusinessSupport []string
	// SendingSystems are the billing and finance systems that drop batches: each gets a role that
	// may write only under batches/<system>/ of the documents bucket (names: a-z, 0-9, -).
	SendingSystems []string
	// SFTP switches on the AWS Transfer Family SFTP server (transfer.go): about USD 0.30 an hour
	// while it exists, over USD 200 a month, so it is off unless a council chooses it.
	SFTP bool
	// SFTPKeys are the SFTP users: for each sending system (a-z, 0-9, -) its SSH public keys
	// ("ssh-ed25519 AAAA... comment"). Each is jailed to batches/<system>/. Needed with SFTP.
	SFTPKeys map[string][]string
	// BatchWindow is how long a batch may take to arrive whole (BATCH_WINDOW); default 24 hours.
	BatchWindow time.Duration
	// RequestExpiry is how long a request may wait on its requester, or be stuck in its checks,
	// before it expires and its files are deleted (REQUEST_EXPIRY); default 28 days, at least a day.
	RequestExpiry time.Duration
	// The staff workspace's identity provider (issue 15): its issuer URL, the portal's client id
	// there, the full ARN of the Secrets Manager secret holding the client secret, and the
	// group-to-role map "group=role,..." (shared/staff). All are required: without them nobody can
	// sign in to review a request. The secret's value never enters the template or the function's
	// environment: approval reads it with GetSecretValue, and its role may read that secret only.
	StaffIssuer, StaffClientID, StaffClientSecretARN, StaffRoleGroups string
	// PortalURL is the portal: the site's origin (PORTAL_URL), pages at / and the JSON API at /api.
	// It is the only origin allowed to change anything, and the emails' links start with it.
	PortalURL string
	// ClientReferencePattern is the council's client reference format, a Go regular expression
	// that must match the whole reference (the functions anchor it).
	ClientReferencePattern string
	// APIDomainName and APICertificateARN put the site (the pages and the API, one REST API) on the
	// portal's host name, PortalURL's (an ACM certificate in the stack's region). Empty: the API is
	// reached at its execute-api URL, where the pages do not work (their links assume the root).
	APIDomainName     string
	APICertificateARN string
	// The council's branding and contact details, on every page and every email (COUNCIL_NAME and
	// the rest; see shared/setting); ContactEmail is also the emails' Reply-To. Empty optional ones
	// take the function's default: the service name "Client Finance Portal", the site's own privacy
	// and accessibility pages, no logo. make deploy requires CouncilName, ContactPhone and ContactEmail.
	CouncilName      string
	CouncilURL       string // the council's own site, where its name in the header links
	ServiceName      string
	ContactPhone     string
	ContactEmail     string
	OpeningHours     string
	LogoURL          string // a path on the site: the pages' policy allows images from 'self' only
	PrivacyURL       string
	AccessibilityURL string

	// StaffCIDRs are the staff networks allowed to open the staff pages (StaffPrefixes); empty: no
	// allow-list, the staff sign-in alone guards them.
	StaffCIDRs []string
	// AlarmEmail receives the alarm notifications; empty: the alarm topic has no subscriber.
	AlarmEmail string
	// EvidenceRetentionDays is how long uploaded evidence is kept after upload.
	EvidenceRetentionDays int
	// DocumentRetentionDays is how long a published document is kept (the documents bucket's
	// lifecycle deletes it after that many days); RejectedRetentionDays the same for a drop the
	// back office got wrong, kept under rejected/ for someone to fix.
	DocumentRetentionDays int
	RejectedRetentionDays int

	// Shaping of notify's mail (NOTICE_QUIET_PERIOD, NOTICE_MAX_DELAY, MAIL_MAX_PER_SECOND).
	NoticeQuietPeriod time.Duration
	NoticeMaxDelay    time.Duration
	MailMaxPerSecond  int
	// RequestsPerIPPerHour is how many access requests one source address may make in an hour
	// (REQUEST_LIMIT_PER_IP_HOUR); shared addresses such as libraries need more than one.
	RequestsPerIPPerHour int

	// API protection: stage throttling and the WAF rate-based rule (requests per 5 minutes per IP).
	ThrottleRatePerSecond int
	ThrottleBurst         int
	RateLimitPer5Min      int
	// WAFBlockedAlarmThreshold is the number of blocked requests in 5 minutes that raises an alarm.
	WAFBlockedAlarmThreshold int

	// ScanUploadConcurrency is the Lambda concurrency reserved for scan-upload, and its limit: a
	// burst of uploads waits its turn rather than taking the API's instances. The account must keep
	// 100 unreserved besides.
	ScanUploadConcurrency int
}

// Defaults for the optional settings. Those the functions read are shared/setting's, so that a
// function left without a value behaves as the stack's default says.
const (
	DefaultClientReferencePattern = setting.DefaultClientRefFormat
	DefaultEvidenceRetentionDays  = 90
	// Seven years: the six after the financial year that financial records are commonly kept
	// for, and the year itself. The council's own retention schedule decides.
	DefaultDocumentRetentionDays = 7 * 365
	DefaultRejectedRetentionDays = 90
	DefaultNoticeQuietPeriod     = setting.DefaultNoticeQuiet
	DefaultNoticeMaxDelay        = setting.DefaultNoticeMaxDelay
	DefaultBatchWindow           = setting.DefaultBatchWindow
	DefaultRequestExpiry         = setting.DefaultRequestExpiry
	DefaultMailMaxPerSecond      = setting.DefaultMailRate
	DefaultRequestsPerIPPerHour  = setting.DefaultIPRequestLimit
	DefaultThrottleRatePerSecond = 50
	DefaultThrottleBurst         = 100
	DefaultRateLimitPer5Min      = 1000
	DefaultWAFBlockedAlarm       = 100
	DefaultScanUploadConcurrency = 10
)

// WithDefaults returns p with every unset optional field given its default.
func (p StackProps) WithDefaults() StackProps {
	if p.MailDomain == "" {
		if a, err := mail.ParseAddress(p.MailFrom); err == nil {
			p.MailDomain = domainOf(a.Address)
		}
	}
	setDefault(&p.ClientReferencePattern, DefaultClientReferencePattern)
	setDefault(&p.EvidenceRetentionDays, DefaultEvidenceRetentionDays)
	setDefault(&p.DocumentRetentionDays, DefaultDocumentRetentionDays)
	setDefault(&p.RejectedRetentionDays, DefaultRejectedRetentionDays)
	setDefault(&p.NoticeQuietPeriod, DefaultNoticeQuietPeriod)
	setDefault(&p.NoticeMaxDelay, DefaultNoticeMaxDelay)
	setDefault(&p.BatchWindow, DefaultBatchWindow)
	setDefault(&p.RequestExpiry, DefaultRequestExpiry)
	setDefault(&p.MailMaxPerSecond, DefaultMailMaxPerSecond)
	setDefault(&p.RequestsPerIPPerHour, DefaultRequestsPerIPPerHour)
	setDefault(&p.ThrottleRatePerSecond, DefaultThrottleRatePerSecond)
	setDefault(&p.ThrottleBurst, DefaultThrottleBurst)
	setDefault(&p.RateLimitPer5Min, DefaultRateLimitPer5Min)
	setDefault(&p.WAFBlockedAlarmThreshold, DefaultWAFBlockedAlarm)
	setDefault(&p.ScanUploadConcurrency, DefaultScanUploadConcurrency)
	return p
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Validate reports every setting that would make a broken deployment, all at once.
func (p StackProps) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if from, err := mail.ParseAddress(p.MailFrom); err != nil || from.Address != p.MailFrom {
		bad("sender address %q: want a bare address such as no-reply@council.example", p.MailFrom)
	} else if d := domainOf(from.Address); d != p.MailDomain && !strings.HasSuffix(d, "."+p.MailDomain) {
		bad("sender address %q is not at the SES identity domain %q", p.MailFrom, p.MailDomain)
	}
	seen := map[string]bool{}
	for _, sys := range p.SendingSystems {
		if !systemName.MatchString(sys) || sys == "reports" || seen[sys] {
			bad("sending system %q: want a unique name of a-z, 0-9 and -, at most 31 characters", sys)
		}
		seen[sys] = true
	}
	if p.SFTP && len(p.SFTPKeys) == 0 {
		bad("SFTP is on but has no users: give each sending system's SSH public key")
	}
	for sys, keys := range p.SFTPKeys {
		if !systemName.MatchString(sys) || sys == "reports" {
			bad("SFTP user %q: want a sending system's name of a-z, 0-9 and -, at most 31 characters", sys)
		}
		if len(keys) == 0 {
			bad("SFTP user %q has no SSH public key", sys)
		}
		for i, k := range keys {
			if err := checkSSHKey(k); err != nil {
				bad("SFTP user %q, key %d: %v", sys, i+1, err)
			}
		}
	}
	if len(p.Reviewers) == 0 {
		bad("reviewers: at least one address is needed")
	}
	for _, r := range p.Reviewers {
		if a, err := mail.ParseAddress(r); err != nil || a.Address != r || strings.Contains(r, ",") {
			bad("reviewer %q is not a bare email address", r)
		}
	}
	for _, r := range p.BusinessSupport {
		if a, err := mail.ParseAddress(r); err != nil || a.Address != r || strings.Contains(r, ",") {
			bad("business support address %q is not a bare email address", r)
		}
	}
	if p.BatchWindow <= 0 {
		bad("batch window %v: want a positive duration such as 24h", p.BatchWindow)
	}
	if p.RequestExpiry < 24*time.Hour {
		bad("request expiry %v: want at least 24h (672h is four weeks)", p.RequestExpiry)
	}
	if _, err := portalOrigin(p.PortalURL); err != nil {
		bad("portal URL: %v", err)
	} else if u, _ := url.Parse(p.PortalURL); u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		bad("portal URL %q: want the site's origin only (pages are served at / and the API at %s)", p.PortalURL, wiring.APIPrefix)
	} else if p.APIDomainName != "" && u.Hostname() != p.APIDomainName {
		bad("API domain name %q is not the portal's host %q: the pages and the API are one site", p.APIDomainName, u.Hostname())
	}
	if p.ContactEmail != "" {
		if a, err := mail.ParseAddress(p.ContactEmail); err != nil || a.Address != p.ContactEmail {
			bad("contact email %q is not a bare email address", p.ContactEmail)
		}
	}
	if p.CouncilURL != "" {
		if u, err := url.Parse(p.CouncilURL); err != nil || u.Scheme != "https" || u.Host == "" {
			bad("council URL %q: want an https URL", p.CouncilURL)
		}
	}
	if p.LogoURL != "" && (!strings.HasPrefix(p.LogoURL, "/") || strings.HasPrefix(p.LogoURL, "//")) {
		bad("logo URL %q: want a path on the site, such as /assets/logo.svg (pages load images from the site only)", p.LogoURL)
	}
	for name, v := range map[string]string{"privacy": p.PrivacyURL, "accessibility": p.AccessibilityURL} {
		if u, err := url.Parse(v); v != "" && (err != nil || !strings.HasPrefix(v, "/") && (u.Scheme != "https" || u.Host == "")) {
			bad("%s URL %q: want a path on the site or an https URL", name, v)
		}
	}
	if (p.APIDomainName == "") != (p.APICertificateARN == "") {
		bad("API domain name and certificate: set both or neither")
	} else if p.APIDomainName != "" {
		if !hostName.MatchString(p.APIDomainName) {
			bad("API domain name %q is not a host name", p.APIDomainName)
		}
		if region, ok := certificateRegion(p.APICertificateARN); !ok {
			bad("API certificate %q is not an ACM certificate ARN", p.APICertificateARN)
		} else if p.Env != nil && p.Env.Region != nil && !*awscdk.Token_IsUnresolved(p.Env.Region) && region != *p.Env.Region {
			// A regional API Gateway domain takes a certificate from its own region only; CloudFormation
			// would fail half-way through the deployment.
			bad("API certificate %q is in %s, not in the stack's region %s: a regional API domain needs a certificate in its own region",
				p.APICertificateARN, region, *p.Env.Region)
		}
	}
	if _, err := setting.Anchor(p.ClientReferencePattern); err != nil {
		bad("client reference pattern: %v", err)
	}
	p.validateStaffSignIn(bad)
	if _, _, err := splitCIDRs(p.StaffCIDRs); err != nil {
		bad("staff networks: %v", err)
	}
	if p.AlarmEmail != "" {
		if a, err := mail.ParseAddress(p.AlarmEmail); err != nil || a.Address != p.AlarmEmail {
			bad("alarm email %q is not a bare email address", p.AlarmEmail)
		}
	}
	if p.EvidenceRetentionDays < 1 {
		bad("evidence retention: %d days; want at least 1", p.EvidenceRetentionDays)
	}
	if p.DocumentRetentionDays < 1 || p.RejectedRetentionDays < 1 {
		bad("document retention %d days and rejected document retention %d days: want at least 1 each", p.DocumentRetentionDays, p.RejectedRetentionDays)
	}
	if p.NoticeQuietPeriod <= 0 || p.NoticeMaxDelay < p.NoticeQuietPeriod {
		bad("notice quiet period %v and maximum delay %v: want 0 < quiet <= max", p.NoticeQuietPeriod, p.NoticeMaxDelay)
	}
	if p.MailMaxPerSecond < 1 || p.RequestsPerIPPerHour < 1 || p.ThrottleRatePerSecond < 1 || p.ThrottleBurst < 1 || p.WAFBlockedAlarmThreshold < 1 || p.ScanUploadConcurrency < 1 {
		bad("mail rate, request limit, API throttling, WAF alarm threshold and scan-upload concurrency must be positive")
	}
	// AWS WAF accepts rate limits from 10 to 2,000,000,000 requests per evaluation window.
	if p.RateLimitPer5Min < 10 {
		bad("WAF rate limit %d per 5 minutes: AWS WAF's minimum is 10", p.RateLimitPer5Min)
	}
	for _, f := range wiring.Functions {
		if _, err := os.Stat(filepath.Join(p.AssetRoot, f.Name, "bootstrap")); err != nil {
			bad("function %s: no bootstrap under asset root %q (run make build first)", f.Name, p.AssetRoot)
		}
	}
	return errors.Join(errs...)
}

// validateStaffSignIn checks the staff identity provider's settings.
func (p StackProps) validateStaffSignIn(bad func(string, ...any)) {
	if p.StaffIssuer == "" && p.StaffClientID == "" && p.StaffClientSecretARN == "" && p.StaffRoleGroups == "" {
		bad("staff sign-in: no identity provider is set (issuer, client id, client secret's Secrets Manager ARN, " +
			"group-to-role map): nobody could sign in to the staff workspace to review a request")
		return
	}
	if u, err := url.Parse(p.StaffIssuer); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		bad("staff identity provider issuer %q: want its https issuer URL, as its discovery document names it", p.StaffIssuer)
	}
	if strings.TrimSpace(p.StaffClientID) == "" {
		bad("staff identity provider client id: not set")
	}
	if region, ok := secretRegion(p.StaffClientSecretARN); !ok {
		bad("staff client secret %q: want the full ARN of a Secrets Manager secret, "+
			"arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (the console shows it)", p.StaffClientSecretARN)
	} else if p.Env != nil && p.Env.Region != nil && !*awscdk.Token_IsUnresolved(p.Env.Region) && region != *p.Env.Region {
		// The function asks Secrets Manager in its own region.
		bad("staff client secret %q is in %s, not in the stack's region %s", p.StaffClientSecretARN, region, *p.Env.Region)
	}
	if _, err := staff.ParseGroups(p.StaffRoleGroups); err != nil {
		bad("staff role groups %q: %v", p.StaffRoleGroups, err)
	}
}

// secretARN is a Secrets Manager secret's full ARN: Secrets Manager ends the name with a hyphen
// and six random characters, so a policy naming the full ARN names that secret and no namesake
// created after it is deleted.
var secretARN = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`)

// secretRegion reads the region of a Secrets Manager secret's full ARN.
func secretRegion(arn string) (string, bool) {
	m := secretARN.FindStringSubmatch(arn)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// certificateRegion reads the region of an ACM certificate ARN
// (arn:<partition>:acm:<region>:<account>:certificate/<id>).
func certificateRegion(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "acm" || parts[3] == "" || !strings.HasPrefix(parts[5], "certificate/") {
		return "", false
	}
	return parts[3], true
}

var hostName = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)

func domainOf(address string) string {
	return strings.ToLower(address[strings.LastIndex(address, "@")+1:])
}

// portalOrigin is the scheme and host of the portal URL: the one origin CORS allows. It must be
// HTTPS because session cookies are Secure in AWS.
func portalOrigin(portalURL string) (string, error) {
	u, err := url.Parse(portalURL)
	if err != nil || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("%q is not an absolute URL", portalURL)
	}
	if u.Scheme != "https" {
		return "", fmt.Errorf("%q must use https", portalURL)
	}
	return u.Scheme + "://" + u.Host, nil
}

// splitCIDRs parses the staff networks into IPv4 and IPv6 lists as AWS WAF wants them (one IP set
// per address family), normalised to the network address.
func splitCIDRs(cidrs []string) (v4, v6 []string, err error) {
	for _, c := range cidrs {
		p, perr := netip.ParsePrefix(strings.TrimSpace(c))
		if perr != nil {
			return nil, nil, fmt.Errorf("%q is not a CIDR range", c)
		}
		// AWS WAF IP sets accept /1 to /32 (IPv4) and /1 to /128 (IPv6); /0 would allow everyone.
		if p.Bits() == 0 {
			return nil, nil, fmt.Errorf("%q allows every address", c)
		}
		if p.Addr().Is4() {
			v4 = append(v4, p.Masked().String())
		} else {
			v6 = append(v6, p.Masked().String())
		}
	}
	return v4, v6, nil
}
