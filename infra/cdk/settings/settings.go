package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/council/cfp/infra/cdk"
	"github.com/council/cfp/shared/setting"
)

// Setting is one deployment setting: its CDK context key and its environment variable.
type Setting struct{ Context, Env string }

var (
	StackName        = Setting{"stackName", "CFP_STACK_NAME"}
	Strict           = Setting{"strict", "CFP_STRICT"}
	AssetRoot        = Setting{"assetRoot", "CFP_ASSET_ROOT"}
	MailFrom         = Setting{"mailFrom", "CFP_MAIL_FROM"}
	MailDomain       = Setting{"mailDomain", "CFP_MAIL_DOMAIN"}
	Reviewers        = Setting{"reviewers", "CFP_REVIEWERS"}
	PortalURL        = Setting{"portalUrl", "CFP_PORTAL_URL"}
	ClientRefPattern = Setting{"clientReferencePattern", "CFP_CLIENT_REFERENCE_PATTERN"}
	APIDomain        = Setting{"apiDomainName", "CFP_API_DOMAIN_NAME"}
	APICertificate   = Setting{"apiCertificateArn", "CFP_API_CERTIFICATE_ARN"}
	StaffCIDRs       = Setting{"staffCidrs", "CFP_STAFF_CIDRS"}
	StaffIssuer      = Setting{"staffIssuer", "CFP_STAFF_ISSUER"}
	StaffClientID    = Setting{"staffClientId", "CFP_STAFF_CLIENT_ID"}
	StaffSecretARN   = Setting{"staffClientSecretArn", "CFP_STAFF_CLIENT_SECRET_ARN"}
	StaffRoleGroups  = Setting{"staffRoleGroups", "CFP_STAFF_ROLE_GROUPS"}
	AlarmEmail       = Setting{"alarmEmail", "CFP_ALARM_EMAIL"}
	EvidenceDays     = Setting{"evidenceRetentionDays", "CFP_EVIDENCE_RETENTION_DAYS"}
	DocumentDays     = Setting{"documentRetentionDays", "CFP_DOCUMENT_RETENTION_DAYS"}
	RejectedDays     = Setting{"rejectedRetentionDays", "CFP_REJECTED_RETENTION_DAYS"}
	NoticeQuiet      = Setting{"noticeQuietPeriod", "CFP_NOTICE_QUIET_PERIOD"}
	NoticeMaxDelay   = Setting{"noticeMaxDelay", "CFP_NOTICE_MAX_DELAY"}
	MailRate         = Setting{"mailMaxPerSecond", "CFP_MAIL_MAX_PER_SECOND"}
	RequestLimit     = Setting{"requestLimitPerIpHour", "CFP_REQUEST_LIMIT_PER_IP_HOUR"}
	RateLimit        = Setting{"rateLimitPer5Min", "CFP_RATE_LIMIT_PER_5_MIN"}
	ScanConcurrency  = Setting{"scanUploadConcurrency", "CFP_SCAN_UPLOAD_CONCURRENCY"}
	SendingSystems   = Setting{"sendingSystems", "CFP_SENDING_SYSTEMS"}
	BusinessSupport  = Setting{"businessSupport", "CFP_BUSINESS_SUPPORT"}
	BatchWindow      = Setting{"batchWindow", "CFP_BATCH_WINDOW"}
	RequestExpiry    = Setting{"requestExpiry", "CFP_REQUEST_EXPIRY"}
	// SFTP switches on the Transfer Family SFTP server (true/false; off by default: it is billed
	// by the hour). SFTPKeys are its users: "system=ssh-ed25519 AAAA... comment", comma-separated
	// (a list in cdk.json), a system named again for each further key.
	SFTP     = Setting{"sftp", "CFP_SFTP"}
	SFTPKeys = Setting{"sftpKeys", "CFP_SFTP_KEYS"}

	CouncilName      = Setting{"councilName", "CFP_COUNCIL_NAME"}
	CouncilURL       = Setting{"councilUrl", "CFP_COUNCIL_URL"}
	ServiceName      = Setting{"serviceName", "CFP_SERVICE_NAME"}
	ContactPhone     = Setting{"contactPhone", "CFP_CONTACT_PHONE"}
	ContactEmail     = Setting{"contactEmail", "CFP_CONTACT_EMAIL"}
	OpeningHours     = Setting{"openingHours", "CFP_OPENING_HOURS"}
	LogoURL          = Setting{"logoUrl", "CFP_LOGO_URL"}
	PrivacyURL       = Setting{"privacyUrl", "CFP_PRIVACY_URL"}
	AccessibilityURL = Setting{"accessibilityUrl", "CFP_ACCESSIBILITY_URL"}
)

