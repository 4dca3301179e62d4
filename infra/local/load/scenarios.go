package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/store"
)

// Plan sizes a run.
type Plan struct {
	Codes        int           // sign-in code requests
	Lists        int           // document list requests
	Pages        int           // loads of each portal page (pages.go)
	Requests     int           // access-request submissions
	Concurrency  int           // workers in each throughput scenario
	People       int           // signed-in people whose document lists are read
	Documents    int           // documents published for each of their clients
	ScenarioTime time.Duration // no scenario starts a request after this
}

// What the API promises (api.md and the handlers): five requests per email an hour, five
// attempts per sign-in code, five sign-in emails per address an hour, POST /session padded.
const (
	perEmail     = 5
	codeAttempts = 5
	codesPerHour = 5
	signInFloor  = 800 * time.Millisecond
)

const (
	overIPLimitBy = 5                // extra requests from one source address past its limit
	ipLimitSpare  = 10               // room above Plan.Requests for the per-email scenario
	limitScenario = 20 * time.Second // time a short limit check needs inside one clock hour
	limitSource   = "127.0.0.2"      // a loopback address of its own for the per-source check
	pageSize      = 25
)

// IPLimitFor is the per-source-address limit a stack started for this plan should have: room for
// every submission from 127.0.0.1, while the per-source check from limitSource reaches it.
func IPLimitFor(p Plan) int { return p.Requests + ipLimitSpare }

// Run runs every scenario against t and returns what each measured; the error lists every scenario
// that saw something unexpected.
func Run(ctx context.Context, t Target, p Plan) ([]Result, error) {
	run := time.Now().UnixNano()
	var results []Result
	add := func(r Result) { results = append(results, r) }

	add(signInCodes(ctx, t, p, run))
	people, arranged := signInPeople(ctx, t, p, run)
	quiet := documentLists(ctx, t, p, people, arranged)
	add(quiet)
	for _, pg := range portalPages {
		add(pages(ctx, t, p, pg, people, arranged))
	}
	add(accessRequests(ctx, t, p, run))
	add(oneEmail(ctx, t, p, run))
	attempts, codes := codeLimits(ctx, t, p, run)
	add(attempts)
	add(codes)
	if t.IPLimit > 0 {
		add(oneSource(ctx, t, p, run))
	}
	for _, r := range signInFlood(ctx, t, p, people, arranged, quiet, run) {
		add(r)
	}

	var errs []error
	for _, r := range results {
		if r.ErrorCount > 0 {
			errs = append(errs, fmt.Errorf("%s: %d unexpected (first: %s)", r.Name, r.ErrorCount, r.Errors[0]))
		}
	}
	if ctx.Err() != nil {
		errs = append(errs, fmt.Errorf("the run's deadline passed: %w", ctx.Err()))
	}
	return results, errors.Join(errs...)
}

// (a) Sign-in code requests for addresses without an account: every answer is 202, as for an
// account, and never sooner than the floor, so concurrency bounds the throughput.
func signInCodes(ctx context.Context, t Target, p Plan, run int64) Result {
	r := drive(ctx, "sign-in code requests", p.Codes, p.Concurrency, p.ScenarioTime, func(ctx context.Context, i int) (int, error) {
		c := t.browser().ownSource() // each from its own connection, within its source's limits
		defer c.http.Transport.(*http.Transport).CloseIdleConnections()
		a, err := c.do(ctx, "POST", "/session", map[string]string{"email": fmt.Sprintf("nobody.%d.%d@example.com", run, i)})
		return a.Status, err
	})
	r.only(http.StatusAccepted)
	r.Notes = append(r.Notes, fmt.Sprintf("answers are padded to at least %s: at concurrency %d the ceiling is %.1f req/s (less when the function runs fewer instances: 10 locally)",
		signInFloor, p.Concurrency, float64(p.Concurrency)/signInFloor.Seconds()))
	return r
}

