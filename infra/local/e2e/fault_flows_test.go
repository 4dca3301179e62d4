package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/faults"
	"github.com/council/cfp/shared/access"
)

// Faults in AWS, one flow at a time: while DynamoDB, S3 or SES fail or throttle, every request gets a
// clear answer and nothing half-done is left behind; once the fault clears, everything ends in its
// correct state, once: no lost request, decision or document, no duplicate email. The proxies sit
// between the functions and the services only, so what a test reads directly is never failed.

// faultOn fails a share of one operation at a proxy until the test ends.
func faultOn(t *testing.T, p *faults.Proxy, op string, share float64, f faults.Fault) {
	t.Helper()
	faultInject(t, p, faults.Rule{Operation: op, Share: share, Fault: f})
}

// waitFailures waits until a proxy has failed an operation at least n more times than before.
func waitFailures(t *testing.T, p *faults.Proxy, op string, before, n int) {
	t.Helper()
	eventually(t, 60*time.Second, fmt.Sprintf("%d failed %s calls", n, op), func() bool { return p.Failures()[op]-before >= n })
}

func countSubject(t *testing.T, to, subject string) int {
	n := 0
	for _, m := range mailTo(t, to) {
		if strings.Contains(m.Subject, subject) {
			n++
		}
	}
	return n
}

func TestFlowFaultSubmissionWhileDynamoDBThrottles(t *testing.T) {
	ddb := stk.Faults.DynamoDB
	faultOn(t, ddb, "TransactWriteItems", 1, faults.DynamoDBThrottling)
	b := newBrowser()
	email := uniqueEmail(t)
	body := requestBody(email, pdfFile("order.pdf", len(minimalPDF())))
	resp, out := b.call(t, "POST", "/access-requests", body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(out), "try again") {
		t.Fatalf("while throttled: %d %v %s", resp.StatusCode, resp.Header, out)
	}
	if strings.Contains(string(out), "Throttling") || strings.Contains(string(out), "dynamodb") {
		t.Errorf("the answer leaks the cause: %s", out)
	}
	ddb.Heal()
	resp, out = b.call(t, "POST", "/access-requests", body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("after the fault: %d %s", resp.StatusCode, out)
	}
	waitMail(t, email, "We have received your request")
	publishSettle(t) // the outbox is empty: a duplicate would have been sent by now
	if n := countSubject(t, email, "We have received your request"); n != 1 {
		t.Fatalf("%d received emails, want 1: the refused attempt must have left nothing behind", n)
	}
}

func TestFlowFaultScanningWhileS3AndDynamoDBFail(t *testing.T) {
	for _, tc := range []struct {
		name  string
		proxy func() *faults.Proxy
		op    string
		fault faults.Fault
	}{
		{"S3 head fails", func() *faults.Proxy { return stk.Faults.S3 }, "HeadObject", faults.S3SlowDown},
		{"DynamoDB writes throttle", func() *faults.Proxy { return stk.Faults.DynamoDB }, "TransactWriteItems", faults.DynamoDBThrottling},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.proxy()
			email := uniqueEmail(t)
			b := newBrowser()
			resp, out := b.call(t, "POST", "/access-requests", requestBody(email, pdfFile("order.pdf", len(minimalPDF()))))
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d %s", resp.StatusCode, out)
			}
			c := decode[Created](t, out)
			before := p.Failures()[tc.op]
			faultOn(t, p, tc.op, 1, tc.fault)
			if code, out := upload(t, c.Uploads[0], "order.pdf", "application/pdf", minimalPDF()); code != http.StatusNoContent {
				t.Fatalf("upload: %d %s", code, out)
			}
			waitFailures(t, p, tc.op, before, 1) // scan-upload met the fault; Lambda will retry the event
			p.Heal()
			if resp, out := b.call(t, "POST", "/access-requests/"+c.ID+"/submit", nil, "Authorization", "Bearer "+c.ContinuationToken); resp.StatusCode != http.StatusAccepted {
				t.Fatalf("submit: %d %s", resp.StatusCode, out)
			}
			eventually(t, 90*time.Second, "the request ready for review", func() bool {
				return reviewRequest(t, c.ID).Status == access.ReadyForReview
			})
			reviewLink(t, c.ID, 1)
			publishSettle(t)
			n := 0
			for _, m := range mailTo(t, reviewTeam()) {
				if strings.Contains(m.Subject, "ready for review") && strings.Contains(m.Text, c.ID) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d review emails for the request, want exactly 1", n)
			}
		})
	}
}

func TestFlowFaultDecisionWhileDynamoDBThrottles(t *testing.T) {
	email, id, link := reviewReady(t)
	ddb := stk.Faults.DynamoDB
	form := reviewForm(t, link, "action", "reject", "reason", "The order is for another person.")
	faultOn(t, ddb, "TransactWriteItems", 1, faults.DynamoDBThrottling)
	resp, page := reviewPost(t, link, form)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("while throttled: %d %.300s", resp.StatusCode, page)
	}
	if st := reviewRequest(t, id).Status; st != access.ReadyForReview {
		t.Fatalf("a failed decision changed the request: %s", st)
	}
	ddb.Heal()
	reviewAct(t, link, "action", "reject", "reason", "The order is for another person.")
	if st := reviewRequest(t, id).Status; st != access.Rejected {
		t.Fatalf("after the fault: %s", st)
	}
	waitMail(t, email, "not approved")
	publishSettle(t)
	if n := countSubject(t, email, "not approved"); n != 1 {
		t.Fatalf("%d outcome emails, want 1", n)
	}
}

func TestFlowFaultPublicationWhileS3AndDynamoDBFail(t *testing.T) {
	ref := publishClient()
	grantee := publishGrant(t, ref)
	type drop struct{ key, etag string }
	var drops []drop
	for i, tc := range []struct {
		proxy *faults.Proxy
		op    string
		fault faults.Fault
	}{
		{stk.Faults.S3, "CopyObject", faults.S3SlowDown},
		{stk.Faults.DynamoDB, "TransactWriteItems", faults.ServerError},
	} {
		before := tc.proxy.Failures()[tc.op]
		faultOn(t, tc.proxy, tc.op, 1, tc.fault)
		key := fmt.Sprintf("inbound/faults/%s/%d.pdf", ref, i)
		drops = append(drops, drop{key, publishPut(t, key, publishPDF(100+i), publishMeta(ref))})
		waitFailures(t, tc.proxy, tc.op, before, 1)
		tc.proxy.Heal()
	}
	for _, d := range drops {
		publishWait(t, d.key, d.etag)
	}
	publishSettle(t)
	page, err := db.Documents(t.Context(), ref, "", "", 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Documents) != len(drops) {
		t.Fatalf("%d documents published for the client, want %d (none lost, none twice)", len(page.Documents), len(drops))
	}
	for _, d := range drops {
		if _, there := publishObject(d.key); there {
			t.Errorf("%s is still in inbound/", d.key)
		}
	}
	if n := publishMails(t, grantee); n < 1 || n > len(drops) {
		t.Fatalf("%d new-document emails", n)
	}
}
