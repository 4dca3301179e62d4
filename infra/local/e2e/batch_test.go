package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/council/cfp/infra/local/stack"
	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/batch"
	"github.com/council/cfp/shared/store"
)

// A sending system's side of batches: PDFs and a manifest.csv written under
// batches/<system>/<batch>/ of the documents bucket with no metadata, in any order, as the AWS CLI
// or rclone would, straight to S3.

const batchHeader = "file_name,client_reference,document_type,document_date,title,action\n"

func batchPut(t *testing.T, key string, body []byte) {
	t.Helper()
	_, err := stack.S3Client(stk.S3URL).PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(publishBucket()), Key: aws.String(key), Body: bytes.NewReader(body),
	})
	if err != nil {
		t.Fatalf("writing %s: %v", key, err)
	}
}

// batchDrop writes a batch's objects in the order given.
func batchDrop(t *testing.T, b batch.ID, objects map[string][]byte, order ...string) {
	t.Helper()
	for _, name := range order {
		batchPut(t, b.Key(name), objects[name])
	}
}

// batchReport waits for the batch's report and returns its rows by line (by file name for a file
// no row lists).
func batchReport(t *testing.T, b batch.ID, limit time.Duration) map[string][]string {
	t.Helper()
	var body []byte
	eventually(t, limit, "the report of "+b.String(), func() bool {
		out, err := stack.S3Client(stk.S3URL).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(publishBucket()), Key: aws.String(b.ReportKey())})
		if err != nil {
			return false
		}
		defer out.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(out.Body)
		body = buf.Bytes()
		return true
	})
	return batchRows(t, body)
}

// batchRows reads a report's rows by line (by file name for a file no row lists).
func batchRows(t *testing.T, body []byte) map[string][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(rows) == 0 || !slices.Equal(rows[0], batch.ReportColumns) {
		t.Fatalf("report %q: %v", body, err)
	}
	out := map[string][]string{}
	for _, r := range rows[1:] {
		if r[0] == "" {
			out[r[1]] = r
		} else {
			out[r[0]] = r
		}
	}
	return out
}

// batchSummaries are the summary emails of a batch in Business Support's mailbox.
func batchSummaries(t *testing.T, b batch.ID) []string {
	t.Helper()
	var out []string
	for _, m := range mailTo(t, stk.Settings[wiring.BusinessSupport]) {
		if m.Subject == "Batch report: "+b.String() {
			out = append(out, m.Text)
		}
	}
	return out
}

func batchExpect(t *testing.T, rep map[string][]string, want map[string]string) {
	t.Helper()
	for k, outcome := range want {
		if r := rep[k]; r == nil || r[7] != outcome {
			t.Errorf("report row %s: %q, want %s", k, r, outcome)
		}
	}
	if len(rep) != len(want) {
		t.Errorf("report rows %d, want %d: %q", len(rep), len(want), rep)
	}
}

func TestBatchInEitherOrderIsPublishedReportedAndSummarised(t *testing.T) {
	ref := publishClient()
	anna := publishGrant(t, ref)
	for _, order := range []string{"files before manifest", "manifest before files"} {
		t.Run(order, func(t *testing.T) {
			b := batch.ID{System: "billing", Name: fmt.Sprintf("run-%d", time.Now().UnixNano())}
			objects, files := batchSample(ref)
			if order == "files before manifest" {
				batchDrop(t, b, objects, append(files, batch.Manifest)...)
			} else {
				batchDrop(t, b, objects, append([]string{batch.Manifest}, files...)...)
			}
			batchCheck(t, ref, b, batchReport(t, b, 60*time.Second))
		})
	}
	if n := publishMails(t, anna); n != 2 { // one email a batch, when its report is made
		t.Fatalf("%d notices to the grantee for two batches", n)
	}
}

// batchSample is a batch with a row of every kind (two published, each kind of bad row) and a
// file no row lists; files are its PDFs, without the manifest.
func batchSample(ref string) (objects map[string][]byte, files []string) {
	return map[string][]byte{
		"a.pdf": publishPDF(1), "b.pdf": publishPDF(2), "c.pdf": []byte("MZ not a pdf"), "z.pdf": publishPDF(3),
		batch.Manifest: []byte(batchHeader +
			"a.pdf," + ref + ",care_invoice,2026-10-31,Care invoice October,publish\n" + // 2: published
			"b.pdf," + ref + ",care_invoice,2026-10-31,Care invoice October (2),publish\n" + // 3: published
			"c.pdf," + ref + ",care_invoice,2026-10-31,Care invoice,publish\n" + // 4: not a PDF
			"a.pdf," + ref + ",care_invoice,2026-10-31,Again,publish\n" + // 5: listed twice
			"e.pdf,ABC,care_invoice,31/10/2026,,publish\n" + // 6: bad fields
			"f.pdf," + ref + ",care_invoice,2026-10-31\n" + // 7: too few fields
			"g.pdf," + ref + ",care_invoice,2026-10-31,\xff,publish\n" + // 8: not UTF-8
			"h.pdf," + ref + ",care_invoice,2026-10-31,Care invoice,send\n"), // 9: no such action
	}, []string{"a.pdf", "b.pdf", "c.pdf", "z.pdf"}
}