// (b) Document lists by people signed in through the API, each with a grant for a client with
// published documents: first pages, second pages (by cursor) and one type. Every answer must be a
// 200 with documents in it.
func documentLists(ctx context.Context, t Target, p Plan, people []*person, err error) Result {
	const name = "document lists (signed in)"
	if err != nil {
		r := Result{Name: name, Planned: p.Lists, Statuses: map[int]int{}}
		r.fail("arranging signed-in people: %v", err)
		return r
	}
	cursors := make([]string, len(people))
	for i, pp := range people {
		a, err := pp.do(ctx, "GET", "/clients/"+pp.ClientRef+"/documents?limit="+strconv.Itoa(pageSize), nil)
		var page docPage
		if err == nil && a.Status == http.StatusOK {
			err = json.Unmarshal(a.Body, &page)
		}
		if err != nil || page.NextCursor == nil {
			r := Result{Name: name, Planned: p.Lists, Statuses: map[int]int{}}
			r.fail("first page for person %d: %d %v (no next cursor)", i, a.Status, err)
			return r
		}
		cursors[i] = *page.NextCursor
	}
	r := drive(ctx, name, p.Lists, p.Concurrency, p.ScenarioTime, func(ctx context.Context, i int) (int, error) {
		who := i % len(people)
		pp := people[who]
		path := "/clients/" + pp.ClientRef + "/documents?"
		switch i % 3 {
		case 0:
			path += "limit=" + strconv.Itoa(pageSize)
		case 1:
			path += "limit=" + strconv.Itoa(pageSize) + "&cursor=" + url.QueryEscape(cursors[who])
		case 2:
			path += "type=" + string(store.CareInvoice) + "&limit=10"
		}
		a, err := pp.do(ctx, "GET", path, nil)
		if err != nil || a.Status != http.StatusOK {
			return a.Status, err
		}
		var page docPage
		if err := json.Unmarshal(a.Body, &page); err != nil || len(page.Documents) == 0 {
			return a.Status, fmt.Errorf("a 200 without documents (%v)", err)
		}
		return a.Status, nil
	})
	r.only(http.StatusOK)
	r.Notes = append(r.Notes, fmt.Sprintf("%d people signed in through the API, %d documents each; first pages, second pages and one type", len(people), p.Documents))
	return r
}

type docPage struct {
	Documents  []json.RawMessage `json:"documents"`
	NextCursor *string           `json:"nextCursor"`
}

// signInPeople arranges p.People signed-in people, each with a client of p.Documents documents.
func signInPeople(ctx context.Context, t Target, p Plan, run int64) ([]*person, error) {
	people := make([]*person, p.People)
	errs := make([]error, p.People)
	var wg sync.WaitGroup
	for i := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ref := clientRef(run, i)
			if errs[i] = seedDocuments(ctx, t, ref, p.Documents); errs[i] != nil {
				return
			}
			people[i], errs[i] = signUp(ctx, t, fmt.Sprintf("reader%d.%d@example.com", i, run), ref)
		}()
	}
	wg.Wait()
	return people, errors.Join(errs...)
}

// clientRef is a client reference of this run's own (the council's format: 6 to 10 digits).
func clientRef(run int64, i int) string {
	return fmt.Sprintf("%07d%02d", (run/int64(time.Second))%10_000_000, i%100)
}

func seedDocuments(ctx context.Context, t Target, ref string, n int) error {
	types := []store.DocumentType{store.CareInvoice, store.AssessmentOutcome, store.DirectPaymentRemittance, store.DeferredPaymentStatement}
	day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	docs := make([]store.Document, n)
	for i := range docs {
		docs[i] = store.Document{
			ID: store.DocumentID(fmt.Sprintf("dload%s%05d", ref, i)), ClientReference: ref, Type: types[i%len(types)],
			Title: "Statement", DocumentDate: day.AddDate(0, 0, i).Format(time.DateOnly),
			PublishedAt: time.Now().UTC(), Size: 1000, Key: fmt.Sprintf("published/%s/load-%05d.pdf", ref, i),
		}
	}
	return storetest.SeedDocuments(ctx, t.Store, docs...)
}

