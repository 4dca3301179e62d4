package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamotypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/council/cfp/infra/local/dynamo"
	"github.com/council/cfp/infra/local/faults"
	"github.com/council/cfp/infra/local/stack"
	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

// Time-outs and lost answers, one flow at a time. Beside failures that never reach the service
// (fault_flows_test.go), these are the faults a caller cannot see through: a call that stalls past
// the function's deadline, and a write that DynamoDB or S3 made but whose answer was lost or came
// too late, so the function (and the person behind it) was told it failed. Once the fault clears,
// every request, decision, document and email must be in its correct state, once: the tests count
// requests, decisions, grants, documents, queued emails and the emails in the mailbox.
//
// Each rule is scoped to one operation and, with Rule.Contains, to this test's own request id,
// address or client reference, so the fault meets only the calls the test is about and not the
// other functions' background work (the notifier's runs). Every rule is healed when its test ends.
// These tests share the proxies: none of them runs in parallel.

// faultInject fails requests at a proxy by the rule until the test ends (or Heal), and returns a
// count of the requests the rule has failed since.
func faultInject(t *testing.T, p *faults.Proxy, r faults.Rule) func() int {
	t.Helper()
	if p == nil {
		t.Fatal("the stack runs without fault proxies (stack.Config.Faults)")
	}
	before := p.Failures()[r.Operation]
	p.Fail(r)
	t.Cleanup(p.Heal)
	return func() int { return p.Failures()[r.Operation] - before }
}

// faultStallLimit outlasts the API functions' deadlines (10 s): a stalled call is ended by the
// function, which gives up on it in time to answer, never by the stall.
const faultStallLimit = 5 * time.Minute

// faultLeaks reports whether an answer names the service or the fault behind it.
func faultLeaks(body string) bool {
	b := strings.ToLower(body)
	return strings.Contains(b, "dynamodb") || strings.Contains(b, "throttl") || strings.Contains(b, "transactwrite") || strings.Contains(b, "faults-injected")
}

// faultOutboxItem is an email as the outbox keeps it.
type faultOutboxItem struct {
	Message   mail.Message
	Status    string // queued, sent, parked
	Attempts  int
	LastError string
}

// faultOutbox returns the emails of a template ever queued to an address (queued, sent or
// parked): the outbox's exactly-once, to hold the mailbox's count against. A test may Scan.
func faultOutbox(t *testing.T, to access.Email, tmpl mail.Template) []faultOutboxItem {
	t.Helper()
	p := dynamodb.NewScanPaginator(dynamo.Client(stk.DynamoURL), &dynamodb.ScanInput{
		TableName:        aws.String(stk.Settings[wiring.TableName]),
		FilterExpression: aws.String("begins_with(PK, :mail)"),
		ExpressionAttributeValues: map[string]dynamotypes.AttributeValue{
			":mail": &dynamotypes.AttributeValueMemberS{Value: "MAIL#"},
		},
	})
	var out []faultOutboxItem
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range page.Items {
			var it faultOutboxItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				t.Fatal(err)
			}
			if it.Message.Template == tmpl && access.NormaliseEmail(string(it.Message.To)) == access.NormaliseEmail(string(to)) {
				out = append(out, it)
			}
		}
	}
	return out
}

func faultQueued(t *testing.T, to access.Email, tmpl mail.Template) int {
	t.Helper()
	return len(faultOutbox(t, to, tmpl))
}

