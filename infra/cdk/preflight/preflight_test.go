package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/council/cfp/infra/cdk"
	"github.com/council/cfp/infra/cdk/settings"
	"github.com/council/cfp/infra/wiring"
)

var denied = &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized"}

type fakeCaller struct{ err error }

func (f fakeCaller) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Account: aws.String("111122223333")}, f.err
}

// fakeStacks holds the deployed stack's resources (type, physical id); nil: no stack. Those in
// deleted are DELETE_COMPLETE.
type fakeStacks struct{ resources, deleted [][2]string }

func (f fakeStacks) ListStackResources(_ context.Context, in *cloudformation.ListStackResourcesInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	if f.resources == nil {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id " + *in.StackName + " does not exist"}
	}
	out := &cloudformation.ListStackResourcesOutput{}
	for _, r := range f.resources {
		out.StackResourceSummaries = append(out.StackResourceSummaries, cftypes.StackResourceSummary{ResourceType: aws.String(r[0]), PhysicalResourceId: aws.String(r[1])})
	}
	for _, r := range f.deleted {
		out.StackResourceSummaries = append(out.StackResourceSummaries, cftypes.StackResourceSummary{ResourceType: aws.String(r[0]), PhysicalResourceId: aws.String(r[1]),
			ResourceStatus: cftypes.ResourceStatusDeleteComplete})
	}
	return out, nil
}

// fakeMail is SES: identity nil means none exists.
type fakeMail struct {
	identity *sesv2.GetEmailIdentityOutput
	account  *sesv2.GetAccountOutput
	err      error
}

func (f fakeMail) GetEmailIdentity(context.Context, *sesv2.GetEmailIdentityInput, ...func(*sesv2.Options)) (*sesv2.GetEmailIdentityOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	if f.identity == nil {
		return nil, &sestypes.NotFoundException{Message: aws.String("not found")}
	}
	return f.identity, nil
}

func (f fakeMail) GetAccount(context.Context, *sesv2.GetAccountInput, ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error) {
	return f.account, f.err
}

type fakeFunctions struct {
	limit, unreserved int32
	err               error
}

func (f fakeFunctions) GetAccountSettings(context.Context, *lambda.GetAccountSettingsInput, ...func(*lambda.Options)) (*lambda.GetAccountSettingsOutput, error) {
	return &lambda.GetAccountSettingsOutput{AccountLimit: &lambdatypes.AccountLimit{ConcurrentExecutions: f.limit, UnreservedConcurrentExecutions: aws.Int32(f.unreserved)}}, f.err
}

type fakeAPIAccount struct {
	role string
	err  error
}

func (f fakeAPIAccount) GetAccount(context.Context, *apigateway.GetAccountInput, ...func(*apigateway.Options)) (*apigateway.GetAccountOutput, error) {
	out := &apigateway.GetAccountOutput{}
	if f.role != "" {
		out.CloudwatchRoleArn = aws.String(f.role)
	}
	return out, f.err
}

// fakeCertificates is ACM: certificate nil means not found.
type fakeCertificates struct{ certificate *acmtypes.CertificateDetail }

func (f fakeCertificates) DescribeCertificate(context.Context, *acm.DescribeCertificateInput, ...func(*acm.Options)) (*acm.DescribeCertificateOutput, error) {
	if f.certificate == nil {
		return nil, &acmtypes.ResourceNotFoundException{Message: aws.String("not found")}
	}
	return &acm.DescribeCertificateOutput{Certificate: f.certificate}, nil
}

// fakeSecrets is Secrets Manager: secret nil means not found.
type fakeSecrets struct {
	secret *secretsmanager.DescribeSecretOutput
}

func (f fakeSecrets) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	if f.secret == nil || aws.ToString(in.SecretId) != secretARN {
		return nil, &smtypes.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}
	}
	return f.secret, nil
}

const secretARN = "arn:aws:secretsmanager:eu-west-2:111122223333:secret:cfp/staff-oidc-client-AbCdEf"

const certARN = "arn:aws:acm:eu-west-2:111122223333:certificate/0a1b2c3d-0000-4000-8000-000000000000"

func verified() *sesv2.GetEmailIdentityOutput {
	return &sesv2.GetEmailIdentityOutput{VerifiedForSendingStatus: true, DkimAttributes: &sestypes.DkimAttributes{Status: sestypes.DkimStatusSuccess}}
}

