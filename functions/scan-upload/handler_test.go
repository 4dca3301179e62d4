package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/mail"
)

const uploads = "uploads"

var ctx = context.Background()

type fixture struct {
	t    *testing.T
	db   *memStore
	s3   *fakeS3
	h    Handler
	logs *bytes.Buffer
}

func setup(t *testing.T) *fixture {
	db := newMemStore()
	fx := &fixture{t: t, db: db, s3: newFakeS3(), logs: &bytes.Buffer{}}
	fx.h = Handler{Evidence: db, Objects: fx.s3, Bucket: uploads, Reviewers: access.Reviewers{To: []access.Email{"rev1@council.example", "rev2@council.example"}},
		Log: slog.New(slog.NewJSONHandler(fx.logs, nil))}
	return fx
}

// request creates a request in status st with one evidence file per file given.
func (fx *fixture) request(st access.Status, files ...access.File) (access.Request, []access.Evidence) {
	r := access.Request{ID: access.NewRequestID(), Status: access.AwaitingEvidence, Requester: access.Requester{Name: "Jane Doe", Email: "jane.doe@example.com"},
		Relationship: access.Deputy, Client: access.Client{Name: "C", DateOfBirth: "1940-01-01", Postcode: "SW1A 1AA"}, CreatedAt: time.Now().UTC()}
	var ev []access.Evidence
	for _, f := range files {
		ev = append(ev, access.Evidence{ID: access.NewEvidenceID(), RequestID: r.ID, File: f, Status: access.AwaitingUpload})
	}
	if st != access.AwaitingEvidence {
		var err error
		if r, _, err = r.Submit(time.Now().UTC()); err != nil { // the only status the tests start from
			fx.t.Fatal(err)
		}
	}
	fx.db.add(r, ev)
	return r, ev
}

// eventKey encodes a key as S3 does in notifications.
func eventKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.QueryEscape(p)
	}
	return strings.Join(parts, "/")
}

func created(e access.Evidence, etag string) bucket.Record {
	return record("ObjectCreated:Post", uploads, eventKey(e.Key()), etag)
}

func tagged(e access.Evidence, etag string) bucket.Record {
	return record("ObjectTagging:Put", uploads, eventKey(e.Key()), etag)
}

func (fx *fixture) handle(recs ...bucket.Record) {
	fx.t.Helper()
	if err := fx.h.Handle(ctx, bucket.Event{Records: recs}); err != nil {
		fx.t.Fatalf("Handle: %v", err)
	}
}

func (fx *fixture) status(e access.Evidence) access.Evidence {
	fx.t.Helper()
	got, _, err := fx.db.Evidence(ctx, e.RequestID, e.ID)
	if err != nil {
		fx.t.Fatal(err)
	}
	return got
}

func (fx *fixture) requestStatus(id access.RequestID) access.Status {
	return fx.db.request(id).Status
}

func (fx *fixture) mail(tmpl mail.Template, ref access.RequestID) []mail.Message {
	return fx.db.mail(tmpl, ref)
}

var (
	pdfFile  = access.File{FileName: "Jane Doe deputyship order.pdf", ContentType: "application/pdf", Size: 100}
	pngFile  = access.File{FileName: "scan.png", ContentType: "image/png", Size: 100}
	cleanPDF = []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	jsPDF    = []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
)

func TestCleanFileMovesTheRequestToReview(t *testing.T) {
	fx := setup(t)
	r, ev := fx.request(access.Scanning, pdfFile)
	etag := fx.s3.put(ev[0].Key(), "application/pdf", cleanPDF)
	fx.handle(created(ev[0], etag))
	if got := fx.status(ev[0]); got.Status != access.EvScanning || got.SHA256 == "" {
		t.Fatalf("after checks: %+v", got)
	}
	if fx.requestStatus(r.ID) != access.Scanning {
		t.Fatal("promoted before the verdict")
	}
	fx.s3.tag(ev[0].Key(), "NO_THREATS_FOUND")
	fx.handle(tagged(ev[0], etag))
	if got := fx.status(ev[0]); got.Status != access.Clean || got.Verdict != "NO_THREATS_FOUND" {
		t.Fatalf("after verdict: %+v", got)
	}
	if st := fx.requestStatus(r.ID); st != access.ReadyForReview {
		t.Fatalf("request %s", st)
	}
	if n := len(fx.mail(mail.ReadyForReview, r.ID)); n != 2 {
		t.Fatalf("%d review emails", n)
	}
	if !fx.s3.exists(ev[0].Key()) {
		t.Fatal("a clean file was deleted")
	}
	if !fx.s3.exists(access.RenderKey(r.ID, ev[0].ID)) {
		t.Fatal("no rendition was asked for")
	}
	if logs := fx.logs.String(); strings.Contains(logs, "Jane") || strings.Contains(logs, "jane.doe") {
		t.Fatalf("personal data in the logs: %s", logs)
	}
}