// examples stand in for the settings a deployment must make, so that `make synth` works on a
// fresh checkout. They use the reserved .example domain: nothing can be delivered there. With
// strict on (make deploy) a missing setting is an error instead.
var examples = map[Setting]string{
	MailFrom:   "no-reply@council.example",
	Reviewers:  "client.finance@council.example",
	PortalURL:  "https://portal.council.example",
	AlarmEmail: "cfp-alarms@council.example",
	// The council's name, phone and email show on every page: shared/setting's sample council.
	CouncilName:  setting.SampleCouncilName,
	ContactPhone: setting.SampleContactPhone,
	ContactEmail: "client.finance@council.example",
	// The staff identity provider: an issuer nobody answers for, and a secret in no account.
	StaffIssuer:     "https://login.council.example/cfp",
	StaffClientID:   "cfp-portal",
	StaffSecretARN:  exampleSecretARN("eu-west-2"),
	StaffRoleGroups: "cfp-reviewers=reviewer,cfp-support=support,cfp-information-governance=information-governance,cfp-administrators=administrator",
}

// exampleSecretARN is the example client secret's ARN in a region: Validate wants the secret in
// the stack's own region.
func exampleSecretARN(region string) string {
	return "arn:aws:secretsmanager:" + region + ":111122223333:secret:cfp/staff-oidc-client-AbCdEf"
}

// Config is one deployment, read and checked.
type Config struct {
	StackName string
	Props     cdk.StackProps
	Examples  []string // settings that took an example value
}

