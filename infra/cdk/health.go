package cdk

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/council/cfp/shared/access"
)

// What the health alarms watch, named so that the tests and README-deploy.md can refer to them.
const (
	// HeartbeatPeriod: a scheduled function with no invocation in this long has stopped running.
	HeartbeatPeriod = 10 * time.Minute
	// SES reviews an account whose bounce rate reaches 5% or complaint rate 0.1%, and may pause its
	// sending at 10% and 0.5% (SES's sending review process). The alarms fire at the review levels,
	// while there is still time to act.
	BounceRateAlarm    = 0.05
	ComplaintRateAlarm = 0.001
	// VerdictWait is longer than GuardDuty takes to scan an upload of the portal's size (seconds to
	// a few minutes): evidence checked in one such period without a verdict is stuck.
	VerdictWait = time.Hour
	// EvidenceRecordedMessage is the msg of the JSON log line scan-upload writes for every event it
	// handles, with the event's name and the evidence's status.
	EvidenceRecordedMessage = "evidence recorded"
	// NotifyReservedConcurrency: one scheduled run at a time (runs do not overlap) and the SES
	// feedback that arrives in small bursts after a run. Reserved, notify is never starved of
	// concurrency by the API's functions, and never takes theirs.
	NotifyReservedConcurrency = 3
	// SignInReservedConcurrency is signin's share, and its ceiling: a flood of sign-in attempts
	// waits (API Gateway answers 429 once Lambda throttles) inside these instances and never takes
	// the ones the document lists (account) run on. One instance answers a code request in under a
	// second (SignInFloor), so 10 serve some 10 sign-ins a second, far above a council's portal.
	SignInReservedConcurrency = 10
)

// reservedConcurrency is the reserved concurrency of the functions that have one, by wiring name.
var reservedConcurrency = map[string]int{"notify": NotifyReservedConcurrency, "signin": SignInReservedConcurrency}

// ReservedConcurrency is the concurrency the stack's functions reserve in all (notify's, signin's and
// scan-upload's ScanUploadConcurrency): the account must leave that much unreserved on top of the
// 100 Lambda keeps for functions without a reservation.
func ReservedConcurrency(p StackProps) int {
	sum := p.WithDefaults().ScanUploadConcurrency
	for _, n := range reservedConcurrency {
		sum += n
	}
	return sum
}

// alarm declares an alarm that notifies the alarm topic.
func (b *build) alarm(scope constructs.Construct, id string, p *awscloudwatch.AlarmProps) awscloudwatch.Alarm {
	a := awscloudwatch.NewAlarm(scope, jsii.String(id), p)
	a.AddAlarmAction(awscloudwatchactions.NewSnsAction(b.alarmTopic))
	return a
}

// health declares what operations need beyond errors: reserved concurrency, a heartbeat per
// scheduled function, SES reputation alarms, and an alarm on evidence stuck without a verdict.
func (b *build) health() {
	for _, f := range b.fns {
		if n, ok := reservedConcurrency[f.spec.Name]; ok {
			f.fn.Node().DefaultChild().(awslambda.CfnFunction).SetReservedConcurrentExecutions(jsii.Number(float64(n)))
		}
		if f.spec.Schedule <= 0 {
			continue
		}
		// Lambda publishes Invocations only when there are some: no data is the very failure
		// this alarm is for (a deleted or disabled rule, a throttled or broken function).
		b.alarm(f.scope, "HeartbeatAlarm", &awscloudwatch.AlarmProps{
			Metric: f.fn.MetricInvocations(&awscloudwatch.MetricOptions{
				Period: duration(HeartbeatPeriod), Statistic: jsii.String("Sum"),
			}),
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_BREACHING,
			AlarmDescription: jsii.String(fmt.Sprintf("%s has not run for %v (it runs every %v): see README-deploy.md, Alarms",
				f.spec.Name, HeartbeatPeriod, f.spec.Schedule)),
		})
	}
	if b.feedbackFailures != nil {
		b.alarm(b.stack, "FeedbackFailuresAlarm", &awscloudwatch.AlarmProps{
			Metric: b.feedbackFailures.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
				Period: duration(5 * time.Minute), Statistic: jsii.String("Maximum"),
			}),
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			AlarmDescription: jsii.String("SES bounces or complaints that could not be recorded: their addresses are not " +
				"suppressed yet (send them again: README-deploy.md)"),
		})
	}
	b.reputationAlarms()
	b.verdictAlarm()
}

