package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/dynamo"
	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/infra/local/stack"
	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/store"
)

// A tiny run of every scenario against a stack of its own, so `make load` keeps working: the
// limits hold, nothing else is refused, and every scenario sent all its requests. (The numbers are
// for `make load` to report, not for assertions.)
func TestTinyLoadRunHolds(t *testing.T) {
	root, err := services.Root()
	if err != nil {
		t.Fatal(err)
	}
	p := Plan{Codes: 4, Lists: 9, Pages: 6, Requests: 8, Concurrency: 3, People: 2, Documents: pageSize + 5, ScenarioTime: time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var log bytes.Buffer
	st, err := stack.Start(ctx, stack.Config{Root: root, Log: &log, Schedule: time.Second,
		Settings: map[wiring.Setting]string{wiring.IPRequestLimit: strconv.Itoa(IPLimitFor(p))}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	target := Target{API: st.APIURL, Site: st.SiteURL, Origin: st.Settings[wiring.PortalURL], Mailbox: services.Mailbox{URL: st.MailboxURL},
		Store: store.New(dynamo.Client(st.DynamoURL), st.Settings[wiring.TableName]), IPLimit: IPLimitFor(p)}

	results, err := Run(ctx, target, p)
	var report strings.Builder
	Print(&report, results)
	t.Log("\n" + report.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 14 {
		t.Fatalf("%d scenarios ran, want 14", len(results))
	}
	for _, r := range results {
		if r.Requests != r.Planned || r.Requests == 0 {
			t.Errorf("%s: %d of %d requests sent", r.Name, r.Requests, r.Planned)
		}
	}
	byName := map[string]Result{}
	for _, r := range results {
		byName[r.Name] = r
	}
	if got := byName[fmt.Sprintf("limit: %d requests from %s", IPLimitFor(p)+overIPLimitBy, limitSource)].Statuses; got[http.StatusCreated] != IPLimitFor(p) || got[http.StatusTooManyRequests] != overIPLimitBy {
		t.Errorf("one source address: %v, want %d created and %d refused", got, IPLimitFor(p), overIPLimitBy)
	}
	// The sign-in flood: 429s for the flooding source past its limits, and nowhere else.
	if got := byName[fmt.Sprintf("flood: %d codes from %s", sourceCodesPerHour+floodOver, floodSource)].Statuses; got[http.StatusAccepted] != sourceCodesPerHour || got[http.StatusTooManyRequests] != floodOver {
		t.Errorf("the flood's codes: %v, want %d accepted and %d refused", got, sourceCodesPerHour, floodOver)
	}
	if got := byName[fmt.Sprintf("flood: %d guesses from %s", sourceAttemptsPerHour+floodOver, floodSource)].Statuses; got[http.StatusUnauthorized] != sourceAttemptsPerHour || got[http.StatusTooManyRequests] != floodOver {
		t.Errorf("the flood's guesses: %v, want %d 401 and %d refused", got, sourceAttemptsPerHour, floodOver)
	}
	for _, name := range []string{"flood: other sources' codes", "document lists (during the flood)"} {
		if got := byName[name].Statuses; got[http.StatusTooManyRequests] != 0 || len(got) != 1 {
			t.Errorf("%s: %v, want one status and no 429", name, got)
		}
	}
}

// What makes the run fail: an answer outside the expected ones, and a limit check cut short.
func TestUnexpectedAnswersFailTheRun(t *testing.T) {
	r := Result{Name: "lists", Planned: 3, Requests: 3, Statuses: map[int]int{200: 1, 503: 1, 429: 1}}
	r.only(http.StatusOK)
	if r.ErrorCount != 2 || !strings.Contains(strings.Join(r.Errors, "\n"), "unexpected 503") {
		t.Errorf("a 503 and a 429 among 200s: %d failures %q", r.ErrorCount, r.Errors)
	}
	cut := Result{Name: "limit", Planned: 8, Requests: 5, Statuses: map[int]int{201: 5}}
	cut.only(http.StatusCreated, http.StatusTooManyRequests)
	cut.complete()
	if cut.ErrorCount != 1 {
		t.Errorf("a limit check that never reached its 429: %d failures", cut.ErrorCount)
	}
	var out strings.Builder
	Print(&out, []Result{r})
	if !strings.Contains(out.String(), "FAILED") || !strings.Contains(out.String(), "200×1 429×1 503×1") {
		t.Errorf("the report does not show the failure:\n%s", out.String())
	}
}

// Only loopback addresses are accepted as targets.
func TestOnlyLoopbackTargets(t *testing.T) {
	for u, ok := range map[string]bool{
		"http://127.0.0.1:3000": true, "http://localhost:8005": true, "http://[::1]:8000": true, "http://127.0.0.2:1": true,
		"http://10.0.0.5:3000": false, "https://api.example.com": false, "http://0.0.0.0:3000": false, "127.0.0.1:3000": false,
	} {
		if err := loopback(u); (err == nil) != ok {
			t.Errorf("loopback(%q) = %v", u, err)
		}
	}
}
