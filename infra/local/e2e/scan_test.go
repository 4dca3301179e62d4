package e2e

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamotypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/council/cfp/infra/local/dynamo"
	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/infra/local/stack"
	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
)

// Upload scanning end to end (issue 3): files go up through the presigned POST forms, the S3 front
// emits the events, the GuardDuty stand-in scans with clamd and tags, and the real scan-upload
// binary runs behind the local Runtime API. Crafted events (duplicates, a verdict before its
// object-created event, odd keys, deleted objects) are sent to the same binary with stack.Invoke.

const uploadProblemSubject = "Please upload your document again"

func scanBucket() string { return stk.Settings[wiring.UploadsBucket] }

// scanEICAR is the EICAR anti-virus test file, written in two parts so that this source file is
// not itself taken for it.
func scanEICAR() []byte {
	return []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$` + `EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`)
}

func scanImage(enc func(*bytes.Buffer, image.Image) error) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 {
		img.Set(i, i, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func scanJPEG() []byte {
	return scanImage(func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) })
}

func scanPNG() []byte {
	return scanImage(func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) })
}

// scanPDF is a one-page PDF with extra catalog entries and extra objects (numbered from 4).
func scanPDF(catalog string, objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	all := append([]string{
		"<< /Type /Catalog /Pages 2 0 R " + catalog + " >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
	}, objs...)
	for i, o := range all {
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	b.WriteString("trailer\n<< /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

// scanObjStm is an object stream (FlateDecode) holding one object numbered n.
func scanObjStm(n int, obj string) string {
	header := fmt.Sprintf("%d 0 ", n)
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	_, _ = w.Write([]byte(header + obj))
	_ = w.Close()
	return fmt.Sprintf("<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", len(header), z.Len(), z.Bytes())
}

type scanned struct {
	email string
	c     Created
	r     access.RequestID
	e     access.EvidenceID
}

func (s scanned) key() string { return access.EvidenceKey(s.r, s.e) }

// scanCreate creates a request (by a new requester) declaring one file of each content type given.
func scanCreate(t *testing.T, files ...map[string]any) scanned {
	t.Helper()
	email := uniqueEmail(t)
	resp, body := newBrowser().call(t, "POST", "/access-requests", requestBody(email, files...))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	c := decode[Created](t, body)
	return scanned{email: email, c: c, r: access.RequestID(c.ID), e: access.EvidenceID(c.Uploads[0].EvidenceID)}
}

func scanFile(name, contentType string, size int) map[string]any {
	return map[string]any{"fileName": name, "contentType": contentType, "size": max(size, 1)}
}

// scanUpload creates a request with one file and uploads content with the form.
func scanUpload(t *testing.T, name, contentType string, content []byte) scanned {
	t.Helper()
	s := scanCreate(t, scanFile(name, contentType, len(content)))
	if code, out := upload(t, s.c.Uploads[0], name, contentType, content); code != http.StatusNoContent {
		t.Fatalf("upload: %d %s", code, out)
	}
	return s
}

func scanEvidence(t *testing.T, r access.RequestID, e access.EvidenceID) access.Evidence {
	t.Helper()
	ev, _, err := db.Evidence(context.Background(), r, e)
	if err != nil {
		t.Fatalf("evidence: %v", err)
	}
	return ev
}

func scanExists(t *testing.T, key string) bool {
	t.Helper()
	_, err := stack.S3Client(stk.S3URL).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(scanBucket()), Key: &key})
	return err == nil
}

// scanSettled waits (bounded) until the evidence has its final status and, when refused, the
// object has left the bucket (which happens once the malware verdict is in).
func scanSettled(t *testing.T, r access.RequestID, e access.EvidenceID) access.Evidence {
	t.Helper()
	var ev access.Evidence
	eventually(t, 90*time.Second, "a final status for "+string(e), func() bool {
		ev = scanEvidence(t, r, e)
		switch ev.Status {
		case access.Clean, access.ScanFailed:
			return ev.Verdict != ""
		case access.EvRejected, access.Infected:
			return ev.Verdict != "" && !scanExists(t, access.EvidenceKey(r, e))
		}
		return false
	})
	return ev
}

func TestScanUploadsEndToEnd(t *testing.T) {
	eicarPDF := append(minimalPDF(), append(append([]byte("% "), scanEICAR()...), "\n%%EOF\n"...)...)
	eicarPNG := append(scanPNG(), scanEICAR()...)
	cases := []struct {
		name, file, ctype string
		content           []byte
		want              access.EvidenceStatus
		reason            string
	}{
		{"clean PDF", "order.pdf", "application/pdf", minimalPDF(), access.Clean, ""},
		{"clean JPEG", "photo.jpg", "image/jpeg", scanJPEG(), access.Clean, ""},
		{"clean PNG", "scan.png", "image/png", scanPNG(), access.Clean, ""},
		{"PDF opening at a page", "hyperref.pdf", "application/pdf", scanPDF("/OpenAction 4 0 R", "<< /S /GoTo /D [3 0 R /Fit] >>"), access.Clean, ""},
		{"EICAR named pdf", "eicar.pdf", "application/pdf", scanEICAR(), access.Infected, "virus"},
		{"EICAR named png", "eicar.png", "image/png", scanEICAR(), access.Infected, "virus"},
		{"EICAR inside a PDF", "infected.pdf", "application/pdf", eicarPDF, access.Infected, "virus"},
		{"EICAR inside a PNG", "infected.png", "image/png", eicarPNG, access.Infected, "virus"},
		{"JavaScript", "js.pdf", "application/pdf", scanPDF("/Names << /JavaScript 4 0 R >>", "<< /Names [(a) 5 0 R] >>", "<< /S /JavaScript /JS (app.alert(1)) >>"), access.EvRejected, "JavaScript"},
		{"JS", "js2.pdf", "application/pdf", scanPDF("", "<< /JS (app.alert(1)) >>"), access.EvRejected, "JavaScript"},
		{"hex-escaped JavaScript in an object stream", "hidden.pdf", "application/pdf", scanPDF("", scanObjStm(9, "<< /S /J#61vaScript /JS (app.alert(1)) >>")), access.EvRejected, "JavaScript"},
		{"OpenAction", "open.pdf", "application/pdf", scanPDF("/OpenAction << /S /URI /URI (https://example.com/) >>"), access.EvRejected, "when it is opened"},
		{"AA", "aa.pdf", "application/pdf", scanPDF("/AA << /WC 4 0 R >>", "<< /S /GoTo /D [3 0 R /Fit] >>"), access.EvRejected, "runs actions by itself"},
		{"Launch", "launch.pdf", "application/pdf", scanPDF("", "<< /S /Launch /F (calc.exe) >>"), access.EvRejected, "start other programs"},
		{"EmbeddedFile", "attached.pdf", "application/pdf", scanPDF("", "<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream"), access.EvRejected, "files attached"},
		{"RichMedia", "media.pdf", "application/pdf", scanPDF("", "<< /Type /Annot /Subtype /RichMedia >>"), access.EvRejected, "media"},
		{"XFA", "form.pdf", "application/pdf", scanPDF("/AcroForm << /Fields [] /XFA 4 0 R >>", "<< /Length 6 >>\nstream\n<xdp/>\nendstream"), access.EvRejected, "XFA"},
		{"encrypted PDF", "locked.pdf", "application/pdf", append(scanPDF("", "<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>"), "trailer\n<< /Root 1 0 R /Encrypt 4 0 R >>\n%%EOF\n"...), access.EvRejected, "password-protected"},
		{"a program named as a PDF", "invoice.pdf", "application/pdf", append([]byte("MZ\x90\x00\x03\x00\x00\x00"), bytes.Repeat([]byte{0}, 200)...), access.EvRejected, "Windows program"},
		{"a web page sent as PNG", "page.png", "image/png", []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"), access.EvRejected, "web page"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := scanUpload(t, c.file, c.ctype, c.content)
			ev := scanSettled(t, s.r, s.e)
			if ev.Status != c.want || !strings.Contains(ev.Reason, c.reason) || ev.SHA256 == "" {
				t.Fatalf("%s %q (sha256 %q, verdict %q)", ev.Status, ev.Reason, ev.SHA256, ev.Verdict)
			}
			if c.want == access.Clean {
				if !scanExists(t, s.key()) {
					t.Fatal("a clean file is gone from the bucket")
				}
				return
			}
			m := waitMail(t, s.email, uploadProblemSubject)
			if !strings.Contains(m.Text, c.file) || !strings.Contains(m.Text, string(s.r)) {
				t.Fatalf("the email does not say which file of which request: %s", m.Text)
			}
			// The requester sees the reason with the status.
			resp, body := newBrowser().call(t, "GET", "/access-requests/"+string(s.r), nil, "Authorization", "Bearer "+s.c.ContinuationToken)
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), string(c.want)) {
				t.Fatalf("status: %d %s", resp.StatusCode, body)
			}
		})
	}
}

// scanPut writes an object straight to the uploads bucket (as a misbehaving client could), which
// emits the same event a form upload does.
func scanPut(t *testing.T, key, contentType string, body []byte) string {
	t.Helper()
	out, err := stack.S3Client(stk.S3URL).PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(scanBucket()), Key: &key, ContentType: &contentType, Body: bytes.NewReader(body),
	})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return strings.Trim(aws.ToString(out.ETag), `"`)
}

