package cdk

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/council/cfp/infra/wiring"
)

// --- secrets out of telemetry ---

func TestEveryLogGroupIsKeptForItsRetentionAndMasksEmailAddresses(t *testing.T) {
	_, doc := synth(t)
	groups := map[string]bool{}
	for _, lg := range resources(doc, "AWS::Logs::LogGroup") {
		groups[lg.ID] = true
		if lg.Props["RetentionInDays"] != float64(180) || lg.Raw["DeletionPolicy"] != "Retain" {
			t.Errorf("log group %s: retention %v, deletion policy %v; want 180 days (LogRetention), retained", lg.ID, lg.Props["RetentionInDays"], lg.Raw["DeletionPolicy"])
		}
		policy := lg.Props["DataProtectionPolicy"]
		for _, op := range []string{"Audit", "Deidentify"} {
			found := false
			for _, st := range asList(jsonPath(policy, "Statement")) {
				if jsonPath(st, "Operation", op) != nil && strings.Contains(jsonOf(jsonPath(st, "DataIdentifier")), ":dataprotection::aws:data-identifier/"+EmailDataIdentifier) {
					found = true
				}
			}
			if !found {
				t.Errorf("log group %s: its data protection policy has no %s of %s: %s", lg.ID, op, EmailDataIdentifier, jsonOf(policy))
			}
		}
		if jsonPath(policy, "Statement") != nil && jsonOf(jsonPath(asList(jsonPath(policy, "Statement"))[1], "Operation", "Deidentify")) != `{"MaskConfig":{}}` {
			t.Errorf("log group %s: email addresses are not masked: %s", lg.ID, jsonOf(policy))
		}
	}
	// Every Lambda, CDK's own bucket notification handler included, logs to a group of the stack:
	// one Lambda creates itself has no retention.
	for _, fn := range resources(doc, "AWS::Lambda::Function") {
		if id := refOf(jsonPath(fn.Props, "LoggingConfig", "LogGroup")); !groups[id] {
			t.Errorf("Lambda %s logs to %v, not to a log group of the stack", fn.ID, jsonPath(fn.Props, "LoggingConfig"))
		}
	}
	// API Gateway's access and execution logs too; the execution log group exists before the
	// stage, so API Gateway never creates it.
	stage := resources(doc, "AWS::ApiGateway::Stage")[0]
	if id := refOf(jsonPath(stage.Props, "AccessLogSetting", "DestinationArn")); !groups[id] {
		t.Errorf("access logs go to %v, not a log group of the stack", jsonPath(stage.Props, "AccessLogSetting"))
	}
	api := refOf(stage.Props["RestApiId"])
	execution := ""
	for _, lg := range resources(doc, "AWS::Logs::LogGroup") {
		if jsonOf(lg.Props["LogGroupName"]) == `{"Fn::Join":["",["API-Gateway-Execution-Logs_",{"Ref":"`+api+`"},"/`+StageName+`"]]}` {
			execution = lg.ID
		}
	}
	if execution == "" {
		t.Errorf("no log group API-Gateway-Execution-Logs_{api}/%s: API Gateway would create one that is kept for ever", StageName)
	} else if !strings.Contains(jsonOf(stage.Raw["DependsOn"]), `"`+execution+`"`) {
		t.Errorf("the stage does not wait for its execution log group %s: %v", execution, stage.Raw["DependsOn"])
	}
}

func TestTheFirewallSamplesNoRequests(t *testing.T) {
	_, doc := synth(t)
	for _, acl := range resources(doc, "AWS::WAFv2::WebACL") {
		configs := []any{acl.Props["VisibilityConfig"]}
		for _, r := range asList(acl.Props["Rules"]) {
			configs = append(configs, jsonPath(r, "VisibilityConfig"))
		}
		for _, c := range configs {
			if jsonPath(c, "SampledRequestsEnabled") != false {
				t.Errorf("web ACL %s keeps sampled requests (URLs, cookies, bearer tokens): %s", acl.ID, jsonOf(c))
			}
		}
	}
}

// --- operations ---

// alarmsOn returns the alarms on a metric, each checked to notify the alarm topic.
func alarmsOn(t *testing.T, doc map[string]any, namespace, metric string) []resource {
	t.Helper()
	var topic string
	for _, tp := range resources(doc, "AWS::SNS::Topic") {
		if tp.Props["DisplayName"] == "Client Finance Portal alarms" {
			topic = tp.ID
		}
	}
	var out []resource
	for _, a := range resources(doc, "AWS::CloudWatch::Alarm") {
		if a.Props["Namespace"] == namespace && a.Props["MetricName"] == metric {
			if len(asList(a.Props["AlarmActions"])) != 1 || !mentions(a.Props["AlarmActions"], topic) {
				t.Errorf("alarm %s does not notify the alarm topic only: %v", a.ID, a.Props["AlarmActions"])
			}
			out = append(out, a)
		}
	}
	return out
}

func TestAScheduledFunctionThatStopsRaisesAnAlarm(t *testing.T) {
	_, doc := synth(t)
	for _, f := range wiring.Functions {
		if f.Schedule <= 0 {
			continue
		}
		fn := lambdaOf(t, doc, f.Name)
		found := false
		for _, a := range alarmsOn(t, doc, "AWS/Lambda", "Invocations") {
			if !strings.Contains(jsonOf(a.Props["Dimensions"]), `"Ref":"`+fn.ID+`"`) {
				continue
			}
			found = true
			// Missing data is the failure: Lambda publishes nothing for a function nobody invokes.
			if a.Props["ComparisonOperator"] != "LessThanThreshold" || a.Props["Threshold"] != float64(1) ||
				a.Props["Statistic"] != "Sum" || a.Props["TreatMissingData"] != "breaching" {
				t.Errorf("%s heartbeat: %s", f.Name, jsonOf(a.Props))
			}
			if p := a.Props["Period"].(float64) * a.Props["EvaluationPeriods"].(float64); p < 2*f.Schedule.Seconds() || p > HeartbeatPeriod.Seconds() {
				t.Errorf("%s heartbeat looks at %gs; want at least two runs' worth and at most %v", f.Name, p, HeartbeatPeriod)
			}
		}
		if !found {
			t.Errorf("%s runs on a schedule but nothing notices when it stops", f.Name)
		}
	}
}

