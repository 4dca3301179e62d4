package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/council/cfp/infra/local/dynamo"
	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/infra/local/stack"
	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

// Result is one scenario's numbers.
type Result struct {
	Name     string
	Requests int
	Elapsed  time.Duration
	Statuses map[int]int
	Latency  []time.Duration // sorted
	Errors   int
}

func (r Result) String() string {
	pct := func(p float64) time.Duration {
		if len(r.Latency) == 0 {
			return 0
		}
		return r.Latency[int(p*float64(len(r.Latency)-1))]
	}
	codes := []string{}
	for code, n := range r.Statuses {
		codes = append(codes, fmt.Sprintf("%d×%d", code, n))
	}
	sort.Strings(codes)
	return fmt.Sprintf("%-28s %5d req %7.1f req/s  p50 %-9s p90 %-9s p99 %-9s max %-9s  %s  errors %d",
		r.Name, r.Requests, float64(r.Requests)/r.Elapsed.Seconds(), pct(.5).Round(time.Millisecond), pct(.9).Round(time.Millisecond),
		pct(.99).Round(time.Millisecond), pct(1).Round(time.Millisecond), strings.Join(codes, " "), r.Errors)
}

type client struct {
	api, origin string
	http        *http.Client
}

func newClient(api, origin string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{api, origin, &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// do sends a request as the portal does (Origin, JSON) and returns the status and body.
func (c *client) do(ctx context.Context, method, path string, body any, header ...string) (int, []byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.api+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Origin", c.origin)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header, nil
}

// drive runs n calls of op at concurrency c and measures them.
func drive(ctx context.Context, name string, n, c int, op func(ctx context.Context, i int) (int, error)) Result {
	r := Result{Name: name, Statuses: map[int]int{}}
	var mu sync.Mutex
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				code, err := op(ctx, i)
				d := time.Since(t0)
				mu.Lock()
				r.Requests++
				r.Latency = append(r.Latency, d)
				if err != nil {
					r.Errors++
				} else {
					r.Statuses[code]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.Elapsed = time.Since(start)
	sort.Slice(r.Latency, func(i, j int) bool { return r.Latency[i] < r.Latency[j] })
	return r
}

// expect checks a scenario got only the wanted statuses and no transport errors.
func expect(r Result, want ...int) error {
	ok := map[int]bool{}
	for _, w := range want {
		ok[w] = true
	}
	for code, n := range r.Statuses {
		if !ok[code] {
			return fmt.Errorf("%s: %d unexpected %d answers", r.Name, n, code)
		}
	}
	if r.Errors > 0 {
		return fmt.Errorf("%s: %d transport errors", r.Name, r.Errors)
	}
	return nil
}

func requestBody(email string) map[string]any {
	return map[string]any{
		"requester":    map[string]any{"name": "Load Test", "email": email},
		"relationship": "deputy",
		"client":       map[string]any{"name": "Cli Ent", "dateOfBirth": "1941-03-04", "postcode": "SW1A 1AA"},
		"evidence":     []map[string]any{{"fileName": "order.pdf", "contentType": "application/pdf", "size": 1000}},
	}
}

var (
	verifyRE = regexp.MustCompile(`/verify\?token=([A-Za-z0-9_%-]+)`)
	codeRE   = regexp.MustCompile(`\bis ([0-9]{6})\b`)
)

// Run runs every scenario against a started stack and returns their results; the error says what
// did not hold.
func Run(ctx context.Context, st *stack.Stack, n, c int) ([]Result, error) {
	origin := st.Settings[wiring.PortalURL]
	run := time.Now().UnixNano()
	var results []Result
	var errs []error
	check := func(r Result, want ...int) {
		results = append(results, r)
		if err := expect(r, want...); err != nil {
			errs = append(errs, err)
		}
	}

	// (a) access-request submissions, each from its own address.
	cl := newClient(st.APIURL, origin)
	check(drive(ctx, "access requests", n, c, func(ctx context.Context, i int) (int, error) {
		code, _, _, err := cl.do(ctx, "POST", "/access-requests", requestBody(fmt.Sprintf("load.%d.%d@example.com", run, i)))
		return code, err
	}), http.StatusCreated)

	// (b) sign-in code requests (answered alike for every address, never faster than the padding).
	check(drive(ctx, "sign-in code requests", n/4+1, c, func(ctx context.Context, i int) (int, error) {
		code, _, _, err := cl.do(ctx, "POST", "/session", map[string]string{"email": fmt.Sprintf("nobody.%d.%d@example.com", run, i)})
		return code, err
	}), http.StatusAccepted)

	// (c) document lists by a signed-in person with a grant and 250 documents.
	person, err := signedIn(ctx, st, fmt.Sprintf("reader.%d@example.com", run), "700001")
	if err != nil {
		return results, err
	}
	check(drive(ctx, "document lists", n, c, func(ctx context.Context, i int) (int, error) {
		code, _, _, err := person.do(ctx, "GET", "/clients/700001/documents?limit=25", nil)
		return code, err
	}), http.StatusOK)

	// (d) the per-address limit: the 6th request from one address within the hour is refused.
	same := fmt.Sprintf("same.%d@example.com", run)
	var limited Result
	limited = drive(ctx, "one address, 8 requests", 8, 1, func(ctx context.Context, i int) (int, error) {
		code, _, h, err := cl.do(ctx, "POST", "/access-requests", requestBody(same))
		if code == http.StatusTooManyRequests && h.Get("Retry-After") == "" {
			return 0, errors.New("429 without Retry-After")
		}
		return code, err
	})
	results = append(results, limited)
	if limited.Statuses[http.StatusCreated] != 5 || limited.Statuses[http.StatusTooManyRequests] != 3 || limited.Errors > 0 {
		errs = append(errs, fmt.Errorf("the per-address limit did not hold: %v", limited.Statuses))
	}

	// (e) code guessing: the 6th attempt is refused even with the right code.
	guess, err := codeGuessing(ctx, st, fmt.Sprintf("guess.%d@example.com", run))
	results = append(results, guess)
	if err != nil {
		errs = append(errs, err)
	}
	return results, errors.Join(errs...)
}

// signedIn makes a person with an active grant for ref, some documents, an account, and a session.
func signedIn(ctx context.Context, st *stack.Stack, email, ref string) (*client, error) {
	db := store.New(dynamo.Client(st.DynamoURL), st.Settings[wiring.TableName])
	e := access.Email(email)
	if _, err := db.SeedGrant(ctx, store.Grant{Email: e, Name: "Reader", ClientReference: ref, ClientName: "Cli Ent"}); err != nil {
		return nil, err
	}
	var docs []store.Document
	for i := 0; i < 250; i++ {
		docs = append(docs, store.Document{ID: store.DocumentID(fmt.Sprintf("dload%s%04d", ref, i)), ClientReference: ref, Type: store.CareInvoice,
			Title: "Care invoice", DocumentDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format("2006-01-02"),
			PublishedAt: time.Now().UTC(), Size: 1000, Key: "published/" + ref + "/x.pdf"})
	}
	if err := db.SeedDocuments(ctx, docs...); err != nil {
		return nil, err
	}
	inv := secret.New()
	now := time.Now()
	if err := db.PutToken(ctx, store.Token{Hash: inv.Hash(), Purpose: mail.Invitation, Subject: "r-load", Email: e, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		return nil, err
	}
	c := newClient(st.APIURL, st.Settings[wiring.PortalURL])
	if code, out, _, err := c.do(ctx, "POST", "/account/register", map[string]string{"invitation": inv.Reveal(), "name": "Reader"}); err != nil || code != http.StatusAccepted {
		return nil, fmt.Errorf("register: %d %s %v", code, out, err)
	}
	tok, err := fromMail(ctx, st, email, verifyRE)
	if err != nil {
		return nil, err
	}
	if code, out, _, err := c.do(ctx, "POST", "/account/verify", map[string]string{"token": tok}); err != nil || code != http.StatusNoContent {
		return nil, fmt.Errorf("verify: %d %s %v", code, out, err)
	}
	if code, _, _, err := c.do(ctx, "POST", "/session", map[string]string{"email": email}); err != nil || code != http.StatusAccepted {
		return nil, fmt.Errorf("ask for a code: %d %v", code, err)
	}
	code, err := fromMail(ctx, st, email, codeRE)
	if err != nil {
		return nil, err
	}
	if status, out, _, err := c.do(ctx, "POST", "/session/verify", map[string]string{"email": email, "code": code}); err != nil || status != http.StatusNoContent {
		return nil, fmt.Errorf("sign in: %d %s %v", status, out, err)
	}
	return c, nil
}

// codeGuessing tries 5 wrong codes, then the right one: the right one must be refused with 429.
func codeGuessing(ctx context.Context, st *stack.Stack, email string) (Result, error) {
	c, err := signedIn(ctx, st, email, "700002")
	if err != nil {
		return Result{Name: "code guessing"}, err
	}
	if code, _, _, err := c.do(ctx, "POST", "/session", map[string]string{"email": email}); err != nil || code != http.StatusAccepted {
		return Result{Name: "code guessing"}, fmt.Errorf("ask for a code: %d %v", code, err)
	}
	right, err := fromMail(ctx, st, email, codeRE)
	if err != nil {
		return Result{Name: "code guessing"}, err
	}
	r := drive(ctx, "code guessing (5 wrong, right)", 6, 1, func(ctx context.Context, i int) (int, error) {
		guess := "000000"
		if guess == right {
			guess = "111111"
		}
		if i == 5 {
			guess = right
		}
		code, _, _, err := c.do(ctx, "POST", "/session/verify", map[string]string{"email": email, "code": guess})
		return code, err
	})
	if r.Statuses[http.StatusTooManyRequests] < 1 || r.Statuses[http.StatusNoContent] != 0 {
		return r, fmt.Errorf("code guessing was not stopped: %v", r.Statuses)
	}
	return r, nil
}

// fromMail waits (bounded) for the newest email to an address matching re and returns the match.
func fromMail(ctx context.Context, st *stack.Stack, to string, re *regexp.Regexp) (string, error) {
	box := services.Mailbox{URL: st.MailboxURL}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		msgs, err := box.Messages(ctx)
		if err != nil {
			return "", err
		}
		for i := len(msgs) - 1; i >= 0; i-- {
			for _, a := range msgs[i].To {
				if strings.EqualFold(a, to) {
					if m := re.FindStringSubmatch(msgs[i].Text); m != nil {
						return m[1], nil
					}
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return "", fmt.Errorf("no email to %s matching %s", to, re)
}
