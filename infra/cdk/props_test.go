package cdk

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/council/cfp/infra/wiring"
)

func TestValidPropsPassAndDefaultsAreFilledIn(t *testing.T) {
	dir := fakeAssets(t)
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := staffSignIn(StackProps{
		AssetRoot: dir, MailFrom: "no-reply@council.example", Reviewers: []string{"a@council.example"},
		PortalURL: "https://portal.council.example",
	}).WithDefaults()
	if err := p.Validate(); err != nil {
		t.Fatalf("valid settings rejected: %v", err)
	}
	if p.MailDomain != "council.example" || p.ClientReferencePattern != DefaultClientReferencePattern ||
		p.EvidenceRetentionDays != DefaultEvidenceRetentionDays || p.DocumentRetentionDays != DefaultDocumentRetentionDays ||
		p.RejectedRetentionDays != DefaultRejectedRetentionDays || p.RequestsPerIPPerHour != DefaultRequestsPerIPPerHour {
		t.Errorf("defaults not applied: %+v", p)
	}
}

func TestInvalidPropsAreAllReportedWithTheirSetting(t *testing.T) {
	p := StackProps{
		AssetRoot:              t.TempDir(), // no bootstraps
		MailFrom:               "Council <no-reply@council.example>",
		Reviewers:              []string{"not-an-address"},
		PortalURL:              "http://portal.council.example",
		ClientReferencePattern: "([0-9]",
		StaffCIDRs:             []string{"10.0.0.0/33"},
		AlarmEmail:             "ops",
		APIDomainName:          "api.council.example",
		ContactEmail:           "Client Finance <cf@council.example>",
		LogoURL:                "https://cdn.example/logo.png",
		CouncilURL:             "www.council.example",
		BusinessSupport:        []string{"Business Support <bs@council.example>"},
		BatchWindow:            -time.Hour,
	}.WithDefaults()
	err := p.Validate()
	if err == nil {
		t.Fatal("invalid settings accepted")
	}
	for _, want := range []string{"sender address", "reviewer", "must use https", "client reference pattern",
		"staff networks", "alarm email", "no bootstrap", "set both or neither", "contact email", "logo URL", "council URL",
		"business support address", "batch window"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

// The pages and the API are one site: the portal URL is its origin, and the custom domain its host.
func TestThePortalIsTheSitesOrigin(t *testing.T) {
	dir := fakeAssets(t)
	t.Cleanup(func() { os.RemoveAll(dir) })
	for url, domain := range map[string]string{"https://portal.council.example/app": "", "https://portal.council.example": "api.council.example"} {
		p := testProps(dir)
		p.PortalURL, p.APIDomainName = url, domain
		if domain == "" {
			p.APICertificateARN = ""
		}
		if err := p.WithDefaults().Validate(); err == nil || !strings.Contains(err.Error(), "portal") {
			t.Errorf("portal %s with domain %q: %v; want refused", url, domain, err)
		}
	}
	if err := testProps(dir).WithDefaults().Validate(); err != nil {
		t.Errorf("the test props: %v", err)
	}
}

func TestSenderMustBeAtTheSESIdentityDomain(t *testing.T) {
	dir := fakeAssets(t)
	t.Cleanup(func() { os.RemoveAll(dir) })
	base := staffSignIn(StackProps{AssetRoot: dir, Reviewers: []string{"a@council.example"}, PortalURL: "https://p.council.example"})
	for from, ok := range map[string]bool{
		"no-reply@council.example":      true,
		"no-reply@mail.council.example": true,
		"no-reply@evilcouncil.example":  false,
		"no-reply@other.example":        false,
	} {
		p := base
		p.MailFrom, p.MailDomain = from, "council.example"
		if err := p.WithDefaults().Validate(); (err == nil) != ok {
			t.Errorf("sender %s at council.example: err=%v; want ok=%v", from, err, ok)
		}
	}
}

func TestStaffNetworksSplitByFamilyAndRefuseEveryone(t *testing.T) {
	v4, v6, err := splitCIDRs([]string{" 192.0.2.7/24", "2001:db8::1/48"})
	if err != nil || strings.Join(v4, ",") != "192.0.2.0/24" || strings.Join(v6, ",") != "2001:db8::/48" {
		t.Errorf("split = %v %v %v", v4, v6, err)
	}
	for _, bad := range []string{"0.0.0.0/0", "::/0", "192.0.2.1", "staff"} {
		if _, _, err := splitCIDRs([]string{bad}); err == nil {
			t.Errorf("%q accepted as a staff network", bad)
		}
	}
}

func TestWiringEventNamesMapToCDKEventTypes(t *testing.T) {
	for name, want := range map[string]string{
		wiring.ObjectCreated:       "OBJECT_CREATED",
		wiring.ObjectTaggingPut:    "OBJECT_TAGGING_PUT",
		"s3:ObjectRemoved:Delete":  "OBJECT_REMOVED_DELETE",
		"s3:LifecycleExpiration:*": "LIFECYCLE_EXPIRATION",
	} {
		if got := string(s3EventType(name)); got != want {
			t.Errorf("s3EventType(%q) = %q; want %q", name, got, want)
		}
	}
}

// The allow-list covers every route of the staff workspace, and no other function's route.
func TestStaffPatternMatchesOnlyStaffRoutes(t *testing.T) {
	re := regexp.MustCompile(staffPathPattern())
	concrete := strings.NewReplacer("{", "x", "}", "", "+", "")
	for _, f := range wiring.Functions {
		staffFn := slices.Contains(f.Settings, wiring.StaffIssuer)
		for _, r := range f.Routes {
			for _, path := range []string{r.Path, "/" + StageName + r.Path} {
				if got := re.MatchString(concrete.Replace(path)); got != staffFn {
					t.Errorf("%s %s (%s): staff-only = %v; want %v", r.Method, path, f.Name, got, staffFn)
				}
			}
		}
	}
	for path, want := range map[string]bool{
		"/prod/staff":                     true,
		"/staff/requests/r1/evidence/e1":  true,
		"/prod/staffing":                  false,
		"/prod/reviewers":                 false,
		"/prod/access-requests/x/staff/y": false,
		"/prod/clients/review/documents":  false,
	} {
		if got := re.MatchString(path); got != want {
			t.Errorf("%s: staff-only = %v; want %v", path, got, want)
		}
	}
}

// Without the identity provider nobody can review a request: the stack refuses to deploy, saying
// what is missing; what is set must be usable.
func TestStaffSignInIsRequiredAndChecked(t *testing.T) {
	dir := fakeAssets(t)
	t.Cleanup(func() { os.RemoveAll(dir) })
	none := testProps(dir)
	none.StaffIssuer, none.StaffClientID, none.StaffClientSecretARN, none.StaffRoleGroups = "", "", "", ""
	if err := none.WithDefaults().Validate(); err == nil || !strings.Contains(err.Error(), "staff sign-in: no identity provider is set") {
		t.Errorf("no staff sign-in settings: %v; want refused, saying so", err)
	}
	inEnv := func(p StackProps) StackProps {
		p.Env = &awscdk.Environment{Account: jsii.String("111122223333"), Region: jsii.String("eu-west-2")}
		return p
	}
	for name, c := range map[string]struct {
		change func(*StackProps)
		want   string
	}{
		"plain-HTTP issuer": {func(p *StackProps) { p.StaffIssuer = "http://login.council.example" }, "issuer"},
		"no client id":      {func(p *StackProps) { p.StaffClientID = " " }, "client id"},
		"secret by name":    {func(p *StackProps) { p.StaffClientSecretARN = "cfp/staff-oidc-client" }, "full ARN"},
		"ARN without its suffix": {func(p *StackProps) {
			p.StaffClientSecretARN = "arn:aws:secretsmanager:eu-west-2:111122223333:secret:cfp/staff"
		}, "full ARN"},
		"secret in another region": {func(p *StackProps) {
			p.StaffClientSecretARN = strings.Replace(testSecretARN, "eu-west-2", "us-east-1", 1)
		}, "not in the stack's region eu-west-2"},
		"unknown role":   {func(p *StackProps) { p.StaffRoleGroups = "g1=superuser" }, "staff role groups"},
		"no role at all": {func(p *StackProps) { p.StaffRoleGroups = "" }, "staff role groups"},
	} {
		p := inEnv(testProps(dir))
		c.change(&p)
		if err := p.WithDefaults().Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want refused mentioning %q", name, err, c.want)
		}
	}
	if err := inEnv(testProps(dir)).WithDefaults().Validate(); err != nil {
		t.Errorf("good staff sign-in settings refused: %v", err)
	}
}

func feedbackFunctions() (out []string) {
	for _, f := range wiring.Functions {
		if f.MailFeedback {
			out = append(out, f.Name)
		}
	}
	return out
}

func TestConstructIDs(t *testing.T) {
	if got := constructID("publish-document"); got != "PublishDocument" {
		t.Errorf("constructID = %q", got)
	}
}

// With only the required settings: no staff allow-list (/review is open to the internet, behind
// the rate limit and managed rules, as the README warns), the execute-api URL, no alarm email.
func TestMinimalSettingsStillMakeACompleteStack(t *testing.T) {
	dir := fakeAssets(t)
	t.Cleanup(func() { os.RemoveAll(dir) })
	full := testProps(dir)
	p := staffSignIn(StackProps{AssetRoot: dir, MailFrom: full.MailFrom, Reviewers: full.Reviewers, PortalURL: full.PortalURL})
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack := NewStack(app, "cfp-minimal", p)
	tmpl := assertions.Template_FromStack(stack, nil)
	check(t, "no IP sets", func() { tmpl.ResourceCountIs(jsii.String("AWS::WAFv2::IPSet"), jsii.Number(0)) })
	check(t, "no custom domain", func() { tmpl.ResourceCountIs(jsii.String("AWS::ApiGateway::DomainName"), jsii.Number(0)) })
	check(t, "no email subscription", func() {
		tmpl.ResourceCountIs(jsii.String("AWS::SNS::Subscription"), jsii.Number(float64(len(feedbackFunctions()))))
	})
	check(t, "ApiUrl output is the stage URL", func() {
		tmpl.HasOutput(jsii.String("ApiUrl"), &map[string]any{"Value": map[string]any{"Fn::Join": []any{"", assertions.Match_ArrayWith(&[]any{
			map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Api"))}, "/" + StageName + wiring.APIPrefix,
		})}}})
	})
	check(t, "cdk-nag finds nothing here either", func() {
		if errs := *assertions.Annotations_FromStack(stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))); len(errs) > 0 {
			t.Errorf("cdk-nag errors: %d, first %s", len(errs), *errs[0].Id)
		}
	})
	check(t, "web ACL still has the rate limit and managed rules", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::WAFv2::WebACL"), &map[string]any{
			"Rules": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{"Name": "rate-per-ip"}),
				assertions.Match_ObjectLike(&map[string]any{"Name": "aws-common-rule-set"}),
			}),
		})
	})
}
