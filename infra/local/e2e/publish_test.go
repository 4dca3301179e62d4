package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/council/cfp/infra/local/faults"
	"github.com/council/cfp/infra/local/stack"
	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
)

// The back office's side of publication: PDFs written under inbound/ of the documents bucket, with
// metadata, straight to S3 (not through the fault proxy, so what the test arranges is never failed).

const newDocumentsSubject = "You have new documents to view"

func publishBucket() string { return stk.Settings[wiring.DocumentsBucket] }

// publishClient returns a client reference of the council's format that no other test uses.
func publishClient() string { return fmt.Sprintf("9%09d", rand.IntN(1_000_000_000)) }

func publishMeta(ref string) map[string]string {
	return map[string]string{"client-reference": ref, "document-type": "care_invoice", "document-date": "2026-10-31", "title": "Care invoice, 4 weeks to 31 October 2026"}
}

// publishPDF is a small PDF that differs by n, so each is its own document.
func publishPDF(n int) []byte {
	return append(minimalPDF(), fmt.Sprintf("%% document %d %d\n", n, rand.Int64())...)
}

// publishPut writes an object as the back office does and returns its ETag.
func publishPut(t *testing.T, key string, body []byte, meta map[string]string) string {
	t.Helper()
	out, err := stack.S3Client(stk.S3URL).PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(publishBucket()), Key: aws.String(key), Body: bytes.NewReader(body), Metadata: meta, ContentType: aws.String("application/pdf"),
	})
	if err != nil {
		t.Fatalf("writing %s: %v", key, err)
	}
	return strings.Trim(aws.ToString(out.ETag), `"`)
}

// publishGrant gives a new person an active grant for the client and returns their address.
func publishGrant(t *testing.T, ref string) access.Email {
	t.Helper()
	e := access.NormaliseEmail(uniqueEmail(t))
	if _, err := storetest.SeedGrant(context.Background(), db, store.Grant{Email: e, Name: "Dee Puty", ClientReference: ref, ClientName: "Cli Ent"}); err != nil {
		t.Fatal(err)
	}
	return e
}

// publishWait waits for the document an object becomes and returns it.
func publishWait(t *testing.T, key, etag string) store.Document {
	t.Helper()
	id := store.NewDocumentID(publishBucket(), key, etag)
	var d store.Document
	eventually(t, 60*time.Second, "document "+key+" published", func() bool {
		var err error
		d, err = db.PublishedDocument(context.Background(), id)
		return err == nil
	})
	return d
}

// publishObject reads an object's metadata, or reports that there is none.
func publishObject(key string) (map[string]string, bool) {
	out, err := stack.S3Client(stk.S3URL).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(publishBucket()), Key: aws.String(key)})
	if err != nil {
		return nil, false
	}
	return out.Metadata, true
}

// publishSettle waits until nothing is left to send: no pending notice, no queued email.
func publishSettle(t *testing.T) {
	t.Helper()
	var n, q int
	eventually(t, 120*time.Second, "notices and outbox drained", func() bool {
		var err error
		n, q, err = db.Backlog(context.Background())
		return err == nil && n == 0 && q == 0
	})
}

func publishMails(t *testing.T, to access.Email) int {
	t.Helper()
	n := 0
	for _, m := range mailTo(t, string(to)) {
		if m.Subject == newDocumentsSubject {
			n++
		}
	}
	return n
}

