package cdk

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3notifications"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/store"
)

// localOnly are the settings only the local stack sets; in AWS they stay unset.
var localOnly = map[wiring.Setting]bool{wiring.InsecureCookies: true, wiring.S3PathStyle: true}

// function declares one wiring entry: its log group, role, and the Lambda running its bootstrap.
func (b *build) function(spec wiring.Function) {
	scope := constructs.NewConstruct(b.stack, jsii.String(constructID(spec.Name)))
	awscdk.Tags_Of(scope).Add(jsii.String(FunctionTag), jsii.String(spec.Name), nil)

	logs := awslogs.NewLogGroup(scope, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     LogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	// An explicit role: the default one would carry the AWSLambdaBasicExecutionRole managed
	// policy, which may write to any log group.
	role := awsiam.NewRole(scope, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Runs " + spec.Name + " with only what wiring.Access gives it"),
	})
	logs.GrantWrite(role)
	for _, st := range b.statements(spec.Access) {
		role.AddToPolicy(st)
	}

	asset, err := filepath.Abs(filepath.Join(b.props.AssetRoot, spec.Name))
	if err != nil {
		panic(err)
	}
	fn := awslambda.NewFunction(scope, jsii.String("Function"), &awslambda.FunctionProps{
		Description:  jsii.String(spec.Description),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(asset), nil),
		MemorySize:   jsii.Number(float64(spec.MemoryMB)),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(spec.Timeout.Seconds())),
		Environment:  b.environment(spec),
		Tracing:      awslambda.Tracing_ACTIVE,
		LogGroup:     logs,
		Role:         role,
	})
	b.fns = append(b.fns, &function{spec: spec, scope: scope, fn: fn, role: role, logs: logs})
}

// environment gives every wiring Setting of the function its AWS value.
func (b *build) environment(spec wiring.Function) *map[string]*string {
	env := map[string]*string{}
	for _, s := range spec.Settings {
		if localOnly[s] {
			continue
		}
		if v := b.setting(s); v != nil { // nil: left unset, so the function takes the default
			env[string(s)] = v
		}
	}
	return &env
}

// setting is the AWS value of one setting. A setting added to the wiring without a value here
// stops the synth, naming it, rather than deploying a function that lacks it.
func (b *build) setting(s wiring.Setting) *string {
	p := b.props
	if bk, ok := b.buckets[s]; ok {
		return bk.BucketName()
	}
	switch s {
	case wiring.TableName:
		return b.table.TableName()
	case wiring.MailFrom:
		return jsii.String(p.MailFrom)
	case wiring.Reviewers:
		return jsii.String(strings.Join(p.Reviewers, ","))
	case wiring.BusinessSupport: // empty: the reviewers receive the batch summaries
		if len(p.BusinessSupport) == 0 {
			return jsii.String(strings.Join(p.Reviewers, ","))
		}
		return jsii.String(strings.Join(p.BusinessSupport, ","))
	case wiring.BatchWindow:
		return jsii.String(p.BatchWindow.String())
	case wiring.PortalURL:
		return jsii.String(p.PortalURL)
	case wiring.APIURL:
		return b.apiURL
	case wiring.ClientRefFormat:
		return jsii.String(p.ClientReferencePattern)
	case wiring.MailConfigSet:
		return b.configSet.ConfigurationSetName()
	case wiring.NoticeQuiet:
		return jsii.String(p.NoticeQuietPeriod.String())
	case wiring.NoticeMaxDelay:
		return jsii.String(p.NoticeMaxDelay.String())
	case wiring.MailRate:
		return jsii.String(strconv.Itoa(p.MailMaxPerSecond))
	case wiring.IPRequestLimit:
		return jsii.String(strconv.Itoa(p.RequestsPerIPPerHour))
	case wiring.ReviewLinkDays:
		return jsii.String(strconv.Itoa(p.ReviewLinkDays))
	case wiring.EvidenceDays:
		return jsii.String(strconv.Itoa(p.EvidenceRetentionDays))
	}
	brand := map[wiring.Setting]string{
		wiring.CouncilName: p.CouncilName, wiring.CouncilURL: p.CouncilURL, wiring.ServiceName: p.ServiceName,
		wiring.ContactPhone: p.ContactPhone, wiring.ContactEmail: p.ContactEmail, wiring.OpeningHours: p.OpeningHours,
		wiring.LogoURL: p.LogoURL, wiring.PrivacyURL: p.PrivacyURL, wiring.AccessibilityURL: p.AccessibilityURL,
	}
	if v, ok := brand[s]; ok {
		if v == "" {
			return nil
		}
		return jsii.String(v)
	}
	panic(fmt.Sprintf("cdk: wiring setting %s has no value in the AWS stack", s))
}

