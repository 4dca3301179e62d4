package cdk

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"
)

// mail declares the SES identity, its configuration set, and the encrypted topic that carries
// bounces and complaints back to the functions marked MailFeedback.
func (b *build) mail() {
	b.key = awskms.NewKey(b.stack, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the mail feedback and alarm topics"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	b.configSet = awsses.NewConfigurationSet(b.stack, jsii.String("MailConfig"), &awsses.ConfigurationSetProps{
		ReputationMetrics:  jsii.Bool(true),
		SendingEnabled:     jsii.Bool(true),
		SuppressionReasons: awsses.SuppressionReasons_BOUNCES_AND_COMPLAINTS,
		TlsPolicy:          awsses.ConfigurationSetTlsPolicy_REQUIRE,
	})
	b.identity = awsses.NewEmailIdentity(b.stack, jsii.String("MailIdentity"), &awsses.EmailIdentityProps{
		Identity:         awsses.Identity_Domain(jsii.String(b.props.MailDomain)),
		ConfigurationSet: b.configSet,
	})
	b.servicesPublish()
	b.feedback = b.topic("MailFeedback", "SES bounces and complaints")
	b.configSet.AddEventDestination(jsii.String("BouncesAndComplaints"), &awsses.ConfigurationSetEventDestinationOptions{
		Destination: awsses.EventDestination_SnsTopic(b.feedback),
		Events:      &[]awsses.EmailSendingEvent{awsses.EmailSendingEvent_BOUNCE, awsses.EmailSendingEvent_COMPLAINT},
	})
}

// servicesPublish lets SES (feedback) and CloudWatch (alarms) publish to the encrypted topics: SNS
// encrypts with the publisher's rights on the key, and AWS managed keys cannot grant this to
// services. The key policy follows the SES and CloudWatch documentation, and each service may use
// the key only on behalf of this account's own configuration set or alarms, so that no other
// account's resource can have the service use it (the confused deputy).
func (b *build) servicesPublish() {
	grant := func(sid, service string, source *string) {
		b.key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String(sid),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(service), nil)},
			Actions:    jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
			Resources:  jsii.Strings("*"), // in a key policy "*" means this key
			Conditions: &map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": b.stack.Account()},
				"ArnLike":      map[string]any{"aws:SourceArn": source},
			},
		}), nil)
	}
	grant("SESPublishesMailFeedback", "ses.amazonaws.com", b.configSetArn())
	grant("CloudWatchPublishesAlarms", "cloudwatch.amazonaws.com", b.stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("cloudwatch"),
		Resource:     jsii.String("alarm"),
		ResourceName: jsii.String("*"),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	}))
}

// configSetArn is the configuration set's ARN: SES authorises SendEmail against it too.
func (b *build) configSetArn() *string {
	return b.stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("ses"),
		Resource:     jsii.String("configuration-set"),
		ResourceName: b.configSet.ConfigurationSetName(),
	})
}

// mailFeedback subscribes every function marked MailFeedback to the feedback topic.
func (b *build) mailFeedback() {
	for _, f := range b.fns {
		if f.spec.MailFeedback {
			b.feedback.AddSubscription(awssnssubscriptions.NewLambdaSubscription(f.fn, nil))
		}
	}
}
