package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/batch"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/store"
)

const manifestHeader = "file_name,client_reference,document_type,document_date,title,action\n"

var run7 = batch.ID{System: "billing", Name: "run-7"}

// run7Objects is a batch with one of each kind of row: a good file, a row with a bad date, a
// listed file that is not a PDF, a file listed twice, a listed file that never arrives, and a
// file no row lists.
func run7Objects() map[string]object {
	return map[string]object{
		"a.pdf": {body: pdf}, "b.pdf": {body: pdf}, "c.pdf": {body: []byte("MZ not a pdf")}, "z.pdf": {body: pdf},
		batch.Manifest: {body: []byte(manifestHeader +
			"a.pdf,1234567,care_invoice,2026-10-31,Care invoice October,publish\n" +
			"b.pdf,1234567,care_invoice,31/10/2026,Care invoice October,publish\n" +
			"c.pdf,1234567,care_invoice,2026-10-31,Care invoice October,publish\n" +
			"a.pdf,1234567,care_invoice,2026-10-31,Again,publish\n" +
			"d.pdf,1234567,care_invoice,2026-10-31,Care invoice October,publish\n")},
	}
}

// drop writes the batch's objects in the order given and delivers each one's event as S3 may:
// twice when dup, and the second copies after all the firsts (out of order).
func drop(t *testing.T, f fixture, b batch.ID, objects map[string]object, order []string, dup bool) {
	t.Helper()
	var recs []bucket.Record
	for _, name := range order {
		recs = append(recs, f.b.put(b.Key(name), objects[name]))
	}
	for _, r := range recs {
		if err := f.h.Handle(ctx, event(r)); err != nil {
			t.Fatalf("%s: %v", r.Key, err)
		}
	}
	if dup {
		for _, r := range slices.Backward(recs) {
			if err := f.h.Handle(ctx, event(r)); err != nil {
				t.Fatalf("%s again: %v", r.Key, err)
			}
		}
	}
}

func (f fixture) report(t *testing.T, b batch.ID) map[string][]string {
	t.Helper()
	o, ok := f.b.objects[b.ReportKey()]
	if !ok {
		t.Fatalf("no report; logs: %s", f.logs)
	}
	rows, err := csv.NewReader(bytes.NewReader(o.body)).ReadAll()
	if err != nil || !slices.Equal(rows[0], batch.ReportColumns) {
		t.Fatalf("report %q: %v", o.body, err)
	}
	out := map[string][]string{} // by line, or by file for an unlisted one
	for _, r := range rows[1:] {
		out[r[0]+r[1]] = r
	}
	return out
}

func TestABatchArrivingInAnyOrderIsPublishedOnceAndReportedOnce(t *testing.T) {
	objects := run7Objects()
	for name, order := range map[string][]string{
		"files before manifest": {"a.pdf", "b.pdf", "c.pdf", "z.pdf", batch.Manifest},
		"manifest before files": {batch.Manifest, "a.pdf", "b.pdf", "c.pdf", "z.pdf"},
		"manifest between":      {"z.pdf", "c.pdf", batch.Manifest, "b.pdf", "a.pdf"},
	} {
		for _, dup := range []bool{false, true} {
			t.Run(name+map[bool]string{true: ", every event twice"}[dup], func(t *testing.T) {
				f := newFixture()
				f.d.grants["1234567"] = []store.Grant{{Email: "anna@example.com"}}
				drop(t, f, run7, objects, order, dup)
				if _, ok := f.b.objects[run7.ReportKey()]; ok || len(f.d.mails) != 0 {
					t.Fatal("reported before d.pdf's time was up")
				}
				if len(f.d.docs) != 1 || len(f.d.notices) != 0 || len(f.d.toldTo("anna@example.com")) != 0 {
					t.Fatalf("docs %d, notices %v, told %v before the report; logs %s", len(f.d.docs), f.d.notices, f.d.told, f.logs)
				}
				// Published in place: the document is the version of a.pdf that arrived, no copy.
				for _, d := range f.d.docs {
					if d.Key != run7.Key("a.pdf") || d.Version != "v-"+objects["a.pdf"].etag() {
						t.Errorf("document at %s version %q", d.Key, d.Version)
					}
				}
				if len(f.b.under(published)) != 0 {
					t.Error("a copy under published/")
				}
				if err := f.h.Close(ctx); err != nil || len(f.d.mails) != 0 {
					t.Fatalf("closed before its time: %v %v", err, f.d.mails)
				}
				f.d.now = f.h.Now().Add(time.Hour)
				for range 2 { // the schedule runs again: nothing more
					if err := f.h.Close(ctx); err != nil {
						t.Fatal(err)
					}
				}
				rep := f.report(t, run7)
				for key, want := range map[string]string{"2a.pdf": "published", "3b.pdf": "refused", "4c.pdf": "refused", "5a.pdf": "refused", "6d.pdf": "missing", "z.pdf": "unlisted"} {
					if r, ok := rep[key]; !ok || r[7] != want {
						t.Errorf("report row %s: %q, want %s", key, r, want)
					}
				}
				if !strings.Contains(rep["3b.pdf"][8], "document_date") || rep["4c.pdf"][8] != "not a PDF" || !strings.Contains(rep["5a.pdf"][8], "listed twice") ||
					rep["2a.pdf"][9] == "" || len(rep) != 6 {
					t.Errorf("report %q", rep)
				}
				if len(f.d.mails) != 1 {
					t.Fatalf("%d summaries", len(f.d.mails))
				}
				// The report tells the grantee once, whatever the repeats.
				if told := f.d.toldTo("anna@example.com"); len(told) != 1 || told[0].Replaced || len(f.d.told) != 1 {
					t.Fatalf("told %+v", f.d.told)
				}
				m := f.d.mails[0]
				want := batch.Tally{Rows: 5, Published: 1, Refused: 3, Missing: 1, Unlisted: 1}
				if m.To != "business.support@council.example" || m.Batch != "billing/run-7" || *m.Tally != want {
					t.Errorf("summary %+v %+v", m, *m.Tally)
				}
				if strings.Contains(f.logs.String(), "1234567") || strings.Contains(f.logs.String(), "Care invoice") {
					t.Errorf("the log holds personal data: %s", f.logs)
				}
			})
		}
	}
}

