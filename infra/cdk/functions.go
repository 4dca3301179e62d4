package cdk

import (
	"fmt"
	"maps"
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
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
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
	// The scan function's work grows with what people upload, not with the portal's traffic: its
	// own share of the account's concurrency keeps a burst of costly files from taking the API's.
	// S3's events wait in Lambda's queue for a free instance (up to MaxEventAge) meanwhile.
	var reserved *float64
	if scanner(spec) {
		reserved = jsii.Number(float64(b.props.ScanUploadConcurrency))
	}
	fn := awslambda.NewFunction(scope, jsii.String("Function"), &awslambda.FunctionProps{
		ReservedConcurrentExecutions: reserved,
		Description:                  jsii.String(spec.Description),
		Runtime:                      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:                 awslambda.Architecture_ARM_64(),
		Handler:                      jsii.String("bootstrap"),
		Code:                         awslambda.Code_FromAsset(jsii.String(asset), nil),
		MemorySize:                   jsii.Number(float64(spec.MemoryMB)),
		Timeout:                      awscdk.Duration_Seconds(jsii.Number(spec.Timeout.Seconds())),
		Environment:                  b.environment(spec),
		Tracing:                      awslambda.Tracing_ACTIVE,
		LogGroup:                     logs,
		Role:                         role,
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
	case wiring.EvidenceDays:
		return jsii.String(strconv.Itoa(p.EvidenceRetentionDays))
	case wiring.StaffIssuer:
		return jsii.String(p.StaffIssuer)
	case wiring.StaffClientID:
		return jsii.String(p.StaffClientID)
	case wiring.StaffClientSecret: // the secret's ARN: approval reads the value itself
		return jsii.String(p.StaffClientSecretARN)
	case wiring.StaffGroups:
		return jsii.String(p.StaffRoleGroups)
	case wiring.SignInKey: // the secret's ARN: signin reads the key itself
		return b.signInKey.SecretArn()
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

// statements turns a function's wiring.Access into IAM statements: exactly the actions it lists,
// each on only the resources it names (no wildcard actions, no Scan: design decision 4).
func (b *build) statements(a wiring.Access) []awsiam.PolicyStatement {
	var out []awsiam.PolicyStatement
	allow := func(actions []wiring.Action, resources []*string, conditions map[string]any) {
		names := make([]string, len(actions))
		for i, a := range actions {
			names[i] = string(a)
		}
		p := &awsiam.PolicyStatementProps{Actions: jsii.Strings(names...), Resources: &resources}
		if conditions != nil {
			p.Conditions = &conditions
		}
		out = append(out, awsiam.NewPolicyStatement(p))
	}
	if len(a.Table) > 0 {
		// Only items whose partition key the function's code makes (wiring's test derives them
		// from the store's key constructors).
		var keys map[string]any
		if len(a.Keys) > 0 {
			keys = map[string]any{"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": a.Keys}}
		}
		allow(a.Table, []*string{b.table.TableArn()}, keys)
		// An index's partition key is another attribute, which LeadingKeys does not describe.
		if slices.Contains(a.Table, wiring.Query) {
			var indexes []*string
			for _, ix := range store.Schema.Indexes {
				indexes = append(indexes, jsii.String(*b.table.TableArn()+"/index/"+ix.Name))
			}
			allow([]wiring.Action{wiring.Query}, indexes, nil)
		}
	}
	reads, writes := map[wiring.Bucket]bool{}, map[wiring.Bucket]bool{}
	listed := map[wiring.Bucket][]string{}
	var order []wiring.Bucket
	for _, o := range a.Objects {
		var objectActions []wiring.Action
		for _, act := range o.Actions {
			switch act {
			case wiring.ListBucket:
				if _, seen := listed[o.Bucket]; !seen {
					order = append(order, o.Bucket)
				}
				listed[o.Bucket] = append(listed[o.Bucket], o.Prefix+"*")
				continue
			case wiring.GetObject:
				reads[o.Bucket] = true
			case wiring.PutObject:
				writes[o.Bucket] = true
			}
			objectActions = append(objectActions, act)
		}
		if len(objectActions) > 0 {
			allow(objectActions, []*string{b.bucket(o.Bucket).ArnForObjects(jsii.String(o.Prefix + "*"))}, nil)
		}
	}
	// Listing is a bucket action: allowed for the keys under the granted prefixes only.
	for _, bk := range order {
		var cond map[string]any
		if !slices.Contains(listed[bk], "*") {
			cond = map[string]any{"StringLike": map[string]any{"s3:prefix": listed[bk]}}
		}
		allow([]wiring.Action{wiring.ListBucket}, []*string{b.bucket(bk).BucketArn()}, cond)
	}
	// The buckets' objects are encrypted with the bucket key: reading one decrypts through S3, and
	// writing one (a presigned upload or a copy) has S3 generate a data key.
	for _, bk := range slices.Sorted(maps.Keys(reads)) {
		allow([]wiring.Action{KeyDecrypt}, []*string{b.bucketKey.KeyArn()}, b.viaS3(bk))
	}
	for _, bk := range slices.Sorted(maps.Keys(writes)) {
		allow([]wiring.Action{KeyGenerateDataKey}, []*string{b.bucketKey.KeyArn()}, b.viaS3(bk))
	}
	// A secret setting's value is the secret's full ARN (Validate insists for the council's own)
	// or a reference to one this stack makes, so the grant names that one secret and no other.
	for _, s := range a.Secrets {
		arn := b.setting(s)
		if _, ok := secretRegion(*arn); !ok && !*awscdk.Token_IsUnresolved(arn) {
			panic(fmt.Sprintf("cdk: setting %s names a secret, but its value %q is not a secret's full ARN", s, *arn))
		}
		allow([]wiring.Action{wiring.GetSecretValue}, []*string{arn}, nil)
	}
	if len(a.Mail) > 0 {
		allow(a.Mail, []*string{b.identity.EmailIdentityArn()}, map[string]any{
			"StringEquals": map[string]any{"ses:FromAddress": b.props.MailFrom},
		})
		allow(a.Mail, []*string{b.configSetArn()}, nil)
	}
	return out
}

// signInCodeKey makes the key sign-in codes are hashed with (secret.Key). Secrets Manager generates
// it, so no person and no template ever holds it, and encrypts it with the AWS managed key
// aws/secretsmanager, so signin's role needs GetSecretValue on this secret and nothing on any key.
// A council has nothing to create or paste.
func (b *build) signInCodeKey() {
	b.signInKey = awssecretsmanager.NewSecret(b.stack, jsii.String("SignInCodeKey"), &awssecretsmanager.SecretProps{
		Description: jsii.String("The key the portal's sign-in codes are hashed with (HMAC-SHA-256); only the signin function reads it"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength: jsii.Number(64), ExcludePunctuation: jsii.Bool(true), // about 380 bits
		},
	})
}

// The key actions S3 takes on a function's behalf (not calls its code makes, so not in wiring.Access).
const (
	KeyDecrypt         wiring.Action = "kms:Decrypt"
	KeyGenerateDataKey wiring.Action = "kms:GenerateDataKey"
)

// bucketKeyViaS3 lets a sender write to and read from the bucket encrypted with the stack's key:
// a data key and decryption, only as S3 asks for them for that bucket.
func (b *build) bucketKeyViaS3(bk wiring.Bucket) awsiam.PolicyStatement {
	viaS3 := b.viaS3(bk)
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:    jsii.Strings(string(KeyGenerateDataKey), string(KeyDecrypt)),
		Resources:  jsii.Strings(*b.bucketKey.KeyArn()),
		Conditions: &viaS3,
	})
}

// viaS3 limits a key permission to S3's use of it for one bucket's objects. With bucket keys on,
// S3 asks KMS with the bucket's ARN as the encryption context (an object encrypted before they
// were on names itself).
func (b *build) viaS3(bk wiring.Bucket) map[string]any {
	arn := b.bucket(bk).BucketArn()
	return map[string]any{
		"StringEquals": map[string]any{"kms:ViaService": "s3." + *b.stack.Region() + ".amazonaws.com"},
		"StringLike":   map[string]any{"kms:EncryptionContext:aws:s3:arn": []*string{arn, jsii.String(*arn + "/*")}},
	}
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