// Submission: DynamoDB stalls while the request is being created. The function gives up on the call
// in time to answer the API's own "try again" (503, not the gateway's time-out), and nothing was
// made: after the fault, the same request goes through once, with one "received" email.
func TestFaultSubmissionTimesOutWhileDynamoDBStalls(t *testing.T) {
	email := uniqueEmail(t)
	body := requestBody(email, pdfFile("order.pdf", len(minimalPDF())))
	stalled := faultInject(t, stk.Faults.DynamoDB, faults.Rule{
		Operation: "TransactWriteItems", Contains: []string{email}, Share: 1, Fault: faults.Stall(faultStallLimit),
	})
	resp, out := newBrowser().call(t, "POST", "/access-requests", body) // held to the API's description
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || faultLeaks(string(out)) {
		t.Fatalf("while DynamoDB stalls: %d %s", resp.StatusCode, out)
	}
	if stalled() < 1 {
		t.Fatal("the request was not held at DynamoDB: the test did not exercise the stall")
	}
	stk.Faults.DynamoDB.Heal()

	resp, created := newBrowser().call(t, "POST", "/access-requests", body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("after the fault: %d %s", resp.StatusCode, created)
	}
	waitMail(t, email, "We have received your request")
	publishSettle(t) // the outbox is empty: a second email would have been sent by now
	if n := countSubject(t, email, "We have received your request"); n != 1 {
		t.Fatalf("%d received emails, want 1: the timed-out attempt must have made nothing", n)
	}
	if n := faultQueued(t, access.Email(email), mail.RequestReceived); n != 1 {
		t.Fatalf("%d received emails queued, want 1", n)
	}
}

// Submission: the new request is made, but the answer is lost, so the portal has neither its id
// nor its token. It sends the same form again with the same Idempotency-Key, as after any 503, and
// gets that request back with a new token that works: one request, one "received" email.
func TestFaultCreateAnswerLostThenSentAgainWithItsKey(t *testing.T) {
	email := uniqueEmail(t)
	body := requestBody(email, pdfFile("order.pdf", len(minimalPDF())))
	key := secret.New().Reveal() // random, URL-safe, as the portal makes one per form
	lost := faultInject(t, stk.Faults.DynamoDB, faults.Rule{
		Operation: "TransactWriteItems", Contains: []string{email}, Share: 1, Fault: faults.LostAnswer(),
	})
	b := newBrowser()
	resp, out := b.call(t, "POST", "/access-requests", body, "Idempotency-Key", key)
	if resp.StatusCode != http.StatusServiceUnavailable || faultLeaks(string(out)) {
		t.Fatalf("with the answer lost: %d %s", resp.StatusCode, out)
	}
	if lost() < 1 {
		t.Fatal("no answer was lost: the test did not exercise the fault")
	}
	stk.Faults.DynamoDB.Heal()

	resp, out = b.call(t, "POST", "/access-requests", body, "Idempotency-Key", key)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("sent again: %d %s", resp.StatusCode, out)
	}
	c := decode[Created](t, out)
	if code, out := upload(t, c.Uploads[0], "order.pdf", "application/pdf", minimalPDF()); code != http.StatusNoContent {
		t.Fatalf("upload with the form sent again: %d %s", code, out)
	}
	if resp, out := b.call(t, "POST", "/access-requests/"+c.ID+"/submit", nil, "Authorization", "Bearer "+c.ContinuationToken); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("submit with the new token: %d %s", resp.StatusCode, out)
	}
	waitMail(t, email, "We have received your request")
	publishSettle(t)
	if n := countSubject(t, email, "We have received your request"); n != 1 {
		t.Fatalf("%d received emails, want 1: sending again must not make a second request", n)
	}
	if n := faultQueued(t, access.Email(email), mail.RequestReceived); n != 1 {
		t.Fatalf("%d received emails queued, want 1", n)
	}
	// Sent a third time, now that it is submitted: no new token, and still one request.
	if resp, out := b.call(t, "POST", "/access-requests", body, "Idempotency-Key", key); resp.StatusCode != http.StatusConflict || !strings.Contains(string(out), c.ID) {
		t.Fatalf("after submit: %d %s", resp.StatusCode, out)
	}
}