func TestPublishWithAndWithoutGrantees(t *testing.T) {
	withRef, withoutRef := publishClient(), publishClient()
	anna, ben := publishGrant(t, withRef), publishGrant(t, withRef)
	ended := access.NormaliseEmail(uniqueEmail(t))
	if _, err := storetest.SeedGrant(context.Background(), db, store.Grant{Email: ended, ClientReference: withRef, Ended: true}); err != nil {
		t.Fatal(err)
	}

	keyA := "inbound/run-1/" + withRef + "/Care invoice+Oct (1).pdf" // spaces, '+' and brackets: URL-encoded in the event
	body := publishPDF(1)
	etagA := publishPut(t, keyA, body, publishMeta(withRef))
	keyB := "inbound/run-1/" + withoutRef + "/invoice.pdf"
	etagB := publishPut(t, keyB, publishPDF(2), publishMeta(withoutRef))

	a := publishWait(t, keyA, etagA)
	b := publishWait(t, keyB, etagB)
	if a.ClientReference != withRef || a.Type != store.CareInvoice || a.DocumentDate != "2026-10-31" || a.Size != int64(len(body)) ||
		a.Key != "published/"+withRef+"/"+string(a.ID)+".pdf" {
		t.Fatalf("published %+v", a)
	}
	if b.ClientReference != withoutRef {
		t.Fatalf("published %+v", b)
	}
	out, err := stack.S3Client(stk.S3URL).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(publishBucket()), Key: aws.String(a.Key)})
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	_, _ = got.ReadFrom(out.Body)
	out.Body.Close()
	if !bytes.Equal(got.Bytes(), body) || aws.ToString(out.ContentType) != "application/pdf" {
		t.Fatalf("the published object is not the PDF (%d bytes, %s)", got.Len(), aws.ToString(out.ContentType))
	}
	eventually(t, 30*time.Second, "inbound objects removed", func() bool {
		_, inA := publishObject(keyA)
		_, inB := publishObject(keyB)
		return !inA && !inB
	})

	waitMail(t, string(anna), newDocumentsSubject)
	m := waitMail(t, string(ben), newDocumentsSubject)
	for _, secret := range []string{withRef, "invoice", "£"} {
		if strings.Contains(strings.ToLower(m.Text+m.HTML), strings.ToLower(secret)) {
			t.Errorf("the email gives away %q", secret)
		}
	}
	if len(m.Attachments) != 0 || !strings.Contains(m.Text, portal) {
		t.Errorf("the email has attachments or no portal link: %+v", m)
	}
	publishSettle(t)
	if publishMails(t, anna) != 1 || publishMails(t, ben) != 1 || len(mailTo(t, string(ended))) != 0 {
		t.Fatalf("emails: anna %d, ben %d, ended grant %d", publishMails(t, anna), publishMails(t, ben), len(mailTo(t, string(ended))))
	}
	// A person granted access to the second client now sees its document in the portal, but is
	// not emailed about it: it was published before they had access.
	late := publishGrant(t, withoutRef)
	if _, err := db.PendingNotice(context.Background(), late); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a later grantee has a notice for an old document: %v", err)
	}
}

func TestPublishRejectsBadObjects(t *testing.T) {
	ref := publishClient()
	anna := publishGrant(t, ref)
	without := func(name string) map[string]string { m := publishMeta(ref); delete(m, name); return m }
	with := func(name, v string) map[string]string { m := publishMeta(ref); m[name] = v; return m }
	cases := []struct {
		name   string
		body   []byte
		meta   map[string]string
		reason string
	}{
		{"no-client-reference", minimalPDF(), without("client-reference"), "client-reference is missing"},
		{"no-type", minimalPDF(), without("document-type"), "document-type is missing"},
		{"no-date", minimalPDF(), without("document-date"), "document-date is missing"},
		{"no-title", minimalPDF(), without("title"), "title is missing"},
		{"unknown-client", minimalPDF(), with("client-reference", "SMITH-J"), "unknown client reference"},
		{"unknown-type", minimalPDF(), with("document-type", "bank_statement"), "document-type is not one of"},
		{"bad-date", minimalPDF(), with("document-date", "31/10/2026"), "document-date is not a date"},
		{"not-a-pdf", []byte("PK\x03\x04 this is a zip archive"), publishMeta(ref), "not a PDF"},
		{"empty", nil, publishMeta(ref), "not a PDF"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := fmt.Sprintf("inbound/run-2/%s/%d-%s.pdf", ref, i, c.name)
			etag := publishPut(t, key, c.body, c.meta)
			var meta map[string]string
			eventually(t, 60*time.Second, "the object under rejected/", func() bool {
				var ok bool
				meta, ok = publishObject("rejected/" + strings.TrimPrefix(key, "inbound/"))
				return ok
			})
			if !strings.Contains(meta["rejection-reason"], c.reason) {
				t.Fatalf("reason %q, want %q", meta["rejection-reason"], c.reason)
			}
			eventually(t, 30*time.Second, "the inbound object removed", func() bool { _, ok := publishObject(key); return !ok })
			if _, err := db.PublishedDocument(context.Background(), store.NewDocumentID(publishBucket(), key, etag)); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a rejected object was published: %v", err)
			}
		})
	}
	if _, err := db.PendingNotice(context.Background(), anna); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a rejected object noticed a grantee: %v", err)
	}
	if publishMails(t, anna) != 0 {
		t.Fatal("a rejected object was announced")
	}
}

