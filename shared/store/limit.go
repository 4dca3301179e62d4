package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Rate limits (RATE#<kind>#<hash of key> / <bucket start>) are sliding windows, approximated from
// two fixed buckets as Cloudflare does: at a moment elapsed into the current bucket, the window
// holds curr + prev*(1 - elapsed/Window), rounded up. A plain fixed window lets twice its limit
// through across a boundary (five at 13:59:59 and five more at 14:00:00); a ring of smaller buckets
// would be exact but costs a read per bucket. Two buckets cost, for any number of limits checked
// together, one BatchGetItem (both buckets of every limit) and the conditional ADDs on the current
// buckets in the write the limit guards: two DynamoDB requests in all. The weighting assumes the
// previous bucket's events were spread evenly; a burst at its very end is forgotten a little
// early, never more than the previous bucket's count.
//
// The read and the write are not one transaction: the previous bucket no longer changes, and the
// current bucket's ADD carries its own condition (N < what the window allows now), so concurrent
// requests cannot together pass the limit.

// Limit is a sliding-window rate limit counted in the same write as what it limits.
type Limit struct {
	Kind string // e.g. "request-email", "signin-source"
	Key  string // the address, source or browser: hashed before it is stored
	// Sub, when set, splits Key's counter (one per Sub: a browser, say) inside Key's partition,
	// so that every counter of one Key is found by it (store.UnlockSignIn). Hashed too.
	Sub    string
	Window time.Duration
	Max    int
}

// LimitedError is ErrLimited saying which limit refused and when it will allow one more.
type LimitedError struct {
	Kind       string
	RetryAfter time.Duration // at least a second
}

func (e *LimitedError) Error() string {
	return fmt.Sprintf("%v: %s, again in %s", ErrLimited, e.Kind, e.RetryAfter)
}

// Is makes errors.Is(err, ErrLimited) true of every LimitedError.
func (e *LimitedError) Is(target error) bool { return target == ErrLimited }

// Allowance is how many more the window allows at now, given the counts of the bucket before the
// current one (prev) and of the current one (curr); when none, wait is how long until one is.
func (l Limit) Allowance(prev, curr int, now time.Time) (more int, wait time.Duration) {
	elapsed := now.Sub(now.Truncate(l.Window))
	if more = l.ceiling(prev, now) - curr; more > 0 {
		return more, 0
	}
	// When does the weighted count leave room for one? Within this bucket if curr alone leaves room;
	// else in the next one, where curr becomes the previous bucket.
	at := func(carry, room int) time.Duration { // elapsed time at which ceil(carry*(1-t/W)) <= room
		if carry <= room {
			return 0
		}
		return time.Duration(math.Ceil(float64(l.Window) * (1 - float64(room)/float64(carry))))
	}
	if curr < l.Max {
		wait = at(prev, l.Max-curr-1) - elapsed
	} else {
		wait = l.Window - elapsed + at(curr, l.Max-1)
	}
	return 0, max(wait.Round(time.Second), time.Second)
}

// ceiling is what the current bucket may hold at now: Max less the previous bucket's weighted
// share, rounded up so that the approximation errs on the side of refusing.
func (l Limit) ceiling(prev int, now time.Time) int {
	elapsed := now.Sub(now.Truncate(l.Window))
	return l.Max - int(math.Ceil(float64(prev)*(1-float64(elapsed)/float64(l.Window))))
}

func (l Limit) hash() string {
	sum := sha256.Sum256([]byte(l.Key))
	return hex.EncodeToString(sum[:16])
}

func (l Limit) bucket(start time.Time) key {
	at := strconv.FormatInt(start.Unix(), 10)
	if l.Sub != "" {
		sum := sha256.Sum256([]byte(l.Sub))
		at = hex.EncodeToString(sum[:16]) + "#" + at
	}
	return rateKey(l.Kind, l.hash(), at)
}

type rateItem struct {
	PK, SK string
	N      int
}

// ceilings reads both buckets of every limit (one BatchGetItem) and returns what each one's current
// bucket may hold now; a *LimitedError, for the first limit that allows none, before anything is
// written.
func (s *Store) ceilings(ctx context.Context, now time.Time, ls []Limit) ([]int, error) {
	if len(ls) == 0 {
		return nil, nil
	}
	keys := make([]map[string]types.AttributeValue, 0, 2*len(ls))
	for _, l := range ls {
		start := now.Truncate(l.Window)
		keys = append(keys, l.bucket(start.Add(-l.Window)).av(), l.bucket(start).av())
	}
	counts := map[key]int{}
	req := map[string]types.KeysAndAttributes{s.table: {Keys: keys, ProjectionExpression: stringPtr("PK, SK, N")}}
	for try := 0; len(req) > 0 && try < 3; try++ {
		out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, wrap("read rate limits", err)
		}
		for _, av := range out.Responses[s.table] {
			var it rateItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, wrap("read rate limits", err)
			}
			counts[key{it.PK, it.SK}] = it.N
		}
		req = out.UnprocessedKeys
	}
	if len(req) > 0 {
		return nil, wrap("read rate limits", fmt.Errorf("keys left unprocessed"))
	}
	ceilings := make([]int, len(ls))
	for i, l := range ls {
		start := now.Truncate(l.Window)
		prev := counts[l.bucket(start.Add(-l.Window))]
		if n, wait := l.Allowance(prev, counts[l.bucket(start)], now); n == 0 {
			return nil, &LimitedError{Kind: l.Kind, RetryAfter: wait}
		}
		ceilings[i] = l.ceiling(prev, now)
	}
	return ceilings, nil
}

// limited builds a transaction that counts one against every limit (after reading them: see
// ceilings), for the write the limits guard to be added to.
func (s *Store) limited(ctx context.Context, now time.Time, ls ...Limit) (*tx, error) {
	ceilings, err := s.ceilings(ctx, now, ls)
	if err != nil {
		return nil, err
	}
	t := s.tx()
	for i, l := range ls {
		start := now.Truncate(l.Window)
		// The condition holds the ceiling against requests made at the same moment. The bucket is
		// kept while it can still be the previous one.
		t.update(l.bucket(start), "ADD N :one SET ExpiresAt = :exp", cond{expr: "attribute_not_exists(N) OR N < :max", values: map[string]types.AttributeValue{
			":one": num("1"), ":max": num(strconv.Itoa(ceilings[i])), ":exp": unix(start.Add(2*l.Window + time.Hour)),
		}}, &LimitedError{Kind: l.Kind, RetryAfter: time.Second})
	}
	return t, nil
}

// Count counts one against every limit, all or none (one read and one write in all); a
// *LimitedError when any allows none, and nothing is counted.
func (s *Store) Count(ctx context.Context, ls ...Limit) error {
	t, err := s.limited(ctx, s.now(), ls...)
	if err != nil || len(ls) == 0 {
		return err
	}
	return s.run(ctx, t, "count")
}

func stringPtr(s string) *string { return &s }
