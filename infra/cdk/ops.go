package cdk

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/council/cfp/infra/wiring"
)

// ParkedEmailMessage is the msg of the JSON log line a sender writes when it gives up on an email.
const ParkedEmailMessage = "email parked"

// operations declares the alarm topic and the alarms: per function errors and throttles, parked
// emails, failed S3 events, API 5xx, and requests the WAF blocked.
func (b *build) operations() {
	b.alarmTopic = b.topic("Alarms", "Client Finance Portal alarms")
	// The topic has its own policy (TLS only), which replaces SNS's default one: CloudWatch needs
	// an explicit grant, limited to this account's alarms.
	b.alarmTopic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{b.alarmTopic.TopicArn()},
		Conditions: &map[string]any{
			"ArnLike": map[string]any{"aws:SourceArn": b.stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"), ResourceName: jsii.String("*"),
				ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
			})},
			"StringEquals": map[string]any{"aws:SourceAccount": b.stack.Account()},
		},
	}))
	if b.props.AlarmEmail != "" {
		b.alarmTopic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(b.props.AlarmEmail), nil))
	}
	notify := awscloudwatchactions.NewSnsAction(b.alarmTopic)
	fiveMinutes := awscdk.Duration_Minutes(jsii.Number(5))
	sum := &awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")}
	alarm := func(scope constructs.Construct, id string, metric awscloudwatch.IMetric, threshold int, what string) {
		a := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
			Metric:             metric,
			Threshold:          jsii.Number(float64(threshold)),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			AlarmDescription:   jsii.String(fmt.Sprintf("%s: at least %d in 5 minutes", what, threshold)),
		})
		a.AddAlarmAction(notify)
	}

	namespace := jsii.String("CFP/" + *b.stack.StackName())
	parked := false
	for _, f := range b.fns {
		alarm(f.scope, "ErrorsAlarm", f.fn.MetricErrors(sum), 1, f.spec.Name+" errors")
		// The scan function's reservation throttles a burst of uploads on purpose: S3's events
		// wait in Lambda's queue and are retried, so its throttles are not news. What would be
		// (events dropped, evidence without a verdict) has alarms of its own.
		if !scanner(f.spec) {
			alarm(f.scope, "ThrottlesAlarm", f.fn.MetricThrottles(sum), 1, f.spec.Name+" throttled")
		}
		// Every function that sends mail may park an email; they all count into one metric.
		if len(f.spec.Access.Mail) > 0 {
			awslogs.NewMetricFilter(f.scope, jsii.String("ParkedEmails"), &awslogs.MetricFilterProps{
				LogGroup:        f.logs,
				FilterPattern:   awslogs.FilterPattern_StringValue(jsii.String("$.msg"), jsii.String("="), jsii.String(ParkedEmailMessage)),
				MetricNamespace: namespace,
				MetricName:      jsii.String("ParkedEmails"),
				MetricValue:     jsii.String("1"),
			})
			parked = true
		}
	}
	if parked {
		alarm(b.stack, "ParkedEmailsAlarm", awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: namespace, MetricName: jsii.String("ParkedEmails"), Period: fiveMinutes, Statistic: jsii.String("Sum"),
		}), 1, "emails parked after failed delivery")
	}
	if b.failedEvents != nil {
		alarm(b.stack, "FailedEventsAlarm", b.failedEvents.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period: fiveMinutes, Statistic: jsii.String("Maximum"),
		}), 1, "S3 events a function could not handle (send them again: README-deploy.md)")
	}
	alarm(b.stack, "Api5xxAlarm", b.api.MetricServerError(sum), 1, "API 5xx responses")
	alarm(b.stack, "WafBlockedAlarm", awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:  jsii.String("AWS/WAFV2"),
		MetricName: jsii.String("BlockedRequests"),
		DimensionsMap: &map[string]*string{
			"WebACL": b.webACL.Name(),
			"Region": b.stack.Region(),
			"Rule":   jsii.String("ALL"),
		},
		Period:    fiveMinutes,
		Statistic: jsii.String("Sum"),
	}), b.props.WAFBlockedAlarmThreshold, "requests blocked by the API firewall")
}

// outputs are what an engineer needs after deploying: the API URL, the DKIM records to publish,
// and the names the back office and operators use.
func (b *build) outputs() {
	out := func(id string, value *string, description string) {
		awscdk.NewCfnOutput(b.stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
	}
	out("SiteUrl", b.siteURL, "The site: the portal's pages at /")
	out("ApiUrl", b.apiURL, "The JSON API's base URL on the site")
	out("DocumentsBucketName", b.bucket(wiring.DocumentsBucket).BucketName(), "Back office drops PDFs under inbound/ here")
	out("UploadsBucketName", b.bucket(wiring.UploadsBucket).BucketName(), "Evidence uploads, scanned by GuardDuty")
	out("TableName", b.table.TableName(), "The single DynamoDB table")
	if b.failedEvents != nil {
		out("FailedEventsQueueUrl", b.failedEvents.QueueUrl(), "S3 events a function could not handle, to send again")
	}
	if b.feedbackFailures != nil {
		out("FeedbackFailuresQueueUrl", b.feedbackFailures.QueueUrl(), "SES bounces and complaints notify could not record, to send again")
	}
	for i, r := range *b.identity.DkimRecords() {
		out(fmt.Sprintf("DkimRecord%dName", i+1), r.Name, "CNAME to publish for SES DKIM")
		out(fmt.Sprintf("DkimRecord%dValue", i+1), r.Value, "CNAME target for SES DKIM")
	}
}