func TestEventsInAnyOrderEndTheSame(t *testing.T) {
	for _, verdict := range []string{"NO_THREATS_FOUND", "THREATS_FOUND", "FAILED"} {
		orders := map[string]func(c, g bucket.Record) []bucket.Record{
			"in order":           func(c, g bucket.Record) []bucket.Record { return []bucket.Record{c, g} },
			"verdict first":      func(c, g bucket.Record) []bucket.Record { return []bucket.Record{g, c} },
			"each twice":         func(c, g bucket.Record) []bucket.Record { return []bucket.Record{c, c, g, g} },
			"verdict twice last": func(c, g bucket.Record) []bucket.Record { return []bucket.Record{g, c, g} },
		}
		for name, order := range orders {
			fx := setup(t)
			r, ev := fx.request(access.Scanning, pdfFile)
			etag := fx.s3.put(ev[0].Key(), "application/pdf", cleanPDF)
			fx.s3.tag(ev[0].Key(), verdict)
			for _, rec := range order(created(ev[0], etag), tagged(ev[0], etag)) {
				fx.handle(rec) // one event each, as S3 delivers them
			}
			want := map[string]access.EvidenceStatus{"NO_THREATS_FOUND": access.Clean, "THREATS_FOUND": access.Infected, "FAILED": access.ScanFailed}[verdict]
			got := fx.status(ev[0])
			if got.Status != want {
				t.Errorf("%s %s: %s", verdict, name, got.Status)
			}
			if fx.s3.exists(ev[0].Key()) == (want == access.Infected) {
				t.Errorf("%s %s: object kept %v", verdict, name, fx.s3.exists(ev[0].Key()))
			}
			problems, reviews := len(fx.mail(mail.UploadProblem, r.ID)), len(fx.mail(mail.ReadyForReview, r.ID))
			if (problems == 1) != (want != access.Clean) || problems > 1 || (reviews == 2) != (want == access.Clean) || reviews > 2 {
				t.Errorf("%s %s: %d upload problem emails, %d review emails", verdict, name, problems, reviews)
			}
		}
	}
}

func TestRefusedFileWaitsForItsVerdictThenGoes(t *testing.T) {
	fx := setup(t)
	r, ev := fx.request(access.Scanning, pdfFile)
	etag := fx.s3.put(ev[0].Key(), "application/pdf", jsPDF)
	fx.handle(created(ev[0], etag))
	got := fx.status(ev[0])
	if got.Status != access.EvRejected || !strings.Contains(got.Reason, "JavaScript") {
		t.Fatalf("%+v", got)
	}
	if !fx.s3.exists(ev[0].Key()) {
		t.Fatal("deleted before the verdict, which could still make it infected")
	}
	msgs := fx.mail(mail.UploadProblem, r.ID)
	if len(msgs) != 1 || msgs[0].To != "jane.doe@example.com" || msgs[0].FileName != pdfFile.FileName || !strings.Contains(msgs[0].Reason, "JavaScript") {
		t.Fatalf("upload problem email: %+v", msgs)
	}
	fx.s3.tag(ev[0].Key(), "NO_THREATS_FOUND")
	fx.handle(tagged(ev[0], etag))
	if got := fx.status(ev[0]); got.Status != access.EvRejected || got.Verdict != "NO_THREATS_FOUND" || got.SHA256 == "" {
		t.Fatalf("%+v", got)
	}
	if fx.s3.exists(ev[0].Key()) {
		t.Fatal("a rejected file was kept")
	}
	if len(fx.mail(mail.UploadProblem, r.ID)) != 1 {
		t.Fatal("emailed twice")
	}
}