// Submission: the move to scanning is made, but its answer is lost. The function looks again, as
// a second submit would, so the request (every file clean) goes on to review at once and the
// requester is told so: it is not left in scanning for a second submit that may never come. Once:
// one review email per reviewer, and a second submit changes nothing.
func TestFaultSubmitAnswerLostStillReachesReview(t *testing.T) {
	s := scanUpload(t, "order.pdf", "application/pdf", minimalPDF())
	if ev := scanSettled(t, s.r, s.e); ev.Status != access.Clean {
		t.Fatalf("evidence: %s", ev.Status)
	}
	b := newBrowser()
	bearer := "Bearer " + s.c.ContinuationToken
	// Only the submit's own write: the move from awaiting_evidence.
	lost := faultInject(t, stk.Faults.DynamoDB, faults.Rule{
		Operation: "TransactWriteItems", Contains: []string{string(s.r), string(access.AwaitingEvidence)}, Share: 1, Fault: faults.LostAnswer(),
	})
	resp, out := b.call(t, "POST", "/access-requests/"+string(s.r)+"/submit", nil, "Authorization", bearer)
	if resp.StatusCode != http.StatusAccepted || decode[map[string]string](t, out)["status"] != string(access.ReadyForReview) {
		t.Fatalf("with the answer lost: %d %s", resp.StatusCode, out)
	}
	if lost() < 1 {
		t.Fatal("no answer was lost: the test did not exercise the fault")
	}
	stk.Faults.DynamoDB.Heal()

	resp, out = b.call(t, "POST", "/access-requests/"+string(s.r)+"/submit", nil, "Authorization", bearer)
	if resp.StatusCode != http.StatusAccepted || decode[map[string]string](t, out)["status"] != string(access.ReadyForReview) {
		t.Fatalf("submitting again: %d %s", resp.StatusCode, out)
	}
	reviewLink(t, string(s.r), 1)
	publishSettle(t)
	if n, want := scanReviewMails(t, s.r), scanReviewers(); n != want {
		t.Fatalf("%d review emails, want %d (one per reviewer)", n, want)
	}
	if n := countSubject(t, s.email, "We have received your request"); n != 1 {
		t.Fatalf("%d received emails, want 1", n)
	}
}

// Scanning: S3 is slow to give the malware verdict (the tags) to scan-upload, long enough for the
// requester to submit meanwhile; then the move to review is made but its answer is lost, so the
// invocation fails after the SDK's retries and Lambda retries the event. The evidence ends clean
// and the request ready for review exactly once: one review email per reviewer.
func TestFaultScanningVerdictLateAndPromotionAnswerLost(t *testing.T) {
	s := scanCreate(t, scanFile("order.pdf", "application/pdf", len(minimalPDF())))
	held := faultInject(t, stk.Faults.S3, faults.Rule{
		Operation: "GetObjectTagging", Contains: []string{string(s.r)}, Share: 1, Fault: faults.LateAnswer(45 * time.Second),
	})
	if code, out := upload(t, s.c.Uploads[0], "order.pdf", "application/pdf", minimalPDF()); code != http.StatusNoContent {
		t.Fatalf("upload: %d %s", code, out)
	}
	eventually(t, 60*time.Second, "scan-upload waiting for the verdict's tags", func() bool { return held() >= 1 })
	resp, out := newBrowser().call(t, "POST", "/access-requests/"+string(s.r)+"/submit", nil, "Authorization", "Bearer "+s.c.ContinuationToken)
	if resp.StatusCode != http.StatusAccepted || decode[map[string]string](t, out)["status"] != string(access.Scanning) {
		t.Fatalf("submit while the verdict is held: %d %s", resp.StatusCode, out)
	}

	// Only the move to review (its transaction holds the request id and the new status).
	lost := faultInject(t, stk.Faults.DynamoDB, faults.Rule{
		Operation: "TransactWriteItems", Contains: []string{string(s.r), string(access.ReadyForReview)}, Share: 1, Fault: faults.LostAnswer(),
	})
	stk.Faults.S3.Heal() // the tags reach scan-upload
	// The SDK's three attempts all lose their answers: the invocation fails, and Lambda retries it.
	eventually(t, 60*time.Second, "the promotion's answers lost", func() bool { return lost() >= 3 })
	if st := reviewRequest(t, string(s.r)).Status; st != access.ReadyForReview {
		t.Fatalf("the first, lost, write should have been made: %s", st)
	}
	stk.Faults.DynamoDB.Heal()

	reviewLink(t, string(s.r), 1)
	publishSettle(t)
	if ev := scanEvidence(t, s.r, s.e); ev.Status != access.Clean {
		t.Fatalf("evidence: %s", ev.Status)
	}
	if n, want := scanQueued(t, mail.ReadyForReview, s.r), scanReviewers(); n != want {
		t.Fatalf("%d review emails queued, want %d", n, want)
	}
	if n, want := scanReviewMails(t, s.r), scanReviewers(); n != want {
		t.Fatalf("%d review emails sent, want %d (one per reviewer)", n, want)
	}
}

