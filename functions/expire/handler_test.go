package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
)

const fourWeeks = 28 * 24 * time.Hour

var (
	ctx = context.Background()
	now = time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
)

// request is a request as the fake table holds it.
type request struct {
	r     access.Request
	since time.Time
	purge *time.Time // in the purge queue, due then (a claim moves it on)
}

// fakeStore is the store's expiry as a table would do it, one write at a time (a mutex stands for
// the conditional writes): what each call changes, and AWS failures on demand.
type fakeStore struct {
	mu       sync.Mutex
	clock    *time.Time
	requests map[access.RequestID]*request
	tokens   map[access.RequestID]int
	emails   []access.RequestID // each expiry's email, as the transaction queues it
	done     []access.RequestID // purges recorded done
	// fail makes the named call fail once with an AWS error.
	fail map[string]error
	// between runs just before ExpireRequest's write (the requester acting in the meantime).
	between func(id access.RequestID)
}

func newStore(clock *time.Time) *fakeStore {
	return &fakeStore{clock: clock, requests: map[access.RequestID]*request{}, tokens: map[access.RequestID]int{}, fail: map[string]error{}}
}

func (f *fakeStore) add(id access.RequestID, st access.Status, since time.Time, draft bool) {
	f.requests[id] = &request{r: access.Request{ID: id, Status: st, Draft: draft, Requester: access.Requester{Email: "dee@example.com"}}, since: since}
	f.tokens[id] = 2
}

func (f *fakeStore) failing(name string) error {
	if err, ok := f.fail[name]; ok {
		delete(f.fail, name)
		return err
	}
	return nil
}

func (f *fakeStore) EachWaitingBefore(_ context.Context, st access.Status, cutoff time.Time, each func(store.Waiting) bool) error {
	f.mu.Lock()
	if err := f.failing("EachWaitingBefore"); err != nil {
		f.mu.Unlock()
		return err
	}
	var found []store.Waiting
	for _, q := range f.requests {
		if q.r.Status == st && q.since.Before(cutoff) {
			found = append(found, store.Waiting{Request: q.r, Since: q.since})
		}
	}
	f.mu.Unlock()
	slices.SortFunc(found, func(a, b store.Waiting) int { return strings.Compare(string(a.Request.ID), string(b.Request.ID)) })
	for _, w := range found {
		if !each(w) {
			break
		}
	}
	return nil
}

func (f *fakeStore) ExpireRequest(_ context.Context, id access.RequestID, after time.Duration) (access.Request, error) {
	if f.between != nil {
		f.between(id)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failing("ExpireRequest"); err != nil {
		return access.Request{}, err
	}
	q := f.requests[id]
	r, _, err := q.r.Expire(q.since, after, *f.clock)
	if errors.Is(err, access.ErrIllegalMove) {
		return q.r, errors.Join(store.ErrConflict, err)
	}
	if err != nil {
		return q.r, err
	}
	q.r, f.tokens[id] = r, 0
	due := *f.clock
	q.purge = &due
	f.emails = append(f.emails, id)
	return r, nil
}

func (f *fakeStore) DuePurges(_ context.Context, limit int) ([]store.Purge, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.Purge
	for id, q := range f.requests {
		if q.purge != nil && !q.purge.After(*f.clock) && len(out) < limit {
			out = append(out, store.Purge{Request: id, Due: *q.purge})
		}
	}
	return out, nil
}

func (f *fakeStore) ClaimPurge(_ context.Context, p *store.Purge, lease time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failing("ClaimPurge"); err != nil {
		return err
	}
	q := f.requests[p.Request]
	if q.purge == nil || !p.Due.Equal(*q.purge) {
		return store.ErrConflict
	}
	next := f.clock.Add(lease)
	q.purge = &next
	*p = store.Purge{Request: p.Request, Due: next}
	return nil
}

func (f *fakeStore) DeleteRequestTokens(_ context.Context, id access.RequestID) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.tokens[id]
	f.tokens[id] = 0
	return n, nil
}

