package faults_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/council/cfp/infra/local/faults"
)

var ctx = context.Background()

// backend is a stand-in service that answers every request with 200 and a fixed body, counting them.
func backend(t *testing.T, body string) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func proxy(t *testing.T, target string) *faults.Proxy {
	p, err := faults.Start(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	if !strings.HasPrefix(p.URL(), "http://127.0.0.1:") {
		t.Fatalf("listens on %s, not loopback", p.URL())
	}
	return p
}

var creds = credentials.NewStaticCredentialsProvider("local", "local-secret", "")

func TestThrottlingIsFailedEvenlyAndTheSDKSeesThrottling(t *testing.T) {
	srv, reached := backend(t, `{}`)
	p := proxy(t, srv.URL)
	db := dynamodb.New(dynamodb.Options{Region: "eu-west-2", BaseEndpoint: aws.String(p.URL()), Credentials: creds,
		Retryer: aws.NopRetryer{}})
	p.Fail(faults.Rule{Operation: "GetItem", Share: 0.25, Fault: faults.DynamoDBThrottling})
	key := map[string]ddbtypes.AttributeValue{"PK": &ddbtypes.AttributeValueMemberS{Value: "a"}}
	var failed int
	for range 8 {
		_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: key})
		if err != nil {
			failed++
			if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
				t.Fatalf("the SDK does not see throttling in %v", err)
			}
		}
	}
	// Other operations are not matched by the rule.
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("t"), Item: key}); err != nil {
		t.Fatal(err)
	}
	if failed != 2 || reached.Load() != 7 {
		t.Fatalf("failed %d of 8, the service saw %d requests", failed, reached.Load())
	}
	if c, f := p.Counts(), p.Failures(); c["GetItem"] != 6 || c["PutItem"] != 1 || f["GetItem"] != 2 {
		t.Fatalf("counts %v failures %v", c, f)
	}
	p.Heal()
	p.Reset()
	if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: key}); err != nil {
		t.Fatal(err)
	}
	if c := p.Counts(); c["GetItem"] != 1 || len(c) != 1 {
		t.Fatalf("after reset %v", c)
	}
}

func TestSESThrottlingIsTheSDKsTooManyRequests(t *testing.T) {
	srv, reached := backend(t, `{"MessageId":"m-1"}`)
	p := proxy(t, srv.URL)
	ses := sesv2.New(sesv2.Options{Region: "eu-west-2", BaseEndpoint: aws.String(p.URL()), Credentials: creds, Retryer: aws.NopRetryer{}})
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("from@example.com"),
		Destination:      &sestypes.Destination{ToAddresses: []string{"to@example.com"}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String("s")}, Body: &sestypes.Body{Text: &sestypes.Content{Data: aws.String("b")}},
		}},
	}
	p.Fail(faults.Rule{Share: 1, Fault: faults.SESThrottling})
	_, err := ses.SendEmail(ctx, in)
	var tmr *sestypes.TooManyRequestsException
	if !errors.As(err, &tmr) || retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
		t.Fatalf("got %v", err)
	}
	if reached.Load() != 0 {
		t.Fatal("a failed request reached the service")
	}
	p.Heal()
	out, err := ses.SendEmail(ctx, in)
	if err != nil || aws.ToString(out.MessageId) != "m-1" {
		t.Fatalf("after healing: %v", err)
	}
	if c := p.Counts(); c["SendEmail"] != 1 {
		t.Fatalf("counts %v", c)
	}
}

func TestS3OperationsAreNamedAndServerErrorsRetried(t *testing.T) {
	srv, reached := backend(t, ``)
	p := proxy(t, srv.URL)
	c := s3.New(s3.Options{Region: "eu-west-2", BaseEndpoint: aws.String(p.URL()), Credentials: creds, UsePathStyle: true})
	_, _ = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("inbound/a b.pdf"), Body: strings.NewReader("x")})
	_, _ = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("b"), Key: aws.String("published/x.pdf"), CopySource: aws.String("b/inbound/a")})
	_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("b"), Key: aws.String("inbound/a")})
	_, _ = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("b")})
	// Every other GetObject fails with a 500 that the SDK's default retryer retries.
	p.Fail(faults.Rule{Operation: "GetObject", Share: 0.5, Fault: faults.ServerError})
	for range 2 {
		if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("inbound/a"), Range: aws.String("bytes=0-4")}); err != nil {
			t.Fatalf("a retried 500 still failed: %v", err)
		}
	}
	want := map[string]int{"PutObject": 1, "CopyObject": 1, "DeleteObject": 1, "ListObjects": 1, "GetObject": 2}
	got := p.Counts()
	for op, n := range want {
		if got[op] != n {
			t.Errorf("%s: %d, want %d (all: %v)", op, got[op], n, got)
		}
	}
	if f := p.Failures()["GetObject"]; f != 1 || reached.Load() != 6 {
		t.Errorf("GetObject failures %d, reached %d", f, reached.Load())
	}
}

func TestInspectSeesBodies(t *testing.T) {
	srv, _ := backend(t, `{"Count":3}`)
	p := proxy(t, srv.URL)
	seen := make(chan faults.Exchange, 1)
	p.Inspect(func(x faults.Exchange) { seen <- x })
	db := dynamodb.New(dynamodb.Options{Region: "eu-west-2", BaseEndpoint: aws.String(p.URL()), Credentials: creds})
	out, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("t"), KeyConditionExpression: aws.String("PK = :p")})
	if err != nil || out.Count != 3 {
		t.Fatalf("%v %+v", err, out)
	}
	x := <-seen
	if x.Operation != "Query" || !strings.Contains(string(x.Request), `"KeyConditionExpression":"PK = :p"`) || string(x.Response) != `{"Count":3}` || x.Status != 200 {
		t.Fatalf("%+v", x)
	}
}
