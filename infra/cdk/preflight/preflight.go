package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/council/cfp/infra/cdk"
	"github.com/council/cfp/infra/cdk/settings"
)

// The account calls the checks make, one small interface per service.
type (
	Caller interface {
		GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	}
	Stacks interface {
		ListStackResources(context.Context, *cloudformation.ListStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error)
	}
	Mail interface {
		GetEmailIdentity(context.Context, *sesv2.GetEmailIdentityInput, ...func(*sesv2.Options)) (*sesv2.GetEmailIdentityOutput, error)
		GetAccount(context.Context, *sesv2.GetAccountInput, ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
	}
	Functions interface {
		GetAccountSettings(context.Context, *lambda.GetAccountSettingsInput, ...func(*lambda.Options)) (*lambda.GetAccountSettingsOutput, error)
	}
	APIAccount interface {
		GetAccount(context.Context, *apigateway.GetAccountInput, ...func(*apigateway.Options)) (*apigateway.GetAccountOutput, error)
	}
	Certificates interface {
		DescribeCertificate(context.Context, *acm.DescribeCertificateInput, ...func(*acm.Options)) (*acm.DescribeCertificateOutput, error)
	}
	Secrets interface {
		DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	}
)

// ReplaceLogRole is the operator's acknowledgement that the stack's API Gateway logging role may
// replace the one the account has: that setting is account-wide, so every API in the region would
// log through the stack's role from then on.
var ReplaceLogRole = settings.Setting{Context: "replaceApiGatewayLogRole", Env: "CFP_REPLACE_APIGW_LOG_ROLE"}

// MinConcurrency is the least Lambda concurrency the stack needs left unreserved in the account,
// besides the concurrency it reserves itself (cdk.ReservedConcurrency).
// Lambda itself refuses a reservation that leaves fewer than 100 unreserved, and new accounts
// often start at 10.
const MinConcurrency int32 = 100

// Preflight checks one deployment against the account and region its credentials reach.
type Preflight struct {
	Caller       Caller
	Stacks       Stacks
	Mail         Mail
	Functions    Functions
	APIAccount   APIAccount
	Certificates Certificates
	Secrets      Secrets

	Region   string
	Get      func(settings.Setting) string // the deployment settings
	RepoRoot string
}

// Status is a check's outcome.
type Status string

const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "FAIL"
)

// result is one printed line: the check, what it found, and for a failure what to do.
type result struct {
	status       Status
	check, found string
	fix          string
}

// target is the deployment under check.
type target struct {
	stack, region  string
	props          cdk.StackProps
	replaceLogRole bool
	resources      map[string][]string // the deployed stack's physical ids by resource type; nil: not deployed
}

// Run prints every check and reports whether none failed.
func (p Preflight) Run(ctx context.Context, w io.Writer) bool {
	stop := func(r result) bool { show(w, r); return false }
	id, err := p.Caller.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return stop(result{Fail, "credentials", err.Error(), "use the credentials make deploy uses (AWS_PROFILE, or aws sso login)"})
	}
	if p.Region == "" {
		return stop(result{Fail, "region", "none set", "set AWS_REGION, or a region in the profile, as for make deploy"})
	}
	// Strict as make deploy is: example settings are no deployment.
	get := func(s settings.Setting) string {
		if s == settings.Strict {
			return "true"
		}
		return p.Get(s)
	}
	c, err := settings.Read(get, p.RepoRoot, aws.ToString(id.Account), p.Region)
	if err != nil {
		return stop(result{Fail, "settings", strings.ReplaceAll(err.Error(), "\n", "; "), "set them as infra/cdk/README-deploy.md describes"})
	}
	t := target{stack: c.StackName, region: p.Region, props: c.Props}
	t.replaceLogRole, _ = strconv.ParseBool(p.Get(ReplaceLogRole))
	if t.resources, err = p.stackResources(ctx, c.StackName); err != nil {
		return stop(unreadable("stack "+c.StackName, "cloudformation:ListStackResources", err))
	}
	fmt.Fprintf(w, "stack %s, account %s, region %s\n", c.StackName, aws.ToString(id.Account), p.Region)
	passed := true
	for _, check := range []func(context.Context, target) []result{p.mailIdentity, p.mailAccount, p.concurrency, p.logRole, p.certificate, p.staffSecret} {
		for _, r := range check(ctx, t) {
			show(w, r)
			passed = passed && r.status != Fail
		}
	}
	return passed
}