// batchCheck checks the report of a batchSample batch row by row, its two documents, and its one
// summary email to Business Support (counts only, no personal data).
func batchCheck(t *testing.T, ref string, b batch.ID, rep map[string][]string) {
	t.Helper()
	batchExpect(t, rep, map[string]string{"2": "published", "3": "published", "4": "refused", "5": "refused", "6": "refused", "7": "refused", "8": "refused", "9": "refused", "z.pdf": "unlisted"})
	if !strings.Contains(rep["4"][8], "not a PDF") || !strings.Contains(rep["5"][8], "listed twice") || !strings.Contains(rep["8"][8], "UTF-8") {
		t.Errorf("reasons %q %q %q", rep["4"][8], rep["5"][8], rep["8"][8])
	}
	for _, line := range []string{"2", "3"} {
		d, err := db.PublishedDocument(context.Background(), store.DocumentID(rep[line][9]))
		if err != nil || d.ClientReference != ref {
			t.Errorf("line %s: document %+v %v", line, d, err)
		}
	}
	publishSettle(t)
	sums := batchSummaries(t, b)
	if len(sums) != 1 || !strings.Contains(sums[0], "Published 2, replaced 0, withdrawn 0, refused 6, missing 0; files not in the manifest 1.") ||
		strings.Contains(sums[0], ref) || strings.Contains(sums[0], "Care invoice") {
		t.Fatalf("summaries %q", sums)
	}
}

func TestBatchMissingFileIsReportedWhenItsTimeIsUp(t *testing.T) {
	ref := publishClient()
	b := batch.ID{System: "billing", Name: fmt.Sprintf("late-%d", time.Now().UnixNano())}
	batchDrop(t, b, map[string][]byte{
		"a.pdf":        publishPDF(1),
		batch.Manifest: []byte(batchHeader + "a.pdf," + ref + ",care_invoice,2026-10-31,Invoice,publish\nd.pdf," + ref + ",care_invoice,2026-10-31,Invoice,publish\n"),
	}, batch.Manifest, "a.pdf")
	rep := batchReport(t, b, 90*time.Second)
	batchExpect(t, rep, map[string]string{"2": "published", "3": "missing"})
	publishSettle(t)
	if sums := batchSummaries(t, b); len(sums) != 1 || !strings.Contains(sums[0], "missing 1") {
		t.Fatalf("summaries %q", sums)
	}
}

// A replace and a withdraw, seen from the portal: the old documents leave the client's list and
// their downloads answer 404; the new one is listed; both corrections are audited, and the staff
// workspace's client page shows both old documents, marked, the replaced one linking the new.
func TestBatchReplaceAndWithdrawSeenFromThePortal(t *testing.T) {
	ref := publishClient()
	_, cookie, _ := portalPerson(t, "deputy", store.Grant{ClientReference: ref, ClientName: "Batch Client", Relationship: access.Deputy})
	run1 := batch.ID{System: "billing", Name: fmt.Sprintf("fix1-%d", time.Now().UnixNano())}
	batchDrop(t, run1, map[string][]byte{"a.pdf": publishPDF(1), "b.pdf": publishPDF(2),
		batch.Manifest: []byte(batchHeader + "a.pdf," + ref + ",care_invoice,2026-10-31,Invoice,publish\nb.pdf," + ref + ",care_invoice,2026-10-30,Statement,publish\n"),
	}, "a.pdf", "b.pdf", batch.Manifest)
	first := batchReport(t, run1, 60*time.Second)
	oldA, oldB := first["2"][9], first["3"][9]
	run2 := batch.ID{System: "billing", Name: fmt.Sprintf("fix2-%d", time.Now().UnixNano())}
	batchDrop(t, run2, map[string][]byte{"a.pdf": publishPDF(3),
		batch.Manifest: []byte(batchHeader + "a.pdf," + ref + ",care_invoice,2026-10-31,Invoice corrected,replace " + run1.Name + "/a.pdf\n" +
			"," + ref + ",,,,withdraw " + oldB + "\n"),
	}, batch.Manifest, "a.pdf")
	rep := batchReport(t, run2, 60*time.Second)
	batchExpect(t, rep, map[string]string{"2": "replaced", "3": "withdrawn"})
	newA := rep["2"][9]

	b := newBrowser()
	resp, out := b.portalGet(t, "/clients/"+ref+"/documents", cookie)
	var list portalList
	if resp.StatusCode != http.StatusOK || json.Unmarshal(out, &list) != nil || len(list.Documents) != 1 || list.Documents[0].ID != newA {
		t.Fatalf("the client's list %d %s", resp.StatusCode, out)
	}
	for _, id := range []string{oldA, oldB} {
		if resp, _ := b.portalGet(t, "/documents/"+id+"/download", cookie); resp.StatusCode != http.StatusNotFound {
			t.Errorf("download of a hidden document: %d", resp.StatusCode)
		}
	}
	if resp, _ := b.portalGet(t, "/documents/"+newA+"/download", cookie); resp.StatusCode != http.StatusFound {
		t.Errorf("download of the new document: %d", resp.StatusCode)
	}
	events, err := db.AuditOfClient(context.Background(), ref, 20)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, e := range events {
		seen[e.Action] = string(e.DocumentID)
	}
	if seen[store.AuditReplaceDocument] != oldA || seen[store.AuditWithdrawDocument] != oldB {
		t.Fatalf("audit %+v", events)
	}
	staffSeesCorrections(t, ref, newA, oldA, oldB)
}

