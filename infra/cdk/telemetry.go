package cdk

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// EmailDataIdentifier is the AWS managed data identifier the log groups' data protection policy
// masks: people's addresses reach the logs in SES feedback and errors, and nobody reading the
// logs needs them.
const EmailDataIdentifier = "EmailAddress"

// logGroup declares a log group the stack owns: kept for LogRetention, retained when the stack
// goes, email addresses masked. name nil lets CloudFormation name it.
func (b *build) logGroup(scope constructs.Construct, id string, name *string) awslogs.LogGroup {
	return awslogs.NewLogGroup(scope, jsii.String(id), &awslogs.LogGroupProps{
		LogGroupName:  name,
		Retention:     LogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
}

// maskEmails is the data protection policy of every log group of the stack: CloudWatch Logs masks
// each email address as it arrives, so the logs show it only to a principal granted
// logs:Unmask. Set per log group, not for the account, so that it covers this stack's groups
// and leaves the account's other systems as they are. Findings are counted in the group's
// metrics only (no audit destination: that would be one more copy of the addresses' positions).
func (b *build) maskEmails() map[string]any {
	identifier := []any{awscdk.Fn_Join(jsii.String(""), jsii.Strings(
		"arn:", *b.stack.Partition(), ":dataprotection::aws:data-identifier/"+EmailDataIdentifier))}
	return map[string]any{
		"Name":        "mask-email-addresses",
		"Description": "Masks email addresses in the Client Finance Portal's logs",
		"Version":     "2021-06-01",
		"Statement": []any{
			map[string]any{
				"Sid":            "audit",
				"DataIdentifier": identifier,
				"Operation":      map[string]any{"Audit": map[string]any{"FindingsDestination": map[string]any{}}},
			},
			map[string]any{
				"Sid":            "mask",
				"DataIdentifier": identifier,
				"Operation":      map[string]any{"Deidentify": map[string]any{"MaskConfig": map[string]any{}}},
			},
		},
	}
}

// telemetry gives every log group of the stack the data protection policy, and CDK's bucket
// notification handler a log group of the stack's (Lambda would otherwise create one with no
// retention). It runs once every resource exists.
func (b *build) telemetry() {
	for _, child := range *b.stack.Node().Children() {
		c := child.(constructs.IConstruct)
		if !strings.HasPrefix(*c.Node().Id(), "BucketNotificationsHandler") {
			continue
		}
		fn, ok := c.Node().TryFindChild(jsii.String("Resource")).(awscdk.CfnResource)
		if !ok {
			panic("cdk: CDK's bucket notification handler has no resource named Resource")
		}
		logs := b.logGroup(b.stack, *c.Node().Id()+"Logs", nil)
		fn.AddPropertyOverride(jsii.String("LoggingConfig"), map[string]any{"LogGroup": logs.LogGroupName()})
	}
	policy := b.maskEmails()
	for _, c := range *b.stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if lg, ok := c.(awslogs.CfnLogGroup); ok {
			lg.SetDataProtectionPolicy(policy)
		}
	}
}
