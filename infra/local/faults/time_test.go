package faults_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/council/cfp/infra/local/faults"
)

// Stalls, lost and late answers, and rules scoped to some requests. No assertion here is about
// how long anything took: a stall is shown by the caller's own deadline ending the call, and a
// caller's deadline is only ever a bound on the wait.

func dynamoVia(p *faults.Proxy, retryer aws.Retryer) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{Region: "eu-west-2", BaseEndpoint: aws.String(p.URL()), Credentials: creds, Retryer: retryer})
}

func itemKey(pk string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{"PK": &ddbtypes.AttributeValueMemberS{Value: pk}}
}

// waitUntil polls cond for at most 10 s (a bound, not a timing assertion).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

func TestAStalledRequestTimesOutTheCallerAndNeverReachesTheService(t *testing.T) {
	srv, reached := backend(t, `{}`)
	p := proxy(t, srv.URL)
	db := dynamoVia(p, aws.NopRetryer{})
	p.Fail(faults.Rule{Operation: "PutItem", Share: 1, Fault: faults.Stall(time.Hour)})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("t"), Item: itemKey("a")})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the caller's own time-out, got %v", err)
	}
	if reached.Load() != 0 || p.Failures()["PutItem"] != 1 || p.Counts()["PutItem"] != 0 {
		t.Fatalf("a stalled request reached the service: reached %d, counts %v, failures %v", reached.Load(), p.Counts(), p.Failures())
	}
}

func TestHealLetsHeldRequestsGo(t *testing.T) {
	srv, reached := backend(t, `{}`)
	p := proxy(t, srv.URL)
	db := dynamoVia(p, nil) // the SDK's standard retryer: the stall's 500 is retried
	p.Fail(faults.Rule{Operation: "GetItem", Share: 1, Fault: faults.Stall(time.Hour)})
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a bound, should Heal not work
		defer cancel()
		_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: itemKey("a")})
		done <- err
	}()
	waitUntil(t, "the request to be held", func() bool { return p.Failures()["GetItem"] == 1 })
	p.Heal()
	if err := <-done; err != nil {
		t.Fatalf("after Heal the retried request should succeed: %v", err)
	}
	if reached.Load() != 1 {
		t.Fatalf("the service saw %d requests, want the one retry", reached.Load())
	}
}

func TestALostAnswerReachesTheServiceButTheCallerSeesAFailure(t *testing.T) {
	srv, reached := backend(t, `{}`)
	p := proxy(t, srv.URL)
	db := dynamoVia(p, aws.NopRetryer{})
	p.Fail(faults.Rule{Operation: "PutItem", Share: 1, Fault: faults.LostAnswer()})
	_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("t"), Item: itemKey("a")})
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("want the server error in place of the answer, got %v", err)
	}
	if reached.Load() != 1 || p.Counts()["PutItem"] != 1 || p.Failures()["PutItem"] != 1 {
		t.Fatalf("reached %d, counts %v, failures %v: the write must have been made", reached.Load(), p.Counts(), p.Failures())
	}
}

func TestALateAnswerOutlivesTheCallerOrArrivesOnHeal(t *testing.T) {
	srv, reached := backend(t, `{"Item":{"PK":{"S":"a"}}}`)
	p := proxy(t, srv.URL)
	db := dynamoVia(p, aws.NopRetryer{})
	p.Fail(faults.Rule{Operation: "GetItem", Share: 1, Fault: faults.LateAnswer(time.Hour)})

	// The caller gives up first: the service did the work, the caller never heard.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: itemKey("a")})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || reached.Load() != 1 {
		t.Fatalf("want a time-out after the service was reached: %v, reached %d", err, reached.Load())
	}

	// Healing delivers a held answer, the service's own.
	done := make(chan *dynamodb.GetItemOutput, 1)
	go func() {
		out, _ := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("t"), Key: itemKey("a")})
		done <- out
	}()
	waitUntil(t, "the second request to be held", func() bool { return p.Failures()["GetItem"] == 2 })
	p.Heal()
	out := <-done
	if out == nil || out.Item["PK"].(*ddbtypes.AttributeValueMemberS).Value != "a" {
		t.Fatalf("the held answer is not the service's: %+v", out)
	}
}

func TestContainsScopesARuleToSomeRequests(t *testing.T) {
	srv, reached := backend(t, `{}`)
	p := proxy(t, srv.URL)
	db := dynamoVia(p, aws.NopRetryer{})
	// Body: only the item whose key holds both strings is failed.
	p.Fail(faults.Rule{Operation: "PutItem", Contains: []string{"REQ#r42", "scanning"}, Share: 1, Fault: faults.DynamoDBThrottling})
	put := func(pk, status string) error {
		item := itemKey(pk)
		item["Status"] = &ddbtypes.AttributeValueMemberS{Value: status}
		_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("t"), Item: item})
		return err
	}
	if err := put("REQ#r42", "scanning"); err == nil {
		t.Fatal("the matching request was not failed")
	}
	for _, other := range [][2]string{{"REQ#r43", "scanning"}, {"REQ#r42", "approved"}} {
		if err := put(other[0], other[1]); err != nil {
			t.Fatalf("%v was failed: %v", other, err)
		}
	}
	// Path: an S3 key in the URL.
	c := s3.New(s3.Options{Region: "eu-west-2", BaseEndpoint: aws.String(p.URL()), Credentials: creds, UsePathStyle: true, Retryer: aws.NopRetryer{}})
	p.Fail(faults.Rule{Operation: "GetObjectTagging", Contains: []string{"/evidence/r42/"}, Share: 1, Fault: faults.S3SlowDown})
	tags := func(key string) error {
		_, err := c.GetObjectTagging(context.Background(), &s3.GetObjectTaggingInput{Bucket: aws.String("b"), Key: aws.String(key)})
		return err
	}
	if err := tags("evidence/r42/e1"); err == nil {
		t.Fatal("the matching key was not failed")
	}
	if err := tags("evidence/r43/e1"); err != nil && strings.Contains(err.Error(), "SlowDown") {
		t.Fatalf("another key was failed: %v", err)
	}
	if f := p.Failures(); f["PutItem"] != 1 || f["GetObjectTagging"] != 1 || reached.Load() != 3 {
		t.Fatalf("failures %v, reached %d", f, reached.Load())
	}
}