// A decision: DynamoDB stalls while the reviewer's decision is written. The approval function gives
// up on the call in time to show its "try again" page (503), and nothing was decided. After the fault the same
// decision goes through once, with one outcome email.
func TestFaultDecisionTimesOutWhileDynamoDBStalls(t *testing.T) {
	email, id, link := reviewReady(t)
	form := reviewForm(t, link, "action", "reject", "reason", "The order is for another person.")
	stalled := faultInject(t, stk.Faults.DynamoDB, faults.Rule{
		Operation: "TransactWriteItems", Contains: []string{id}, Share: 1, Fault: faults.Stall(faultStallLimit),
	})
	resp, page := reviewPost(t, link, form)
	if resp.StatusCode != http.StatusServiceUnavailable || faultLeaks(page) {
		t.Fatalf("while DynamoDB stalls: %d %.300s", resp.StatusCode, page)
	}
	if stalled() < 1 {
		t.Fatal("the decision was not held at DynamoDB: the test did not exercise the stall")
	}
	if r := reviewRequest(t, id); r.Status != access.ReadyForReview || r.Decision != nil {
		t.Fatalf("a timed-out decision changed the request: %s", r.Status)
	}
	stk.Faults.DynamoDB.Heal()

	reviewAct(t, link, "action", "reject", "reason", "The order is for another person.")
	if r := reviewRequest(t, id); r.Status != access.Rejected || len(r.Notes) != 1 {
		t.Fatalf("after the fault: %s, %d history entries", r.Status, len(r.Notes))
	}
	waitMail(t, email, "was not approved")
	publishSettle(t)
	if n := countSubject(t, email, "was not approved"); n != 1 {
		t.Fatalf("%d outcome emails, want 1", n)
	}
}

// A decision: the approval is written, but its answer is lost, so the reviewer is shown an error.
// The decision stands, once: opening the link again shows it, deciding again is refused naming who
// decided, there is one grant and one approval email.
func TestFaultDecisionAnswerLost(t *testing.T) {
	email, id, link := reviewReady(t)
	ref := publishClient()
	form := reviewForm(t, link, "action", "approve", "clientReference", ref)
	lost := faultInject(t, stk.Faults.DynamoDB, faults.Rule{
		Operation: "TransactWriteItems", Contains: []string{id}, Share: 1, Fault: faults.LostAnswer(),
	})
	resp, page := reviewPost(t, link, form)
	if resp.StatusCode != http.StatusServiceUnavailable || faultLeaks(page) {
		t.Fatalf("with the answer lost: %d %.300s", resp.StatusCode, page)
	}
	if lost() < 1 {
		t.Fatal("no answer was lost: the test did not exercise the fault")
	}
	stk.Faults.DynamoDB.Heal()

	if resp, page := reviewGet(t, link); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Approved by "+reviewerAddr) {
		t.Fatalf("the review page after the lost answer: %d %.1500s", resp.StatusCode, page)
	}
	resp, page = reviewPost(t, link, reviewForm(t, link, "action", "approve", "clientReference", ref))
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "already been decided") || !strings.Contains(page, reviewerAddr) {
		t.Fatalf("deciding again: %d %.1000s", resp.StatusCode, page)
	}
	r := reviewRequest(t, id)
	if r.Status != access.Approved || r.Decision == nil || r.Decision.ClientReference != ref || len(r.Notes) != 1 {
		t.Fatalf("the request: %s %+v, %d history entries", r.Status, r.Decision, len(r.Notes))
	}
	if g, err := db.GranteesOf(context.Background(), ref); err != nil || len(g) != 1 {
		t.Fatalf("grants for the client: %d %v, want 1", len(g), err)
	}
	waitMail(t, email, "was approved")
	publishSettle(t)
	if n := countSubject(t, email, "was approved"); n != 1 {
		t.Fatalf("%d approval emails, want 1", n)
	}
}