func TestTwoFilesInfectedFinishingLast(t *testing.T) {
	fx := setup(t)
	r, ev := fx.request(access.Scanning, pdfFile, pngFile)
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), make([]byte, 40)...)
	e1 := fx.s3.put(ev[0].Key(), "application/pdf", cleanPDF)
	e2 := fx.s3.put(ev[1].Key(), "image/png", png)
	fx.handle(created(ev[0], e1), created(ev[1], e2)) // every record of an event
	fx.s3.tag(ev[0].Key(), "NO_THREATS_FOUND")
	fx.handle(tagged(ev[0], e1))
	fx.s3.tag(ev[1].Key(), "THREATS_FOUND")
	fx.handle(tagged(ev[1], e2))
	if fx.status(ev[0]).Status != access.Clean || fx.status(ev[1]).Status != access.Infected {
		t.Fatalf("%s %s", fx.status(ev[0]).Status, fx.status(ev[1]).Status)
	}
	if st := fx.requestStatus(r.ID); st != access.Scanning || len(fx.mail(mail.ReadyForReview, r.ID)) != 0 {
		t.Fatalf("request %s", st)
	}
	if fx.s3.exists(ev[1].Key()) || !fx.s3.exists(ev[0].Key()) {
		t.Fatal("wrong file deleted")
	}
}

func TestKeysAreURLDecoded(t *testing.T) {
	fx := setup(t)
	_, ev := fx.request(access.Scanning, pdfFile)
	etag := fx.s3.put(ev[0].Key(), "application/pdf", cleanPDF)
	var enc strings.Builder // every byte of the ids percent-encoded: decoding must give the key back
	for _, c := range []byte(ev[0].Key()) {
		if c == '/' {
			enc.WriteByte(c)
		} else {
			fmt.Fprintf(&enc, "%%%02X", c)
		}
	}
	fx.handle(record("ObjectCreated:Put", uploads, enc.String(), etag))
	if fx.status(ev[0]).Status != access.EvScanning {
		t.Fatal("an encoded key was not decoded")
	}
	// A key with spaces and non-ASCII letters: '+' is a space, as S3 encodes keys.
	odd := "evidence/r with space/é ü.pdf"
	fx.s3.put(odd, "application/pdf", cleanPDF)
	if eventKey(odd) != "evidence/r+with+space/%C3%A9+%C3%BC.pdf" {
		t.Fatalf("encoding %q", eventKey(odd))
	}
	gets := fx.s3.gets
	fx.handle(record("ObjectCreated:Put", uploads, eventKey(odd), ""))
	if !strings.Contains(fx.logs.String(), "no such evidence") || fx.s3.gets != gets {
		t.Fatalf("an unknown evidence key was not ignored as such: %s", fx.logs.String())
	}
}

func TestEventsToIgnore(t *testing.T) {
	fx := setup(t)
	_, ev := fx.request(access.Scanning, pdfFile, pdfFile)
	etag := fx.s3.put(ev[0].Key(), "application/pdf", cleanPDF)
	fx.s3.put("other/x.pdf", "application/pdf", cleanPDF)
	fx.handle(
		record("ObjectCreated:Put", "another-bucket", eventKey(ev[0].Key()), etag),
		record("ObjectCreated:Put", uploads, "other/x.pdf", ""),
		record("ObjectCreated:Put", uploads, "evidence/"+string(ev[0].RequestID), ""),
		record("ObjectCreated:Put", uploads, "evidence/r/e/extra", ""),
		record("ObjectCreated:Put", uploads, "evidence/%zz/e", ""),
		record("ObjectRemoved:Delete", uploads, eventKey(ev[0].Key()), etag),
		created(ev[0], "an-earlier-version"),
		created(ev[1], ""), // deleted (or never uploaded): the object does not exist
		tagged(ev[1], ""),
	)
	for _, e := range ev {
		if got := fx.status(e); got.Status != access.AwaitingUpload {
			t.Fatalf("an ignored event changed the evidence: %s", got.Status)
		}
	}
}

// One record that cannot be read among good ones: it is skipped, the others are handled, and the
// event succeeds (a retry could not mend it).
func TestABadRecordIsSkippedAndTheOthersHandled(t *testing.T) {
	fx := setup(t)
	_, ev := fx.request(access.Scanning, pdfFile, pdfFile)
	e1 := fx.s3.put(ev[0].Key(), "application/pdf", cleanPDF)
	e2 := fx.s3.put(ev[1].Key(), "application/pdf", cleanPDF)
	fx.handle(created(ev[0], e1), record("ObjectCreated:Put", uploads, "evidence/%zz/e", ""), created(ev[1], e2))
	for _, e := range ev {
		if got := fx.status(e); got.Status != access.EvScanning {
			t.Fatalf("a good record beside a bad one was not handled: %s", got.Status)
		}
	}
	if !strings.Contains(fx.logs.String(), "record skipped: it cannot be read") {
		t.Fatalf("the bad record was not logged: %s", fx.logs)
	}
}

