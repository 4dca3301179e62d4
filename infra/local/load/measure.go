package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what one scenario measured.
type Result struct {
	Name        string
	Planned     int // requests the scenario was to send
	Concurrency int
	Requests    int // requests sent (fewer than Planned when cut by the time bound)
	Elapsed     time.Duration
	Latency     []time.Duration // per request, sorted
	Statuses    map[int]int     // answers by status code
	Errors      []string        // transport errors and wrong answers, one line each (at most a few kept)
	ErrorCount  int
	Notes       []string
}

// Throughput is requests per second over the scenario's wall time.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Percentile is the nearest-rank latency percentile (p in 0..100).
func (r Result) Percentile(p float64) time.Duration {
	if len(r.Latency) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(r.Latency)))) - 1
	return r.Latency[max(0, min(i, len(r.Latency)-1))]
}

// op sends request i and returns its status; an error is a transport failure or a wrong answer
// (a 429 without Retry-After, an empty page).
type op func(ctx context.Context, i int) (int, error)

// drive sends n requests through op from c workers. No request starts after bound; requests
// already sent finish under ctx (the run's deadline).
func drive(ctx context.Context, name string, n, c int, bound time.Duration, send op) Result {
	r := Result{Name: name, Planned: n, Concurrency: c, Statuses: map[int]int{}}
	var (
		mu   sync.Mutex
		next atomic.Int64
		wg   sync.WaitGroup
	)
	start := time.Now()
	stop := start.Add(bound)
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(stop) {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				code, err := send(ctx, i)
				d := time.Since(t0)
				mu.Lock()
				r.Requests++
				r.Latency = append(r.Latency, d)
				if code != 0 {
					r.Statuses[code]++
				}
				if err != nil {
					r.fail("request %d: %v", i, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.Elapsed = time.Since(start)
	sort.Slice(r.Latency, func(i, j int) bool { return r.Latency[i] < r.Latency[j] })
	if r.Requests < n {
		r.Notes = append(r.Notes, fmt.Sprintf("cut short: %d of %d requests sent within the %s bound", r.Requests, n, bound))
	}
	return r
}

// fail records a wrong answer or a transport error (keeping the first few lines).
func (r *Result) fail(format string, args ...any) {
	r.ErrorCount++
	if len(r.Errors) < 5 {
		r.Errors = append(r.Errors, fmt.Sprintf(format, args...))
	}
}

// only records as a failure every answer whose status is not one of want.
func (r *Result) only(want ...int) {
	for _, code := range sortedCodes(r.Statuses) {
		ok := false
		for _, w := range want {
			ok = ok || code == w
		}
		if !ok {
			r.fail("%d unexpected %d answers (expected only %v)", r.Statuses[code], code, want)
		}
	}
}

// complete records as a failure a limit check cut short by its time bound: the 429 it was to
// reach may never have come.
func (r *Result) complete() {
	if r.Requests < r.Planned {
		r.fail("cut short after %d of %d requests: the limit was not shown to hold", r.Requests, r.Planned)
	}
}

func sortedCodes(m map[int]int) []int {
	var codes []int
	for c := range m {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	return codes
}

// Print writes the results as a table, then each scenario's notes and errors.
func Print(w io.Writer, results []Result) {
	fmt.Fprintf(w, "%-34s %8s %4s %8s %8s %8s %8s %8s  %-20s %s\n",
		"scenario", "requests", "conc", "req/s", "p50", "p90", "p99", "max", "statuses", "errors")
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond)) }
	for _, r := range results {
		var codes []string
		for _, c := range sortedCodes(r.Statuses) {
			codes = append(codes, fmt.Sprintf("%d×%d", c, r.Statuses[c]))
		}
		fmt.Fprintf(w, "%-34s %8d %4d %8.1f %8s %8s %8s %8s  %-20s %d\n",
			r.Name, r.Requests, r.Concurrency, r.Throughput(), ms(r.Percentile(50)), ms(r.Percentile(90)),
			ms(r.Percentile(99)), ms(r.Percentile(100)), strings.Join(codes, " "), r.ErrorCount)
	}
	for _, r := range results {
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  %s: %s\n", r.Name, n)
		}
		for _, e := range r.Errors {
			fmt.Fprintf(w, "  %s: FAILED: %s\n", r.Name, e)
		}
	}
}