// publishEvent is the S3 event of an object as S3 sends it (key URL-encoded).
func publishEvent(key, etag string, size int) []byte {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.QueryEscape(p)
	}
	ev := events.S3Event{Records: []events.S3EventRecord{{
		EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: stack.Region, EventTime: time.Now().UTC(), EventName: "ObjectCreated:Put",
		S3: events.S3Entity{SchemaVersion: "1.0", Bucket: events.S3Bucket{Name: publishBucket(), Arn: "arn:aws:s3:::" + publishBucket()},
			Object: events.S3Object{Key: strings.Join(parts, "/"), Size: int64(size), ETag: etag, Sequencer: "00"}},
	}}}
	b, _ := json.Marshal(ev)
	return b
}

func TestPublishTheSameEventTwicePublishesOnce(t *testing.T) {
	ref := publishClient()
	anna := publishGrant(t, ref)
	key := "inbound/run-3/" + ref + "/statement.pdf"
	body := publishPDF(3)
	etag := publishPut(t, key, body, publishMeta(ref))
	// The same event delivered twice more, at the same time as S3's own delivery.
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := stk.Invoke(context.Background(), "publish-document", publishEvent(key, etag, len(body)))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a repeated event failed: %v", err)
		}
	}
	d := publishWait(t, key, etag)
	eventually(t, 30*time.Second, "the inbound object removed", func() bool { _, ok := publishObject(key); return !ok })
	// Counted once: a notice still pending says 1; one already sent was sent once.
	if n, err := db.PendingNotice(context.Background(), anna); err == nil && n.Count != 1 {
		t.Fatalf("the document was counted %d times", n.Count)
	}
	waitMail(t, string(anna), newDocumentsSubject)

	// And once more, long after: the object is gone, nothing happens.
	if _, err := stk.Invoke(context.Background(), "publish-document", publishEvent(key, etag, len(body))); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PendingNotice(context.Background(), anna); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a replayed event noticed the grantee again: %v", err)
	}
	publishSettle(t)
	if publishMails(t, anna) != 1 {
		t.Fatalf("%d emails for one document", publishMails(t, anna))
	}
	if again, _ := db.PublishedDocument(context.Background(), d.ID); !again.PublishedAt.Equal(d.PublishedAt) {
		t.Fatal("the document was published again")
	}
}

func TestPublishTheSameObjectWrittenTwicePublishesOnce(t *testing.T) {
	ref := publishClient()
	anna := publishGrant(t, ref)
	key := "inbound/run-4/" + ref + "/remittance.pdf"
	body := publishPDF(4)
	meta := publishMeta(ref)
	meta["document-type"] = "direct_payment_remittance"
	etag := publishPut(t, key, body, meta)
	d := publishWait(t, key, etag)
	waitMail(t, string(anna), newDocumentsSubject)

	if again := publishPut(t, key, body, meta); again != etag { // the back office sends the same file again
		t.Fatalf("the same bytes have another ETag: %s", again)
	}
	eventually(t, 60*time.Second, "the second copy handled", func() bool { _, ok := publishObject(key); return !ok })
	if _, err := db.PendingNotice(context.Background(), anna); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the second copy noticed the grantee again: %v", err)
	}
	if again, _ := db.PublishedDocument(context.Background(), d.ID); !again.PublishedAt.Equal(d.PublishedAt) {
		t.Fatal("the document was published again")
	}
	publishSettle(t)
	if publishMails(t, anna) != 1 {
		t.Fatalf("%d emails for one document written twice", publishMails(t, anna))
	}
}

