package bucket

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

var ctx = context.Background()

// answer is what the S3 stand-in answers to one request.
type answer struct {
	status int
	header map[string]string
	body   string
}

// s3Error is S3's error body.
func s3Error(status int, code string) answer {
	return answer{status: status, header: map[string]string{"Content-Type": "application/xml"},
		body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>` + code + `</Message></Error>`}
}

// stand is an HTTP server that answers like S3 from a script: each request, matched by
// "METHOD /path[?subresource]", gets the answer given for it, and is kept for the test to read.
type stand struct {
	answers map[string]answer
	asked   []*http.Request
}

func (s *stand) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.asked = append(s.asked, r)
	route := r.Method + " " + r.URL.Path
	if r.URL.Query().Has("tagging") {
		route += "?tagging"
	}
	a, ok := s.answers[route]
	if !ok {
		a = s3Error(http.StatusNotImplemented, "NotImplemented")
	}
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.status)
	if r.Method != http.MethodHead {
		io.WriteString(w, a.body)
	}
}

// standIn returns a Bucket named "docs" whose client talks to a stand answering as given.
func standIn(t *testing.T, answers map[string]answer) (Bucket, *stand) {
	s := &stand{answers: answers}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := s3.New(s3.Options{Region: "eu-west-2", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, RetryMaxAttempts: 1,
		Credentials:                credentials.NewStaticCredentialsProvider("local", "local-secret", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired, ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired})
	return New(c, "docs"), s
}

func TestReadAsksForOneRangeOfOneVersion(t *testing.T) {
	b, s := standIn(t, map[string]answer{"GET /docs/inbound/a b.pdf": {status: http.StatusPartialContent, body: "%PDF-",
		header: map[string]string{"ETag": `"e1"`, "Content-Range": "bytes 0-4/12345", "Content-Length": "5", "Content-Type": "application/pdf", "x-amz-meta-title": "Invoice"}}})
	p := make([]byte, 5)
	obj, n, err := b.Read(ctx, "inbound/a b.pdf", "e1", 0, p)
	if err != nil || n != 5 || string(p) != "%PDF-" {
		t.Fatalf("%d %q %v", n, p, err)
	}
	if obj.ETag != "e1" || obj.Size != 12345 || obj.ContentType != "application/pdf" || obj.Metadata["title"] != "Invoice" {
		t.Fatalf("%+v", obj)
	}
	if r := s.asked[0]; r.Header.Get("Range") != "bytes=0-4" || r.Header.Get("If-Match") != `"e1"` {
		t.Fatalf("asked Range %q If-Match %q", r.Header.Get("Range"), r.Header.Get("If-Match"))
	}

	s.answers["GET /docs/inbound/a b.pdf"] = answer{status: http.StatusPartialContent, body: "%P",
		header: map[string]string{"ETag": `"e1"`, "Content-Range": "bytes 0-1/2", "Content-Length": "2"}}
	obj, n, err = b.Read(ctx, "inbound/a b.pdf", "", 0, p)
	if err != nil || n != 2 || obj.Size != 2 || s.asked[1].Header.Get("If-Match") != "" {
		t.Fatalf("a short object: %d %+v %v", n, obj, err)
	}
}

// S3 refuses a range of an empty object: Read gives the object's head and no bytes.
func TestReadOfAnEmptyObjectGivesItsHead(t *testing.T) {
	b, s := standIn(t, map[string]answer{
		"GET /docs/inbound/empty.pdf":  s3Error(http.StatusRequestedRangeNotSatisfiable, "InvalidRange"),
		"HEAD /docs/inbound/empty.pdf": {status: http.StatusOK, header: map[string]string{"ETag": `"e0"`, "Content-Length": "0", "x-amz-meta-title": "T"}},
	})
	obj, n, err := b.Read(ctx, "inbound/empty.pdf", "e0", 0, make([]byte, 5))
	if err != nil || n != 0 || obj.Size != 0 || obj.ETag != "e0" || obj.Metadata["title"] != "T" {
		t.Fatalf("%d %+v %v", n, obj, err)
	}
	if len(s.asked) != 2 || s.asked[1].Header.Get("If-Match") != `"e0"` {
		t.Fatalf("the head was not asked for the same version: %d requests", len(s.asked))
	}
}

func TestTagsAreTheVersionsAskedFor(t *testing.T) {
	tagging := answer{status: http.StatusOK, header: map[string]string{"Content-Type": "application/xml"},
		body: `<Tagging><TagSet><Tag><Key>GuardDutyMalwareScanStatus</Key><Value>NO_THREATS_FOUND</Value></Tag></TagSet></Tagging>`}
	b, s := standIn(t, map[string]answer{
		"GET /docs/evidence/r/e?tagging": tagging,
		"HEAD /docs/evidence/r/e":        {status: http.StatusOK, header: map[string]string{"ETag": `"e1"`, "Content-Length": "3"}},
	})
	tags, err := b.Tags(ctx, "evidence/r/e", "e1")
	if err != nil || tags["GuardDutyMalwareScanStatus"] != "NO_THREATS_FOUND" || len(tags) != 1 {
		t.Fatalf("%v %v", tags, err)
	}
	// Replaced between the tags and the head: the tags read may be the new version's.
	s.answers["HEAD /docs/evidence/r/e"] = answer{status: http.StatusOK, header: map[string]string{"ETag": `"e2"`, "Content-Length": "3"}}
	if _, err := b.Tags(ctx, "evidence/r/e", "e1"); !errors.Is(err, ErrChanged) {
		t.Fatalf("tags of a replaced object: %v", err)
	}
}

func TestCopyIsOfOneVersionWithNewMetadata(t *testing.T) {
	b, s := standIn(t, map[string]answer{"PUT /docs/rejected/run 1/Smith+Jones & Co (2).pdf": {status: http.StatusOK,
		header: map[string]string{"Content-Type": "application/xml"}, body: `<CopyObjectResult><ETag>"e1"</ETag></CopyObjectResult>`}})
	err := b.Copy(ctx, "inbound/run 1/Smith+Jones & Co (2).pdf", "rejected/run 1/Smith+Jones & Co (2).pdf", "e1", map[string]string{"rejection-reason": "not a PDF"}, "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	h := s.asked[0].Header
	want := map[string]string{
		"X-Amz-Copy-Source":          "docs/inbound/run%201/Smith%2BJones%20%26%20Co%20%282%29.pdf",
		"X-Amz-Copy-Source-If-Match": `"e1"`, "X-Amz-Metadata-Directive": "REPLACE",
		"X-Amz-Meta-Rejection-Reason": "not a PDF", "Content-Type": "application/pdf",
	}
	for k, v := range want {
		if h.Get(k) != v {
			t.Errorf("%s: %q, want %q", k, h.Get(k), v)
		}
	}
}

func TestDeleteIsOfOneVersionAndAnObjectGoneIsDeleted(t *testing.T) {
	b, s := standIn(t, map[string]answer{"DELETE /docs/inbound/a.pdf": {status: http.StatusNoContent}})
	if err := b.Delete(ctx, "inbound/a.pdf", "e1"); err != nil || s.asked[0].Header.Get("If-Match") != `"e1"` {
		t.Fatalf("%v, If-Match %q", err, s.asked[0].Header.Get("If-Match"))
	}
	if err := b.Delete(ctx, "inbound/a.pdf", ""); err != nil || s.asked[1].Header.Get("If-Match") != "" {
		t.Fatalf("any version: %v", err)
	}
	s.answers["DELETE /docs/inbound/a.pdf"] = s3Error(http.StatusNotFound, "NoSuchKey")
	if err := b.Delete(ctx, "inbound/a.pdf", "e1"); err != nil {
		t.Fatalf("deleting an object already gone: %v", err)
	}
}

// Every call says ErrGone for a missing object, ErrChanged for another version, and any other
// failure as itself, saying what it was doing.
func TestEveryCallTellsGoneFromChangedFromFailed(t *testing.T) {
	calls := map[string]struct {
		routes []string
		call   func(Bucket) error
	}{
		"head":   {[]string{"HEAD /docs/k"}, func(b Bucket) error { _, err := b.Head(ctx, "k"); return err }},
		"read":   {[]string{"GET /docs/k"}, func(b Bucket) error { _, _, err := b.Read(ctx, "k", "e1", 0, make([]byte, 4)); return err }},
		"tags":   {[]string{"GET /docs/k?tagging", "HEAD /docs/k"}, func(b Bucket) error { _, err := b.Tags(ctx, "k", "e1"); return err }},
		"copy":   {[]string{"PUT /docs/k2"}, func(b Bucket) error { return b.Copy(ctx, "k", "k2", "e1", nil, "") }},
		"delete": {[]string{"DELETE /docs/k"}, func(b Bucket) error { return b.Delete(ctx, "k", "e1") }},
	}
	answers := map[string]struct {
		a    answer
		want error
	}{
		"no such key":         {s3Error(http.StatusNotFound, "NoSuchKey"), ErrGone},
		"not found, no body":  {answer{status: http.StatusNotFound}, ErrGone},
		"precondition failed": {s3Error(http.StatusPreconditionFailed, "PreconditionFailed"), ErrChanged},
		"412, no body":        {answer{status: http.StatusPreconditionFailed}, ErrChanged},
		"access denied":       {s3Error(http.StatusForbidden, "AccessDenied"), nil},
		"service unavailable": {s3Error(http.StatusServiceUnavailable, "SlowDown"), nil},
	}
	for cname, c := range calls {
		for aname, a := range answers {
			routes := map[string]answer{}
			for _, r := range c.routes {
				routes[r] = a.a
			}
			b, _ := standIn(t, routes)
			err := c.call(b)
			switch {
			case cname == "delete" && a.want == ErrGone:
				if err != nil {
					t.Errorf("%s, %s: %v, want nil (already deleted)", cname, aname, err)
				}
			case a.want != nil:
				if !errors.Is(err, a.want) {
					t.Errorf("%s, %s: %v, want %v", cname, aname, err, a.want)
				}
			case err == nil || errors.Is(err, ErrGone) || errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), "the object"):
				t.Errorf("%s, %s: %v, want a failure saying what was done", cname, aname, err)
			}
		}
	}
}

// A rendition is written and later linked to as one version: a later write at its key is not
// what the link gives.
func TestPutSaysTheVersionAndALinkNamesIt(t *testing.T) {
	b, _ := standIn(t, map[string]answer{"PUT /docs/renditions/r/e": {status: http.StatusOK, header: map[string]string{"ETag": `"e1"`, "x-amz-version-id": "v7"}}})
	v, err := b.PutVersion(ctx, "renditions/r/e", []byte("%PDF-1.7"), "application/pdf")
	if err != nil || v != "v7" {
		t.Fatalf("%q %v", v, err)
	}
	link, err := b.VersionURL(ctx, "renditions/r/e", v, `order "1".pdf`, 5*time.Minute)
	u, _ := url.Parse(link)
	q := u.Query()
	if err != nil || u.Path != "/docs/renditions/r/e" || q.Get("versionId") != "v7" || q.Get("X-Amz-Expires") != "300" ||
		q.Get("response-content-disposition") != `attachment; filename="order _1_.pdf"` {
		t.Fatalf("%s %v", link, err)
	}
}

// TestDeleteEveryVersionLeavesNothingToRestore: every version and delete marker under the prefix
// is deleted by its version id; one already gone counts as deleted; a throttled listing is an
// error (the caller tries again later), and only a folder can be emptied.
func TestDeleteEveryVersionLeavesNothingToRestore(t *testing.T) {
	list := answer{status: http.StatusOK, header: map[string]string{"Content-Type": "application/xml"}, body: `<ListVersionsResult>
<Name>docs</Name><Prefix>evidence/r1/</Prefix><IsTruncated>false</IsTruncated>
<Version><Key>evidence/r1/e1</Key><VersionId>v2</VersionId><IsLatest>true</IsLatest></Version>
<Version><Key>evidence/r1/e1</Key><VersionId>v1</VersionId><IsLatest>false</IsLatest></Version>
<DeleteMarker><Key>evidence/r1/e2</Key><VersionId>d1</VersionId><IsLatest>true</IsLatest></DeleteMarker>
</ListVersionsResult>`}
	b, s := standIn(t, map[string]answer{
		"GET /docs":                   list,
		"DELETE /docs/evidence/r1/e1": {status: http.StatusNoContent},
		"DELETE /docs/evidence/r1/e2": s3Error(http.StatusNotFound, "NoSuchVersion"),
	})
	n, err := b.DeleteEveryVersion(ctx, "evidence/r1/")
	if err != nil || n != 3 {
		t.Fatalf("%d %v", n, err)
	}
	if q := s.asked[0].URL.Query(); !q.Has("versions") || q.Get("prefix") != "evidence/r1/" {
		t.Errorf("listed %s", s.asked[0].URL)
	}
	var deleted []string
	for _, r := range s.asked[1:] {
		deleted = append(deleted, r.URL.Path+"@"+r.URL.Query().Get("versionId"))
	}
	if strings.Join(deleted, " ") != "/docs/evidence/r1/e1@v2 /docs/evidence/r1/e1@v1 /docs/evidence/r1/e2@d1" {
		t.Errorf("deleted %v", deleted)
	}

	s.answers["GET /docs"] = s3Error(http.StatusServiceUnavailable, "SlowDown")
	if _, err := b.DeleteEveryVersion(ctx, "evidence/r1/"); err == nil || errors.Is(err, ErrGone) {
		t.Errorf("a throttled listing: %v", err)
	}
	if _, err := b.DeleteEveryVersion(ctx, "evidence/r1"); err == nil {
		t.Errorf("a prefix that is not a folder was emptied")
	}
}
