package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/council/cfp/infra/local/dynamo"
	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// requests counts a DynamoDB client's requests by operation, from inside the SDK: calls (one per
// API call, in the Initialize step) and attempts (after the retry middleware, so a call the SDK
// retried counts each time it was sent).
type requests struct {
	mu       sync.Mutex
	ops      map[string]int
	attempts int
}

func (c *requests) add(stack *middleware.Stack) error {
	err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("CountCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.ops[awsmiddleware.GetOperationName(ctx)]++
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
	if err != nil {
		return err
	}
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("CountAttempts",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.attempts++
			c.mu.Unlock()
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

func (c *requests) reset() { c.mu.Lock(); c.ops = map[string]int{}; c.attempts = 0; c.mu.Unlock() }

// split returns the calls of document lists: the budgeted ones (session, grant, page), the audit
// writes, and every attempt sent (retries included).
func (c *requests) split() (budgeted, audit, attempts int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for op, n := range c.ops {
		if op == "PutItem" {
			audit += n
		} else {
			budgeted += n
		}
	}
	return budgeted, audit, c.attempts
}

var tables atomic.Int64

// countedFixture is a fixture whose store's DynamoDB client counts its requests.
func countedFixture(t testing.TB) (*fixture, *requests) {
	t.Helper()
	url := storetest.URL(t)
	name := fmt.Sprintf("account-count-%d", tables.Add(1))
	if err := dynamo.CreateTable(bg, url, name); err != nil {
		t.Fatal(err)
	}
	c := &requests{ops: map[string]int{}}
	db := dynamodb.New(dynamodb.Options{
		Region: "eu-west-2", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local-secret", ""),
		APIOptions:  []func(*middleware.Stack) error{c.add},
	})
	return newFixtureOn(store.New(db, name)), c
}

// listRequest is the event of a document list page.
func listRequest(cookie, ref, cursor string) web.Request {
	r := req("GET", "/api/clients/{clientReference}/documents", map[string]string{"clientReference": ref}, nil, cookie)
	r.QueryStringParameters = map[string]string{"limit": "20"}
	if cursor != "" {
		r.QueryStringParameters["cursor"] = cursor
	}
	return r
}

func TestADocumentListCostsThreeRequestsAndTheAuditWrite(t *testing.T) {
	f, counted := countedFixture(t)
	e := access.Email("count@example.com")
	f.account(t, e, "Count")
	f.grant(t, e, access.Deputy, "800001", "Client", "")
	f.documents(t, "800001", 45)
	cookie := f.signIn(t, e)
	cursor := ""
	for page := 1; page <= 3; page++ {
		counted.reset()
		resp := f.do(t, listRequest(cookie, "800001", cursor))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("page %d: %d", page, resp.StatusCode)
		}
		budgeted, audit, _ := counted.split()
		if budgeted != 3 || audit != 1 {
			t.Fatalf("page %d: %d requests for session, grant and page (%v), %d audit writes", page, budgeted, counted.ops, audit)
		}
		cursor = string(decodeBody[struct{ NextCursor string }](t, resp).NextCursor)
	}
}

// BenchmarkDocumentList lists a page of a client with 5,000 documents through the handler against
// DynamoDB Local: the first page and a middle one (page 125 of 250). It reports the DynamoDB
// requests per list: the budgeted three (session, grant, page) and the audit event's write.
func BenchmarkDocumentList(b *testing.B) {
	f, counted := countedFixture(b)
	e := access.Email("bench@example.com")
	f.account(b, e, "Bench")
	f.grant(b, e, access.Deputy, "900001", "Client", "")
	f.documents(b, "900001", 5000)
	cookie := f.signIn(b, e)
	middle := ""
	for page := 1; page < 125; page++ {
		resp := f.do(b, listRequest(cookie, "900001", middle))
		middle = decodeBody[struct{ NextCursor string }](b, resp).NextCursor
	}
	for _, bc := range []struct{ name, cursor string }{{"first-page", ""}, {"middle-page", middle}} {
		b.Run(bc.name, func(b *testing.B) {
			r := listRequest(cookie, "900001", bc.cursor)
			counted.reset()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				resp, err := f.h.Handle(bg, r)
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("list: %d %v", resp.StatusCode, err)
				}
			}
			b.StopTimer()
			budgeted, audit, attempts := counted.split()
			b.ReportMetric(float64(budgeted+audit)/float64(b.N), "ddb-requests/op")
			b.ReportMetric(float64(attempts)/float64(b.N), "ddb-attempts/op")
			b.ReportMetric(float64(budgeted)/float64(b.N), "session+grant+page/op")
			b.ReportMetric(float64(audit)/float64(b.N), "audit-writes/op")
			if budgeted > 3*b.N {
				b.Fatalf("%d requests for session, grant and page in %d lists (%v): over the budget of 3", budgeted, b.N, counted.ops)
			}
		})
	}
}