// scanInvoke sends one crafted event to the real scan-upload binary; the function must not fail.
func scanInvoke(t *testing.T, eventName, encodedKey, etag string) {
	t.Helper()
	rec := events.S3EventRecord{
		EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: stack.Region, EventTime: time.Now().UTC(), EventName: eventName,
		S3: events.S3Entity{SchemaVersion: "1.0", ConfigurationID: "e2e",
			Bucket: events.S3Bucket{Name: scanBucket(), Arn: "arn:aws:s3:::" + scanBucket()},
			Object: events.S3Object{Key: encodedKey, ETag: etag, Sequencer: fmt.Sprintf("%016X", time.Now().UnixNano())}},
	}
	payload, _ := json.Marshal(events.S3Event{Records: []events.S3EventRecord{rec}})
	if _, err := stk.Invoke(context.Background(), "scan-upload", payload); err != nil {
		t.Fatalf("scan-upload failed on %s %s: %v", eventName, encodedKey, err)
	}
}

// scanEncode encodes a key as S3 does in events ('+' for a space, '/' kept).
func scanEncode(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.QueryEscape(p)
	}
	return strings.Join(parts, "/")
}

func TestScanEmptyAndOversizedFiles(t *testing.T) {
	// The form's content-length-range refuses both at S3: nothing is stored.
	s := scanCreate(t, scanFile("empty.pdf", "application/pdf", 0), scanFile("big.pdf", "application/pdf", access.MaxFileSize))
	big := append(minimalPDF(), bytes.Repeat([]byte(" "), access.MaxFileSize)...)
	if code, out := upload(t, s.c.Uploads[0], "empty.pdf", "application/pdf", nil); code < 400 {
		t.Fatalf("empty upload accepted: %d %s", code, out)
	}
	if code, out := upload(t, s.c.Uploads[1], "big.pdf", "application/pdf", big); code < 400 {
		t.Fatalf("oversized upload accepted: %d %s", code, out)
	}
	for _, u := range s.c.Uploads {
		if scanExists(t, access.EvidenceKey(s.r, access.EvidenceID(u.EvidenceID))) {
			t.Fatal("a refused upload was stored")
		}
	}
	// Put straight into the bucket, they reach the function, which refuses them too.
	emptyKey, bigKey := access.EvidenceKey(s.r, s.e), access.EvidenceKey(s.r, access.EvidenceID(s.c.Uploads[1].EvidenceID))
	scanPut(t, emptyKey, "application/pdf", nil)
	etag := scanPut(t, bigKey, "application/pdf", big)
	scanInvoke(t, "ObjectCreated:Put", scanEncode(bigKey), etag) // the function path, directly
	if ev := scanEvidence(t, s.r, access.EvidenceID(s.c.Uploads[1].EvidenceID)); ev.Status != access.EvRejected || !strings.Contains(ev.Reason, "larger than 10 MiB") {
		t.Fatalf("oversized: %s %q", ev.Status, ev.Reason)
	}
	for _, u := range s.c.Uploads {
		ev := scanSettled(t, s.r, access.EvidenceID(u.EvidenceID))
		if ev.Status != access.EvRejected {
			t.Fatalf("%s: %s", u.EvidenceID, ev.Status)
		}
	}
	if ev := scanEvidence(t, s.r, s.e); !strings.Contains(ev.Reason, "empty") {
		t.Fatalf("empty: %q", ev.Reason)
	}
	waitMail(t, s.email, uploadProblemSubject)
}