func TestACompleteBatchIsReportedAtOnce(t *testing.T) {
	f := newFixture()
	objects := map[string]object{"a.pdf": {body: pdf}, batch.Manifest: {body: []byte(manifestHeader + "a.pdf,1234567,care_invoice,2026-10-31,Invoice,publish\n")}}
	drop(t, f, run7, objects, []string{"a.pdf", batch.Manifest}, true)
	if rep := f.report(t, run7); rep["2a.pdf"][7] != "published" || len(f.d.mails) != 1 {
		t.Fatalf("report %q, %d mails", rep, len(f.d.mails))
	}
}

func TestABatchWithoutManifestIsClosedWithEveryFileUnlisted(t *testing.T) {
	f := newFixture()
	drop(t, f, run7, map[string]object{"a.pdf": {body: pdf}}, []string{"a.pdf"}, false)
	f.d.now = f.h.Now().Add(2 * time.Hour)
	if err := f.h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rep := f.report(t, run7)
	if rep["1manifest.csv"][7] != "refused" || rep["a.pdf"][7] != "unlisted" || len(f.d.docs) != 0 || len(f.d.mails) != 1 || f.d.mails[0].Tally.Manifest == "" {
		t.Fatalf("report %q, mails %+v", rep, f.d.mails)
	}
	// A manifest after the close changes nothing.
	drop(t, f, run7, map[string]object{batch.Manifest: {body: []byte(manifestHeader + "a.pdf,1234567,care_invoice,2026-10-31,Invoice,publish\n")}}, []string{batch.Manifest}, false)
	if len(f.d.docs) != 0 || len(f.d.mails) != 1 {
		t.Fatal("a late manifest acted")
	}
}