func TestPublishThreeDocumentsGiveOneEmailToEachOfTwoGrantees(t *testing.T) {
	ref := publishClient()
	anna, ben := publishGrant(t, ref), publishGrant(t, ref)
	var docs []store.Document
	var wg sync.WaitGroup
	keys, etags := make([]string, 3), make([]string, 3)
	for i, typ := range []string{"care_invoice", "assessment_outcome", "deferred_payment_statement"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			meta := publishMeta(ref)
			meta["document-type"] = typ
			keys[i] = fmt.Sprintf("inbound/run-5/%s/%d.pdf", ref, i)
			etags[i] = publishPut(t, keys[i], publishPDF(10+i), meta)
		}()
	}
	wg.Wait()
	for i := range keys {
		docs = append(docs, publishWait(t, keys[i], etags[i]))
	}
	first, last := docs[0].PublishedAt, docs[0].PublishedAt
	for _, d := range docs {
		first, last = minTime(first, d.PublishedAt), maxTime(last, d.PublishedAt)
	}
	quiet, _ := time.ParseDuration(stk.Settings[wiring.NoticeQuiet])
	if last.Sub(first) >= quiet {
		t.Fatalf("the three documents were published %s apart, longer than the quiet period (%s): the machine is too loaded for this test", last.Sub(first), quiet)
	}
	waitMail(t, string(anna), newDocumentsSubject)
	waitMail(t, string(ben), newDocumentsSubject)
	publishSettle(t)
	if publishMails(t, anna) != 1 || publishMails(t, ben) != 1 {
		t.Fatalf("emails: anna %d, ben %d; want one each for three documents", publishMails(t, anna), publishMails(t, ben))
	}
}

func TestPublishSESThrottlingLosesNothingAndDuplicatesNothing(t *testing.T) {
	ses := stk.Faults.SES
	if ses == nil {
		t.Fatal("the stack runs without fault proxies (stack.Config.Faults)")
	}
	defer ses.Heal()
	refs := []string{publishClient(), publishClient(), publishClient()}
	var people []access.Email
	for i, ref := range refs {
		people = append(people, publishGrant(t, ref))
		if i == 0 {
			people = append(people, publishGrant(t, ref))
		}
	}
	// SES refuses every send for a while: the SDK's retries give up, the notifier backs off.
	before := ses.Failures()["SendEmail"]
	ses.Fail(faults.Rule{Operation: "SendEmail", Share: 1, Fault: faults.SESThrottling})
	for i, ref := range refs {
		key := fmt.Sprintf("inbound/run-6/%s/%d.pdf", ref, i)
		publishWait(t, key, publishPut(t, key, publishPDF(20+i), publishMeta(ref)))
	}
	eventually(t, 90*time.Second, "the notifier trying and being throttled", func() bool {
		return ses.Failures()["SendEmail"]-before >= 2*len(people)
	})
	for _, p := range people {
		if n := publishMails(t, p); n != 0 {
			t.Fatalf("an email got through a fully throttled SES: %d", n)
		}
	}
	// Then SES fails half of the calls (the SDK retries those), and then recovers.
	ses.Fail(faults.Rule{Operation: "SendEmail", Share: 0.5, Fault: faults.SESThrottling})
	for _, p := range people {
		waitMail(t, string(p), newDocumentsSubject)
	}
	ses.Heal()
	publishSettle(t)
	for _, p := range people {
		if n := publishMails(t, p); n != 1 {
			t.Errorf("a grantee got %d emails, want exactly 1", n)
		}
	}
}

func TestPublishABounceSuppressesTheAddress(t *testing.T) {
	ref := publishClient()
	bouncing, fine := publishGrant(t, ref), publishGrant(t, ref)
	sesBounce(t, string(bouncing))
	if why, ok, err := db.Suppressed(context.Background(), bouncing); err != nil || !ok || why.Reason != "bounce" {
		t.Fatalf("after the bounce: %+v %v %v", why, ok, err)
	}
	key := "inbound/run-7/" + ref + "/outcome.pdf"
	meta := publishMeta(ref)
	meta["document-type"] = "assessment_outcome"
	publishWait(t, key, publishPut(t, key, publishPDF(30), meta))
	waitMail(t, string(fine), newDocumentsSubject)
	publishSettle(t)
	if n := len(mailTo(t, string(bouncing))); n != 0 {
		t.Fatalf("a suppressed address was emailed %d times", n)
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