func production() *sesv2.GetAccountOutput {
	return &sesv2.GetAccountOutput{SendingEnabled: true, ProductionAccessEnabled: true, SendQuota: &sestypes.SendQuota{MaxSendRate: 14, Max24HourSend: 50000}}
}

// healthy is an account ready for the deployment: the stack deployed once, everything verified.
func healthy() Preflight {
	return Preflight{
		Caller: fakeCaller{},
		Stacks: fakeStacks{resources: [][2]string{{"AWS::SES::EmailIdentity", "council.example"},
			{"AWS::IAM::Role", "cfp-ApiCloudWatchRole73EC6FC4-AbCdEf"}}},
		Mail:         fakeMail{identity: verified(), account: production()},
		Functions:    fakeFunctions{limit: 1000, unreserved: 1000},
		APIAccount:   fakeAPIAccount{role: "arn:aws:iam::111122223333:role/cfp-ApiCloudWatchRole73EC6FC4-AbCdEf"},
		Certificates: fakeCertificates{&acmtypes.CertificateDetail{Status: acmtypes.CertificateStatusIssued, DomainName: aws.String("portal.council.example"), SubjectAlternativeNames: []string{"*.portal.council.example"}}},
		Secrets:      fakeSecrets{&secretsmanager.DescribeSecretOutput{ARN: aws.String(secretARN)}},
		Region:       "eu-west-2",
	}
}

func deployment() target {
	return target{stack: "cfp", region: "eu-west-2", props: cdk.StackProps{MailDomain: "council.example", MailMaxPerSecond: 10, PortalURL: "https://portal.council.example",
		APIDomainName: "portal.council.example", APICertificateARN: certARN, StaffClientSecretARN: secretARN},
		resources: map[string][]string{"AWS::SES::EmailIdentity": {"council.example"}}}
}

// only runs one check and wants one result of that status, whose text holds every want.
func only(t *testing.T, rs []result, status Status, want ...string) {
	t.Helper()
	if len(rs) != 1 || rs[0].status != status {
		t.Fatalf("results %+v; want one %s", rs, status)
	}
	text := rs[0].found + " fix: " + rs[0].fix
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%q does not say %q", text, w)
		}
	}
	if status == Fail && rs[0].fix == "" {
		t.Errorf("a failure without a fix: %+v", rs[0])
	}
}

func TestMailIdentity(t *testing.T) {
	ctx, p, d := context.Background(), healthy(), deployment()
	only(t, p.mailIdentity(ctx, d), OK, "verified")

	p.Mail = fakeMail{}
	only(t, p.mailIdentity(ctx, d), Warn, "the stack creates it", "DkimRecord1Name")

	p.Mail = fakeMail{identity: &sesv2.GetEmailIdentityOutput{DkimAttributes: &sestypes.DkimAttributes{Status: sestypes.DkimStatusPending}}}
	only(t, p.mailIdentity(ctx, d), Fail, "not verified", "PENDING", "DkimRecord1Name")

	p.Mail = fakeMail{identity: verified()}
	outside := d
	outside.resources = nil // the stack is not deployed, yet the identity exists
	only(t, p.mailIdentity(ctx, outside), Fail, "outside stack cfp", "AlreadyExists", "delete-email-identity", "CFP_MAIL_DOMAIN")

	p.Mail = fakeMail{err: denied}
	only(t, p.mailIdentity(ctx, d), Fail, "could not read", "ses:GetEmailIdentity")
}