func TestReplaceAndWithdraw(t *testing.T) {
	f := newFixture()
	f.d.grants["1234567"] = []store.Grant{{Email: "anna@example.com"}}
	f.d.grants["7654321"] = []store.Grant{{Email: "olga@example.com"}}
	run1 := batch.ID{System: "billing", Name: "run-1"}
	drop(t, f, run1, map[string]object{"a.pdf": {body: pdf}, "b.pdf": {body: append(slices.Clone(pdf), 'b')}, "o.pdf": {body: append(slices.Clone(pdf), 'o')},
		batch.Manifest: {body: []byte(manifestHeader +
			"a.pdf,1234567,care_invoice,2026-10-31,Invoice,publish\n" +
			"b.pdf,1234567,care_invoice,2026-10-31,Invoice,publish\n" +
			"o.pdf,7654321,care_invoice,2026-10-31,Invoice,publish\n")},
	}, []string{"a.pdf", "b.pdf", "o.pdf", batch.Manifest}, false)
	files, _ := f.d.BatchFiles(ctx, run1)
	ids := map[string]store.DocumentID{}
	for _, x := range files {
		ids[x.Name] = store.DocumentID(x.Document)
	}
	if len(f.d.docs) != 3 {
		t.Fatalf("%d documents; logs %s", len(f.d.docs), f.logs)
	}
	run2 := batch.ID{System: "billing", Name: "run-2"}
	drop(t, f, run2, map[string]object{"a2.pdf": {body: append(slices.Clone(pdf), '2')}, "x.pdf": {body: append(slices.Clone(pdf), 'x')},
		batch.Manifest: {body: []byte(manifestHeader +
			"a2.pdf,1234567,care_invoice,2026-10-31,Invoice corrected,replace run-1/a.pdf\n" + // 2
			",1234567,,,,withdraw " + string(ids["b.pdf"]) + "\n" + // 3
			"x.pdf,1234567,care_invoice,2026-10-31,Invoice,replace run-1/o.pdf\n" + // 4: another client's
			",1234567,,,,withdraw run-1/b.pdf\n" + // 5: withdrawn already (by line 3)
			",1234567,,,,withdraw dabcdefghijklmnopqrstuvwx\n")}, // 6: no such document
	}, []string{batch.Manifest, "x.pdf", "a2.pdf"}, true)
	rep := f.report(t, run2)
	for key, want := range map[string]string{"2a2.pdf": "replaced", "3": "withdrawn", "4x.pdf": "refused", "5": "refused", "6": "refused"} {
		if r := rep[key]; r == nil || r[7] != want {
			t.Errorf("row %s: %q, want %s (%s)", key, r, want, f.logs)
		}
	}
	a, b, o := f.d.docs[ids["a.pdf"]], f.d.docs[ids["b.pdf"]], f.d.docs[ids["o.pdf"]]
	if a.Hidden != "replaced" || a.ReplacedBy == "" || !f.d.docs[a.ReplacedBy].Current() || b.Hidden != "withdrawn" || !o.Current() {
		t.Fatalf("a %+v\nb %+v\no %+v", a, b, o)
	}
	if len(f.d.audits) != 2 {
		t.Fatalf("audits %+v", f.d.audits)
	}
	// One email a batch: the second says a document was replaced; the other client's grantee,
	// whose document stayed, is told of run-1 only.
	if told := f.d.toldTo("anna@example.com"); len(told) != 2 || told[0].Replaced || !told[1].Replaced {
		t.Fatalf("told anna %+v", told)
	}
	if told := f.d.toldTo("olga@example.com"); len(told) != 1 || told[0].Replaced {
		t.Fatalf("told olga %+v", told)
	}
	if f.d.mails[len(f.d.mails)-1].Tally.Replaced != 1 || f.d.mails[len(f.d.mails)-1].Tally.Withdrawn != 1 {
		t.Fatalf("summary %+v", f.d.mails[len(f.d.mails)-1].Tally)
	}
}

// A file that arrives after its row's refusal is left where it is, and a batch's reports folder
// is never read as a batch.
func TestReportsAreNotABatch(t *testing.T) {
	f := newFixture()
	rec := f.b.put("batches/billing/reports/run-7.csv", object{body: []byte("x")})
	if err := f.h.Handle(ctx, event(rec)); err != nil || len(f.d.batches) != 0 {
		t.Fatalf("%v %v", err, f.d.batches)
	}
}

// An event that does not say the manifest's size, or says it wrong, still reads it whole.
func TestAManifestOfUnknownSizeIsReadWhole(t *testing.T) {
	f := newFixture()
	objects := map[string]object{"a.pdf": {body: pdf}, batch.Manifest: {body: []byte(manifestHeader + "a.pdf,1234567,care_invoice,2026-10-31,Invoice,publish\n")}}
	drop(t, f, run7, objects, []string{"a.pdf"}, false)
	rec := f.b.put(run7.Key(batch.Manifest), objects[batch.Manifest])
	rec.Size = 0
	if err := f.h.Handle(ctx, event(rec)); err != nil {
		t.Fatal(err)
	}
	if rep := f.report(t, run7); rep["2a.pdf"][7] != "published" {
		t.Fatalf("report %q", rep)
	}
}