// A grantee is told of a replacement in their next notice, which still names nothing: no client,
// no title, no file, only that a document was replaced and to sign in. The replacement, published
// in place, downloads as the bytes the sender sent.
func TestBatchReplaceIsToldInTheGranteesNextNotice(t *testing.T) {
	ref := publishClient()
	email, cookie, _ := portalPerson(t, "attorney", store.Grant{ClientReference: ref, ClientName: "Notice Client", Relationship: access.AttorneyLPA})
	run1 := batch.ID{System: "billing", Name: fmt.Sprintf("told1-%d", time.Now().UnixNano())}
	batchDrop(t, run1, map[string][]byte{"inv-1.pdf": publishPDF(11),
		batch.Manifest: []byte(batchHeader + "inv-1.pdf," + ref + ",care_invoice,2026-10-31,Care invoice October,publish\n"),
	}, "inv-1.pdf", batch.Manifest)
	batchExpect(t, batchReport(t, run1, 60*time.Second), map[string]string{"2": "published"})
	subject := "You have new documents to view"
	first := portalNextMail(t, email, subject, 0)
	if strings.Contains(first, "replaced") {
		t.Fatalf("the first notice speaks of a replacement: %s", first)
	}

	corrected := publishPDF(12)
	run2 := batch.ID{System: "billing", Name: fmt.Sprintf("told2-%d", time.Now().UnixNano())}
	batchDrop(t, run2, map[string][]byte{"inv-1b.pdf": corrected,
		batch.Manifest: []byte(batchHeader + "inv-1b.pdf," + ref + ",care_invoice,2026-10-31,Care invoice October (corrected),replace " + run1.Name + "/inv-1.pdf\n"),
	}, batch.Manifest, "inv-1b.pdf")
	rep := batchReport(t, run2, 60*time.Second)
	batchExpect(t, rep, map[string]string{"2": "replaced"})
	next := portalNextMail(t, email, subject, 1)
	if !strings.Contains(next, "A document you could see before has been replaced with a corrected one.") || !strings.Contains(next, "Sign in to see them") {
		t.Fatalf("the next notice does not say a document was replaced: %s", next)
	}
	for _, secret := range []string{ref, "Care invoice", "corrected)", "inv-1", run1.Name, run2.Name, "Notice Client"} {
		if strings.Contains(next, secret) {
			t.Errorf("the notice names %q: %s", secret, next)
		}
	}
	time.Sleep(4 * time.Second) // a quiet period and more: no third email
	if n := len(portalMails(t, email, subject)); n != 2 {
		t.Fatalf("%d notices for two batches", n)
	}

	resp, _ := newBrowser().portalGet(t, "/documents/"+rep["2"][9]+"/download", cookie)
	if resp.StatusCode != http.StatusFound || !strings.Contains(resp.Header.Get("Location"), "versionId=") {
		t.Fatalf("download: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	got, err := http.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	body, _ := io.ReadAll(got.Body)
	if got.StatusCode != http.StatusOK || !bytes.Equal(body, corrected) {
		t.Fatalf("the published version: %d, %d bytes", got.StatusCode, len(body))
	}
}