// scanLogged waits until the function has logged msg about an evidence id as often as n.
func scanLogged(t *testing.T, e access.EvidenceID, msg string, n int) {
	t.Helper()
	root, err := services.Root()
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second, fmt.Sprintf("%d log lines %q for %s", n, msg, e), func() bool {
		b, _ := os.ReadFile(filepath.Join(root, ".local", "logs", "e2e.log"))
		count := 0
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, `"evidence":"`+string(e)+`"`) && strings.Contains(line, msg) {
				count++
			}
		}
		return count >= n
	})
}

// scanArrange puts an object at the key of an evidence file that does not exist yet, waits until
// the automatic events have come and gone (ignored: no such evidence), then adds the evidence
// record to the request. What happens next is up to the events the test sends.
func scanArrange(t *testing.T, s scanned, content []byte) (access.EvidenceID, string) {
	t.Helper()
	e := access.NewEvidenceID()
	key := access.EvidenceKey(s.r, e)
	etag := scanPut(t, key, "application/pdf", content)
	scanLogged(t, e, "no such evidence", 2) // object created, and the stand-in's tag
	req, _, err := db.Request(context.Background(), s.r)
	if err != nil {
		t.Fatal(err)
	}
	f := access.File{FileName: "arranged.pdf", ContentType: "application/pdf", Size: int64(len(content))}
	if err := db.AddEvidence(context.Background(), req, []access.Evidence{{ID: e, RequestID: s.r, File: f, Status: access.AwaitingUpload}}, nil); err != nil {
		t.Fatal(err)
	}
	return e, etag
}