func (f *fakeStore) PurgeDone(_ context.Context, p store.Purge) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.requests[p.Request]
	if q.purge == nil || !p.Due.Equal(*q.purge) {
		return store.ErrConflict
	}
	q.purge = nil
	f.done = append(f.done, p.Request)
	return nil
}

// fakeFiles is the uploads bucket: the objects under each prefix, and the deletes asked for.
type fakeFiles struct {
	mu      sync.Mutex
	objects map[string]int // prefix -> object versions
	deletes []string
	fail    error // the next call fails with it
}

func (b *fakeFiles) DeleteEveryVersion(_ context.Context, prefix string) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.fail; err != nil {
		b.fail = nil
		return 0, err
	}
	n := b.objects[prefix]
	b.objects[prefix] = 0
	if n > 0 {
		b.deletes = append(b.deletes, prefix)
	}
	return n, nil
}

func handler(s *fakeStore, b *fakeFiles, clock *time.Time, log *bytes.Buffer) Handler {
	return Handler{Requests: s, Files: b, After: fourWeeks, Now: func() time.Time { return *clock },
		Log: slog.New(slog.NewJSONHandler(log, nil))}
}

func filesOf(ids ...access.RequestID) *fakeFiles {
	b := &fakeFiles{objects: map[string]int{}}
	for _, id := range ids {
		b.objects["evidence/"+string(id)+"/"] = 2 // an upload and its earlier version
		b.objects["renditions/"+string(id)+"/"] = 1
	}
	return b
}

var throttled = &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}

// TestARunExpiresWhatIsDueAndPurgesIt: a request awaiting its files for four weeks, one asked for
// more information four weeks ago, and one stuck in its checks expire and are purged: every file
// version under their folders deleted, their links gone, each requester emailed once. A request a
// day short of its time, one under review and a draft are left alone.
func TestARunExpiresWhatIsDueAndPurgesIt(t *testing.T) {
	clock := now
	s := newStore(&clock)
	old := now.Add(-fourWeeks - time.Minute)
	s.add("r-awaiting", access.AwaitingEvidence, old, false)
	s.add("r-more", access.MoreInfoRequested, old, false)
	s.add("r-stuck", access.Scanning, old, false)
	s.add("r-young", access.AwaitingEvidence, now.Add(-fourWeeks+24*time.Hour), false)
	s.add("r-review", access.ReadyForReview, old, false)
	s.add("r-draft", access.AwaitingEvidence, old, true)
	b := filesOf("r-awaiting", "r-more", "r-stuck", "r-young", "r-review", "r-draft")
	var log bytes.Buffer
	if err := handler(s, b, &clock, &log).Handle(ctx, nil); err != nil {
		t.Fatal(err)
	}
	expired := []access.RequestID{"r-awaiting", "r-more", "r-stuck"}
	for id, q := range s.requests {
		want := slices.Contains(expired, id)
		if (q.r.Status == access.Expired) != want || (s.tokens[id] == 0) != want {
			t.Errorf("%s: %s, %d tokens", id, q.r.Status, s.tokens[id])
		}
		gone := b.objects["evidence/"+string(id)+"/"] == 0 && b.objects["renditions/"+string(id)+"/"] == 0
		if gone != want {
			t.Errorf("%s: files deleted %t", id, gone)
		}
	}
	slices.Sort(s.emails)
	slices.Sort(s.done)
	if !slices.Equal(s.emails, expired) || !slices.Equal(s.done, expired) {
		t.Errorf("emails %v, purged %v", s.emails, s.done)
	}
	if strings.Contains(log.String(), "dee@example.com") {
		t.Errorf("an address in the log: %s", log.String())
	}
}

// TestOverlappingRunsDoNoDoubleWork: two runs at once (a slow run and the next tick) expire each
// request once, email once, and delete its files once: the second loses the write and the claim.
func TestOverlappingRunsDoNoDoubleWork(t *testing.T) {
	clock := now
	s := newStore(&clock)
	var ids []access.RequestID
	for _, id := range []access.RequestID{"r1", "r2", "r3", "r4", "r5", "r6"} {
		s.add(id, access.AwaitingEvidence, now.Add(-2*fourWeeks), false)
		ids = append(ids, id)
	}
	b := filesOf(ids...)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var log bytes.Buffer
			errs[i] = handler(s, b, &clock, &log).Handle(ctx, nil)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if len(s.emails) != len(ids) || len(s.done) != len(ids) || len(b.deletes) != 2*len(ids) {
		t.Errorf("emails %v, purges %v, deletes %v", s.emails, s.done, b.deletes)
	}
}

