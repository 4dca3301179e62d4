package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/council/cfp/infra/local/dynamo"
	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

// A window of five an hour: five at 13:59:59 and five more at 14:00:00 must not both pass, as a
// fixed hourly window would let them. The previous bucket weighs less as the hour goes on.
func TestTheWindowSlidesAcrossTheBucketEdge(t *testing.T) {
	l := store.Limit{Kind: "edge", Key: "k", Window: time.Hour, Max: 5}
	at := func(hms string) time.Time {
		tm, _ := time.Parse(time.DateTime, "2026-07-01 "+hms)
		return tm
	}
	prev, curr := 0, 0
	for i := 0; i < 5; i++ {
		if more, _ := l.Allowance(prev, curr, at("13:59:59")); more == 0 {
			t.Fatalf("request %d at 13:59:59 refused", i+1)
		}
		curr++
	}
	if more, _ := l.Allowance(prev, curr, at("13:59:59")); more != 0 {
		t.Fatal("a sixth at 13:59:59 allowed")
	}
	prev, curr = curr, 0 // 14:00:00: a new bucket
	more, wait := l.Allowance(prev, curr, at("14:00:00"))
	if more != 0 {
		t.Fatalf("at 14:00:00, %d more allowed right after five at 13:59:59", more)
	}
	if wait != 12*time.Minute { // ceil(5 * (1 - t/60min)) <= 4 from t = 12 minutes
		t.Fatalf("retry after %s; want 12m", wait)
	}
	for _, c := range []struct {
		at   string
		more int
	}{{"14:11:59", 0}, {"14:12:00", 1}, {"14:30:00", 2}, {"14:59:59", 4}} {
		if more, _ := l.Allowance(prev, curr, at(c.at)); more != c.more {
			t.Errorf("at %s: %d more; want %d", c.at, more, c.more)
		}
	}
	// Over the limit in the current bucket: the wait runs into the next one.
	if more, wait := l.Allowance(0, 5, at("14:30:00")); more != 0 || wait != 30*time.Minute+12*time.Minute {
		t.Errorf("five in the bucket at 14:30: %d more, wait %s; want 0 and 42m", more, wait)
	}
}

// The same edge against DynamoDB Local, through Count: the refusal is a *LimitedError that says
// which limit and when, and nothing is counted by a refused call (all or none).
func TestCountSlidesAndRefusesAllOrNone(t *testing.T) {
	s, _ := storetest.New(t)
	at, _ := time.Parse(time.DateTime, "2026-07-01 13:59:59")
	clock := s.WithClock(func() time.Time { return at })
	key := fmt.Sprint(time.Now().UnixNano())
	five := store.Limit{Kind: "test-edge", Key: key, Window: time.Hour, Max: 5}
	roomy := store.Limit{Kind: "test-roomy", Key: key, Window: time.Hour, Max: 100}
	for i := 0; i < 5; i++ {
		if err := clock.Count(ctx, roomy, five); err != nil {
			t.Fatalf("count %d at 13:59:59: %v", i+1, err)
		}
	}
	at = at.Add(time.Second)
	for i := 0; i < 5; i++ {
		err := clock.Count(ctx, roomy, five)
		var le *store.LimitedError
		if !errors.As(err, &le) || !errors.Is(err, store.ErrLimited) || le.Kind != "test-edge" || le.RetryAfter != 12*time.Minute {
			t.Fatalf("count %d at 14:00:00: %v", i+1, err)
		}
	}
	// The refused calls counted nothing against roomy: 95 more fit in its window's share.
	roomyOnly := roomy
	roomyOnly.Max = 6
	if err := clock.Count(ctx, roomyOnly); err != nil {
		t.Fatalf("the refused calls counted against the other limit: %v", err)
	}
	at = at.Add(12 * time.Minute)
	if err := clock.Count(ctx, five); err != nil {
		t.Fatalf("at 14:12:00: %v", err)
	}
	if err := clock.Count(ctx, five); !errors.Is(err, store.ErrLimited) {
		t.Fatalf("a second at 14:12:00: %v", err)
	}
	// Split by Sub, one key's counters are separate (one per browser).
	a, b := five, five
	a.Key, b.Key, a.Sub, b.Sub = key+"-sub", key+"-sub", "browser-a", "browser-b"
	for i := 0; i < 5; i++ {
		if err := clock.Count(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := clock.Count(ctx, a); !errors.Is(err, store.ErrLimited) {
		t.Fatalf("sixth for browser a: %v", err)
	}
	if err := clock.Count(ctx, b); err != nil {
		t.Fatalf("browser b held up by browser a: %v", err)
	}
}

// A code request checked against the sign-in's five limits (source per hour and per day, global,
// the address for this browser, and one spare) costs two DynamoDB requests: one BatchGetItem and one
// TransactWriteItems. BenchmarkLimitedCode reports the same per operation.
func TestALimitedCodeCostsTwoRequests(t *testing.T) {
	s, c := countedStore(t)
	e := access.Email("counted@example.com")
	c.reset()
	if err := s.PutCode(ctx, e, "browser-1", secret.NewCode(6).HashWith(string(e)), signInLimits(e, 0)...); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.ops) != 2 || c.ops["BatchGetItem"] != 1 || c.ops["TransactWriteItems"] != 1 {
		t.Fatalf("a limited code: %v; want one BatchGetItem and one TransactWriteItems", c.ops)
	}
}

func BenchmarkLimitedCode(b *testing.B) {
	s, c := countedStore(b)
	e := access.Email("bench-limits@example.com")
	c.reset()
	n := 0
	for b.Loop() {
		n++
		if err := s.PutCode(ctx, e, "browser-1", secret.NewCode(6).HashWith(string(e)), signInLimits(e, n)...); err != nil {
			b.Fatal(err)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for op, k := range c.ops {
		b.ReportMetric(float64(k)/float64(n), op+"/op")
	}
}

// signInLimits are five limits of the sign-in's shape, roomy enough never to refuse; n makes them
// fresh for each use.
func signInLimits(e access.Email, n int) []store.Limit {
	var ls []store.Limit
	for _, k := range []string{"source-hour", "source-day", "global", "address", "spare"} {
		ls = append(ls, store.Limit{Kind: "bench-" + k, Key: fmt.Sprint(e, n), Window: time.Hour, Max: 1 << 20})
	}
	return ls
}

func countedStore(t testing.TB) (*store.Store, *requests) {
	t.Helper()
	_, table := storetest.New(t)
	c := &requests{ops: map[string]int{}}
	o := dynamo.Client(storetest.URL(t)).Options()
	o.APIOptions = append(o.APIOptions, c.add)
	return store.New(dynamodb.New(o), table), c
}
