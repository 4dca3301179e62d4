package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/council/cfp/infra/local/dynamo"
	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
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

// lister is a signed-in person with a grant for a client of n documents, over a store whose
// DynamoDB client counts its requests.
type lister struct {
	s       *store.Store
	counted *requests
	session string // the session token's hash
	ref     string
	email   access.Email
}

func newLister(t testing.TB, ref string, n int) *lister {
	t.Helper()
	_, table := storetest.New(t)
	c := &requests{ops: map[string]int{}}
	o := dynamo.Client(storetest.URL(t)).Options()
	o.APIOptions = append(o.APIOptions, c.add)
	s := store.New(dynamodb.New(o), table)
	e := access.Email("lister@example.com")
	activeAccount(t, s, e, "Lister")
	if _, err := storetest.SeedGrant(ctx, s, store.Grant{Email: e, Name: "Lister", ClientReference: ref, ClientName: "Client"}); err != nil {
		t.Fatal(err)
	}
	if err := storetest.SeedDocuments(ctx, s, docs(ref, n)...); err != nil {
		t.Fatal(err)
	}
	code, tok := secret.NewCode(6), secret.New()
	now := time.Now()
	if err := s.PutCode(ctx, e, "browser-1", code.HashWith(string(e)), store.Limit{Kind: "bench", Key: string(e), Window: time.Hour, Max: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.StartSession(ctx, "browser-1", code.HashWith(string(e)), store.Session{Hash: tok.Hash(), Email: e, Name: "Lister", CreatedAt: now, LastSeen: now}); err != nil {
		t.Fatal(err)
	}
	return &lister{s: s, counted: c, session: tok.Hash(), ref: ref, email: e}
}

// list makes the store calls the account function makes for one page of GET
// /api/clients/{ref}/documents (functions/account's tests hold it to these calls, once each): the
// session (read and slid), the person's grant for the client, the page, and the audit event.
func (l *lister) list(cursor string) (string, error) {
	s, err := l.s.Session(ctx, l.session)
	if err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	gs, err := l.s.GrantFor(ctx, s.Email, l.ref)
	if err != nil || len(gs) == 0 {
		return "", fmt.Errorf("grant: %d %v", len(gs), err)
	}
	page, err := l.s.Documents(ctx, l.ref, "", cursor, 20)
	if err != nil {
		return "", fmt.Errorf("page: %w", err)
	}
	err = l.s.Audit(ctx, store.AuditEvent{Action: store.AuditListDocuments, Email: s.Email, ClientReference: l.ref, GrantID: gs[0].RequestID})
	return page.Next, err
}

func TestADocumentListCostsThreeRequestsAndTheAuditWrite(t *testing.T) {
	l := newLister(t, "800001", 45)
	cursor := ""
	for page := 1; page <= 3; page++ {
		l.counted.reset()
		next, err := l.list(cursor)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		budgeted, audit, _ := l.counted.split()
		if budgeted != 3 || audit != 1 {
			t.Fatalf("page %d: %d requests for session, grant and page (%v), %d audit writes", page, budgeted, l.counted.ops, audit)
		}
		if (next == "") != (page == 3) {
			t.Fatalf("page %d: next cursor %q", page, next)
		}
		cursor = next
	}
}

// BenchmarkDocumentList lists a page of a client with 5,000 documents against DynamoDB Local, with
// the store calls the account function makes: the first page and a middle one (page 125 of 250).
// It reports the DynamoDB requests per list: the budgeted three (session, grant, page) and the audit
// event's write.
func BenchmarkDocumentList(b *testing.B) {
	l := newLister(b, "900001", 5000)
	middle := ""
	for page := 1; page < 125; page++ {
		next, err := l.list(middle)
		if err != nil {
			b.Fatal(err)
		}
		middle = next
	}
	for _, bc := range []struct{ name, cursor string }{{"first-page", ""}, {"middle-page", middle}} {
		b.Run(bc.name, func(b *testing.B) {
			l.counted.reset()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := l.list(bc.cursor); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			budgeted, audit, attempts := l.counted.split()
			b.ReportMetric(float64(budgeted+audit)/float64(b.N), "ddb-requests/op")
			b.ReportMetric(float64(attempts)/float64(b.N), "ddb-attempts/op")
			b.ReportMetric(float64(budgeted)/float64(b.N), "session+grant+page/op")
			b.ReportMetric(float64(audit)/float64(b.N), "audit-writes/op")
			if budgeted > 3*b.N {
				b.Fatalf("%d requests for session, grant and page in %d lists (%v): over the budget of 3", budgeted, b.N, l.counted.ops)
			}
		})
	}
}