func TestMailAccount(t *testing.T) {
	ctx, p, d := context.Background(), healthy(), deployment()
	rs := p.mailAccount(ctx, d)
	if len(rs) != 2 || rs[0].status != OK || rs[1].status != OK {
		t.Errorf("a production account with 14 a second: %+v", rs)
	}

	sandbox := &sesv2.GetAccountOutput{SendingEnabled: true, SendQuota: &sestypes.SendQuota{MaxSendRate: 1, Max24HourSend: 200}}
	p.Mail = fakeMail{account: sandbox}
	rs = p.mailAccount(ctx, d)
	if len(rs) != 2 || rs[0].status != Fail || !strings.Contains(rs[0].found, "sandbox") || !strings.Contains(rs[0].fix, "put-account-details --region eu-west-2 --production-access-enabled") {
		t.Errorf("the sandbox is not a failure with the request to make: %+v", rs)
	}
	if rs[1].status != Fail || !strings.Contains(rs[1].found, "1 emails a second; MAIL_MAX_PER_SECOND is 10") || !strings.Contains(rs[1].fix, "CFP_MAIL_MAX_PER_SECOND") {
		t.Errorf("a sending rate below MAIL_MAX_PER_SECOND passed: %+v", rs[1])
	}

	slow := production()
	slow.SendQuota.MaxSendRate = 5
	p.Mail = fakeMail{account: slow}
	if rs = p.mailAccount(ctx, d); rs[0].status != OK || rs[1].status != Fail {
		t.Errorf("production at 5 a second for 10 wanted: %+v", rs)
	}

	paused := production()
	paused.SendingEnabled = false
	p.Mail = fakeMail{account: paused}
	if rs = p.mailAccount(ctx, d); rs[0].status != Fail || !strings.Contains(rs[0].found, "paused") {
		t.Errorf("paused sending passed: %+v", rs)
	}

	p.Mail = fakeMail{err: denied}
	only(t, p.mailAccount(ctx, d), Fail, "ses:GetAccount")
}

func TestConcurrency(t *testing.T) {
	ctx, p, d := context.Background(), healthy(), deployment()
	only(t, p.concurrency(ctx, d), OK, "1000")

	p.Functions = fakeFunctions{limit: 10, unreserved: 10}
	only(t, p.concurrency(ctx, d), Fail, "10 function instances", "L-B99A9384", "--region eu-west-2")

	p.Functions = fakeFunctions{limit: 1000, unreserved: 50}
	only(t, p.concurrency(ctx, d), Fail, "50 of 1000 are left unreserved", "reserved concurrency")

	// Before the first deploy, the stack's reservations (notify's and scan-upload's) must fit too;
	// after it, they are reserved already.
	p.Functions = fakeFunctions{limit: 1000, unreserved: 101}
	only(t, p.concurrency(ctx, d), OK, "101 unreserved")
	first := d
	first.resources = nil
	only(t, p.concurrency(ctx, first), Fail, "101 of 1000 are left unreserved", fmt.Sprint(100+cdk.ReservedConcurrency(first.props)))
	p.Functions = fakeFunctions{limit: 105, unreserved: 105}
	only(t, p.concurrency(ctx, first), Fail, "105 function instances", fmt.Sprintf("at least %d", 100+cdk.ReservedConcurrency(first.props)), "reserved by the stack")

	p.Functions = fakeFunctions{err: denied}
	only(t, p.concurrency(ctx, d), Fail, "lambda:GetAccountSettings")
}

func TestLogRole(t *testing.T) {
	ctx, p, d := context.Background(), healthy(), deployment()
	only(t, p.logRole(ctx, d), OK, "this stack's own")

	p.APIAccount = fakeAPIAccount{}
	only(t, p.logRole(ctx, d), OK, "none set")

	// Held by the deployed stack, whatever its name.
	held := d
	held.resources = map[string][]string{"AWS::IAM::Role": {"renamed-logging-role"}}
	p.APIAccount = fakeAPIAccount{role: "arn:aws:iam::111122223333:role/renamed-logging-role"}
	only(t, p.logRole(ctx, held), OK, "this stack's own")

	p.APIAccount = fakeAPIAccount{err: denied}
	only(t, p.logRole(ctx, d), Fail, "could not read")
}

func TestForeignLogRoleFailsUnlessAcknowledged(t *testing.T) {
	ctx, p, d := context.Background(), healthy(), deployment()
	for _, role := range []string{
		"arn:aws:iam::111122223333:role/apigateway-cloudwatch",
		"arn:aws:iam::111122223333:role/other-ApiCloudWatchRole1234-XyZ", // another stack's
		"arn:aws:iam::111122223333:role/service-role/cfp",                // the stack's name, not its role
	} {
		p.APIAccount = fakeAPIAccount{role: role}
		only(t, p.logRole(ctx, d), Fail, role, "replaces it", "every REST API in eu-west-2", "CFP_REPLACE_APIGW_LOG_ROLE=true")

		acknowledged := d
		acknowledged.replaceLogRole = true
		only(t, p.logRole(ctx, acknowledged), Warn, role, "CFP_REPLACE_APIGW_LOG_ROLE")
	}
}