func TestMissingVerdictIsScanFailed(t *testing.T) {
	fx := setup(t)
	r, ev := fx.request(access.Scanning, pdfFile)
	etag := fx.s3.put(ev[0].Key(), "application/pdf", cleanPDF)
	fx.handle(tagged(ev[0], etag)) // a tag event without GuardDuty's tag
	got := fx.status(ev[0])
	if got.Status != access.ScanFailed || got.Reason == "" {
		t.Fatalf("%+v", got)
	}
	if fx.requestStatus(r.ID) != access.Scanning || len(fx.mail(mail.UploadProblem, r.ID)) != 1 {
		t.Fatal("a file that was not scanned let the request through, or nobody was told")
	}
}

func TestWrongBytesAndSizes(t *testing.T) {
	fx := setup(t)
	html := []byte("<!DOCTYPE html><html><body>hello</body></html>")
	big := make([]byte, access.MaxFileSize+1)
	copy(big, cleanPDF)
	cases := []struct {
		file   access.File
		ctype  string
		data   []byte
		reason string
	}{
		{pngFile, "image/png", html, "web page"},
		{pdfFile, "application/pdf", []byte("MZ\x90\x00 not a pdf"), "Windows program"},
		{pdfFile, "application/pdf", nil, "empty"},
		{pdfFile, "application/pdf", big, "larger than 10 MiB"},
		{pdfFile, "image/png", cleanPDF, "as a PNG image"}, // stored with a type other than the declared one
	}
	for _, c := range cases {
		_, ev := fx.request(access.Scanning, c.file)
		fx.s3.gets = 0
		etag := fx.s3.put(ev[0].Key(), c.ctype, c.data)
		fx.handle(created(ev[0], etag))
		got := fx.status(ev[0])
		if got.Status != access.EvRejected || !strings.Contains(got.Reason, c.reason) {
			t.Errorf("%s: %s %q", c.reason, got.Status, got.Reason)
		}
		if c.reason == "larger than 10 MiB" && fx.s3.gets != 0 {
			t.Errorf("an oversized file was read (%d GETs)", fx.s3.gets)
		}
	}
}

func TestLargeFileIsReadInBoundedRanges(t *testing.T) {
	fx := setup(t)
	_, ev := fx.request(access.Scanning, pdfFile)
	data := bigPDF(access.MaxFileSize)
	etag := fx.s3.put(ev[0].Key(), "application/pdf", data)
	fx.handle(created(ev[0], etag))
	if got := fx.status(ev[0]); got.Status != access.EvScanning {
		t.Fatalf("%s %q", got.Status, got.Reason)
	}
	if fx.s3.maxRange > blockSize || fx.s3.gets > access.MaxFileSize/blockSize+3 {
		t.Fatalf("%d GETs, largest range %d", fx.s3.gets, fx.s3.maxRange)
	}
}

func TestObjectReplacedWhileBeingReadIsLeftToItsOwnEvent(t *testing.T) {
	fx := setup(t)
	_, ev := fx.request(access.Scanning, pdfFile)
	etag := fx.s3.put(ev[0].Key(), "application/pdf", cleanPDF)
	fx.s3.put(ev[0].Key(), "application/pdf", jsPDF) // the replacement lands after the HEAD below
	h := fx.h
	obj := bucket.Object{ETag: etag, Size: int64(len(cleanPDF)), ContentType: "application/pdf"}
	if _, err := h.check(ctx, ev[0].Key(), obj, "application/pdf"); err != bucket.ErrChanged {
		t.Fatalf("reading a replaced object: %v", err)
	}
	fx.handle(created(ev[0], etag)) // the old version's event: stale
	if fx.status(ev[0]).Status != access.AwaitingUpload {
		t.Fatal("a stale event was recorded")
	}
}