// A run's files that are all there when the manifest comes are published in groups, one
// transaction each (store.MaxGroup at most): every document once, every row reported, and each
// active grantee of the run's clients told once, with one email, when the report is made. A group
// that finds one of its documents published already (a repeat) is published one by one.
func TestARunIsPublishedInGroupsAndEachGranteeToldOnce(t *testing.T) {
	for _, conflicts := range []int{0, 1} {
		f := newFixture()
		f.d.groupConflicts = conflicts
		objects := map[string]object{}
		var order []string
		manifest := manifestHeader
		for i := range 120 {
			name, ref := fmt.Sprintf("inv-%03d.pdf", i), fmt.Sprintf("80010%02d", i/3) // 3 documents a client
			objects[name] = object{body: append(slices.Clone(pdf), fmt.Sprint(i)...)}
			order = append(order, name)
			manifest += name + "," + ref + ",care_invoice,2026-10-31,Care invoice,publish\n"
			f.d.grants[ref] = []store.Grant{{Email: access.Email("person" + fmt.Sprint(i/6) + "@example.com")}, {Email: "ended@example.com", Ended: true}}
		}
		objects[batch.Manifest] = object{body: []byte(manifest)}
		drop(t, f, run7, objects, append(order, batch.Manifest), false)

		rep := f.report(t, run7)
		published := 0
		for _, r := range rep {
			if r[7] == "published" {
				published++
			}
		}
		if published != 120 || len(f.d.docs) != 120 {
			t.Fatalf("conflicts %d: %d rows published, %d documents; logs %s", conflicts, published, len(f.d.docs), f.logs)
		}
		slices.Sort(f.d.groups) // written at once, in any order
		if conflicts == 0 && !slices.Equal(f.d.groups, []int{120 - 2*store.MaxGroup, store.MaxGroup, store.MaxGroup}) {
			t.Errorf("groups %v", f.d.groups)
		}
		if len(f.d.told) != 20 || len(f.d.toldTo("ended@example.com")) != 0 {
			t.Fatalf("conflicts %d: %d told (%+v)", conflicts, len(f.d.told), f.d.told)
		}
		for i := range 20 {
			if n := len(f.d.toldTo(access.Email("person" + fmt.Sprint(i) + "@example.com"))); n != 1 {
				t.Errorf("person%d told %d times", i, n)
			}
		}
		if st, _ := f.d.Batch(ctx, run7); st.Done != 120 || !st.Reported {
			t.Errorf("batch %+v", st)
		}
	}
}

// A complete batch whose report another run has claimed is left to it; if that run stops, the
// schedule reports the batch once the claim's lease is over, and its grantee is told once.
func TestABatchReportClaimedByAnotherRunIsMadeByTheScheduleIfItStops(t *testing.T) {
	f := newFixture()
	f.d.grants["1234567"] = []store.Grant{{Email: "anna@example.com"}}
	f.d.now = f.h.Now()
	if err := f.d.OpenBatch(ctx, run7, f.h.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := f.d.ClaimReport(ctx, run7, reportLease); err != nil {
		t.Fatal(err)
	}
	drop(t, f, run7, map[string]object{"a.pdf": {body: pdf},
		batch.Manifest: {body: []byte(manifestHeader + "a.pdf,1234567,care_invoice,2026-10-31,Invoice,publish\n")},
	}, []string{"a.pdf", batch.Manifest}, false)
	if _, ok := f.b.objects[run7.ReportKey()]; ok || len(f.d.mails) != 0 || len(f.d.told) != 0 {
		t.Fatal("reported while another run's claim is live")
	}
	if err := f.h.Close(ctx); err != nil || len(f.d.mails) != 0 {
		t.Fatalf("the schedule reported during the claim: %v", err)
	}
	f.d.now = f.d.now.Add(reportLease + time.Second)
	if err := f.h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if rep := f.report(t, run7); rep["2a.pdf"][7] != "published" || len(f.d.mails) != 1 || len(f.d.toldTo("anna@example.com")) != 1 {
		t.Fatalf("report %q, summaries %d, told %+v", rep, len(f.d.mails), f.d.told)
	}
}

// Files whose events are still on their way when the manifest's is handled (Lambda delivers
// events in no order) are found in the batch's folder and published by the manifest, in a group;
// their events, when they come, change nothing.
func TestFilesWhoseEventsLagAreFoundByTheManifest(t *testing.T) {
	f := newFixture()
	f.d.grants["1234567"] = []store.Grant{{Email: "anna@example.com"}}
	objects := run7Objects()
	var late []bucket.Record
	for _, name := range []string{"a.pdf", "b.pdf", "c.pdf", "z.pdf"} {
		late = append(late, f.b.put(run7.Key(name), objects[name]))
	}
	m := f.b.put(run7.Key(batch.Manifest), objects[batch.Manifest])
	if err := f.h.Handle(ctx, event(m)); err != nil {
		t.Fatal(err)
	}
	if len(f.d.docs) != 1 || !slices.Equal(f.d.groups, []int{1}) {
		t.Fatalf("docs %d, groups %v; logs %s", len(f.d.docs), f.d.groups, f.logs)
	}
	for _, r := range late {
		if err := f.h.Handle(ctx, event(r)); err != nil {
			t.Fatal(err)
		}
	}
	f.d.now = f.h.Now().Add(time.Hour)
	if err := f.h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rep := f.report(t, run7)
	for key, want := range map[string]string{"2a.pdf": "published", "3b.pdf": "refused", "4c.pdf": "refused", "5a.pdf": "refused", "6d.pdf": "missing", "z.pdf": "unlisted"} {
		if r, ok := rep[key]; !ok || r[7] != want {
			t.Errorf("report row %s: %q, want %s", key, r, want)
		}
	}
	if len(f.d.docs) != 1 || len(f.d.toldTo("anna@example.com")) != 1 {
		t.Fatalf("docs %d, told %+v", len(f.d.docs), f.d.told)
	}
}