func TestScanEventOrderDuplicatesAndOddKeys(t *testing.T) {
	s := scanCreate(t, pdfFile("unused.pdf", 10))

	// The verdict arrives before the object-created event: the same end as in order.
	e, etag := scanArrange(t, s, minimalPDF())
	key := access.EvidenceKey(s.r, e)
	scanInvoke(t, "ObjectTagging:Put", scanEncode(key), etag)
	if ev := scanEvidence(t, s.r, e); ev.Status != access.Clean || ev.Verdict != "NO_THREATS_FOUND" {
		t.Fatalf("verdict first: %s %q", ev.Status, ev.Verdict)
	}
	// Every byte of the key percent-encoded: the function decodes it as S3 encodes it.
	var enc strings.Builder
	for _, c := range []byte(key) {
		if c == '/' {
			enc.WriteByte(c)
		} else {
			fmt.Fprintf(&enc, "%%%02X", c)
		}
	}
	scanInvoke(t, "ObjectCreated:Post", enc.String(), etag)
	// Duplicates of both.
	for i := 0; i < 2; i++ {
		scanInvoke(t, "ObjectCreated:Post", scanEncode(key), etag)
		scanInvoke(t, "ObjectTagging:Put", scanEncode(key), etag)
	}
	if ev := scanEvidence(t, s.r, e); ev.Status != access.Clean {
		t.Fatalf("after duplicates: %s", ev.Status)
	}

	// An infected file, verdict first, then everything twice: infected, deleted, one email.
	bad, badTag := scanArrange(t, s, append(minimalPDF(), append(scanEICAR(), '\n')...))
	badKey := access.EvidenceKey(s.r, bad)
	scanInvoke(t, "ObjectTagging:Put", scanEncode(badKey), badTag)
	scanInvoke(t, "ObjectCreated:Post", scanEncode(badKey), badTag)
	scanInvoke(t, "ObjectTagging:Put", scanEncode(badKey), badTag) // the object is gone now: ignored
	if ev := scanEvidence(t, s.r, bad); ev.Status != access.Infected || scanExists(t, badKey) {
		t.Fatalf("infected, verdict first: %s, still there %v", ev.Status, scanExists(t, badKey))
	}
	waitMail(t, s.email, uploadProblemSubject)
	if n := scanQueued(t, mail.UploadProblem, s.r); n != 1 {
		t.Fatalf("%d upload problem emails queued", n)
	}

	// A deleted object: its late events are ignored and change nothing.
	if _, err := stack.S3Client(stk.S3URL).DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(scanBucket()), Key: &key}); err != nil {
		t.Fatal(err)
	}
	scanInvoke(t, "ObjectCreated:Post", scanEncode(key), etag)
	scanInvoke(t, "ObjectTagging:Put", scanEncode(key), etag)
	if ev := scanEvidence(t, s.r, e); ev.Status != access.Clean {
		t.Fatalf("after the object was deleted: %s", ev.Status)
	}

	// Keys with spaces and non-ASCII letters, and keys outside evidence/<request>/<evidence>: put
	// for real (the stack delivers their events) and sent directly; the function ignores them.
	for _, k := range []string{"evidence/" + string(s.r) + "/ü é file.pdf", "evidence/r with space/é", "evidence/only-one-part", "elsewhere/x y.pdf"} {
		scanPut(t, k, "application/pdf", minimalPDF())
		scanInvoke(t, "ObjectCreated:Put", scanEncode(k), "")
		scanInvoke(t, "ObjectTagging:Put", scanEncode(k), "")
	}
	scanInvoke(t, "ObjectCreated:Put", "evidence/%zz/%zz", "")
	if got := scanEncode("evidence/" + string(s.r) + "/ü é file.pdf"); !strings.HasSuffix(got, "/%C3%BC+%C3%A9+file.pdf") {
		t.Fatalf("S3's encoding: %s", got)
	}
	if ev := scanEvidence(t, s.r, s.e); ev.Status != access.AwaitingUpload {
		t.Fatalf("an odd key changed another file: %s", ev.Status)
	}
}

