package cdk

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
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

// mailFeedback subscribes every function marked MailFeedback to the feedback topic, through an
// alias of its own: SNS invokes asynchronously, and a feedback event the function still fails on
// after Lambda's retries goes to the feedback-failures queue (an alarm fires) instead of being
// dropped, which would leave a bounced or complaining address unsuppressed. The alias keeps that
// destination off the function's other asynchronous invocations (the schedule's ticks, which
// the next tick replaces).
func (b *build) mailFeedback() {
	for _, f := range b.fns {
		if !f.spec.MailFeedback {
			continue
		}
		if b.feedbackFailures == nil {
			b.feedbackFailures = awssqs.NewQueue(b.stack, jsii.String("FeedbackFailures"), &awssqs.QueueProps{
				Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
				EnforceSSL:      jsii.Bool(true),
				RetentionPeriod: awscdk.Duration_Days(jsii.Number(FailedEventDays)),
			})
		}
		alias := f.fn.AddAlias(jsii.String("feedback"), &awslambda.AliasOptions{
			Description:   jsii.String("SES bounces and complaints, from the feedback topic"),
			RetryAttempts: jsii.Number(2),
			MaxEventAge:   awscdk.Duration_Hours(jsii.Number(6)),
			OnFailure:     awslambdadestinations.NewSqsDestination(b.feedbackFailures),
		})
		awscdk.Validations_Of(alias).Acknowledge(&awscdk.Acknowledgment{
			Id: jsii.String("CloudFormation-Validate::W3694"),
			Reason: jsii.String("SNS invokes a Lambda alias (a qualified function ARN) as it invokes a function; the " +
				"alias carries the feedback's own failure destination"),
		})
		awscdk.Annotations_Of(f.fn).AcknowledgeWarning(jsii.String("@aws-cdk/aws-lambda:addPermissionsToVersionOrAlias"),
			jsii.String("SNS's permission is the alias's (the subscription below); the schedule invokes the function itself"))
		// The queue also takes what SNS itself could not deliver to Lambda.
		b.feedback.AddSubscription(awssnssubscriptions.NewLambdaSubscription(alias, &awssnssubscriptions.LambdaSubscriptionProps{
			DeadLetterQueue: b.feedbackFailures,
		}))
	}
}