// Actions per kind of access. Listed one by one: no wildcards, and no Scan (design decision 4).
var (
	tableReadActions  = []string{"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"}
	tableWriteActions = []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"}
	objectReadActions = []string{"s3:GetObject"}
	bucketListActions = []string{"s3:ListBucket"}
	objectWrite       = []string{"s3:PutObject"}
	objectDelete      = []string{"s3:DeleteObject"}
	// The scan function reads the verdict of the version it was notified about, and records its own.
	objectTagActions = []string{"s3:GetObjectTagging", "s3:GetObjectVersionTagging", "s3:PutObjectTagging"}
	sendMailActions  = []string{"ses:SendEmail", "ses:SendRawEmail"}
)

// statements turns a function's wiring.Access into least-privilege IAM statements.
func (b *build) statements(a wiring.Access) []awsiam.PolicyStatement {
	var out []awsiam.PolicyStatement
	allow := func(actions []string, resources []*string, conditions map[string]any) {
		p := &awsiam.PolicyStatementProps{Actions: jsii.Strings(actions...), Resources: &resources}
		if conditions != nil {
			p.Conditions = &conditions
		}
		out = append(out, awsiam.NewPolicyStatement(p))
	}
	table := []*string{b.table.TableArn()}
	for _, ix := range store.Schema.Indexes {
		table = append(table, jsii.String(*b.table.TableArn()+"/index/"+ix.Name))
	}
	if a.TableRead {
		allow(tableReadActions, table, nil)
	}
	if a.TableWrite {
		allow(tableWriteActions, table, nil)
	}
	objects := func(actions []string, prefixes []wiring.BucketPrefix) {
		if len(prefixes) == 0 {
			return
		}
		var res []*string
		for _, p := range prefixes {
			res = append(res, b.bucket(p.Bucket).ArnForObjects(jsii.String(p.Prefix+"*")))
		}
		allow(actions, res, nil)
	}
	objects(objectReadActions, a.Read)
	// Reading a prefix includes listing the keys under it: without s3:ListBucket, S3 answers 403
	// instead of 404 for a missing key, and ListObjectsV2 is the way to ask whether an upload has
	// arrived without reading it (reads of unscanned evidence are denied by the bucket policy).
	listed := map[wiring.Bucket][]string{}
	var order []wiring.Bucket
	for _, p := range a.Read {
		if _, seen := listed[p.Bucket]; !seen {
			order = append(order, p.Bucket)
		}
		listed[p.Bucket] = append(listed[p.Bucket], p.Prefix+"*")
	}
	for _, bk := range order {
		var cond map[string]any
		if !slices.Contains(listed[bk], "*") {
			cond = map[string]any{"StringLike": map[string]any{"s3:prefix": listed[bk]}}
		}
		allow(bucketListActions, []*string{b.bucket(bk).BucketArn()}, cond)
	}
	objects(objectWrite, a.Write)
	objects(objectDelete, a.Delete)
	objects(objectTagActions, a.Tag)
	if a.SendMail {
		allow(sendMailActions, []*string{b.identity.EmailIdentityArn()}, map[string]any{
			"StringEquals": map[string]any{"ses:FromAddress": b.props.MailFrom},
		})
		allow(sendMailActions, []*string{b.configSetArn()}, nil)
	}
	return out
}

// pathParams lists a route's {name} parameters as API Gateway request parameters.
func pathParams(path string) *map[string]*bool {
	params := map[string]*bool{}
	for _, part := range strings.Split(path, "/") {
		if strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}") {
			params["method.request.path."+strings.Trim(part, "{}+")] = jsii.Bool(true)
		}
	}
	return &params
}