// scanQueued counts the emails of a template about a request in the outbox (queued or sent): the
// store's exactly-once, as opposed to the notifier's at-least-once delivery. A test may scan.
func scanQueued(t *testing.T, tmpl mail.Template, r access.RequestID) int {
	t.Helper()
	client := dynamo.Client(stk.DynamoURL)
	p := dynamodb.NewScanPaginator(client, &dynamodb.ScanInput{
		TableName:        aws.String(stk.Settings[wiring.TableName]),
		FilterExpression: aws.String("begins_with(PK, :mail)"),
		ExpressionAttributeValues: map[string]dynamotypes.AttributeValue{
			":mail": &dynamotypes.AttributeValueMemberS{Value: "MAIL#"},
		},
	})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range page.Items {
			var it struct{ Message mail.Message }
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				t.Fatal(err)
			}
			if it.Message.Template == tmpl && it.Message.Request == r {
				n++
			}
		}
	}
	return n
}

// scanReviewMails are the "ready for review" emails about a request in the reviewers' mailbox.
func scanReviewMails(t *testing.T, r access.RequestID) int {
	t.Helper()
	n := 0
	for _, a := range strings.Split(stk.Settings[wiring.Reviewers], ",") {
		for _, m := range mailTo(t, strings.TrimSpace(a)) {
			if strings.Contains(m.Subject, "ready for review") && strings.Contains(m.Text, string(r)) {
				n++
			}
		}
	}
	return n
}

func scanReviewers() int { return len(strings.Split(stk.Settings[wiring.Reviewers], ",")) }

