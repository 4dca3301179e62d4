package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/dynamo"
	"github.com/council/cfp/infra/local/faults"
	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/infra/local/stack"
	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

// ddbMeter counts the DynamoDB requests, by operation, that concern one signed-in person: their
// session, their grants and suppression, their client's documents and audit trail. The other functions of the
// stack (the notifier on its schedule) make requests of their own meanwhile, which it leaves out.
type ddbMeter struct {
	mu    sync.Mutex
	marks [][]byte
	ops   map[string]int
}

func (m *ddbMeter) observe(x faults.Exchange) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, mark := range m.marks {
		if bytes.Contains(x.Request, mark) {
			m.ops[x.Operation]++
			return
		}
	}
}

func (m *ddbMeter) start(marks ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.marks, m.ops = nil, map[string]int{}
	for _, s := range marks {
		m.marks = append(m.marks, []byte(s))
	}
}

func (m *ddbMeter) counted() (int, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var names []string
	n := 0
	for op, c := range m.ops {
		n += c
		names = append(names, op+"×"+strconv.Itoa(c))
	}
	sort.Strings(names)
	return n, strings.Join(names, " ")
}

// A signed-in page costs no more DynamoDB requests than the JSON API call it matches (the
// README's budget): the client list and GET /me, a client's document list and GET
// /clients/{ref}/documents. Counted through the stack's proxy in front of DynamoDB Local, as the
// functions reach it.
func TestASignedInPageCostsNoMoreDynamoDBRequestsThanItsAPICall(t *testing.T) {
	root, err := services.Root()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var log bytes.Buffer
	st, err := stack.Start(ctx, stack.Config{Root: root, Log: &log, Schedule: time.Second, Faults: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	target := Target{API: st.APIURL, Site: st.SiteURL, Origin: st.Settings[wiring.PortalURL], Mailbox: services.Mailbox{URL: st.MailboxURL},
		Store: store.New(dynamo.Client(st.DynamoURL), st.Settings[wiring.TableName])}
	run := time.Now().UnixNano()
	ref := clientRef(run, 1)
	if err := seedDocuments(ctx, target, ref, pageSize+5); err != nil {
		t.Fatal(err)
	}
	email := "cost." + strconv.FormatInt(run, 10) + "@example.com"
	pp, err := signUp(ctx, target, email, ref)
	if err != nil {
		t.Fatal(err)
	}
	_, session, _ := strings.Cut(pp.cookies(), "=")
	var m ddbMeter
	st.Faults.DynamoDB.Inspect(m.observe)
	defer st.Faults.DynamoDB.Inspect(nil)
	// The session's key, every key made from the address (grants, suppression, audit by person),
	// and every key made from the client reference (documents, audit by client).
	marks := []string{secret.From(session).Hash(), email, "CLIENT#" + ref}

	api := func(path string) int {
		t.Helper()
		m.start(marks...)
		a, err := pp.do(ctx, http.MethodGet, path, nil)
		if err != nil || a.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, a.Status, err)
		}
		n, ops := m.counted()
		t.Logf("API  %-40s %d DynamoDB requests: %s", path, n, ops)
		return n
	}
	page := func(path, mark string) int {
		t.Helper()
		m.start(marks...)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target.Site+path, nil)
		req.Header.Set("Cookie", pp.cookies())
		resp, err := transport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), mark) {
			t.Fatalf("page %s: %d without %s", path, resp.StatusCode, mark)
		}
		n, ops := m.counted()
		t.Logf("page %-40s %d DynamoDB requests: %s", path, n, ops)
		return n
	}

	for _, pair := range []struct{ api, page, mark string }{
		{"/me", "/clients", `id="clients"`},
		{"/clients/" + ref + "/documents", "/clients/" + ref, `id="documents"`},
		{"/clients/" + ref + "/documents?type=care_invoice", "/clients/" + ref + "?type=care_invoice", `id="documents"`},
	} {
		// The fewest of three tries each: the notifier may touch the same keys now and then (a
		// notice), which would add to one try's count, never take away.
		a, p := api(pair.api), page(pair.page, pair.mark)
		for range 2 {
			a, p = min(a, api(pair.api)), min(p, page(pair.page, pair.mark))
		}
		if a == 0 || p == 0 {
			t.Fatalf("nothing counted (%d, %d): the meter does not see the functions' requests", a, p)
		}
		if p > a {
			t.Errorf("page %s costs %d DynamoDB requests, its API call %s %d", pair.page, p, pair.api, a)
		}
	}
}
