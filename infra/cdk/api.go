package cdk

import (
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/jsii-runtime-go"

	"github.com/council/cfp/infra/wiring"
)

// AccessLogFormat is the API's access log line. It names the route template
// ($context.resourcePath), never the request path or query string, which carry ids and link tokens.
const AccessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
	`"requestTime":"$context.requestTime","httpMethod":"$context.httpMethod",` +
	`"resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol",` +
	`"responseLength":"$context.responseLength","integrationLatency":"$context.integrationLatency",` +
	`"wafResponseCode":"$context.wafResponseCode","error":"$context.error.message"}`

// restAPI declares the REST API and its stage. Methods come later (routes), once the functions exist.
func (b *build) restAPI() {
	accessLogs := b.logGroup(b.stack, "ApiAccessLogs", nil)
	// No CORS: the pages and the API are one site (pages at /, the API at wiring.APIPrefix), so
	// the portal's calls are same-origin and no preflight is ever needed.
	b.api = awsapigateway.NewRestApi(b.stack, jsii.String("Api"), &awsapigateway.RestApiProps{
		Description:   jsii.String("Client Finance Portal: the pages at /, the JSON API at " + wiring.APIPrefix),
		EndpointTypes: &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		// Execution logging (errors only) needs API Gateway's account-level CloudWatch role.
		CloudWatchRole:              jsii.Bool(true),
		CloudWatchRoleRemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String(StageName),
			ThrottlingRateLimit:  jsii.Number(float64(b.props.ThrottleRatePerSecond)),
			ThrottlingBurstLimit: jsii.Number(float64(b.props.ThrottleBurst)),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(accessLogs),
			AccessLogFormat:      awsapigateway.AccessLogFormat_Custom(jsii.String(AccessLogFormat)),
			LoggingLevel:         awsapigateway.MethodLoggingLevel_ERROR,
			// Data tracing would log full requests: tokens, codes and personal data.
			DataTraceEnabled: jsii.Bool(false),
			MetricsEnabled:   jsii.Bool(true),
			// X-Ray segments of the stage record each request's full URL: ids in paths and
			// invitation tokens in query strings, readable by anyone who may read traces.
			TracingEnabled: jsii.Bool(false),
		},
	})
	// API Gateway creates its execution log group itself, with no retention, on the first line it
	// writes; declared here first, the stack owns it, keeps it for LogRetention and masks it.
	executionLogs := b.logGroup(b.stack, "ApiExecutionLogs", awscdk.Fn_Join(jsii.String(""), jsii.Strings(
		"API-Gateway-Execution-Logs_", *b.api.RestApiId(), "/"+StageName)))
	b.api.DeploymentStage().Node().AddDependency(executionLogs)
	// The stack's URL outputs are SiteUrl and ApiUrl (below): drop the RestApi's own, which ends in "/".
	b.api.Node().TryRemoveChild(jsii.String("Endpoint"))
	b.validator = b.api.AddRequestValidator(jsii.String("PathParameters"), &awsapigateway.RequestValidatorOptions{
		ValidateRequestParameters: jsii.Bool(true),
	})
	if d := b.props.APIDomainName; d != "" {
		domain := awsapigateway.NewDomainName(b.stack, jsii.String("ApiDomain"), &awsapigateway.DomainNameProps{
			DomainName:     jsii.String(d),
			Certificate:    awscertificatemanager.Certificate_FromCertificateArn(b.stack, jsii.String("ApiCertificate"), jsii.String(b.props.APICertificateARN)),
			EndpointType:   awsapigateway.EndpointType_REGIONAL,
			SecurityPolicy: awsapigateway.SecurityPolicy_TLS_1_2,
			Mapping:        b.api,
		})
		b.siteURL = jsii.String("https://" + d)
		b.apiURL = jsii.String("https://" + d + wiring.APIPrefix)
		awscdk.NewCfnOutput(b.stack, jsii.String("ApiDomainTarget"), &awscdk.CfnOutputProps{
			Value:       domain.DomainNameAliasDomainName(),
			Description: jsii.String("Point " + d + ", the portal's host, here (CNAME, or Route 53 alias)"),
		})
		return
	}
	// Without the custom domain, the stage's execute-api URL. (The pages then sit under /prod,
	// where their links to /assets and to each other do not work: for trying the API only.)
	b.siteURL = awscdk.Fn_Join(jsii.String(""), jsii.Strings(
		"https://", *b.api.RestApiId(), ".execute-api.", *b.stack.Region(), ".", *b.stack.UrlSuffix(), "/"+StageName))
	b.apiURL = awscdk.Fn_Join(jsii.String(""), jsii.Strings(*b.siteURL, wiring.APIPrefix))
}