// routes adds an API Gateway method per wiring route, proxied to its function.
func (b *build) routes() {
	for _, f := range b.fns {
		integration := awsapigateway.NewLambdaIntegration(f.fn, &awsapigateway.LambdaIntegrationOptions{
			Proxy:           jsii.Bool(true),
			AllowTestInvoke: jsii.Bool(false), // console test calls need no standing permission
		})
		for _, r := range f.spec.Routes {
			var res awsapigateway.IResource = b.api.Root()
			if r.Path != "/" {
				res = res.ResourceForPath(jsii.String(r.Path))
			}
			res.AddMethod(jsii.String(r.Method), integration,
				&awsapigateway.MethodOptions{
					RequestValidator:  b.validator,
					RequestParameters: pathParams(r.Path),
				})
		}
	}
}

// s3EventType maps an S3 event name ("s3:ObjectTagging:Put") to CDK's enum ("OBJECT_TAGGING_PUT").
func s3EventType(name string) awss3.EventType {
	var sb strings.Builder
	for _, part := range strings.Split(strings.TrimPrefix(name, "s3:"), ":") {
		if part == "*" {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('_')
		}
		for i, r := range part {
			if i > 0 && unicode.IsUpper(r) {
				sb.WriteByte('_')
			}
			sb.WriteRune(unicode.ToUpper(r))
		}
	}
	return awss3.EventType(sb.String())
}

// FailedEventDays is how long an event that could not be handled is kept for an operator to send
// again (SQS's longest).
const FailedEventDays = 14

// notifications subscribes functions to bucket events exactly as the wiring says. S3 invokes them
// asynchronously: Lambda retries a failed event twice, and an event that still fails (DynamoDB or
// S3 down for longer than the retries) would be dropped. So it goes to the failed-events queue
// instead, which raises an alarm, and an operator sends it again once the fault has cleared
// (README-deploy.md): no upload is left unscanned and no document unpublished without anyone knowing.
func (b *build) notifications() {
	var failed awssqs.Queue
	for _, f := range b.fns {
		if len(f.spec.Notifications) == 0 {
			continue
		}
		if failed == nil {
			failed = awssqs.NewQueue(b.stack, jsii.String("FailedEvents"), &awssqs.QueueProps{
				Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
				EnforceSSL:        jsii.Bool(true),
				RetentionPeriod:   awscdk.Duration_Days(jsii.Number(FailedEventDays)),
				VisibilityTimeout: awscdk.Duration_Minutes(jsii.Number(5)),
			})
			b.failedEvents = failed
		}
		f.fn.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
			RetryAttempts: jsii.Number(2),
			MaxEventAge:   awscdk.Duration_Hours(jsii.Number(6)),
			OnFailure:     awslambdadestinations.NewSqsDestination(failed),
		})
		for _, n := range f.spec.Notifications {
			var filters []*awss3.NotificationKeyFilter
			if n.Prefix != "" {
				filters = append(filters, &awss3.NotificationKeyFilter{Prefix: jsii.String(n.Prefix)})
			}
			for _, e := range n.Events {
				b.bucket(n.Bucket).AddEventNotification(s3EventType(e), awss3notifications.NewLambdaDestination(f.fn), filters...)
			}
		}
	}
}

// schedules invokes each scheduled function at its rate with an EventBridge rule.
func (b *build) schedules() {
	for _, f := range b.fns {
		if f.spec.Schedule <= 0 {
			continue
		}
		if f.spec.Schedule%time.Minute != 0 {
			panic(fmt.Sprintf("cdk: %s: EventBridge schedules are whole minutes, not %v", f.spec.Name, f.spec.Schedule))
		}
		awsevents.NewRule(f.scope, jsii.String("Schedule"), &awsevents.RuleProps{
			Description: jsii.String(fmt.Sprintf("Invokes %s every %v", f.spec.Name, f.spec.Schedule)),
			Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(f.spec.Schedule.Minutes()))),
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(f.fn, &awseventstargets.LambdaFunctionProps{
				// The next tick comes within the period: retrying a missed one only doubles up.
				RetryAttempts: jsii.Number(0),
				MaxEventAge:   awscdk.Duration_Seconds(jsii.Number(60)),
			})},
		})
	}
}