func duration(d time.Duration) awscdk.Duration {
	return awscdk.Duration_Seconds(jsii.Number(d.Seconds()))
}

// reputationAlarms watch the account's SES reputation, which SES publishes as the rate over the
// account's recent sending (account-wide: SES reviews and pauses the account, not one identity).
func (b *build) reputationAlarms() {
	for _, r := range []struct {
		id, metric, what string
		threshold        float64
	}{
		{"BounceRateAlarm", "Reputation.BounceRate", "bounce rate", BounceRateAlarm},
		{"ComplaintRateAlarm", "Reputation.ComplaintRate", "complaint rate", ComplaintRateAlarm},
	} {
		b.alarm(b.stack, r.id, &awscloudwatch.AlarmProps{
			Metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String("AWS/SES"), MetricName: jsii.String(r.metric),
				Period: duration(time.Hour), Statistic: jsii.String("Maximum"),
			}),
			Threshold:          jsii.Number(r.threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			// SES publishes the rates only while the account sends.
			TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
			AlarmDescription: jsii.String(fmt.Sprintf("SES %s at or above %g%%, where SES puts the account under review "+
				"and may pause its sending: see README-deploy.md, Alarms", r.what, r.threshold*100)),
		})
	}
}

// verdictAlarm fires when evidence waits for GuardDuty's verdict longer than GuardDuty takes.
// scan-upload logs one line per event it handles: status access.EvScanning when it has checked an upload
// whose verdict is not in yet, and event "ObjectTagging:Put" when the verdict arrives. Two metric
// filters count them; over VerdictWait, more uploads left waiting than verdicts arrived means
// GuardDuty is not tagging (a broken plan, role or bucket policy), and the evidence stays
// "being checked" for ever.
func (b *build) verdictAlarm() {
	namespace := jsii.String("CFP/" + *b.stack.StackName())
	metric := func(name string) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: namespace, MetricName: jsii.String(name), Period: duration(VerdictWait), Statistic: jsii.String("Sum"),
		})
	}
	scanners := b.scanners()
	if len(scanners) == 0 {
		return
	}
	f := scanners[0] // the uploads bucket has one
	for name, pattern := range map[string]string{
		"EvidenceAwaitingVerdict": `{ ($.msg = "` + EvidenceRecordedMessage + `") && ($.status = "` + string(access.EvScanning) + `") }`,
		"VerdictsRecorded":        `{ ($.msg = "` + EvidenceRecordedMessage + `") && ($.event = "ObjectTagging:Put") }`,
	} {
		awslogs.NewMetricFilter(f.scope, jsii.String(name), &awslogs.MetricFilterProps{
			LogGroup:        f.logs,
			FilterPattern:   awslogs.FilterPattern_Literal(jsii.String(pattern)),
			MetricNamespace: namespace,
			MetricName:      jsii.String(name),
			MetricValue:     jsii.String("1"),
		})
	}
	b.alarm(b.stack, "VerdictWaitAlarm", &awscloudwatch.AlarmProps{
		Metric: awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String("FILL(waiting, 0) - FILL(verdicts, 0)"),
			UsingMetrics: &map[string]awscloudwatch.IMetric{
				"waiting": metric("EvidenceAwaitingVerdict"), "verdicts": metric("VerdictsRecorded"),
			},
			Period: duration(VerdictWait),
			Label:  jsii.String("Uploads checked but still without a verdict"),
		}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING, // no uploads
		AlarmDescription: jsii.String(fmt.Sprintf("Evidence uploaded in the last %v still has no GuardDuty verdict: "+
			"see README-deploy.md, Alarms", VerdictWait)),
	})
}
