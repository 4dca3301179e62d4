package cdk

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/council/cfp/infra/wiring"
)

// Fixed choices of this stack, named so the tests and the README can refer to them.
const (
	// StageName is the API Gateway stage; the API's URL ends with it.
	StageName = "prod"
	// FunctionTag marks every resource of a function with the function's wiring name.
	FunctionTag = "cfp:function"
	// LogRetention applies to every log group the stack creates.
	LogRetention = awslogs.RetentionDays_SIX_MONTHS
)

// featureFlags: S3 access logs delivered under a bucket policy rather than the legacy log-delivery
// ACL (which needs ObjectWriter ownership, i.e. ACLs enabled).
var featureFlags = map[string]any{
	"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": true,
}

// build carries the resources while NewStack assembles them.
type build struct {
	stack awscdk.Stack
	props StackProps

	key       awskms.Key // encrypts the SNS topics
	bucketKey awskms.Key // encrypts the uploads and documents buckets
	table     awsdynamodb.Table
	buckets   map[wiring.Bucket]awss3.Bucket
	signInKey awssecretsmanager.Secret // the key sign-in codes are hashed with
	logBucket awss3.Bucket

	identity  awsses.EmailIdentity
	configSet awsses.ConfigurationSet
	feedback  awssns.Topic

	api       awsapigateway.RestApi
	validator awsapigateway.RequestValidator
	siteURL   *string // the pages; the portal's URL once the custom domain points here
	apiURL    *string // the JSON API: the site's wiring.APIPrefix
	webACL    awswafv2.CfnWebACL

	fns         []*function // in wiring order
	malwareRole awsiam.Role
	alarmTopic  awssns.Topic
	// failedEvents keeps the S3 events a function could not handle after Lambda's retries.
	failedEvents awssqs.Queue
	// feedbackFailures keeps the SES feedback events a function could not handle.
	feedbackFailures awssqs.Queue
}

// function is one wiring entry's resources.
type function struct {
	spec  wiring.Function
	scope constructs.Construct
	fn    awslambda.Function
	role  awsiam.Role
	logs  awslogs.LogGroup
}

// NewStack builds the whole AWS stack from the wiring description, store.Schema and props.
// Invalid props are a programming error here (app/main.go validates first): it panics.
func NewStack(scope constructs.Construct, id string, props StackProps) awscdk.Stack {
	props = props.WithDefaults()
	if err := props.Validate(); err != nil {
		panic(fmt.Sprintf("cdk: invalid stack settings:\n%v", err))
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	// Feature flags this stack relies on, set here so the CLI app and the tests build the same
	// template whatever context they were given.
	for flag, on := range featureFlags {
		stack.Node().SetContext(jsii.String(flag), on)
	}
	b := &build{
		stack:   stack,
		props:   props,
		buckets: map[wiring.Bucket]awss3.Bucket{},
	}
	b.storage()
	b.signInCodeKey()
	b.mail()
	b.restAPI()
	for _, f := range wiring.Functions {
		b.function(f)
	}
	b.routes()
	b.notifications()
	b.schedules()
	b.senders()
	b.sftp()
	b.mailFeedback()
	b.malwareProtection()
	b.firewall()
	b.operations()
	b.health()
	b.telemetry()
	b.outputs()
	b.nag()
	return b.stack
}

// constructID turns a wiring name such as "submit-request" into "SubmitRequest".
func constructID(name string) string {
	var sb strings.Builder
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' }) {
		sb.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return sb.String()
}

func (b *build) bucket(setting wiring.Bucket) awss3.Bucket {
	bk, ok := b.buckets[setting]
	if !ok {
		panic(fmt.Sprintf("cdk: the wiring names bucket setting %s, which the AWS stack does not create", setting))
	}
	return bk
}

func (b *build) topic(id, displayName string) awssns.Topic {
	return awssns.NewTopic(b.stack, jsii.String(id), &awssns.TopicProps{
		DisplayName: jsii.String(displayName),
		MasterKey:   b.key,
		EnforceSSL:  jsii.Bool(true),
	})
}
