package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// The sign-in's per-source limits (functions/signin limits.go): what one source may ask for in an
// hour.
const (
	sourceCodesPerHour    = 10
	sourceAttemptsPerHour = 20
	floodSource           = "127.0.0.5" // a loopback address of its own for the flood
	floodOver             = 40          // requests of each kind past the source's limit
	bystanders            = 8           // other sources asking for codes during the flood
)

// (g) A sign-in flood from one source beside the document-list readers: the flooding source asks
// for codes and guesses at them past its limits, while other sources ask for codes and the signed-in
// people read their document lists. The limits must answer 429 (with Retry-After) to the flooding
// source past its limits and nowhere else: exactly sourceCodesPerHour codes and
// sourceAttemptsPerHour attempts of the flood are answered as usual, every bystander gets its 202
// and every list its 200. Timings are reported (the lists' figures beside those without the flood),
// never asserted.
func signInFlood(ctx context.Context, t Target, p Plan, people []*person, arranged error, quiet Result, run int64) []Result {
	flooder := t.browser()
	flooder.http.Transport = &http.Transport{MaxIdleConnsPerHost: 64, DialContext: (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.ParseIP(floodSource)}, Timeout: 5 * time.Second,
	}).DialContext}
	defer flooder.http.Transport.(*http.Transport).CloseIdleConnections()

	var codes, attempts, others, lists Result
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		codes = drive(ctx, fmt.Sprintf("flood: %d codes from %s", sourceCodesPerHour+floodOver, floodSource), sourceCodesPerHour+floodOver, p.Concurrency, p.ScenarioTime,
			func(ctx context.Context, i int) (int, error) {
				a, err := flooder.do(ctx, "POST", "/session", map[string]string{"email": fmt.Sprintf("flood.%d.%d@example.com", run, i)})
				if err == nil && a.Status == http.StatusTooManyRequests {
					err = limited(a)
				}
				return a.Status, err
			})
		attempts = drive(ctx, fmt.Sprintf("flood: %d guesses from %s", sourceAttemptsPerHour+floodOver, floodSource), sourceAttemptsPerHour+floodOver, p.Concurrency, p.ScenarioTime,
			func(ctx context.Context, i int) (int, error) {
				a, err := flooder.do(ctx, "POST", "/session/verify", map[string]string{"email": fmt.Sprintf("flood.%d.%d@example.com", run, i%sourceCodesPerHour), "code": "000000"})
				if err == nil && a.Status == http.StatusTooManyRequests {
					err = limited(a)
				}
				return a.Status, err
			})
	}()
	go func() {
		defer wg.Done()
		others = drive(ctx, "flood: other sources' codes", bystanders, min(p.Concurrency, bystanders), p.ScenarioTime, func(ctx context.Context, i int) (int, error) {
			c := t.browser().ownSource()
			defer c.http.Transport.(*http.Transport).CloseIdleConnections()
			a, err := c.do(ctx, "POST", "/session", map[string]string{"email": fmt.Sprintf("bystander.%d.%d@example.com", run, i)})
			return a.Status, err
		})
	}()
	go func() {
		defer wg.Done()
		lists = documentLists(ctx, t, p, people, arranged)
		lists.Name = "document lists (during the flood)"
	}()
	wg.Wait()

	codes.only(http.StatusAccepted, http.StatusTooManyRequests)
	codes.complete()
	if n := codes.Statuses[http.StatusAccepted]; n != sourceCodesPerHour {
		codes.fail("%d code requests of the flood answered 202; want the source's limit, %d", n, sourceCodesPerHour)
	}
	attempts.only(http.StatusUnauthorized, http.StatusTooManyRequests)
	attempts.complete()
	if n := attempts.Statuses[http.StatusUnauthorized]; n != sourceAttemptsPerHour {
		attempts.fail("%d guesses of the flood answered 401; want the source's limit, %d", n, sourceAttemptsPerHour)
	}
	others.only(http.StatusAccepted)
	others.complete()
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond)) }
	lists.Notes = append(lists.Notes, fmt.Sprintf("p50 %s, p95 %s, %d errors during the flood; without it p50 %s, p95 %s, %d errors",
		ms(lists.Percentile(50)), ms(lists.Percentile(95)), lists.ErrorCount, ms(quiet.Percentile(50)), ms(quiet.Percentile(95)), quiet.ErrorCount))
	return []Result{codes, attempts, others, lists}
}