// requestBody is a valid access request from email, for a deputy with one PDF to upload.
func requestBody(email string) map[string]any {
	return map[string]any{
		"requester":    map[string]any{"name": "Load Test", "email": email},
		"relationship": "deputy",
		"client":       map[string]any{"name": "Cli Ent", "dateOfBirth": "1941-03-04", "postcode": "SW1A 1AA"},
		"evidence":     []map[string]any{{"fileName": "order.pdf", "contentType": "application/pdf", "size": 1000}},
	}
}

// created checks a 201's body is a created request with its upload form.
func created(a answer) error {
	var c struct {
		ID, ContinuationToken string
		Uploads               []json.RawMessage
	}
	if err := json.Unmarshal(a.Body, &c); err != nil || c.ID == "" || c.ContinuationToken == "" || len(c.Uploads) != 1 {
		return fmt.Errorf("a 201 that is not a created request (%v)", err)
	}
	return nil
}

// limited checks a 429 says when to come back.
func limited(a answer) error {
	if n, err := strconv.Atoi(a.Header.Get("Retry-After")); err != nil || n <= 0 {
		return fmt.Errorf("a 429 without a Retry-After in seconds (%q)", a.Header.Get("Retry-After"))
	}
	return nil
}

// (c) Access-request submissions, each from its own email address: all 201.
func accessRequests(ctx context.Context, t Target, p Plan, run int64) Result {
	c := t.browser()
	r := drive(ctx, "access requests", p.Requests, p.Concurrency, p.ScenarioTime, func(ctx context.Context, i int) (int, error) {
		a, err := c.do(ctx, "POST", "/access-requests", requestBody(fmt.Sprintf("load.%d.%d@example.com", run, i)))
		if err == nil && a.Status == http.StatusCreated {
			err = created(a)
		}
		return a.Status, err
	})
	r.only(http.StatusCreated)
	return r
}

// (d) One email, eight requests in a row: five 201s, then 429s with Retry-After, nothing else.
func oneEmail(ctx context.Context, t Target, p Plan, run int64) Result {
	clearOfHour(ctx, limitScenario)
	c := t.browser()
	email := fmt.Sprintf("same.%d@example.com", run)
	r := drive(ctx, "limit: 8 requests from one email", perEmail+3, 1, p.ScenarioTime, func(ctx context.Context, i int) (int, error) {
		a, err := c.do(ctx, "POST", "/access-requests", requestBody(email))
		switch {
		case err != nil:
		case i < perEmail && a.Status != http.StatusCreated:
			err = fmt.Errorf("request %d within the limit answered %d", i+1, a.Status)
		case i < perEmail:
			err = created(a)
		case a.Status != http.StatusTooManyRequests:
			err = fmt.Errorf("request %d over the limit answered %d, not 429", i+1, a.Status)
		default:
			err = limited(a)
		}
		return a.Status, err
	})
	r.only(http.StatusCreated, http.StatusTooManyRequests)
	r.complete()
	return r
}