func show(w io.Writer, r result) {
	fmt.Fprintf(w, "%-4s  %s: %s\n", r.status, r.check, r.found)
	if r.fix != "" {
		fmt.Fprintf(w, "      fix: %s\n", r.fix)
	}
}

// unreadable is a check the credentials could not make.
func unreadable(check, action string, err error) result {
	return result{Fail, check, "could not read: " + err.Error(), "the deploy credentials need " + action}
}

// stackResources lists the deployed stack's resources; nil when the stack does not exist yet.
func (p Preflight) stackResources(ctx context.Context, stack string) (map[string][]string, error) {
	pages := cloudformation.NewListStackResourcesPaginator(p.Stacks, &cloudformation.ListStackResourcesInput{StackName: &stack})
	byType := map[string][]string{}
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" && strings.Contains(apiErr.ErrorMessage(), "does not exist") {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		for _, r := range page.StackResourceSummaries {
			if r.ResourceStatus == cftypes.ResourceStatusDeleteComplete { // e.g. rolled back
				continue
			}
			byType[aws.ToString(r.ResourceType)] = append(byType[aws.ToString(r.ResourceType)], aws.ToString(r.PhysicalResourceId))
		}
	}
	return byType, nil
}

// holds reports whether the deployed stack holds a resource of that type and physical id.
func (t target) holds(resourceType, id string) bool {
	return slices.ContainsFunc(t.resources[resourceType], func(r string) bool { return strings.EqualFold(r, id) })
}

// mailIdentity checks the SES domain identity. The stack creates it, so it must not exist before
// the first deploy (CloudFormation would fail with AlreadyExists), and must be verified after.
func (p Preflight) mailIdentity(ctx context.Context, t target) []result {
	domain := t.props.MailDomain
	check := "SES identity " + domain
	dkimRecords := "publish the three DKIM CNAME records of the stack outputs DkimRecord1Name/DkimRecord1Value to DkimRecord3... in the domain's DNS"
	out, err := p.Mail.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: &domain})
	var missing *sestypes.NotFoundException
	switch {
	case errors.As(err, &missing):
		return []result{{Warn, check, "not in " + t.region + " yet: the stack creates it",
			"after make deploy, " + dkimRecords + " and run make preflight again: SES sends nothing from the domain before it has seen them"}}
	case err != nil:
		return []result{unreadable(check, "ses:GetEmailIdentity", err)}
	case !t.holds("AWS::SES::EmailIdentity", domain):
		return []result{{Fail, check, "exists already, outside stack " + t.stack + ": CloudFormation cannot create it (AlreadyExists) and the deployment rolls back",
			"if another system sends from " + domain + ", give the portal a subdomain of its own (CFP_MAIL_DOMAIN and CFP_MAIL_FROM at e.g. portal." + domain +
				"); if nothing uses it, delete it (aws sesv2 delete-email-identity --email-identity " + domain + ") and let the stack create it"}}
	}
	dkim := sestypes.DkimStatusNotStarted
	if out.DkimAttributes != nil {
		dkim = out.DkimAttributes.Status
	}
	if !out.VerifiedForSendingStatus || dkim != sestypes.DkimStatusSuccess {
		return []result{{Fail, check, fmt.Sprintf("not verified for sending (verified: %t, DKIM %s)", out.VerifiedForSendingStatus, dkim),
			dkimRecords + "; SES looks for them for up to 72 hours (aws sesv2 get-email-identity --email-identity " + domain + " shows the state)"}}
	}
	return []result{{OK, check, "verified for sending, DKIM " + string(dkim), ""}}
}

