package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/infra/local/dynamo"
	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

const reviewer access.Email = "client.finance@council.example"

// reviewReady writes a request and moves it to ready_for_review the way submission and scanning do.
func reviewReady(t *testing.T, s *store.Store, email access.Email) access.Request {
	t.Helper()
	c := context.Background()
	r := access.Request{ID: access.NewRequestID(), Status: access.AwaitingEvidence, Requester: access.Requester{Name: "Dee Puty", Email: email},
		Relationship: access.Deputy, Client: access.Client{Name: "Cli Ent", DateOfBirth: "1940-01-01", Postcode: "SW1A 1AA"}, CreatedAt: time.Now().UTC()}
	e := access.Evidence{ID: access.NewEvidenceID(), RequestID: r.ID, File: access.File{FileName: "order.pdf", ContentType: "application/pdf", Size: 10}, Status: access.Clean}
	if err := s.CreateRequest(c, r, []access.Evidence{e}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SubmitRequest(c, r.ID); err != nil {
		t.Fatal(err)
	}
	if st, err := s.PromoteIfReady(c, r.ID, access.Reviewers{}); err != nil || st != access.ReadyForReview {
		t.Fatal(st, err)
	}
	return r
}

// queued returns the outbox's emails, keyed by template.
func queued(t *testing.T, s *store.Store) map[mail.Template][]store.Queued {
	t.Helper()
	due, err := s.DueMail(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[mail.Template][]store.Queued{}
	for _, q := range due {
		out[q.Template] = append(out[q.Template], q)
	}
	return out
}

func reread(t *testing.T, s *store.Store, id access.RequestID) access.Request {
	t.Helper()
	r, _, err := s.Request(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestApproveMakesTheRequestTheGrantAndInvitesTheRequester(t *testing.T) {
	c := context.Background()
	s, _ := storetest.New(t)
	r := reviewReady(t, s, "dee@example.com")
	if err := s.Approve(c, r.ID, access.Approval{By: reviewer, ClientReference: "1234567", AccessEndsOn: "2099-12-31"}); err != nil {
		t.Fatal(err)
	}
	got := reread(t, s, r.ID)
	if got.Status != access.Approved || got.Decision == nil || got.Decision.By != reviewer || got.Decision.ClientReference != "1234567" ||
		got.Decision.AccessEndsOn != "2099-12-31" || got.Decision.At.IsZero() {
		t.Fatalf("approved request: %+v %+v", got, got.Decision)
	}
	if n := len(got.Notes); n != 1 || got.Notes[0].Kind != access.NoteDecision || got.Notes[0].By != reviewer {
		t.Fatalf("history: %+v", got.Notes)
	}
	grants, err := s.GrantsOf(c, "dee@example.com")
	if err != nil || len(grants) != 1 || grants[0].ClientReference != "1234567" || grants[0].EndsOn != "2099-12-31" || !grants[0].Active(time.Now()) {
		t.Fatalf("grants of the person: %+v %v", grants, err)
	}
	if g, err := s.GranteesOf(c, "1234567"); err != nil || len(g) != 1 || g[0].RequestID != r.ID {
		t.Fatalf("grantees of the client: %+v %v", g, err)
	}
	mails := queued(t, s)
	inv := mails[mail.Approved]
	if len(inv) != 1 || inv[0].To != "dee@example.com" || inv[0].Link == nil || inv[0].Link.Purpose != mail.Invitation ||
		inv[0].Link.Subject != string(r.ID) || inv[0].Link.TTL != 14*24*time.Hour || inv[0].Request != r.ID {
		t.Fatalf("approval email: %+v", mails)
	}
	if len(mails) != 1 {
		t.Fatalf("emails: %+v", mails)
	}

	// A decided request takes no second decision, and the refusal changes nothing.
	if err := s.Approve(c, r.ID, access.Approval{By: "other@council.example", ClientReference: "7654321"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second approval: %v", err)
	}
	if err := s.Reject(c, r.ID, "other@council.example", "no"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("reject after approval: %v", err)
	}
	if err := s.RecordSecurityCheck(c, r.ID, "other@council.example", "called"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("security check after approval: %v", err)
	}
	if again := reread(t, s, r.ID); again.Decision.By != reviewer || again.Decision.ClientReference != "1234567" || len(again.Notes) != 1 {
		t.Fatalf("a refused decision changed the request: %+v", again.Decision)
	}
	if len(queued(t, s)) != 1 {
		t.Fatal("a refused decision queued an email")
	}
}

func TestApproveTellsAnAccountHolderTheClientWasAdded(t *testing.T) {
	c := context.Background()
	s, table := storetest.New(t)
	// An active account is told the client was added; an unverified one cannot sign in, so it is invited again.
	for addr, status := range map[string]string{"holder@example.com": "active", "halfway@example.com": "unverified"} {
		_, err := dynamo.Client(storetest.URL(t)).PutItem(c, &dynamodb.PutItemInput{TableName: &table, Item: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "ACCOUNT#" + addr}, "SK": &types.AttributeValueMemberS{Value: "ACCOUNT"},
			"Kind": &types.AttributeValueMemberS{Value: "account"}, "Status": &types.AttributeValueMemberS{Value: status},
			"Account": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"Email": &types.AttributeValueMemberS{Value: addr}, "Status": &types.AttributeValueMemberS{Value: status},
			}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		r := reviewReady(t, s, access.Email(addr))
		if err := s.Approve(c, r.ID, access.Approval{By: reviewer, ClientReference: "1234567"}); err != nil {
			t.Fatal(err)
		}
	}
	mails := queued(t, s)
	added, invited := mails[mail.ApprovedAccount], mails[mail.Approved]
	if len(added) != 1 || added[0].Link != nil || added[0].To != "holder@example.com" {
		t.Fatalf("client-added emails: %+v", added)
	}
	if len(invited) != 1 || invited[0].Link == nil || invited[0].To != "halfway@example.com" {
		t.Fatalf("invitations: %+v", invited)
	}
}

func TestTwoReviewersDecidingAtOnceGetOneSuccess(t *testing.T) {
	c := context.Background()
	s, _ := storetest.New(t)
	for round := 0; round < 5; round++ {
		r := reviewReady(t, s, "race@example.com")
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if i%2 == 0 {
					errs[i] = s.Approve(c, r.ID, access.Approval{By: reviewer, ClientReference: "1234567"})
				} else {
					errs[i] = s.Reject(c, r.ID, "second@council.example", "not enough evidence")
				}
			}(i)
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, store.ErrConflict):
				t.Fatalf("a racing decision failed otherwise: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d decisions succeeded, want exactly 1", round, ok)
		}
		if got := reread(t, s, r.ID); len(got.Notes) != 1 {
			t.Fatalf("history after the race: %+v", got.Notes)
		}
	}
	total := 0
	for _, q := range queued(t, s) {
		total += len(q)
	}
	if total != 5 {
		t.Fatalf("%d emails queued for 5 requests", total)
	}
}

func TestRejectSendsTheReasonAndGivesNoGrant(t *testing.T) {
	c := context.Background()
	s, _ := storetest.New(t)
	r := reviewReady(t, s, "rej@example.com")
	if err := s.Reject(c, r.ID, reviewer, "The order does not name you."); err != nil {
		t.Fatal(err)
	}
	got := reread(t, s, r.ID)
	if got.Status != access.Rejected || got.Decision.Reason != "The order does not name you." || got.Decision.By != reviewer {
		t.Fatalf("rejected: %+v", got.Decision)
	}
	m := queued(t, s)[mail.RequestRejected]
	if len(m) != 1 || m[0].Reason != "The order does not name you." || m[0].To != "rej@example.com" {
		t.Fatalf("rejection email: %+v", m)
	}
	if g, _ := s.GrantsOf(c, "rej@example.com"); len(g) != 0 {
		t.Fatalf("a rejected request is a grant: %+v", g)
	}
}

func TestMoreInformationOpensANewRoundAndTheRequestComesBack(t *testing.T) {
	c := context.Background()
	s, _ := storetest.New(t)
	r := reviewReady(t, s, "more@example.com")
	if err := s.RequestInformation(c, r.ID, reviewer, "Please send page 2 of the order."); err != nil {
		t.Fatal(err)
	}
	got := reread(t, s, r.ID)
	if got.Status != access.MoreInfoRequested || got.Round != 1 || got.Decision.Outcome != access.MoreInfoRequested {
		t.Fatalf("after asking: %+v", got)
	}
	m := queued(t, s)[mail.MoreInformation]
	if len(m) != 1 || m[0].Text != "Please send page 2 of the order." || m[0].Link == nil ||
		m[0].Link.Purpose != mail.MoreInfo || m[0].Link.Subject != string(r.ID) {
		t.Fatalf("more-information email: %+v", m)
	}
	// It cannot be approved until it is ready again; it can be rejected while waiting.
	if err := s.Approve(c, r.ID, access.Approval{By: reviewer, ClientReference: "1234567"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("approve while waiting: %v", err)
	}
	if err := s.RequestInformation(c, r.ID, reviewer, "again"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("asking twice: %v", err)
	}
	// The requester uploads and submits again; scanning promotes it; now it can be approved.
	if err := s.SubmitRequest(c, r.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.ForceStatus(c, r.ID, access.ReadyForReview); err != nil { // its new files are not uploaded here
		t.Fatal(err)
	}
	if err := s.Approve(c, r.ID, access.Approval{By: reviewer, ClientReference: "1234567"}); err != nil {
		t.Fatal(err)
	}
	if got := reread(t, s, r.ID); got.Status != access.Approved || got.Round != 1 || len(got.Notes) != 2 {
		t.Fatalf("after the second round: %+v", got)
	}
}

func TestSecurityChecksAreRecordedWithoutDeciding(t *testing.T) {
	c := context.Background()
	s, _ := storetest.New(t)
	r := reviewReady(t, s, "sec@example.com")
	// Two reviewers writing notes at once both get theirs in: a note is not a decision.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = s.RecordSecurityCheck(c, r.ID, reviewer, "Phoned the requester; identity confirmed.")
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := reread(t, s, r.ID)
	if got.Status != access.ReadyForReview || got.Decision != nil || len(got.Notes) != 2 || got.Notes[0].Kind != access.NoteSecurityCheck {
		t.Fatalf("after security checks: %+v", got)
	}
	if n := len(queued(t, s)); n != 0 {
		t.Fatalf("a security check queued %d emails", n)
	}
}

func TestEndAccessStopsTheGrantAtOnce(t *testing.T) {
	c := context.Background()
	s, _ := storetest.New(t)
	r := reviewReady(t, s, "end@example.com")
	if err := s.EndAccess(c, r.ID, reviewer, "The client has died"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("ending access of an unapproved request: %v", err)
	}
	if err := s.Approve(c, r.ID, access.Approval{By: reviewer, ClientReference: "2345678"}); err != nil {
		t.Fatal(err)
	}
	if err := s.EndAccess(c, r.ID, "second@council.example", "The client has died"); err != nil {
		t.Fatal(err)
	}
	if g, err := s.GrantsOf(c, "end@example.com"); err != nil || len(g) != 0 {
		t.Fatalf("an ended grant is still found for the person: %+v %v", g, err)
	}
	if g, err := s.GranteesOf(c, "2345678"); err != nil || len(g) != 0 {
		t.Fatalf("an ended grant is still found for the client: %+v %v", g, err)
	}
	got := reread(t, s, r.ID)
	d := got.Decision
	if got.Status != access.Approved || d.EndedBy != "second@council.example" || d.EndReason != "The client has died" || d.EndedAt.IsZero() || d.By != reviewer {
		t.Fatalf("ended decision: %+v", d)
	}
	m := queued(t, s)[mail.AccessEnded]
	if len(m) != 1 || m[0].To != "end@example.com" || m[0].Reason != "The client has died" {
		t.Fatalf("access-ended email: %+v", m)
	}
	if err := s.EndAccess(c, r.ID, reviewer, "Other"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("ending twice: %v", err)
	}
}

// A live grant's end date changes in place: still found, ending on the new day, nobody emailed.
func TestChangeEndDateKeepsTheGrant(t *testing.T) {
	c := context.Background()
	s, _ := storetest.New(t)
	r := reviewReady(t, s, "dates@example.com")
	if err := s.ChangeEndDate(c, r.ID, reviewer, "2027-03-31"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("changing the end date of an unapproved request: %v", err)
	}
	if err := s.Approve(c, r.ID, access.Approval{By: reviewer, ClientReference: "3456780"}); err != nil {
		t.Fatal(err)
	}
	count := func() (n int) {
		for _, q := range queued(t, s) {
			n += len(q)
		}
		return n
	}
	before := count()
	if err := s.ChangeEndDate(c, r.ID, "second@council.example", "2027-03-31"); err != nil {
		t.Fatal(err)
	}
	g, err := s.GranteesOf(c, "3456780")
	if err != nil || len(g) != 1 || g[0].EndsOn != "2027-03-31" {
		t.Fatalf("grant after the change: %+v %v", g, err)
	}
	if got := reread(t, s, r.ID); got.Notes[len(got.Notes)-1].By != "second@council.example" {
		t.Errorf("the change is not in the history: %+v", got.Notes)
	}
	if n := count(); n != before {
		t.Errorf("changing an end date queued %d emails", n-before)
	}
	if err := s.EndAccess(c, r.ID, reviewer, "Other"); err != nil {
		t.Fatal(err)
	}
	if err := s.ChangeEndDate(c, r.ID, reviewer, ""); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("changing the end date of ended access: %v", err)
	}
}

func TestDecisionsOnWithdrawnOrUnknownRequestsAreRefused(t *testing.T) {
	c := context.Background()
	s, _ := storetest.New(t)
	r := reviewReady(t, s, "wd@example.com")
	if err := s.ForceStatus(c, r.ID, access.Withdrawn); err != nil {
		t.Fatal(err)
	}
	if err := s.Approve(c, r.ID, access.Approval{By: reviewer, ClientReference: "1234567"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("approving a withdrawn request: %v", err)
	}
	if err := s.Reject(c, "rnope", reviewer, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown request: %v", err)
	}
	if err := s.Approve(c, r.ID, access.Approval{By: reviewer}); err == nil {
		t.Fatal("an approval without a client reference was accepted")
	}
	if got := reread(t, s, r.ID); got.Decision != nil || len(got.Notes) != 0 {
		t.Fatalf("a refused decision changed the request: %+v", got)
	}
}

// flakyDB cancels the first n transactions as DynamoDB does when another transaction touches the
// same item at that moment, then lets them through.
type flakyDB struct {
	*dynamodb.Client
	n int
}

func (f *flakyDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if f.n > 0 {
		f.n--
		code := "TransactionConflict"
		return nil, &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{{Code: &code}}}
	}
	return f.Client.TransactWriteItems(ctx, in, o...)
}

func TestADecisionThatMeetsAnotherTransactionIsMadeOnAFreshRead(t *testing.T) {
	c := context.Background()
	plain, table := storetest.New(t)
	r := reviewReady(t, plain, "conflict@example.com")
	flaky := &flakyDB{Client: dynamo.Client(storetest.URL(t)), n: 1}
	if err := store.New(flaky, table).Approve(c, r.ID, access.Approval{By: reviewer, ClientReference: "1234567"}); err != nil {
		t.Fatalf("approve after a transaction conflict: %v", err)
	}
	if got := reread(t, plain, r.ID); got.Status != access.Approved {
		t.Fatalf("status %s", got.Status)
	}
	// Once decided, another decision is a conflict, not a failure.
	if err := store.New(flaky, table).Reject(c, r.ID, reviewer, "x"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("reject after approval with a transaction conflict: %v", err)
	}
}