func TestScanCleanFilesBeforeSubmitGoStraightToReview(t *testing.T) {
	s := scanCreate(t, scanFile("order.pdf", "application/pdf", len(minimalPDF())), scanFile("id.png", "image/png", len(scanPNG())))
	upload(t, s.c.Uploads[0], "order.pdf", "application/pdf", minimalPDF())
	upload(t, s.c.Uploads[1], "id.png", "image/png", scanPNG())
	for _, u := range s.c.Uploads {
		if ev := scanSettled(t, s.r, access.EvidenceID(u.EvidenceID)); ev.Status != access.Clean {
			t.Fatalf("%s", ev.Status)
		}
	}
	if r, _, _ := db.Request(context.Background(), s.r); r.Status != access.AwaitingEvidence {
		t.Fatalf("moved on before it was sent: %s", r.Status)
	}
	b := newBrowser()
	resp, body := b.call(t, "POST", "/access-requests/"+string(s.r)+"/submit", nil, "Authorization", "Bearer "+s.c.ContinuationToken)
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(string(body), `"ready_for_review"`) {
		t.Fatalf("submit: %d %s", resp.StatusCode, body)
	}
	// Late duplicates of every event, and a second submit, change nothing.
	for _, u := range s.c.Uploads {
		key := access.EvidenceKey(s.r, access.EvidenceID(u.EvidenceID))
		scanInvoke(t, "ObjectTagging:Put", scanEncode(key), "")
		scanInvoke(t, "ObjectCreated:Post", scanEncode(key), "")
	}
	b.call(t, "POST", "/access-requests/"+string(s.r)+"/submit", nil, "Authorization", "Bearer "+s.c.ContinuationToken)
	eventually(t, 90*time.Second, "the review email", func() bool { return scanReviewMails(t, s.r) >= scanReviewers() })
	if n := scanQueued(t, mail.ReadyForReview, s.r); n != scanReviewers() {
		t.Fatalf("%d review emails queued for %d reviewers", n, scanReviewers())
	}
}

func TestScanInfectedFileFinishingLastHoldsTheRequestUntilReplaced(t *testing.T) {
	s := scanCreate(t, scanFile("order.pdf", "application/pdf", len(minimalPDF())), scanFile("id.png", "image/png", 100))
	clean, infected := s.c.Uploads[0], s.c.Uploads[1]
	upload(t, clean, "order.pdf", "application/pdf", minimalPDF())
	if ev := scanSettled(t, s.r, access.EvidenceID(clean.EvidenceID)); ev.Status != access.Clean {
		t.Fatalf("first file: %s", ev.Status)
	}
	// The request was sent while its second file was still on its way (arranged in the table: the
	// API's submit waits for both uploads, and the order of two scans is not ours to choose).
	if err := db.SubmitRequest(context.Background(), s.r); err != nil {
		t.Fatal(err)
	}
	upload(t, infected, "id.png", "image/png", append(scanPNG(), scanEICAR()...))
	if ev := scanSettled(t, s.r, access.EvidenceID(infected.EvidenceID)); ev.Status != access.Infected {
		t.Fatalf("second file: %s", ev.Status)
	}
	waitMail(t, s.email, uploadProblemSubject)
	if r, _, _ := db.Request(context.Background(), s.r); r.Status != access.Scanning || scanQueued(t, mail.ReadyForReview, s.r) != 0 {
		t.Fatalf("an infected file let the request through: %s", r.Status)
	}

	// The requester replaces the infected file; once the new one is clean, the request goes to review, once.
	b := newBrowser()
	resp, body := b.call(t, "POST", "/access-requests/"+string(s.r)+"/evidence",
		map[string]any{"evidence": []map[string]any{scanFile("id-again.png", "image/png", len(scanPNG()))}},
		"Authorization", "Bearer "+s.c.ContinuationToken)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("add evidence: %d %s", resp.StatusCode, body)
	}
	more := decode[Created](t, body)
	if more.Status != "scanning" || len(more.Uploads) != 1 {
		t.Fatalf("%s", body)
	}
	if code, out := upload(t, more.Uploads[0], "id-again.png", "image/png", scanPNG()); code != http.StatusNoContent {
		t.Fatalf("upload: %d %s", code, out)
	}
	eventually(t, 90*time.Second, "ready for review", func() bool {
		r, _, _ := db.Request(context.Background(), s.r)
		return r.Status == access.ReadyForReview
	})
	eventually(t, 90*time.Second, "the review email", func() bool { return scanReviewMails(t, s.r) >= scanReviewers() })
	if n := scanQueued(t, mail.ReadyForReview, s.r); n != scanReviewers() {
		t.Fatalf("%d review emails queued for %d reviewers", n, scanReviewers())
	}
	resp, body = b.call(t, "GET", "/access-requests/"+string(s.r), nil, "Authorization", "Bearer "+s.c.ContinuationToken)
	st := decode[struct {
		Status   string
		Evidence []struct{ EvidenceID, Status string }
	}](t, body)
	if resp.StatusCode != http.StatusOK || st.Status != "ready_for_review" || len(st.Evidence) != 3 {
		t.Fatalf("status: %s", body)
	}
}
