package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

// clock is a settable time for a store under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)} }
func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func doc(ref string, n int, at time.Time) store.Document {
	id := store.NewDocumentID("cfp-documents", fmt.Sprintf("inbound/%s/%d.pdf", ref, n), "etag")
	return store.Document{ID: id, ClientReference: ref, Type: store.CareInvoice, Title: "Care invoice", DocumentDate: "2026-10-31",
		PublishedAt: at, Size: 1234, Key: "published/" + ref + "/" + string(id) + ".pdf"}
}

func TestDocumentIDIsTheObjectsIdentity(t *testing.T) {
	a := store.NewDocumentID("b", "inbound/x.pdf", `"0cc175b9c0f1b6a831c399e269772661"`)
	if a != store.NewDocumentID("b", "inbound/x.pdf", "0CC175B9C0F1B6A831C399E269772661") {
		t.Error("the same object (quoted or not, any case of ETag) gave two ids")
	}
	for _, other := range []store.DocumentID{
		store.NewDocumentID("b", "inbound/y.pdf", "0cc175b9c0f1b6a831c399e269772661"),
		store.NewDocumentID("b", "inbound/x.pdf", "92eb5ffee6ae2fec3ad71c777531578f"),
		store.NewDocumentID("c", "inbound/x.pdf", "0cc175b9c0f1b6a831c399e269772661"),
	} {
		if other == a {
			t.Error("a different object gave the same id")
		}
	}
}

func TestPublishIsOnceAndNoticesEachRecipientOnce(t *testing.T) {
	s, _ := storetest.New(t)
	c := newClock()
	s = s.WithClock(c.now)
	d := doc("100001", 1, c.now())
	who := []access.Email{"anna@example.com", "Anna@Example.com ", "ben@example.com"}
	if err := s.PublishDocument(ctx, d, who); err != nil {
		t.Fatal(err)
	}
	got, err := s.PublishedDocument(ctx, d.ID)
	if err != nil || got.ClientReference != "100001" || got.Title != "Care invoice" || got.Size != 1234 || got.Key != d.Key {
		t.Fatalf("read back %+v %v", got, err)
	}
	c.add(time.Second)
	if err := s.PublishDocument(ctx, d, who); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second publication: %v", err)
	}
	for _, e := range []access.Email{"anna@example.com", "ben@example.com"} {
		n, err := s.PendingNotice(ctx, e)
		if err != nil || n.Count != 1 || !n.FirstAt.Equal(d.PublishedAt) || !n.LastAt.Equal(d.PublishedAt) {
			t.Errorf("%s: notice %+v %v", e, n, err)
		}
	}
}