func TestAWSFailureFailsTheEventAndChangesNothing(t *testing.T) {
	fx := setup(t)
	_, ev := fx.request(access.Scanning, pdfFile)
	etag := fx.s3.put(ev[0].Key(), "application/pdf", cleanPDF)
	fx.s3.fail = apiErr("InternalError")
	if err := fx.h.Handle(ctx, bucket.Event{Records: []bucket.Record{created(ev[0], etag)}}); err == nil {
		t.Fatal("an S3 failure was swallowed: Lambda would not retry")
	}
	if fx.status(ev[0]).Status != access.AwaitingUpload {
		t.Fatal("changed on failure")
	}
	fx.s3.fail = nil
	fx.handle(created(ev[0], etag)) // the retry
	if fx.status(ev[0]).Status != access.EvScanning {
		t.Fatal("the retry did not finish the work")
	}
}

// bigPDF is a valid PDF of about size bytes: mostly image data, as a scanned document is.
func bigPDF(size int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n")
	img := make([]byte, 1<<20)
	x := uint32(2463534242)
	for i := range img {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		img[i] = byte(x)
	}
	for n := 3; b.Len()+len(img)+200 < size; n++ {
		fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XObject /Subtype /Image /Filter /DCTDecode /Length %d >>\nstream\n", n, len(img))
		b.Write(img)
		b.WriteString("\nendstream\nendobj\n")
		img[0]++
	}
	b.WriteString("trailer\n<< /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

func TestSampleEventsAreHandled(t *testing.T) {
	fx := setup(t)
	for _, name := range []string{"scan-upload-object-created.json", "scan-upload-tagging.json"} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
		if err != nil {
			t.Fatal(err)
		}
		var ev bucket.Event
		if err := json.Unmarshal(raw, &ev); err != nil || len(ev.Records) != 1 {
			t.Fatalf("%s: %v", name, err)
		}
		rec := ev.Records[0]
		if _, _, ok := access.ParseEvidenceKey(rec.Key); !ok || rec.ETag == "" {
			t.Fatalf("%s: not an evidence event: %+v", name, rec)
		}
		fx.h.Bucket = rec.Bucket
		if err := fx.h.Handle(ctx, ev); err != nil { // no such object here: logged and ignored
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// A replacement with the ETag of the clean file it replaces (an ETag is an MD5: a collision, or a
// multipart ETag, can match) is another version: it is checked again, and does not inherit the
// first file's checks or verdict. The record of each check names the version and hash checked.
func TestAReplacementWithTheSameETagIsCheckedAgain(t *testing.T) {
	fx := setup(t)
	_, ev := fx.request(access.Scanning, pdfFile)
	key := ev[0].Key()
	etag := fx.s3.put(key, "application/pdf", cleanPDF)
	v1 := fx.s3.version(key)
	fx.s3.tag(key, "NO_THREATS_FOUND")
	fx.handle(versionRecord("ObjectCreated:Post", uploads, eventKey(key), etag, v1), versionRecord("ObjectTagging:Put", uploads, eventKey(key), etag, v1))
	if st := fx.status(ev[0]).Status; st != access.Clean {
		t.Fatalf("the first version: %s", st)
	}

	fx.s3.putETag(key, "application/pdf", jsPDF, etag) // other bytes, the same ETag
	v2 := fx.s3.version(key)
	gets := fx.s3.gets
	fx.handle(versionRecord("ObjectCreated:Post", uploads, eventKey(key), etag, v2))
	if fx.s3.gets == gets {
		t.Fatal("the replacement was not read: its ETag passed for the checked file's")
	}
	got := fx.status(ev[0])
	if got.Status == access.Clean || got.Status != access.EvRejected {
		t.Fatalf("a replacement with the same ETag kept the first file's verdict: %+v", got)
	}
	if fx.s3.exists(key) {
		t.Fatal("the replacement was kept")
	}
	// An event of the first version, arriving late, is about a version no longer there.
	fx.handle(versionRecord("ObjectTagging:Put", uploads, eventKey(key), etag, v1))
	if fx.status(ev[0]).Status != access.EvRejected {
		t.Fatal("a late event of the replaced version changed the evidence")
	}
	if _, facts, err := fx.h.Evidence.Evidence(ctx, ev[0].RequestID, ev[0].ID); err != nil || facts.Version != v1 || facts.SHA256 != sha(cleanPDF) || !facts.Replaced {
		t.Fatalf("the record does not name the version and hash checked: %+v %v", facts, err)
	}
}

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