// (e) Sign-in codes: five wrong attempts (401), then the right code, refused (429) because it is
// the sixth attempt; then five more codes asked for: all 202, but the address has received only
// five code emails this hour.
func codeLimits(ctx context.Context, t Target, p Plan, run int64) (Result, Result) {
	const attemptsName, codesName = "limit: 6th attempt at a code", "limit: 7 codes asked, 5 sent"
	clearOfHour(ctx, limitScenario)
	pp, err := signUp(ctx, t, fmt.Sprintf("guess.%d@example.com", run), clientRef(run, 99))
	var right string
	if err == nil {
		right, err = pp.askCode(ctx, 2) // the first signed them in
	}
	if err != nil {
		a, c := Result{Name: attemptsName, Statuses: map[int]int{}}, Result{Name: codesName, Statuses: map[int]int{}}
		a.fail("arranging a person: %v", err)
		c.fail("arranging a person: %v", err)
		return a, c
	}
	wrong := "000000"
	if wrong == right {
		wrong = "111111"
	}
	attempts := drive(ctx, attemptsName, codeAttempts+1, 1, p.ScenarioTime, func(ctx context.Context, i int) (int, error) {
		code, want := wrong, http.StatusUnauthorized
		if i == codeAttempts {
			code, want = right, http.StatusTooManyRequests
		}
		a, err := pp.do(ctx, "POST", "/session/verify", map[string]string{"email": pp.Email, "code": code})
		if err == nil && a.Status != want {
			err = fmt.Errorf("attempt %d answered %d, not %d", i+1, a.Status, want)
		}
		return a.Status, err
	})
	attempts.only(http.StatusUnauthorized, http.StatusTooManyRequests)
	attempts.complete()

	more := codesPerHour // 7 asked in all: two were sent already (to sign in, and the one guessed at)
	codes := drive(ctx, codesName, more, min(p.Concurrency, more), p.ScenarioTime, func(ctx context.Context, i int) (int, error) {
		a, err := pp.do(ctx, "POST", "/session", map[string]string{"email": pp.Email})
		return a.Status, err
	})
	codes.only(http.StatusAccepted)
	codes.complete()
	// The code goes to SES before POST /session answers, so the mailbox is complete now.
	switch sent, err := mailsTo(ctx, t.Mailbox, pp.Email, codeSubject); {
	case err != nil:
		codes.fail("reading the mailbox: %v", err)
	case len(sent) != codesPerHour:
		codes.fail("%d code emails to one address in the hour, not %d", len(sent), codesPerHour)
	default:
		codes.Notes = append(codes.Notes, fmt.Sprintf("%d code emails received in all (2 before this scenario)", len(sent)))
	}
	return attempts, codes
}

// (f) One source address (its own loopback address, so earlier scenarios do not count against it)
// sends its limit and five more, concurrently, each from its own email: exactly the limit are
// created and the rest are 429 with Retry-After.
func oneSource(ctx context.Context, t Target, p Plan, run int64) Result {
	clearOfHour(ctx, p.ScenarioTime) // it sends as many requests as the access-request scenario
	c := t.browser()
	c.http.Transport = &http.Transport{MaxIdleConnsPerHost: 64, DialContext: (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.ParseIP(limitSource)}, Timeout: 5 * time.Second,
	}).DialContext}
	defer c.http.Transport.(*http.Transport).CloseIdleConnections()
	n := t.IPLimit + overIPLimitBy
	r := drive(ctx, fmt.Sprintf("limit: %d requests from %s", n, limitSource), n, p.Concurrency, p.ScenarioTime, func(ctx context.Context, i int) (int, error) {
		a, err := c.do(ctx, "POST", "/access-requests", requestBody(fmt.Sprintf("src.%d.%d@example.com", run, i)))
		switch {
		case err != nil:
		case a.Status == http.StatusCreated:
			err = created(a)
		case a.Status == http.StatusTooManyRequests:
			err = limited(a)
		}
		return a.Status, err
	})
	r.only(http.StatusCreated, http.StatusTooManyRequests)
	r.complete()
	if r.Requests == n && (r.Statuses[http.StatusCreated] != t.IPLimit || r.Statuses[http.StatusTooManyRequests] != overIPLimitBy) {
		r.fail("%d created and %d refused; the limit is %d an hour", r.Statuses[http.StatusCreated], r.Statuses[http.StatusTooManyRequests], t.IPLimit)
	}
	return r
}

// clearOfHour waits for the next clock hour when fewer than need remain in this one: the limits
// count in clock-hour windows, and a check that straddled two would see both windows' allowance.
func clearOfHour(ctx context.Context, need time.Duration) {
	now := time.Now()
	left := now.Truncate(time.Hour).Add(time.Hour).Sub(now)
	if left >= need {
		return
	}
	select {
	case <-time.After(left + time.Second):
	case <-ctx.Done():
	}
}
