package cdk

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/council/cfp/infra/wiring"
)

// nag applies cdk-nag's AwsSolutions checks. Its errors fail the synth; each finding that is
// accepted carries a suppression, scoped to the exact resource and permission, with the reason
// it does not apply here.
func (b *build) nag() {
	awscdk.Aspects_Of(b.stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		Verbose: jsii.Bool(true),
		Reports: jsii.Bool(false),
	}), nil)

	for _, f := range b.fns {
		s := []*cdknag.NagPackSuppression{suppress("AwsSolutions-IAM5",
			"X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level "+
				"permissions, so their resource is *; no other statement of this role uses *",
			"Resource::*")}
		for _, o := range f.spec.Access.Objects {
			if slices.Equal(o.Actions, []wiring.Action{wiring.ListBucket}) {
				continue // a bucket action: its resource is the bucket
			}
			s = append(s, suppress("AwsSolutions-IAM5",
				fmt.Sprintf("%s may %v objects only under %q in the %s bucket, as wiring.Access says; the keys "+
					"below that prefix are created at run time, so they cannot be listed", f.spec.Name, o.Actions, o.Prefix, o.Bucket),
				b.objectsFinding(b.bucket(o.Bucket), o.Prefix)))
		}
		cdknag.NagSuppressions_AddResourceSuppressions(f.role, &s, jsii.Bool(true))
	}

	cdknag.NagSuppressions_AddResourceSuppressions(b.signInKey, &[]*cdknag.NagPackSuppression{
		suppress("AwsSolutions-SMG4",
			"The sign-in code key only hashes codes that live ten minutes, and never leaves Secrets Manager and the "+
				"signin function's memory; rotating it would need a rotation function and void the last ten "+
				"minutes' codes. An operator who suspects it was read puts a new random value "+
				"(aws secretsmanager put-secret-value) and the next cold start uses it"),
	}, jsii.Bool(true))

	uploads := b.bucket(wiring.UploadsBucket)
	cdknag.NagSuppressions_AddResourceSuppressions(b.malwareRole, &[]*cdknag.NagPackSuppression{
		suppress("AwsSolutions-IAM5",
			"GuardDuty creates and names its EventBridge rule itself with this documented prefix; the statement is "+
				"further limited to rules managed by malware-protection-plan.guardduty.amazonaws.com",
			"Resource::arn:"+envPart(b.stack.Partition(), "AWS::Partition")+":events:"+envPart(b.stack.Region(), "AWS::Region")+":"+
				envPart(b.stack.Account(), "AWS::AccountId")+":rule/"+guardDutyRulePrefix+"*"),
		suppress("AwsSolutions-IAM5",
			"GuardDuty must read and tag every new object of the uploads bucket (and only that bucket) to scan it; "+
				"this is the role policy GuardDuty documents for Malware Protection for S3",
			b.objectsFinding(uploads, "")),
	}, jsii.Bool(true))

	cdknag.NagSuppressions_AddResourceSuppressions(b.api, &[]*cdknag.NagPackSuppression{
		suppress("AwsSolutions-APIG4",
			"Authorisation is done in the functions on every request (design decisions 6, 7, 9): session cookie for "+
				"the portal, continuation bearer token for a request's status and submit, the staff session from the "+
				"council's identity provider for staff pages; registration and "+
				"sign-in are public by design"),
		suppress("AwsSolutions-COG4",
			"The portal does not use Cognito: sign-in is a one-time code to the verified email address with "+
				"server-side sessions (design decision 6), checked by the functions"),
		suppress("AwsSolutions-APIG2",
			"Required path parameters are validated by API Gateway; bodies are validated by the functions, which "+
				"must answer RFC 9457 problem details naming each bad field (api.md), which a model cannot produce"),
	}, jsii.Bool(true))
	cdknag.NagSuppressions_AddResourceSuppressions(b.api.Node().FindChild(jsii.String("CloudWatchRole")), &[]*cdknag.NagPackSuppression{
		suppress("AwsSolutions-IAM4",
			"API Gateway's account-level logging role needs AmazonAPIGatewayPushToCloudWatchLogs, a logs-only "+
				"policy AWS maintains for exactly this service role",
			"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"),
	}, jsii.Bool(true))

	if b.failedEvents != nil {
		cdknag.NagSuppressions_AddResourceSuppressions(b.failedEvents, &[]*cdknag.NagPackSuppression{
			suppress("AwsSolutions-SQS3",
				"This queue is itself the dead-letter destination of the S3-triggered functions' asynchronous "+
					"invocations; nothing consumes it, an alarm fires on any message, and an operator sends them again"),
		}, jsii.Bool(true))
	}

	if b.feedbackFailures != nil {
		cdknag.NagSuppressions_AddResourceSuppressions(b.feedbackFailures, &[]*cdknag.NagPackSuppression{
			suppress("AwsSolutions-SQS3",
				"This queue is itself the dead-letter destination of the SES feedback subscription and of its function's "+
					"asynchronous invocations; nothing consumes it, an alarm fires on any message, and an operator sends them again"),
		}, jsii.Bool(true))
	}

	// CDK's bucket notification handler (one per stack) always attaches the basic execution policy.
	for _, child := range *b.stack.Node().Children() {
		if strings.HasPrefix(*child.(constructs.IConstruct).Node().Id(), "BucketNotificationsHandler") {
			cdknag.NagSuppressions_AddResourceSuppressions(child, &[]*cdknag.NagPackSuppression{
				suppress("AwsSolutions-IAM4",
					"CDK's bucket notification handler always attaches AWSLambdaBasicExecutionRole (logs only); its "+
						"own statement allows s3:PutBucketNotification on this stack's buckets only",
					"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
			}, jsii.Bool(true))
		}
	}
}

// objectsFinding is how cdk-nag names a bucket's objects under a prefix in an IAM5 finding.
func (b *build) objectsFinding(bucket awss3.Bucket, prefix string) string {
	cfn := bucket.Node().DefaultChild().(awscdk.CfnElement)
	return fmt.Sprintf("Resource::<%s.Arn>/%s*", *b.stack.GetLogicalId(cfn), prefix)
}

// envPart is how cdk-nag writes a part of the stack's environment in a finding: the pseudo parameter
// while the stack is environment-agnostic (make synth), the value itself once the CDK CLI pins the
// stack to an account and region (make deploy with credentials).
func envPart(v *string, pseudo string) string {
	if *awscdk.Token_IsUnresolved(v) {
		return "<" + pseudo + ">"
	}
	return *v
}

func suppress(id, reason string, appliesTo ...string) *cdknag.NagPackSuppression {
	s := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		list := make([]any, len(appliesTo))
		for i, a := range appliesTo {
			list[i] = a
		}
		s.AppliesTo = &list
	}
	return s
}