// Publication: documents dropped while DynamoDB loses the answers to half of the publishing writes
// and S3 loses the answers to every removal from inbound/. Each document is published exactly once
// (no loss, no copy), inbound/ is emptied, and each grantee gets each new-documents email queued
// for them exactly once.
func TestFaultPublicationAnswersLost(t *testing.T) {
	ref := publishClient()
	grantees := []access.Email{publishGrant(t, ref), publishGrant(t, ref)}
	prefix := "inbound/faults-" + ref + "/"
	lostWrites := faultInject(t, stk.Faults.DynamoDB, faults.Rule{
		Operation: "TransactWriteItems", Contains: []string{ref}, Share: 0.5, Fault: faults.LostAnswer(),
	})
	lostDeletes := faultInject(t, stk.Faults.S3, faults.Rule{
		Operation: "DeleteObject", Contains: []string{"/" + prefix}, Share: 1, Fault: faults.LostAnswer(),
	})
	const n = 4
	want := map[store.DocumentID]bool{}
	var keys []string
	for i := range n {
		key := fmt.Sprintf("%s%d.pdf", prefix, i)
		etag := publishPut(t, key, publishPDF(200+i), publishMeta(ref))
		want[store.NewDocumentID(publishBucket(), key, etag)] = true
		keys = append(keys, key)
	}
	for _, key := range keys {
		eventually(t, 90*time.Second, key+" gone from inbound/", func() bool { _, there := publishObject(key); return !there })
	}
	if lostWrites() < 1 || lostDeletes() < 1 {
		t.Fatalf("answers lost: %d writes, %d deletes; the test did not exercise both faults", lostWrites(), lostDeletes())
	}
	stk.Faults.DynamoDB.Heal()
	stk.Faults.S3.Heal()
	publishSettle(t)

	page, err := db.Documents(context.Background(), ref, "", "", 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range page.Documents {
		if !want[d.ID] {
			t.Errorf("document %s published but never dropped", d.ID)
		}
		delete(want, d.ID)
	}
	if len(page.Documents) != n || len(want) != 0 {
		t.Fatalf("%d documents listed for the client, want %d; missing %v", len(page.Documents), n, want)
	}
	list, err := stack.S3Client(stk.S3URL).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{
		Bucket: aws.String(publishBucket()), Prefix: aws.String("published/" + ref + "/"),
	})
	if err != nil || len(list.Contents) != n {
		t.Fatalf("published objects: %v, want %d", err, n)
	}
	for _, g := range grantees {
		sent, queued := publishMails(t, g), faultQueued(t, g, mail.NewDocuments)
		if sent < 1 || sent != queued {
			t.Errorf("a grantee got %d new-documents emails for %d queued: each must arrive exactly once", sent, queued)
		}
	}
}

