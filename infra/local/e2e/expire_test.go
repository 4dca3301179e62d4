package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/council/cfp/infra/local/stack"
	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/secret"
)

// expireMargin is how long the test's request has left before its four weeks are up: enough for
// its upload to be checked and its "received" email to arrive while it still waits.
const expireMargin = 50 * time.Second

// TestARequestLeftAwaitingEvidenceExpiresOnTheSchedule: a request has awaited its evidence for
// almost the stack's REQUEST_EXPIRY (four weeks, as in AWS: the store's clock is set back to make
// it, as waiting is not an option). Its status link and continuation token work, and its file (two
// versions) is in S3. When its time is up the schedule's run of the expire function expires it:
// every version of its file is gone from S3, its old links and its token no longer work, the
// requester is emailed (the reference, no link), and a fresh link from "I lost my link" opens a
// status page that says it expired. Staff's page lists the file as deleted.
func TestARequestLeftAwaitingEvidenceExpiresOnTheSchedule(t *testing.T) {
	ctx := context.Background()
	expiry, err := time.ParseDuration(stk.Settings[wiring.RequestExpiry])
	if err != nil {
		t.Fatal(err)
	}
	email := access.Email(uniqueEmail(t))
	then := time.Now().UTC().Add(-expiry + expireMargin)
	cont := secret.New()
	r := access.Request{ID: access.NewRequestID(), Reference: access.NewReference(), Status: access.AwaitingEvidence, ContinuationHash: cont.Hash(),
		Requester: access.Requester{Name: "Dee Puty", Email: email}, Relationship: access.Deputy,
		Client: access.Client{Name: "Cli Ent", DateOfBirth: "1941-03-04", Postcode: "SW1A 1AA"}, CreatedAt: then, UpdatedAt: then}
	ev := access.Evidence{ID: access.NewEvidenceID(), RequestID: r.ID, UploadedAt: then, UpdatedAt: then, Status: access.AwaitingUpload,
		File: access.File{FileName: "order.pdf", ContentType: "application/pdf", Size: int64(len(minimalPDF()))}}
	if err := db.WithClock(func() time.Time { return then }).CreateRequest(ctx, r, []access.Evidence{ev}, r.Received()); err != nil {
		t.Fatal(err)
	}
	s3c := stack.S3Client(stk.S3URL)
	for range 2 { // an upload and its replacement: two versions
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(scanBucket()), Key: aws.String(ev.Key()),
			Body: strings.NewReader(string(minimalPDF())), ContentType: aws.String("application/pdf")}); err != nil {
			t.Fatal(err)
		}
	}
	objectsUnder := func(prefix string) int {
		out, err := s3c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(scanBucket()), Prefix: aws.String(prefix)})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Versions) + len(out.DeleteMarkers)
	}
	// Checked at once: the request's time runs out within the margin, and the schedule purges it.
	if n := objectsUnder(access.FilePrefixes(r.ID)[0]); n == 0 {
		t.Fatal("set up: no file in S3")
	}

	// Before: the emailed status link and the continuation token work.
	found := statusLinkRE.FindStringSubmatch(waitMail(t, string(email), "We have received your request").Text)
	if found == nil || found[1] != string(r.ID) {
		t.Fatalf("no status link for %s", r.ID)
	}
	token, _ := url.QueryUnescape(found[2])
	statusPath := "/access-requests/" + string(r.ID) + "?token=" + url.QueryEscape(token)
	if code, _, body := newPageClient(t).get(statusPath); code != http.StatusOK || !strings.Contains(body, "Waiting for your documents") {
		t.Fatalf("status page before: %d\n%.1500s", code, body)
	}
	bearer := "Bearer " + cont.Reveal()
	if resp, body := newBrowser().call(t, "GET", "/access-requests/"+string(r.ID), nil, "Authorization", bearer); resp.StatusCode != http.StatusOK {
		t.Fatalf("continuation before: %d %s", resp.StatusCode, body)
	}
	if st := reviewRequest(t, string(r.ID)).Status; st != access.AwaitingEvidence {
		t.Fatalf("expired early (or moved on): %s; the test's margin is too short for this machine", st)
	}

	// The schedule (every second here) expires it once its time is up, then purges its files.
	eventually(t, expireMargin+time.Minute, "the request expired and its evidence marked deleted", func() bool {
		req, evs, err := db.Request(ctx, r.ID)
		return err == nil && req.Status == access.Expired && len(evs) == 1 && !evs[0].DeletedAt.IsZero()
	})
	for _, prefix := range access.FilePrefixes(r.ID) {
		if n := objectsUnder(prefix); n != 0 {
			t.Errorf("%d object versions left under %s", n, prefix)
		}
	}
	_, evs, _ := db.Request(ctx, r.ID)
	if evs[0].File != ev.File || evs[0].SHA256 == "" {
		t.Errorf("the file's facts were not kept: %+v", evs[0])
	}

	m := waitMail(t, string(email), "Your request has expired")
	if !strings.Contains(m.Text, string(r.Reference)) || !strings.Contains(m.Text, "28 days") || strings.Contains(m.Text, "token=") {
		t.Errorf("the email: %s", m.Text)
	}
	if code, _, body := newPageClient(t).get(statusPath); code != http.StatusNotFound || !strings.Contains(body, "This link does not work") {
		t.Errorf("the old status link after: %d\n%.1500s", code, body)
	}
	if resp, body := newBrowser().call(t, "GET", "/access-requests/"+string(r.ID), nil, "Authorization", bearer); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the continuation token after: %d %s", resp.StatusCode, body)
	}

	// A fresh link opens the status page, which says it expired.
	p := newPageClient(t)
	if code, _, body := p.get("/request/lost-link"); code != http.StatusOK {
		t.Fatalf("lost link page: %d\n%.1500s", code, body)
	}
	if code, _, body := p.post("/request/lost-link", url.Values{"email": {string(email)}}); code >= 400 {
		t.Fatalf("lost link: %d\n%.1500s", code, body)
	}
	var fresh []string
	eventually(t, 30*time.Second, "a fresh link", func() bool {
		for _, sent := range mailTo(t, string(email)) {
			if f := statusLinkRE.FindStringSubmatch(sent.Text); f != nil && f[1] == string(r.ID) && f[2] != found[2] {
				fresh = f
			}
		}
		return fresh != nil
	})
	fresh2, _ := url.QueryUnescape(fresh[2])
	code, _, body := newPageClient(t).get("/access-requests/" + string(r.ID) + "?token=" + url.QueryEscape(fresh2))
	if code != http.StatusOK || !strings.Contains(body, "This request has expired.") || strings.Contains(body, "Withdraw this request") {
		t.Errorf("status page from a fresh link: %d\n%.2000s", code, body)
	}

	// Staff see the file listed as deleted, with nothing to open; the queue no longer lists it.
	_, page := reviewGet(t, portal+"/staff/requests/"+string(r.ID))
	if !strings.Contains(page, "File deleted on") || strings.Contains(page, "/evidence/"+string(ev.ID)) {
		t.Errorf("staff page:\n%.3000s", page)
	}
	if _, q := reviewGet(t, portal+"/staff"); strings.Contains(q, "/staff/requests/"+string(r.ID)) {
		t.Errorf("the queue still lists the expired request")
	}
}