// StaffPrefixes are the first path segments of the staff workspace's routes: those of the function
// that signs staff in (it reads the identity provider's issuer). The staff allow-list guards
// every path under them, so a staff route added to the wiring is guarded without a change here.
func StaffPrefixes() []string {
	var out []string
	for _, f := range wiring.Functions {
		if !slices.Contains(f.Settings, wiring.StaffIssuer) {
			continue
		}
		for _, r := range f.Routes {
			first, _, _ := strings.Cut(strings.TrimPrefix(r.Path, "/"), "/")
			if first != "" && !strings.HasPrefix(first, "{") {
				out = append(out, "/"+first)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// staffPathPattern matches the staff routes with or without the stage prefix (the execute-api
// URL has it; a custom domain mapping does not).
func staffPathPattern() string {
	alts := make([]string, 0, len(StaffPrefixes()))
	for _, p := range StaffPrefixes() {
		alts = append(alts, regexp.QuoteMeta(p))
	}
	return `^(/` + regexp.QuoteMeta(StageName) + `)?(` + strings.Join(alts, "|") + `)(/|$)`
}

// firewall declares the WAF web ACL on the API stage: staff pages from staff networks only when
// networks are set,
// a per-IP rate limit, and AWS's common rule set.
func (b *build) firewall() {
	visibility := func(name string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
		return &awswafv2.CfnWebACL_VisibilityConfigProperty{
			CloudWatchMetricsEnabled: jsii.Bool(true),
			MetricName:               jsii.String(name),
			// Sampled requests keep URLs and headers (cookies, bearer tokens) for hours.
			SampledRequestsEnabled: jsii.Bool(false),
		}
	}
	block := &awswafv2.CfnWebACL_RuleActionProperty{Block: map[string]any{}}
	var rules []any

	v4, v6, _ := splitCIDRs(b.props.StaffCIDRs) // validated already
	var staff []any
	for _, set := range []struct {
		id, version string
		cidrs       []string
	}{{"StaffNetworksV4", "IPV4", v4}, {"StaffNetworksV6", "IPV6", v6}} {
		if len(set.cidrs) == 0 {
			continue
		}
		ipset := awswafv2.NewCfnIPSet(b.stack, jsii.String(set.id), &awswafv2.CfnIPSetProps{
			Scope:            jsii.String("REGIONAL"),
			IpAddressVersion: jsii.String(set.version),
			Addresses:        jsii.Strings(set.cidrs...),
			Description:      jsii.String("Staff networks allowed to open the staff pages at " + strings.Join(StaffPrefixes(), ", ")),
		})
		staff = append(staff, &awswafv2.CfnWebACL_StatementProperty{
			IpSetReferenceStatement: &awswafv2.CfnWebACL_IPSetReferenceStatementProperty{Arn: ipset.AttrArn()},
		})
	}
	if len(staff) > 0 {
		fromStaff := staff[0]
		if len(staff) > 1 {
			fromStaff = &awswafv2.CfnWebACL_StatementProperty{OrStatement: &awswafv2.CfnWebACL_OrStatementProperty{Statements: staff}}
		}
		rules = append(rules, &awswafv2.CfnWebACL_RuleProperty{
			Name:   jsii.String("staff-pages-from-staff-networks-only"),
			Action: block,
			Statement: &awswafv2.CfnWebACL_StatementProperty{AndStatement: &awswafv2.CfnWebACL_AndStatementProperty{
				Statements: []any{
					&awswafv2.CfnWebACL_StatementProperty{RegexMatchStatement: &awswafv2.CfnWebACL_RegexMatchStatementProperty{
						FieldToMatch: &awswafv2.CfnWebACL_FieldToMatchProperty{UriPath: map[string]any{}},
						RegexString:  jsii.String(staffPathPattern()),
						// Decode first so an encoded path cannot slip past the match.
						TextTransformations: []any{
							&awswafv2.CfnWebACL_TextTransformationProperty{Priority: jsii.Number(0), Type: jsii.String("URL_DECODE")},
							&awswafv2.CfnWebACL_TextTransformationProperty{Priority: jsii.Number(1), Type: jsii.String("NORMALIZE_PATH")},
						},
					}},
					&awswafv2.CfnWebACL_StatementProperty{NotStatement: &awswafv2.CfnWebACL_NotStatementProperty{Statement: fromStaff}},
				},
			}},
			VisibilityConfig: visibility("staff-pages-from-staff-networks-only"),
		})
	}
	rules = append(rules,
		&awswafv2.CfnWebACL_RuleProperty{
			Name:   jsii.String("rate-per-ip"),
			Action: block,
			Statement: &awswafv2.CfnWebACL_StatementProperty{RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
				AggregateKeyType:    jsii.String("IP"),
				Limit:               jsii.Number(float64(b.props.RateLimitPer5Min)),
				EvaluationWindowSec: jsii.Number(300),
			}},
			VisibilityConfig: visibility("rate-per-ip"),
		},
		&awswafv2.CfnWebACL_RuleProperty{
			Name:           jsii.String("aws-common-rule-set"),
			OverrideAction: &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]any{}},
			Statement: &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{
				VendorName: jsii.String("AWS"),
				Name:       jsii.String("AWSManagedRulesCommonRuleSet"),
			}},
			VisibilityConfig: visibility("aws-common-rule-set"),
		},
	)
	for i, r := range rules {
		r.(*awswafv2.CfnWebACL_RuleProperty).Priority = jsii.Number(float64(i))
	}

	b.webACL = awswafv2.NewCfnWebACL(b.stack, jsii.String("ApiFirewall"), &awswafv2.CfnWebACLProps{
		Name:             jsii.String(*b.stack.StackName() + "-api"),
		Scope:            jsii.String("REGIONAL"),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: map[string]any{}},
		VisibilityConfig: visibility(*b.stack.StackName() + "-api"),
		Rules:            rules,
	})
	assoc := awswafv2.NewCfnWebACLAssociation(b.stack, jsii.String("ApiFirewallAssociation"), &awswafv2.CfnWebACLAssociationProps{
		ResourceArn: b.api.DeploymentStage().StageArn(),
		WebAclArn:   b.webACL.AttrArn(),
	})
	assoc.Node().AddDependency(b.api.DeploymentStage())
}