// Publication through a fault longer than Lambda's retries: S3 fails every read of the dropped
// document, so the event fails three times. It is kept, as the AWS stack's failed-events queue
// keeps it, not lost; the document waits in inbound/. Sent again once S3 is back, it is published
// once, with its new-documents email queued once, and nothing stays kept.
func TestFaultPublicationEventKeptThroughALongFaultAndSentAgain(t *testing.T) {
	ref := publishClient()
	grantee := publishGrant(t, ref)
	key := "inbound/long-fault-" + ref + "/invoice.pdf"
	reads := faultInject(t, stk.Faults.S3, faults.Rule{Operation: "GetObject", Contains: []string{"/" + key}, Share: 1, Fault: faults.ServerError})
	etag := publishPut(t, key, publishPDF(1), publishMeta(ref))

	failed := func() []stack.FailedEvent {
		resp, err := http.Get(stk.LambdaURL + "/failed-events")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var evs []stack.FailedEvent
		if err := json.NewDecoder(resp.Body).Decode(&evs); err != nil {
			t.Fatal(err)
		}
		var mine []stack.FailedEvent
		for _, ev := range evs {
			if strings.Contains(string(ev.RequestPayload), ref) {
				mine = append(mine, ev)
			}
		}
		return mine
	}
	eventually(t, 90*time.Second, "the event kept after Lambda's retries", func() bool { return len(failed()) == 1 })
	if ev := failed()[0]; ev.RequestContext.Function != "publish-document" || ev.RequestContext.ApproximateInvokeCount != 3 {
		t.Fatalf("kept event: %+v", ev.RequestContext)
	}
	if reads() < 3 {
		t.Fatalf("%d reads failed: the test did not exercise the fault", reads())
	}
	if _, there := publishObject(key); !there {
		t.Fatal("the document left inbound/ although it was never published")
	}
	stk.Faults.S3.Heal()

	redrive := func() int {
		resp, err := http.Post(stk.LambdaURL+"/failed-events/redrive", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Sent int }
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out.Sent
	}
	if n := redrive(); n < 1 {
		t.Fatalf("sent %d events again", n)
	}
	eventually(t, 60*time.Second, key+" gone from inbound/", func() bool { _, there := publishObject(key); return !there })
	publishSettle(t)
	page, err := db.Documents(context.Background(), ref, "", "", 50)
	if err != nil || len(page.Documents) != 1 || page.Documents[0].ID != store.NewDocumentID(publishBucket(), key, etag) {
		t.Fatalf("documents for the client: %+v %v, want the one dropped", page.Documents, err)
	}
	if sent, queued := publishMails(t, grantee), faultQueued(t, grantee, mail.NewDocuments); sent != 1 || queued != 1 {
		t.Fatalf("%d new-documents emails sent, %d queued; want 1 and 1", sent, queued)
	}
	if len(failed()) != 0 {
		t.Fatal("the event is still kept after it was handled")
	}
}

// Notification: SES fails every send for a while (server errors: the SDK's retries fail, the
// notifier backs off), then answers half the sends late; then it recovers. Every queued email is
// delivered exactly once: nothing lost while SES failed, nothing sent twice because an answer was
// slow.
func TestFaultNotificationWhileSESFailsThenAnswersLate(t *testing.T) {
	ses := stk.Faults.SES
	local, _, _ := strings.Cut(uniqueEmail(t), "@")
	only := []string{local} // in every address of this test, so in the body of each of its sends
	failing := faultInject(t, ses, faults.Rule{Operation: "SendEmail", Contains: only, Share: 1, Fault: faults.ServerError})
	const k = 4
	var people []string
	for i := range k {
		email := fmt.Sprintf("%s.%d@example.com", local, i)
		people = append(people, email)
		if resp, out := newBrowser().call(t, "POST", "/access-requests", requestBody(email, pdfFile("order.pdf", len(minimalPDF())))); resp.StatusCode != http.StatusCreated {
			t.Fatalf("create: %d %s", resp.StatusCode, out)
		}
	}
	// Every email is tried and fails (the SDK's retries included), and stays in the outbox.
	eventually(t, 90*time.Second, "the notifier trying every email and failing", func() bool {
		for _, p := range people {
			q := faultOutbox(t, access.Email(p), mail.RequestReceived)
			if len(q) != 1 || q[0].Status != "queued" || q[0].LastError == "" {
				return false
			}
		}
		return true
	})
	if failing() < k {
		t.Fatalf("%d sends failed at SES, want at least %d", failing(), k)
	}
	for _, p := range people {
		if n := countSubject(t, p, "We have received your request"); n != 0 {
			t.Fatalf("an email got through while SES failed every send: %d", n)
		}
	}

	late := faultInject(t, ses, faults.Rule{Operation: "SendEmail", Contains: only, Share: 0.5, Fault: faults.LateAnswer(3 * time.Second)})
	for _, p := range people {
		waitMail(t, p, "We have received your request")
	}
	if late() < 1 {
		t.Fatal("no answer was late: the test did not exercise the fault")
	}
	ses.Heal()
	publishSettle(t)
	for _, p := range people {
		q := faultOutbox(t, access.Email(p), mail.RequestReceived)
		if len(q) != 1 || q[0].Status != "sent" {
			t.Errorf("the outbox holds %+v for a requester, want one sent email", q)
		}
		if n := countSubject(t, p, "We have received your request"); n != 1 {
			t.Errorf("a requester got %d received emails, want exactly 1", n)
		}
	}
}