func TestCertificate(t *testing.T) {
	ctx, p, d := context.Background(), healthy(), deployment()
	only(t, p.certificate(ctx, d), OK, "issued for portal.council.example")

	none := d
	none.props.APICertificateARN, none.props.APIDomainName = "", ""
	only(t, p.certificate(ctx, none), OK, "none set")

	p.Certificates = fakeCertificates{}
	only(t, p.certificate(ctx, d), Fail, "not in this account in eu-west-2", "request-certificate --region eu-west-2 --domain-name portal.council.example")

	p.Certificates = fakeCertificates{&acmtypes.CertificateDetail{Status: acmtypes.CertificateStatusPendingValidation, DomainName: aws.String("api.portal.council.example")}}
	only(t, p.certificate(ctx, d), Fail, "pending validation", "validation CNAME")

	p.Certificates = fakeCertificates{&acmtypes.CertificateDetail{Status: acmtypes.CertificateStatusExpired, DomainName: aws.String("api.portal.council.example")}}
	only(t, p.certificate(ctx, d), Fail, "EXPIRED")

	// A wildcard covers one label only.
	p.Certificates = fakeCertificates{&acmtypes.CertificateDetail{Status: acmtypes.CertificateStatusIssued, DomainName: aws.String("*.example"),
		SubjectAlternativeNames: []string{"council.example"}}}
	only(t, p.certificate(ctx, d), Fail, "not for portal.council.example")

	p.Certificates = fakeCertificates{&acmtypes.CertificateDetail{Status: acmtypes.CertificateStatusIssued, DomainName: aws.String("council.example"),
		SubjectAlternativeNames: []string{"council.example", "PORTAL.council.example"}}}
	only(t, p.certificate(ctx, d), OK)
}

func TestStaffSecret(t *testing.T) {
	ctx, p, d := context.Background(), healthy(), deployment()
	only(t, p.staffSecret(ctx, d), OK, "alias/aws/secretsmanager")

	p.Secrets = fakeSecrets{}
	only(t, p.staffSecret(ctx, d), Fail, "not in this account in eu-west-2", "create-secret", "CFP_STAFF_CLIENT_SECRET_ARN")

	deleting := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	p.Secrets = fakeSecrets{&secretsmanager.DescribeSecretOutput{ARN: aws.String(secretARN), DeletedDate: &deleting}}
	only(t, p.staffSecret(ctx, d), Fail, "scheduled for deletion on 20 December 2026", "restore-secret")

	p.Secrets = fakeSecrets{&secretsmanager.DescribeSecretOutput{ARN: aws.String(secretARN), KmsKeyId: aws.String("arn:aws:kms:eu-west-2:111122223333:key/k1")}}
	only(t, p.staffSecret(ctx, d), Fail, "key/k1", "--kms-key-id alias/aws/secretsmanager")
	p.Secrets = fakeSecrets{&secretsmanager.DescribeSecretOutput{ARN: aws.String(secretARN), KmsKeyId: aws.String("alias/aws/secretsmanager")}}
	only(t, p.staffSecret(ctx, d), OK)
}