// Read reads every setting through get and checks them. account and region are where the stack
// goes, as the CDK CLI resolved them from the credentials; empty, the stack stays
// environment-agnostic, which is enough to synthesize.
func Read(get func(Setting) string, repoRoot, account, region string) (Config, error) {
	var errs []error
	c := Config{StackName: get(StackName)}
	if c.StackName == "" {
		c.StackName = "cfp"
	}
	isStrict, _ := strconv.ParseBool(get(Strict))
	required := func(s Setting) string {
		v := get(s)
		if v == "" && isStrict {
			errs = append(errs, fmt.Errorf("%s (context %s) must be set to deploy", s.Env, s.Context))
		} else if v == "" {
			v = examples[s]
			if s == StaffSecretARN && region != "" {
				v = exampleSecretARN(region)
			}
			c.Examples = append(c.Examples, s.Env)
		}
		return v
	}
	number := func(s Setting) int {
		v := get(s)
		if v == "" {
			return 0 // the stack's default
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a whole number", s.Env, v))
		}
		return n
	}
	duration := func(s Setting) time.Duration {
		v := get(s)
		if v == "" {
			return 0
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration such as 15m", s.Env, v))
		}
		return d
	}

	sftpOn := false
	if v := get(SFTP); v != "" {
		var err error
		if sftpOn, err = strconv.ParseBool(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not true or false", SFTP.Env, v))
		}
	}
	sftpKeys := map[string][]string{}
	for _, entry := range list(get(SFTPKeys)) {
		sys, key, ok := strings.Cut(entry, "=") // a system's name has no '='; a key's body may end in them
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %q is not system=public key", SFTPKeys.Env, firstWord(entry)))
			continue
		}
		sftpKeys[strings.TrimSpace(sys)] = append(sftpKeys[strings.TrimSpace(sys)], strings.TrimSpace(key))
	}
	if len(sftpKeys) == 0 {
		sftpKeys = nil
	}

	p := cdk.StackProps{
		SFTP:                   sftpOn,
		SFTPKeys:               sftpKeys,
		AssetRoot:              get(AssetRoot),
		MailFrom:               required(MailFrom),
		MailDomain:             get(MailDomain),
		Reviewers:              list(required(Reviewers)),
		PortalURL:              required(PortalURL),
		ClientReferencePattern: get(ClientRefPattern),
		APIDomainName:          get(APIDomain),
		APICertificateARN:      get(APICertificate),
		StaffCIDRs:             list(get(StaffCIDRs)),
		StaffIssuer:            required(StaffIssuer),
		StaffClientID:          required(StaffClientID),
		StaffClientSecretARN:   required(StaffSecretARN),
		StaffRoleGroups:        required(StaffRoleGroups),
		AlarmEmail:             required(AlarmEmail),
		EvidenceRetentionDays:  number(EvidenceDays),
		DocumentRetentionDays:  number(DocumentDays),
		RejectedRetentionDays:  number(RejectedDays),
		NoticeQuietPeriod:      duration(NoticeQuiet),
		NoticeMaxDelay:         duration(NoticeMaxDelay),
		MailMaxPerSecond:       number(MailRate),
		RequestsPerIPPerHour:   number(RequestLimit),
		RateLimitPer5Min:       number(RateLimit),
		ScanUploadConcurrency:  number(ScanConcurrency),
		SendingSystems:         list(get(SendingSystems)),
		BusinessSupport:        list(get(BusinessSupport)),
		BatchWindow:            duration(BatchWindow),
		RequestExpiry:          duration(RequestExpiry),
		CouncilName:            required(CouncilName),
		CouncilURL:             get(CouncilURL),
		ServiceName:            get(ServiceName),
		ContactPhone:           required(ContactPhone),
		ContactEmail:           required(ContactEmail),
		OpeningHours:           get(OpeningHours),
		LogoURL:                get(LogoURL),
		PrivacyURL:             get(PrivacyURL),
		AccessibilityURL:       get(AccessibilityURL),
	}
	if p.AssetRoot == "" {
		p.AssetRoot = filepath.Join(repoRoot, ".local", "build")
	}
	if account != "" && region != "" {
		p.Env = &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
	}
	p = p.WithDefaults()
	if len(errs) == 0 {
		if err := p.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	c.Props = p
	return c, errors.Join(errs...)
}

// Getter reads a setting from CDK context (through context, which returns nil for a key that is
// not set) and, failing that, from the environment. A list in cdk.json becomes comma-separated.
func Getter(context func(key string) any) func(Setting) string {
	return func(s Setting) string {
		switch v := context(s.Context).(type) {
		case nil:
		case []any:
			var parts []string
			for _, e := range v {
				parts = append(parts, fmt.Sprint(e))
			}
			return strings.Join(parts, ",")
		default:
			return fmt.Sprint(v)
		}
		return os.Getenv(s.Env)
	}
}

// CDKJSONContext is the "context" of a cdk.json file: the settings a council keeps in the
// repository rather than in the environment.
func CDKJSONContext(path string) (map[string]any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct{ Context map[string]any }
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f.Context, nil
}

// firstWord is the start of a malformed value, enough to find it without echoing a whole key.
func firstWord(v string) string {
	if f := strings.Fields(v); len(f) > 0 {
		return f[0]
	}
	return ""
}

// list splits a comma-separated setting.
func list(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// RepoRoot is the nearest directory above the working directory holding go.mod.
func RepoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