// mailAccount checks that SES delivers to anyone (no sandbox) and as fast as notify sends.
func (p Preflight) mailAccount(ctx context.Context, t target) []result {
	out, err := p.Mail.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil {
		return []result{unreadable("SES account", "ses:GetAccount", err)}
	}
	var rs []result
	switch {
	case !out.SendingEnabled:
		rs = append(rs, result{Fail, "SES sending", "paused for the account in " + t.region + " (enforcement status " + aws.ToString(out.EnforcementStatus) + ")",
			"read the SES console's reputation page and AWS's message to the account, and resolve the pause with AWS before deploying"})
	case !out.ProductionAccessEnabled:
		rs = append(rs, result{Fail, "SES production access", "the account is in the SES sandbox in " + t.region + ": mail reaches verified addresses only",
			"request production access (SES console, Get set up; or aws sesv2 put-account-details --region " + t.region +
				" --production-access-enabled --mail-type TRANSACTIONAL --website-url " + t.props.PortalURL +
				" --use-case-description '<what the portal sends, to whom, and how bounces are handled>'); AWS answers within a day or so"})
	default:
		rs = append(rs, result{OK, "SES production access", "out of the sandbox, sending enabled", ""})
	}
	var rate, day float64
	if q := out.SendQuota; q != nil {
		rate, day = q.MaxSendRate, q.Max24HourSend
	}
	want := t.props.MailMaxPerSecond
	if rate < float64(want) {
		return append(rs, result{Fail, "SES sending rate", fmt.Sprintf("the account may send %g emails a second; MAIL_MAX_PER_SECOND is %d", rate, want),
			fmt.Sprintf("set CFP_MAIL_MAX_PER_SECOND to %d at most, or ask for a higher SES sending rate (Service Quotas console, Amazon Simple Email Service, Sending rate)", int(rate))})
	}
	return append(rs, result{OK, "SES sending rate", fmt.Sprintf("%g a second (MAIL_MAX_PER_SECOND %d), %g a day", rate, want, day), ""})
}

// concurrency checks the account's Lambda concurrency quota.
func (p Preflight) concurrency(ctx context.Context, t target) []result {
	out, err := p.Functions.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil {
		return []result{unreadable("Lambda concurrency", "lambda:GetAccountSettings", err)}
	}
	var limit, unreserved int32
	if l := out.AccountLimit; l != nil {
		limit, unreserved = l.ConcurrentExecutions, aws.ToInt32(l.UnreservedConcurrentExecutions)
	}
	request := fmt.Sprintf("aws service-quotas request-service-quota-increase --region %s --service-code lambda --quota-code L-B99A9384 --desired-value 1000 (Lambda, Concurrent executions)", t.region)
	// The stack reserves concurrency for some functions (cdk.ReservedConcurrency), and Lambda
	// refuses a reservation that leaves fewer than MinConcurrency unreserved. Once the stack is
	// deployed its reservation is no longer counted as unreserved.
	reserve := int32(cdk.ReservedConcurrency(t.props))
	need := MinConcurrency + reserve
	if t.resources != nil {
		need = MinConcurrency
	}
	switch {
	case limit < MinConcurrency+reserve:
		return []result{{Fail, "Lambda concurrency", fmt.Sprintf("the account may run %d function instances at once in %s; the stack needs at least %d (%d of them reserved by the stack)", limit, t.region, MinConcurrency+reserve, reserve),
			"request more: " + request + "; new accounts start low"}}
	case unreserved < need:
		return []result{{Fail, "Lambda concurrency", fmt.Sprintf("%d of %d are left unreserved in %s; the stack's functions need at least %d", unreserved, limit, t.region, need),
			"lower other functions' reserved concurrency, or request more: " + request}}
	}
	return []result{{OK, "Lambda concurrency", fmt.Sprintf("%d, %d unreserved", limit, unreserved), ""}}
}

// logRole checks API Gateway's account-wide CloudWatch logging role. The stack sets its own
// (RestApi CloudWatchRole), which replaces whatever the account has for every API in the region.
func (p Preflight) logRole(ctx context.Context, t target) []result {
	const check = "API Gateway logging role"
	out, err := p.APIAccount.GetAccount(ctx, &apigateway.GetAccountInput{})
	if err != nil {
		return []result{unreadable(check, "apigateway:GET on /account", err)}
	}
	arn := aws.ToString(out.CloudwatchRoleArn)
	name := arn[strings.LastIndex(arn, "/")+1:]
	switch {
	case arn == "":
		return []result{{OK, check, "none set in " + t.region + ": the stack sets its own", ""}}
	case t.ownsRole(name):
		return []result{{OK, check, arn + " is this stack's own", ""}}
	case t.replaceLogRole:
		return []result{{Warn, check, arn + " is the account's; the stack's role replaces it for every API in " + t.region + " (" + ReplaceLogRole.Env + " acknowledges this)", ""}}
	}
	return []result{{Fail, check, arn + " is set for the account and is not this stack's: deploying replaces it, silently, for every REST API in " + t.region,
		"find who set it (other stacks' RestApi, or a landing zone); if the stack's role may stand in for it (it has the AWS managed policy AmazonAPIGatewayPushToCloudWatchLogs and is kept when the stack is deleted), set " +
			ReplaceLogRole.Env + "=true and run make preflight again"}}
}