func TestSESReputationRaisesAnAlarmBeforeSESPausesSending(t *testing.T) {
	_, doc := synth(t)
	for metric, threshold := range map[string]float64{"Reputation.BounceRate": 0.05, "Reputation.ComplaintRate": 0.001} {
		alarms := alarmsOn(t, doc, "AWS/SES", metric)
		if len(alarms) != 1 {
			t.Errorf("%d alarms on %s; want 1", len(alarms), metric)
			continue
		}
		p := alarms[0].Props
		if p["Threshold"] != threshold || p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" || p["Statistic"] != "Maximum" ||
			p["TreatMissingData"] != "notBreaching" || p["Dimensions"] != nil {
			t.Errorf("%s alarm: %s; want the account's rate at %g or more, quiet without sending", metric, jsonOf(p), threshold)
		}
	}
}

func TestEvidenceWaitingTooLongForAVerdictRaisesAnAlarm(t *testing.T) {
	_, doc := synth(t)
	var scan wiring.Function
	for _, f := range wiring.Functions {
		if scanner(f) {
			scan = f
		}
	}
	logGroup := refOf(jsonPath(lambdaOf(t, doc, scan.Name).Props, "LoggingConfig", "LogGroup"))
	filters := map[string]string{}
	for _, mf := range resources(doc, "AWS::Logs::MetricFilter") {
		if refOf(mf.Props["LogGroupName"]) == logGroup {
			filters[jsonPath(asList(mf.Props["MetricTransformations"])[0], "MetricName").(string)] = mf.Props["FilterPattern"].(string)
		}
	}
	want := map[string]string{
		"EvidenceAwaitingVerdict": `{ ($.msg = "evidence recorded") && ($.status = "scanning") }`,
		"VerdictsRecorded":        `{ ($.msg = "evidence recorded") && ($.event = "ObjectTagging:Put") }`,
	}
	for name, pattern := range want {
		if filters[name] != pattern {
			t.Errorf("%s's log: metric %s counts %q; want %q", scan.Name, name, filters[name], pattern)
		}
	}
	var alarm resource
	for _, a := range resources(doc, "AWS::CloudWatch::Alarm") {
		if strings.Contains(jsonOf(a.Props["Metrics"]), "EvidenceAwaitingVerdict") {
			alarm = a
		}
	}
	if alarm.ID == "" {
		t.Fatal("no alarm on evidence waiting for a verdict")
	}
	p := alarm.Props
	if p["Threshold"] != float64(1) || p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" || p["TreatMissingData"] != "notBreaching" ||
		len(asList(p["AlarmActions"])) != 1 {
		t.Errorf("verdict alarm: %s", jsonOf(p))
	}
	metrics := jsonOf(p["Metrics"])
	for _, part := range []string{`"Expression":"FILL(waiting, 0) - FILL(verdicts, 0)"`, `"Period":3600`, `"MetricName":"VerdictsRecorded"`} {
		if !strings.Contains(metrics, part) {
			t.Errorf("verdict alarm metrics lack %s: %s", part, metrics)
		}
	}
	// The log line the filters read is the one scan-upload writes.
	src, err := os.ReadFile(filepath.Join("..", "..", scan.Dir(), "handler.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`log.Info("` + EvidenceRecordedMessage + `")`, `With("event", rec.Name`, `With("status", ev.Status)`} {
		if !strings.Contains(string(src), s) {
			t.Errorf("%s no longer logs %s: the verdict alarm's metric filters count nothing", scan.Name, s)
		}
	}
}

func TestNotifyHasItsReservedConcurrency(t *testing.T) {
	_, doc := synth(t)
	for name := range reservedConcurrency {
		if _, ok := wiring.Find(name); !ok {
			t.Errorf("reserved concurrency for %s, which the wiring does not have", name)
		}
	}
	for _, f := range wiring.Functions {
		got := lambdaOf(t, doc, f.Name).Props["ReservedConcurrentExecutions"]
		want, reserved := reservedConcurrency[f.Name]
		if scanner(f) {
			want, reserved = DefaultScanUploadConcurrency, true
		}
		if reserved && got != float64(want) || !reserved && got != nil {
			t.Errorf("%s: reserved concurrency %v; want %v", f.Name, got, want)
		}
	}
	if reservedConcurrency["notify"] != NotifyReservedConcurrency {
		t.Errorf("notify reserves %d; README-deploy.md and the preflight say %d", reservedConcurrency["notify"], NotifyReservedConcurrency)
	}
	// The quota README-deploy.md tells a council to have is what the stack reserves by default and
	// the 100 Lambda keeps unreserved.
	readme, err := os.ReadFile("README-deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	need := fmt.Sprintf("needs at least %d concurrent executions", 100+ReservedConcurrency(StackProps{}))
	if n := strings.Count(string(readme), need); n != 2 {
		t.Errorf("README-deploy.md says %q %d times; want it in the preflight table and under Quotas", need, n)
	}
}
