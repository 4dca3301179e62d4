package cloud

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/aws/aws-sdk-go-v2/aws"
)

var getItem = &dynamodb.GetItemInput{TableName: aws.String("cfp"), Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "k"}}}

// seen is what a fake AWS service saw of the requests sent to it.
type seen struct {
	mu       sync.Mutex
	requests []*http.Request
}

func (s *seen) last() *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return nil
	}
	return s.requests[len(s.requests)-1]
}

// service answers every request with body, as the named AWS service would an empty success.
func service(t *testing.T, body string) (*httptest.Server, *seen) {
	t.Helper()
	s := &seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		s.mu.Lock()
		s.requests = append(s.requests, r)
		s.mu.Unlock()
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, s
}

// lambdaEnv sets what Lambda puts in every function's environment.
func lambdaEnv(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-2")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDROLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "role-secret")
	t.Setenv("AWS_SESSION_TOKEN", "role-session")
	for _, v := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SESV2",
		"AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION"} {
		t.Setenv(v, "")
	}
}

func TestEachServiceGoesWhereItsStandardVariableSaysSignedWithTheRolesCredentials(t *testing.T) {
	lambdaEnv(t)
	ddb, ddbSeen := service(t, `{}`)
	ses, sesSeen := service(t, `{"MessageId":"m1"}`)
	s3srv, s3Seen := service(t, ``)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", ddb.URL)
	t.Setenv("AWS_ENDPOINT_URL_SESV2", ses.URL)
	t.Setenv("AWS_ENDPOINT_URL_S3", s3srv.URL)
	t.Setenv("S3_PATH_STYLE", "true")
	cfg, ctx := Config(), context.Background()

	if _, err := DynamoDB(cfg).GetItem(ctx, getItem); err != nil {
		t.Fatalf("DynamoDB: %v", err)
	}
	if _, err := sesv2.NewFromConfig(cfg).SendEmail(ctx, &sesv2.SendEmailInput{Content: &sestypes.EmailContent{}}); err != nil {
		t.Fatalf("SES: %v", err)
	}
	if _, err := S3(cfg, false).DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("uploads"), Key: aws.String("inbound/a")}); err != nil {
		t.Fatalf("S3: %v", err)
	}

	for name, c := range map[string]struct {
		seen    *seen
		scope   string
		checkOf func(*http.Request) bool
	}{
		"DynamoDB": {ddbSeen, "/eu-west-2/dynamodb/", func(r *http.Request) bool { return r.Header.Get("X-Amz-Target") == "DynamoDB_20120810.GetItem" }},
		"SES":      {sesSeen, "/eu-west-2/ses/", func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/v2/email/outbound-emails") }},
		"S3":       {s3Seen, "/eu-west-2/s3/", func(r *http.Request) bool { return r.URL.Path == "/uploads/inbound/a" }},
	} {
		r := c.seen.last()
		if r == nil {
			t.Errorf("%s: no request reached the endpoint its variable names", name)
			continue
		}
		if !c.checkOf(r) {
			t.Errorf("%s: unexpected request %s %s", name, r.Method, r.URL)
		}
		if auth := r.Header.Get("Authorization"); !strings.Contains(auth, "Credential=AKIDROLE/") || !strings.Contains(auth, c.scope) {
			t.Errorf("%s: not signed with the role's key for eu-west-2: %q", name, auth)
		}
		if r.Header.Get("X-Amz-Security-Token") != "role-session" {
			t.Errorf("%s: the role's session token was not sent", name)
		}
	}
}

func TestTheGeneralEndpointVariableServesServicesWithoutTheirOwn(t *testing.T) {
	lambdaEnv(t)
	all, allSeen := service(t, `{}`)
	own, ownSeen := service(t, `{"MessageId":"m1"}`)
	t.Setenv("AWS_ENDPOINT_URL", all.URL)
	t.Setenv("AWS_ENDPOINT_URL_SESV2", own.URL)
	cfg, ctx := Config(), context.Background()
	if _, err := DynamoDB(cfg).GetItem(ctx, getItem); err != nil {
		t.Fatal(err)
	}
	if _, err := sesv2.NewFromConfig(cfg).SendEmail(ctx, &sesv2.SendEmailInput{Content: &sestypes.EmailContent{}}); err != nil {
		t.Fatal(err)
	}
	if allSeen.last() == nil || allSeen.last().Header.Get("X-Amz-Target") == "" {
		t.Error("DynamoDB did not use AWS_ENDPOINT_URL")
	}
	if ownSeen.last() == nil || len(allSeen.requests) != 1 {
		t.Error("SES did not use its own AWS_ENDPOINT_URL_SESV2 over the general one")
	}
}

// Over plain HTTP the SDK's default checksums can store aws-chunked framing inside an object in a
// local S3 (toolchain facts); the standard variables turn them off where a service does not require them.
func TestChecksumVariablesAreHonoured(t *testing.T) {
	for _, tc := range []struct {
		setting string
		off     bool
	}{{"", false}, {"when_required", true}, {"WHEN_REQUIRED", true}, {"when_supported", false}} {
		lambdaEnv(t)
		t.Setenv("AWS_REQUEST_CHECKSUM_CALCULATION", tc.setting)
		t.Setenv("AWS_RESPONSE_CHECKSUM_VALIDATION", tc.setting)
		cfg := Config()
		if off := cfg.RequestChecksumCalculation == aws.RequestChecksumCalculationWhenRequired; off != tc.off {
			t.Errorf("AWS_REQUEST_CHECKSUM_CALCULATION=%q: only when required %v, want %v", tc.setting, off, tc.off)
		}
		if off := cfg.ResponseChecksumValidation == aws.ResponseChecksumValidationWhenRequired; off != tc.off {
			t.Errorf("AWS_RESPONSE_CHECKSUM_VALIDATION=%q: only when required %v, want %v", tc.setting, off, tc.off)
		}
	}
}

// A service that accepts a call and then says nothing must not hold a function until Lambda ends
// it: the attempt is given up after Silence, so the handler can still answer "try again".
func TestASilentServiceEndsTheAttemptNotTheFunction(t *testing.T) {
	lambdaEnv(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", srv.URL)
	client := dynamodb.NewFromConfig(Config(), func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := client.GetItem(ctx, getItem)
	var silent *awshttp.ResponseTimeoutError
	if !errors.As(err, &silent) || ctx.Err() != nil {
		t.Fatalf("want the attempt ended by the silence limit, got %v (context: %v)", err, ctx.Err())
	}
}

func TestStartUpStopsWithoutTheLambdaEnvironment(t *testing.T) {
	lambdaEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "AWS_ACCESS_KEY_ID") {
			t.Errorf("want a start-up panic naming the missing setting, got %v", r)
		}
	}()
	Config()
}
