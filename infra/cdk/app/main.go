// Command app synthesizes the AWS stack. The CDK CLI runs it (cdk.json: go run ./app); every
// deployment setting comes from CDK context (-c key=value) or, failing that, the environment.
package main

import (
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
)

// setting is one deployment setting: its CDK context key and its environment variable.
type setting struct{ context, env string }

var (
	stackName        = setting{"stackName", "CFP_STACK_NAME"}
	strict           = setting{"strict", "CFP_STRICT"}
	assetRoot        = setting{"assetRoot", "CFP_ASSET_ROOT"}
	mailFrom         = setting{"mailFrom", "CFP_MAIL_FROM"}
	mailDomain       = setting{"mailDomain", "CFP_MAIL_DOMAIN"}
	reviewers        = setting{"reviewers", "CFP_REVIEWERS"}
	portalURL        = setting{"portalUrl", "CFP_PORTAL_URL"}
	clientRefPattern = setting{"clientReferencePattern", "CFP_CLIENT_REFERENCE_PATTERN"}
	apiDomain        = setting{"apiDomainName", "CFP_API_DOMAIN_NAME"}
	apiCertificate   = setting{"apiCertificateArn", "CFP_API_CERTIFICATE_ARN"}
	staffCIDRs       = setting{"staffCidrs", "CFP_STAFF_CIDRS"}
	alarmEmail       = setting{"alarmEmail", "CFP_ALARM_EMAIL"}
	evidenceDays     = setting{"evidenceRetentionDays", "CFP_EVIDENCE_RETENTION_DAYS"}
	noticeQuiet      = setting{"noticeQuietPeriod", "CFP_NOTICE_QUIET_PERIOD"}
	noticeMaxDelay   = setting{"noticeMaxDelay", "CFP_NOTICE_MAX_DELAY"}
	mailRate         = setting{"mailMaxPerSecond", "CFP_MAIL_MAX_PER_SECOND"}
	requestLimit     = setting{"requestLimitPerIpHour", "CFP_REQUEST_LIMIT_PER_IP_HOUR"}
	reviewLinkDays   = setting{"reviewLinkDays", "CFP_REVIEW_LINK_DAYS"}
	rateLimit        = setting{"rateLimitPer5Min", "CFP_RATE_LIMIT_PER_5_MIN"}
)

// examples stand in for the settings a deployment must make, so that `make synth` works on a
// fresh checkout. They use the reserved .example domain: nothing can be delivered there. With
// strict on (make deploy) a missing setting is an error instead.
var examples = map[setting]string{
	mailFrom:   "no-reply@council.example",
	reviewers:  "client.finance@council.example",
	portalURL:  "https://portal.council.example",
	alarmEmail: "cfp-alarms@council.example",
}

// config is what main needs to synthesize.
type config struct {
	stackName string
	props     cdk.StackProps
	examples  []string // settings that took an example value
}

// configure reads every setting through get (context, then environment) and checks them.
func configure(get func(setting) string, repoRoot string) (config, error) {
	var errs []error
	c := config{stackName: get(stackName)}
	if c.stackName == "" {
		c.stackName = "cfp"
	}
	isStrict, _ := strconv.ParseBool(get(strict))
	required := func(s setting) string {
		v := get(s)
		if v == "" && isStrict {
			errs = append(errs, fmt.Errorf("%s (context %s) must be set to deploy", s.env, s.context))
		} else if v == "" {
			v = examples[s]
			c.examples = append(c.examples, s.env)
		}
		return v
	}
	number := func(s setting) int {
		v := get(s)
		if v == "" {
			return 0 // the stack's default
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a whole number", s.env, v))
		}
		return n
	}
	duration := func(s setting) time.Duration {
		v := get(s)
		if v == "" {
			return 0
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration such as 15m", s.env, v))
		}
		return d
	}

	p := cdk.StackProps{
		AssetRoot:              get(assetRoot),
		MailFrom:               required(mailFrom),
		MailDomain:             get(mailDomain),
		Reviewers:              list(required(reviewers)),
		PortalURL:              required(portalURL),
		ClientReferencePattern: get(clientRefPattern),
		APIDomainName:          get(apiDomain),
		APICertificateARN:      get(apiCertificate),
		StaffCIDRs:             list(get(staffCIDRs)),
		AlarmEmail:             required(alarmEmail),
		EvidenceRetentionDays:  number(evidenceDays),
		NoticeQuietPeriod:      duration(noticeQuiet),
		NoticeMaxDelay:         duration(noticeMaxDelay),
		MailMaxPerSecond:       number(mailRate),
		RequestsPerIPPerHour:   number(requestLimit),
		ReviewLinkDays:         number(reviewLinkDays),
		RateLimitPer5Min:       number(rateLimit),
	}
	if p.AssetRoot == "" {
		p.AssetRoot = filepath.Join(repoRoot, ".local", "build")
	}
	// Account and region as the CDK CLI resolved them; without credentials the stack stays
	// environment-agnostic, which is enough to synthesize.
	if acct, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"); acct != "" && region != "" {
		p.Env = &awscdk.Environment{Account: jsii.String(acct), Region: jsii.String(region)}
	}
	p = p.WithDefaults()
	if len(errs) == 0 {
		if err := p.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	c.props = p
	return c, errors.Join(errs...)
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

// repoRoot is the nearest directory above the working directory holding go.mod.
func repoRoot() string {
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

func main() {
	cdk.QuietJSII()
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	get := func(s setting) string {
		switch v := app.Node().TryGetContext(jsii.String(s.context)).(type) {
		case nil:
		case []any: // a list in cdk.json
			var parts []string
			for _, e := range v {
				parts = append(parts, fmt.Sprint(e))
			}
			return strings.Join(parts, ",")
		default:
			return fmt.Sprint(v)
		}
		return os.Getenv(s.env)
	}
	c, err := configure(get, repoRoot())
	if err != nil {
		fmt.Fprintf(os.Stderr, "cdk app: settings:\n%v\n", err)
		os.Exit(1)
	}
	stack := cdk.NewStack(app, c.stackName, c.props)
	for _, env := range c.examples {
		awscdk.Annotations_Of(stack).AddWarningV2(jsii.String("cfp:example-setting"),
			jsii.String(env+" is not set: an example value under .example stands in; set it before deploying"))
	}
	app.Synth(nil)
}
