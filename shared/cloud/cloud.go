package cloud

import (
	"context"
	"net"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Config is a function's AWS configuration, read from what Lambda puts in its environment: the
// region, the execution role's credentials, and the SDK's standard variables for where services
// are (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) and for checksums
// (AWS_REQUEST_CHECKSUM_CALCULATION, AWS_RESPONSE_CHECKSUM_VALIDATION).
//
// It is what config.LoadDefaultConfig finds in a Lambda environment, without that package: its
// shared-file, SSO, STS, sign-in and instance-metadata providers, none of which a Lambda function
// uses, cost every cold start about a millisecond of package start-up (see doc.go).
func Config() aws.Config {
	region, key, secret := os.Getenv("AWS_REGION"), os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if region == "" || key == "" || secret == "" {
		// Lambda always sets these; without them the function cannot do anything, and Lambda reports the init error.
		panic("cloud: AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set")
	}
	cfg := aws.Config{
		Region:        region,
		Credentials:   credentials.NewStaticCredentialsProvider(key, secret, os.Getenv("AWS_SESSION_TOKEN")),
		HTTPClient:    httpClient,
		ConfigSources: []any{endpoints{}},
	}
	if u := os.Getenv("AWS_ENDPOINT_URL"); u != "" {
		cfg.BaseEndpoint = &u
	}
	if strings.EqualFold(os.Getenv("AWS_REQUEST_CHECKSUM_CALCULATION"), "when_required") {
		cfg.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	}
	if strings.EqualFold(os.Getenv("AWS_RESPONSE_CHECKSUM_VALIDATION"), "when_required") {
		cfg.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}
	return cfg
}

// Silence is how long a call may go without a byte from the service before the attempt is given up
// and retried: a connection that hangs costs one attempt, not the whole invocation. (An API
// function's answer in time is web.InTime's to ensure.) No healthy call is silent this long, even
// from DynamoDB Local on a busy test machine; a large S3 object still streams, as the limit is on
// silence, not on the whole.
const Silence = 3 * time.Second

// SendSilence is the limit for a call that must not be repeated lightly: an email send. Giving up
// on a send SES is only slow to answer, and retrying it, would send the email twice.
const SendSilence = 10 * time.Second

var httpClient = HTTPClient(Silence)

// HTTPClient is the SDK's HTTP client with a silence limit on each attempt.
func HTTPClient(silence time.Duration) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithReadTimeout(silence).
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = Silence })
}

// endpoints answers the SDK's question "is there an endpoint for this service" from the standard
// variable AWS_ENDPOINT_URL_<SERVICE ID> (upper case, spaces as underscores), as the SDK's own
// configuration does; each client asks it for its own service when it is built.
type endpoints struct{}

func (endpoints) GetServiceBaseEndpoint(_ context.Context, serviceID string) (string, bool, error) {
	v := os.Getenv("AWS_ENDPOINT_URL_" + strings.ToUpper(strings.ReplaceAll(serviceID, " ", "_")))
	return v, v != "", nil
}

func DynamoDB(cfg aws.Config) *dynamodb.Client { return dynamodb.NewFromConfig(cfg) }

// S3 is an S3 client; pathStyle addresses buckets by path, as local servers need (setting.S3PathStyle).
func S3(cfg aws.Config, pathStyle bool) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle })
}