// ownsRole reports whether an IAM role name is this stack's logging role: held by the deployed
// stack, or one an earlier deployment left behind (the role is retained on delete), which
// CloudFormation named <stack>-<logical id>-<suffix>.
func (t target) ownsRole(name string) bool {
	return t.holds("AWS::IAM::Role", name) || (strings.HasPrefix(name, t.stack+"-") && strings.Contains(name, "CloudWatchRole"))
}

// certificate checks the API's ACM certificate: issued, for the API's host name, in the stack's region.
func (p Preflight) certificate(ctx context.Context, t target) []result {
	const check = "API certificate"
	arn, host := t.props.APICertificateARN, t.props.APIDomainName
	if arn == "" {
		return []result{{OK, check, "none set: the API answers at its execute-api address", ""}}
	}
	request := "request one in " + t.region + " (aws acm request-certificate --region " + t.region + " --domain-name " + host +
		" --validation-method DNS), publish its validation record, and set CFP_API_CERTIFICATE_ARN to it"
	out, err := p.Certificates.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: &arn})
	var missing *acmtypes.ResourceNotFoundException
	if errors.As(err, &missing) {
		return []result{{Fail, check, arn + " is not in this account in " + t.region, request}}
	} else if err != nil {
		return []result{unreadable(check, "acm:DescribeCertificate", err)}
	}
	c := out.Certificate
	names := append([]string{aws.ToString(c.DomainName)}, c.SubjectAlternativeNames...)
	switch {
	case c.Status == acmtypes.CertificateStatusPendingValidation:
		return []result{{Fail, check, "pending validation", "publish the validation CNAME that aws acm describe-certificate --certificate-arn " + arn + " shows, and wait for ISSUED"}}
	case c.Status != acmtypes.CertificateStatusIssued:
		return []result{{Fail, check, "status " + string(c.Status), request}}
	case !slices.ContainsFunc(names, func(n string) bool { return covers(n, host) }):
		return []result{{Fail, check, "issued for " + strings.Join(names, ", ") + ", not for " + host, request}}
	}
	return []result{{OK, check, "issued for " + host + " in " + t.region, ""}}
}

// covers reports whether a certificate name (possibly a wildcard, which matches one label) covers host.
func covers(name, host string) bool {
	name, host = strings.ToLower(name), strings.ToLower(host)
	if rest, ok := strings.CutPrefix(name, "*."); ok {
		_, parent, found := strings.Cut(host, ".")
		return found && parent == rest
	}
	return name == host
}

// awsSecretsKey is the AWS managed key Secrets Manager encrypts with unless told otherwise: a
// role allowed GetSecretValue may decrypt through it, so approval's needs no key grant.
const awsSecretsKey = "alias/aws/secretsmanager"

// staffSecret checks the staff identity provider's client secret, without reading its value: it
// exists in the stack's region, is not being deleted, and approval's role can decrypt it.
func (p Preflight) staffSecret(ctx context.Context, t target) []result {
	const check = "staff client secret"
	arn := t.props.StaffClientSecretARN
	create := "store the client secret the identity provider issued for the portal: aws secretsmanager create-secret --region " + t.region +
		" --name cfp/staff-oidc-client --secret-string file://client-secret.txt, and set CFP_STAFF_CLIENT_SECRET_ARN to the ARN it prints"
	out, err := p.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &arn})
	var missing *smtypes.ResourceNotFoundException
	switch {
	case errors.As(err, &missing):
		return []result{{Fail, check, arn + " is not in this account in " + t.region, create}}
	case err != nil:
		return []result{unreadable(check, "secretsmanager:DescribeSecret on "+arn, err)}
	case out.DeletedDate != nil:
		return []result{{Fail, check, arn + " is scheduled for deletion on " + out.DeletedDate.Format("2 January 2006") + ": staff could not sign in",
			"aws secretsmanager restore-secret --region " + t.region + " --secret-id " + arn}}
	case aws.ToString(out.KmsKeyId) != "" && aws.ToString(out.KmsKeyId) != awsSecretsKey:
		return []result{{Fail, check, "encrypted with the key " + aws.ToString(out.KmsKeyId) + ", which approval's role may not use: staff could not sign in",
			"encrypt it with the AWS managed key: aws secretsmanager update-secret --region " + t.region + " --secret-id " + arn +
				" --kms-key-id " + awsSecretsKey + " --secret-string file://client-secret.txt"}}
	}
	return []result{{OK, check, "in " + t.region + ", encrypted with " + awsSecretsKey, ""}}
}