func TestPublishWithoutRecipientsNoticesNobody(t *testing.T) {
	s, _ := storetest.New(t)
	d := doc("100002", 1, time.Now().UTC())
	if err := s.PublishDocument(ctx, d, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PublishedDocument(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if n, q, err := s.Backlog(ctx); err != nil || n != 0 || q != 0 {
		t.Fatalf("backlog %d notices %d emails %v", n, q, err)
	}
}

func TestNoticeIsDueAfterQuietPeriodOrMaxDelay(t *testing.T) {
	s, _ := storetest.New(t)
	c := newClock()
	s = s.WithClock(c.now)
	quiet, maxDelay := 10*time.Minute, 30*time.Minute
	first := c.now()
	// Documents for anna every 5 minutes: never quiet, so she is told at the maximum delay.
	// ben gets one document and is told once it is a quiet period old.
	if err := s.PublishDocument(ctx, doc("200001", 0, c.now()), []access.Email{"anna@example.com", "ben@example.com"}); err != nil {
		t.Fatal(err)
	}
	due := func() map[access.Email]int {
		t.Helper()
		ns, err := s.DueNotices(ctx, quiet, maxDelay, 100)
		if err != nil {
			t.Fatal(err)
		}
		out := map[access.Email]int{}
		for _, n := range ns {
			out[n.Email] = n.Count
		}
		return out
	}
	for i := 1; i <= 7; i++ {
		c.add(5 * time.Minute)
		if err := s.PublishDocument(ctx, doc("200001", i, c.now()), []access.Email{"anna@example.com"}); err != nil {
			t.Fatal(err)
		}
		d := due()
		elapsed := c.now().Sub(first)
		if _, ok := d["ben@example.com"]; ok != (elapsed >= quiet) {
			t.Errorf("after %s: ben due %v", elapsed, ok)
		}
		if _, ok := d["anna@example.com"]; ok != (elapsed >= maxDelay) {
			t.Errorf("after %s: anna due %v (count %d)", elapsed, ok, d["anna@example.com"])
		}
	}
	if d := due(); d["anna@example.com"] != 8 || d["ben@example.com"] != 1 {
		t.Errorf("counts %v", d)
	}
}

func TestSendNoticeQueuesOneEmailAndKeepsADocumentThatArrivedMeanwhile(t *testing.T) {
	s, _ := storetest.New(t)
	c := newClock()
	s = s.WithClock(c.now)
	anna := access.Email("anna@example.com")
	if err := s.PublishDocument(ctx, doc("300001", 1, c.now()), []access.Email{anna}); err != nil {
		t.Fatal(err)
	}
	c.add(time.Hour)
	ns, err := s.DueNotices(ctx, time.Minute, time.Hour, 10)
	if err != nil || len(ns) != 1 {
		t.Fatalf("due %+v %v", ns, err)
	}
	// A second document arrives between the read and the send: the send must not swallow it.
	if err := s.PublishDocument(ctx, doc("300001", 2, c.now()), []access.Email{anna}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendNotice(ctx, ns[0]); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("send of a stale notice: %v", err)
	}
	if n, err := s.PendingNotice(ctx, anna); err != nil || n.Count != 2 {
		t.Fatalf("the notice after a refused send: %+v %v", n, err)
	}
	if due, _ := s.DueMail(ctx, 10); len(due) != 0 {
		t.Fatalf("a refused send queued %d emails", len(due))
	}

	c.add(time.Hour)
	ns, _ = s.DueNotices(ctx, time.Minute, time.Hour, 10)
	if len(ns) != 1 || ns[0].Count != 2 {
		t.Fatalf("due %+v", ns)
	}
	id, err := s.SendNotice(ctx, ns[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendNotice(ctx, ns[0]); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second send of one notice: %v", err)
	}
	due, _ := s.DueMail(ctx, 10)
	if len(due) != 1 || due[0].ID != string(id) || due[0].To != anna || due[0].Template != mail.NewDocuments {
		t.Fatalf("outbox %+v", due)
	}
	if _, err := s.PendingNotice(ctx, anna); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the notice is still pending: %v", err)
	}
	if ns, _ := s.DueNotices(ctx, 0, 0, 10); len(ns) != 0 {
		t.Fatalf("still due: %+v", ns)
	}
	if n, q, _ := s.Backlog(ctx); n != 0 || q != 1 {
		t.Fatalf("backlog %d notices %d emails", n, q)
	}
}

func TestConcurrentPublicationsForOnePersonAllCount(t *testing.T) {
	s, _ := storetest.New(t)
	anna := access.Email("anna@example.com")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.PublishDocument(ctx, doc(fmt.Sprintf("40000%d", i), i, time.Now()), []access.Email{anna})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n, err := s.PendingNotice(ctx, anna); err != nil || n.Count != 8 {
		t.Fatalf("notice %+v %v", n, err)
	}
}

func TestSuppressedAddressesAndSuppressedMail(t *testing.T) {
	s, _ := storetest.New(t)
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	if err := s.Suppress(ctx, "Bounced@Example.com", store.Suppression{Reason: "bounce", Detail: "General", At: at}); err != nil {
		t.Fatal(err)
	}
	if err := s.Suppress(ctx, "bounced@example.com", store.Suppression{Reason: "complaint", Detail: "abuse", At: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	why, ok, err := s.Suppressed(ctx, "bounced@example.com")
	if err != nil || !ok || why.Reason != "complaint" || why.Detail != "abuse" || !why.At.Equal(at.Add(time.Hour)) {
		t.Fatalf("suppressed: %+v %v %v", why, ok, err)
	}
	if _, ok, err := s.Suppressed(ctx, "fine@example.com"); err != nil || ok {
		t.Fatalf("an unreported address is suppressed: %v %v", ok, err)
	}

	m := mail.New("bounced@example.com", mail.NewDocuments)
	if err := s.QueueMail(ctx, m); err != nil {
		t.Fatal(err)
	}
	due, _ := s.DueMail(ctx, 10)
	q := due[0]
	if err := s.ClaimMail(ctx, &q, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.MailSuppressed(ctx, q); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := s.MailStatus(ctx, store.MailID(m.ID)); st != "suppressed" {
		t.Fatalf("status %q", st)
	}
	if _, q, _ := s.Backlog(ctx); q != 0 {
		t.Fatal("a suppressed email is still in the outbox")
	}
	if err := s.MailSuppressed(ctx, q); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second suppression: %v", err)
	}
}

func TestSeededGrantsAreGrantees(t *testing.T) {
	s, _ := storetest.New(t)
	if _, err := storetest.SeedGrant(ctx, s, store.Grant{Email: "Anna@Example.com", Name: "Anna", ClientReference: "500001", ClientName: "C"}); err != nil {
		t.Fatal(err)
	}
	if _, err := storetest.SeedGrant(ctx, s, store.Grant{Email: "ended@example.com", ClientReference: "500001", Ended: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := storetest.SeedGrant(ctx, s, store.Grant{Email: "past@example.com", ClientReference: "500001", EndsOn: "2020-01-31"}); err != nil {
		t.Fatal(err)
	}
	gs, err := s.GranteesOf(ctx, "500001")
	if err != nil {
		t.Fatal(err)
	}
	active := 0
	for _, g := range gs {
		if g.Active(time.Now()) {
			active++
			if g.Email != "anna@example.com" {
				t.Errorf("active grantee %s", g.Email)
			}
		}
	}
	if active != 1 {
		t.Fatalf("%d active grantees of %d grants", active, len(gs))
	}
}

func TestPublishToMoreRecipientsThanOneTransactionHolds(t *testing.T) {
	s, _ := storetest.New(t)
	var who []access.Email
	for i := range 150 {
		who = append(who, access.Email(fmt.Sprintf("p%03d@example.com", i)))
	}
	d := doc("600001", 1, time.Now().UTC())
	if err := s.PublishDocument(ctx, d, who); err != nil {
		t.Fatal(err)
	}
	if err := s.PublishDocument(ctx, d, who); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second publication: %v", err)
	}
	for _, e := range []access.Email{who[0], who[98], who[99], who[149]} {
		if n, err := s.PendingNotice(ctx, e); err != nil || n.Count != 1 {
			t.Errorf("%s: %+v %v", e, n, err)
		}
	}
	if n, _, _ := s.Backlog(ctx); n != 150 {
		t.Fatalf("%d notices", n)
	}
}