// repo makes a fake repository root with .local/build/<function>/bootstrap, as make build does.
func repo(t *testing.T) string {
	root := t.TempDir()
	for _, f := range wiring.Functions {
		dir := filepath.Join(root, ".local", "build", f.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func withSettings(p Preflight, root string, values map[settings.Setting]string) Preflight {
	p.RepoRoot = root
	p.Get = func(s settings.Setting) string { return values[s] }
	return p
}

var complete = map[settings.Setting]string{
	settings.MailFrom: "no-reply@council.example", settings.Reviewers: "client.finance@council.example",
	settings.PortalURL: "https://portal.council.example", settings.AlarmEmail: "ops@council.example",
	settings.APIDomain: "portal.council.example", settings.APICertificate: certARN, settings.MailRate: "14",
	settings.CouncilName: "Example Borough Council", settings.ContactPhone: "020 7946 0000",
	settings.ContactEmail:  "client.finance@council.example",
	settings.StaffIssuer:   "https://login.microsoftonline.com/00000000-0000-4000-8000-000000000000/v2.0",
	settings.StaffClientID: "cfp-portal", settings.StaffSecretARN: secretARN,
	settings.StaffRoleGroups: "11111111-0000-4000-8000-000000000001=reviewer",
}

func TestRunPassesAHealthyAccount(t *testing.T) {
	var out bytes.Buffer
	if !withSettings(healthy(), repo(t), complete).Run(context.Background(), &out) {
		t.Errorf("a healthy account failed:\n%s", out.String())
	}
	for _, want := range []string{"stack cfp, account 111122223333, region eu-west-2", "ok    SES identity council.example", "ok    Lambda concurrency", "ok    API certificate"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "FAIL") {
		t.Errorf("a FAIL line in a pass:\n%s", out.String())
	}
}

func TestRunFailsOnAnyFailureAndPrintsTheFix(t *testing.T) {
	p := withSettings(healthy(), repo(t), complete)
	p.Functions = fakeFunctions{limit: 10, unreserved: 10}
	var out bytes.Buffer
	if p.Run(context.Background(), &out) {
		t.Errorf("an account with 10 concurrent executions passed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "FAIL  Lambda concurrency") || !strings.Contains(out.String(), "      fix: request more") {
		t.Errorf("the failure or its fix is not printed:\n%s", out.String())
	}
	// The other checks still ran.
	if !strings.Contains(out.String(), "ok    API Gateway logging role") {
		t.Errorf("checks stopped at the first failure:\n%s", out.String())
	}
}

func TestRunReadsTheAcknowledgementSetting(t *testing.T) {
	values := map[settings.Setting]string{ReplaceLogRole: "true"}
	for k, v := range complete {
		values[k] = v
	}
	p := withSettings(healthy(), repo(t), values)
	p.APIAccount = fakeAPIAccount{role: "arn:aws:iam::111122223333:role/apigateway-cloudwatch"}
	var out bytes.Buffer
	if !p.Run(context.Background(), &out) || !strings.Contains(out.String(), "warn  API Gateway logging role") {
		t.Errorf("an acknowledged replacement still fails:\n%s", out.String())
	}
}

func TestRunIsStrictAboutSettings(t *testing.T) {
	var out bytes.Buffer
	if withSettings(healthy(), repo(t), nil).Run(context.Background(), &out) {
		t.Errorf("example settings passed a preflight:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "FAIL  settings") || !strings.Contains(out.String(), "CFP_MAIL_FROM") {
		t.Errorf("missing settings are not named:\n%s", out.String())
	}

	// A certificate from another region is refused offline, before any account call.
	values := map[settings.Setting]string{settings.APICertificate: strings.Replace(certARN, "eu-west-2", "us-east-1", 1)}
	for k, v := range complete {
		if k != settings.APICertificate {
			values[k] = v
		}
	}
	out.Reset()
	if withSettings(healthy(), repo(t), values).Run(context.Background(), &out) || !strings.Contains(out.String(), "us-east-1") {
		t.Errorf("a certificate from us-east-1 for a stack in eu-west-2:\n%s", out.String())
	}
}

func TestRunStopsWithoutCredentialsOrRegion(t *testing.T) {
	p := withSettings(healthy(), repo(t), complete)
	p.Caller = fakeCaller{err: errors.New("no valid credential sources")}
	var out bytes.Buffer
	if p.Run(context.Background(), &out) || !strings.Contains(out.String(), "FAIL  credentials") {
		t.Errorf("no credentials:\n%s", out.String())
	}
	p = withSettings(healthy(), repo(t), complete)
	p.Region = ""
	out.Reset()
	if p.Run(context.Background(), &out) || !strings.Contains(out.String(), "FAIL  region") {
		t.Errorf("no region:\n%s", out.String())
	}
}

func TestStackResourcesOfAStackNotYetDeployed(t *testing.T) {
	p := healthy()
	p.Stacks = fakeStacks{}
	got, err := p.stackResources(context.Background(), "cfp")
	if err != nil || got != nil {
		t.Errorf("a missing stack: %v, %v; want no resources and no error", got, err)
	}
	p.Stacks = fakeStacks{resources: [][2]string{{"AWS::IAM::Role", "r1"}, {"AWS::IAM::Role", "r2"}},
		deleted: [][2]string{{"AWS::SES::EmailIdentity", "council.example"}}}
	if got, err = p.stackResources(context.Background(), "cfp"); err != nil || len(got["AWS::IAM::Role"]) != 2 || got["AWS::SES::EmailIdentity"] != nil {
		t.Errorf("resources %v, %v; want the two roles and not the deleted identity", got, err)
	}
}