// TestARequestThatMovesOnIsLeftAlone: the requester sends their files between the run's query and
// its write; the store's fresh read finds it checking since just now, and nothing is expired,
// emailed or deleted, and the run is not a failure.
func TestARequestThatMovesOnIsLeftAlone(t *testing.T) {
	clock := now
	s := newStore(&clock)
	s.add("r1", access.AwaitingEvidence, now.Add(-2*fourWeeks), false)
	s.between = func(id access.RequestID) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests[id].r.Status, s.requests[id].since = access.Scanning, now
	}
	b := filesOf("r1")
	var log bytes.Buffer
	if err := handler(s, b, &clock, &log).Handle(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if st := s.requests["r1"].r.Status; st != access.Scanning || len(s.emails) != 0 || len(b.deletes) != 0 {
		t.Errorf("%s, emails %v, deletes %v", st, s.emails, b.deletes)
	}
}

// TestThrottledCallsLoseNothing: a throttled expiring write leaves the request waiting, and a
// throttled S3 delete leaves the purge claimed; the run says it failed. The next run expires the
// request; once the claim's lease is over, a run purges it. Each email is sent once.
func TestThrottledCallsLoseNothing(t *testing.T) {
	clock := now
	s := newStore(&clock)
	s.add("r1", access.AwaitingEvidence, now.Add(-2*fourWeeks), false)
	s.add("r2", access.MoreInfoRequested, now.Add(-2*fourWeeks), false)
	b := filesOf("r1", "r2")
	var log bytes.Buffer
	h := handler(s, b, &clock, &log)

	s.fail["ExpireRequest"] = throttled // r1's write
	b.fail = throttled                  // r2's first delete
	if err := h.Handle(ctx, nil); err == nil {
		t.Fatal("a run with failures said nothing")
	}
	if s.requests["r1"].r.Status != access.AwaitingEvidence || s.requests["r2"].r.Status != access.Expired || len(s.done) != 0 {
		t.Fatalf("after the first run: r1 %s, r2 %s, purged %v", s.requests["r1"].r.Status, s.requests["r2"].r.Status, s.done)
	}
	if !strings.Contains(log.String(), "the next run tries again") || !strings.Contains(log.String(), "a later run tries again") {
		t.Errorf("log: %s", log.String())
	}

	// The next run, within r2's lease: r1 expires and is purged; r2's purge is still claimed.
	clock = now.Add(time.Minute)
	if err := h.Handle(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.done, []access.RequestID{"r1"}) {
		t.Fatalf("purged %v", s.done)
	}
	// After the lease, r2 is taken up again and purged.
	clock = now.Add(lease + 2*time.Minute)
	if err := h.Handle(ctx, nil); err != nil {
		t.Fatal(err)
	}
	slices.Sort(s.emails)
	if !slices.Equal(s.done, []access.RequestID{"r1", "r2"}) || !slices.Equal(s.emails, []access.RequestID{"r1", "r2"}) {
		t.Errorf("purged %v, emails %v", s.done, s.emails)
	}
	for p, n := range b.objects {
		if n != 0 {
			t.Errorf("%s still holds %d versions", p, n)
		}
	}
}

// TestTheSampleEventIsARun: make invoke's sample schedule event runs the expiry like any tick.
func TestTheSampleEventIsARun(t *testing.T) {
	raw, err := os.ReadFile("../../events/expire-schedule.json")
	if err != nil {
		t.Fatal(err)
	}
	clock := now
	s := newStore(&clock)
	s.add("r1", access.AwaitingEvidence, now.Add(-2*fourWeeks), false)
	var log bytes.Buffer
	if err := handler(s, filesOf("r1"), &clock, &log).Handle(ctx, raw); err != nil || len(s.done) != 1 {
		t.Fatalf("%v %v", err, s.done)
	}
}
