package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/dynamo"
	"github.com/council/cfp/infra/local/faults"
	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/infra/local/stack"
	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/batch"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/store"
)

func TestSamplePDFsAreWellFormed(t *testing.T) {
	pdf := samplePDF([]string{"Care invoice", "Client reference: 8001000001", "Amount (GBP) 12.34 \\ done"})
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
		t.Fatal("no PDF header or trailer")
	}
	// Every cross-reference entry points at the start of its object, and startxref at the table.
	xref := bytes.LastIndex(pdf, []byte("\nxref\n")) + 1
	m := regexp.MustCompile(`startxref\n(\d+)\n`).FindSubmatch(pdf)
	if at, _ := strconv.Atoi(string(m[1])); at != xref {
		t.Fatalf("startxref %d, table at %d", at, xref)
	}
	entries := regexp.MustCompile(`(\d{10}) 00000 n `).FindAllSubmatch(pdf[xref:], -1)
	if len(entries) != 5 {
		t.Fatalf("%d objects in the table", len(entries))
	}
	for i, e := range entries {
		off, _ := strconv.Atoi(string(e[1]))
		if !bytes.HasPrefix(pdf[off:], []byte(fmt.Sprintf("%d 0 obj", i+1))) {
			t.Errorf("entry %d points at %q", i+1, pdf[off:off+10])
		}
	}
	if !bytes.Contains(pdf, []byte(`Amount \(GBP\) 12.34 \\ done`)) {
		t.Error("text is not escaped")
	}
}

func TestPlanSpreadsDocumentsAndGranteesAndKnowsWhatToExpect(t *testing.T) {
	p := NewPlan(Size{Docs: 1200, Clients: 400, Grantees: 500, Bad: 0.01}, rand.New(rand.NewPCG(1, 2)))
	refs := map[string]int{}
	for _, d := range p.Docs {
		refs[d.Ref]++
		if d.Bad == "" && !bytes.HasPrefix(d.Body, []byte("%PDF-")) {
			t.Fatal("a good document is not a PDF")
		}
		if !strings.HasPrefix(d.Key, "inbound/billing-"+p.Run+"/"+d.Ref+"/") {
			t.Fatalf("key %s", d.Key)
		}
	}
	if len(refs) != 400 || refs[p.Docs[0].Ref] != 3 {
		t.Fatalf("%d clients, %d documents for the first", len(refs), refs[p.Docs[0].Ref])
	}
	if ok, _ := regexp.MatchString(`^[0-9]{6,10}$`, p.Docs[0].Ref); !ok {
		t.Fatalf("client reference %s is not in the council's format", p.Docs[0].Ref)
	}
	// A client's documents are dropped together.
	for i := 1; i < len(p.Docs); i++ {
		if p.Docs[i].Ref != p.Docs[i-1].Ref && refs[p.Docs[i-1].Ref] != 3 {
			t.Fatalf("client %s's documents are not together", p.Docs[i-1].Ref)
		}
	}
	// Every 100th document is spoilt: one of three for 12 clients, who still have good ones.
	e := p.Expected()
	if e.Rejected != 12 || e.Published != 1188 || e.Notified != 500 {
		t.Fatalf("expected %+v", e)
	}
}

func TestProgressWritesPlainLinesWhenNotATerminal(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, "publishing", 200)
	for i := 1; i <= 200; i++ {
		p.set(i)
	}
	p.finish()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 11 || !strings.HasPrefix(lines[0], "publishing: 0/200 (0%)") || !strings.HasPrefix(lines[10], "publishing: 200/200 (100%)") {
		t.Fatalf("%q", lines)
	}
	if strings.Contains(out.String(), "\r") {
		t.Fatal("a bar was drawn into a file")
	}
}

// BenchmarkBillingRun sends a billing run as one batch with a manifest, as a billing system's export
// does, through a local stack of its own (real function binaries, DynamoDB Local, the S3 front, the
// SES mailbox, rclone's SFTP server), once over each way in: S3 (the sender's PutObjects) and SFTP
// (OpenSSH's sftp with the sample key). The fault proxies count every request our functions make,
// and the sender's own uploads go round them. The size comes from CFP_BILLING_DOCS (default 1,200
// documents, so `make bench` stays short; `make bench-billing` sets 12,000, or N), with a third as
// many clients and 1.25 grantees per client (12,000 / 4,000 / 5,000 at full size); CFP_BILLING_VIA
// (s3,sftp) picks the ways in. The grants are seeded straight into the table (benchmark only). For
// each way in it reports wall time, documents per second, DynamoDB and S3 requests per document,
// emails sent (which must equal the distinct grantees with new documents) and the estimated cost
// of our functions' requests, with the sender's uploads, SES and Lambda beside it (prices.go), the
// DynamoDB units by operation.
//
// The stack runs its scheduled functions (notify, publish-document's close, expire, ...) every
// second, so that notices go out and batches close within the run; their Queries count among the
// run's requests though most of them would be made with nothing sent. The bench keeps the one
// second schedule (a longer one would add its wait to the time to the report and to the emails,
// which is what docs/s measures) and measures instead, for 10 s before each run with nothing sent,
// the requests a second of the idle stack: the report shows them on their own line ("scheduled
// runs while idle") and the requests per document both with them and without them (the rate
// times the time the run's requests were counted, taken off). In AWS the same functions run every
// one to five minutes, a few runs over a whole billing run, so the figure without them is the one
// the budget of 5 is about; the figure with them is an upper bound.
func BenchmarkBillingRun(b *testing.B) {
	docs := 1200
	if v := os.Getenv("CFP_BILLING_DOCS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 3 {
			b.Fatalf("CFP_BILLING_DOCS=%q is not a number of documents (at least 3)", v)
		}
		docs = n
	}
	via := []string{"s3", "sftp"}
	if v := os.Getenv("CFP_BILLING_VIA"); v != "" {
		via = strings.Split(v, ",")
	}
	sz := Size{Docs: docs, Clients: max(docs/3, 1), Grantees: docs / 3 * 5 / 4, Bad: 0.002}
	root, err := services.Root()
	if err != nil {
		b.Fatal(err)
	}
	logPath := filepath.Join(root, ".local", "logs", "bench-billing.log")
	_ = os.MkdirAll(filepath.Dir(logPath), 0o755)
	logFile, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	defer logFile.Close()
	ctx := context.Background()
	st, err := stack.Start(ctx, stack.Config{Root: root, Log: logFile, Schedule: time.Second, Faults: true, Settings: map[wiring.Setting]string{
		// A short quiet period, a send rate of a production SES account after its limit increase,
		// and a batch window no run here outlasts.
		wiring.NoticeQuiet: "10s", wiring.NoticeMaxDelay: "10m", wiring.MailRate: "200", wiring.BatchWindow: "1h",
	}})
	if err != nil {
		b.Fatalf("starting the local stack: %v (log: %s)", err, logPath)
	}
	defer st.Close()
	var m meter
	st.Faults.DynamoDB.Inspect(m.observe)
	tg := Target{
		S3: stack.S3Client(st.S3URL), Store: store.New(dynamo.Client(st.DynamoURL), st.Settings[wiring.TableName]),
		Mailbox: services.Mailbox{URL: st.MailboxURL}, Bucket: st.Settings[wiring.DocumentsBucket],
		Out: os.Stderr, Wait: 20 * time.Minute, Workers: 16,
	}
	for i := 0; i < b.N; i++ {
		for k, way := range via {
			b.StopTimer()
			var send Sender
			switch way {
			case "s3":
				send = S3Sender{tg}
			case "sftp":
				if send, err = NewSFTPSender(st.SFTP.Addr, filepath.Dir(st.SFTP.HostKey)); err != nil {
					b.Fatal(err)
				}
			default:
				b.Fatalf("CFP_BILLING_VIA: %q is not s3 or sftp", way)
			}
			plan := NewPlan(sz, rand.New(rand.NewPCG(uint64(i), uint64(7+k))))
			if err := tg.SeedBenchmarkGrants(ctx, plan); err != nil {
				b.Fatal(err)
			}
			idle := Idle{PerSecond: idleRequests(st, idleFor)}
			st.Faults.DynamoDB.Reset()
			st.Faults.S3.Reset()
			m.reset()
			counting := time.Now()
			load0 := loadAverage()
			b.StartTimer()
			r, err := tg.RunBatch(ctx, plan, send)
			b.StopTimer()
			if err != nil {
				b.Fatalf("%v (log: %s)", err, logPath)
			}
			ddb, s3ops := st.Faults.DynamoDB.Counts(), st.Faults.S3.Counts()
			idle.Counted = time.Since(counting)
			units := m.units()
			cost := estimate(units, s3ops, r.Uploaded, r.Emails)
			// Written out directly: a benchmark's log keeps only its first lines.
			fmt.Fprintf(os.Stderr, "\nbilling run over %s of %d documents, %d clients, %d grantees (load average before %s, after %s, %d CPUs):\n",
				way, sz.Docs, sz.Clients, sz.Grantees, load0, loadAverage(), runtime.NumCPU())
			report(os.Stderr, r, ddb, s3ops, units, idle, cost)
			if r.Published != r.Expected.Published || r.InTable != r.Expected.Published || r.Rejected != r.Expected.Rejected ||
				r.Notified != r.Expected.Notified || r.Emails != r.Notified {
				b.Fatalf("the run over %s did not come out as expected: %+v", way, r)
			}
			elapsed := r.Uploading + r.Processing
			b.ReportMetric(float64(r.Uploaded)/elapsed.Seconds(), way+"-docs/s")
			b.ReportMetric(float64(sum(ddb))/float64(r.Uploaded), way+"-ddb-req/doc")
			b.ReportMetric((float64(sum(ddb)+sum(s3ops))-idle.Requests())/float64(r.Uploaded), way+"-req/doc-less-idle")
			b.ReportMetric(float64(sum(s3ops))/float64(r.Uploaded), way+"-s3-req/doc")
			b.ReportMetric(float64(r.Emails), way+"-emails")
			b.ReportMetric(cost.Requests(), way+"-usd")
		}
		b.StartTimer()
	}
}

// idleFor is how long the bench watches the stack with nothing sent before each run: ten rounds
// of the scheduled functions.
const idleFor = 10 * time.Second

// idleRequests counts the requests our functions make in d with nothing sent (the scheduled ones
// only), a second.
func idleRequests(st *stack.Stack, d time.Duration) float64 {
	st.Faults.DynamoDB.Reset()
	st.Faults.S3.Reset()
	start := time.Now()
	time.Sleep(d)
	n := sum(st.Faults.DynamoDB.Counts()) + sum(st.Faults.S3.Counts())
	return float64(n) / time.Since(start).Seconds()
}

// loadAverage is the machine's one-minute load average, as /proc/loadavg says ("?" elsewhere).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// The sample export is what the portal reads: one file per document and a manifest whose rows the
// manifest rules accept for every good document and refuse, at reading already, for each document
// spoiled in its fields (a CSV instead of a PDF is refused later, by its bytes).
func TestExportWritesAManifestTheBatchRulesRead(t *testing.T) {
	p := NewPlan(Size{Docs: 40, Clients: 10, Grantees: 12, Bad: 0.1}, rand.New(rand.NewPCG(1, 2)))
	dir := t.TempDir()
	files, err := p.Export(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(p.Docs)+1 || files[len(files)-1] != batch.Manifest {
		t.Fatalf("files %v", files)
	}
	data, err := os.ReadFile(filepath.Join(dir, batch.Manifest))
	if err != nil {
		t.Fatal(err)
	}
	parsed := batch.Parse(data, regexp.MustCompile(`^(?:`+setting.DefaultClientRefFormat+`)$`))
	if parsed.Refused != "" || len(parsed.Rows) != len(p.Docs) {
		t.Fatalf("manifest %q: %d rows", parsed.Refused, len(parsed.Rows))
	}
	for i, row := range parsed.Rows {
		d := p.Docs[i]
		body, err := os.ReadFile(filepath.Join(dir, row.File))
		if err != nil || !bytes.Equal(body, d.Body) {
			t.Errorf("row %d: file %s: %v", row.Line, row.File, err)
		}
		fieldFault := d.Bad != "" && !strings.HasPrefix(d.Bad, "not a PDF")
		if (row.Refused != "") != fieldFault {
			t.Errorf("row %d (%s): refused %q", row.Line, d.Bad, row.Refused)
		}
	}
}

// fakeSFTP puts a stand-in for OpenSSH's sftp first on PATH, for the sender's tests: each session
// keeps its batch commands in dir/session-<pid>. A session that puts documents waits (up to 10 s)
// until `want` such sessions have started, so it fails unless they run at the same time; one that
// puts the manifest fails unless every document session has finished; one whose commands name
// failing.pdf fails.
func fakeSFTP(t *testing.T, want int) (dir string) {
	t.Helper()
	dir = t.TempDir()
	script := `#!/bin/sh
d=` + dir + `
cat > "$d/session-$$"
if grep -q failing.pdf "$d/session-$$"; then echo "failing.pdf: permission denied" >&2; exit 1; fi
if grep -q '^put .*\.pdf$' "$d/session-$$"; then
	touch "$d/started-$$"
	i=0
	while [ "$(ls "$d" | grep -c '^started-')" -lt ` + strconv.Itoa(want) + ` ]; do
		i=$((i+1)); [ $i -gt 200 ] && { echo "sessions not at once" >&2; exit 1; }
		sleep 0.05
	done
	touch "$d/done-$$"
fi
if grep -q '^put manifest.csv$' "$d/session-$$"; then
	[ "$(ls "$d" | grep -c '^done-')" -eq ` + strconv.Itoa(want) + ` ] || { echo "manifest before the files" >&2; exit 1; }
fi
exit 0
`
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "sftp"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir
}

// sessions reads what each of the fake's sessions was told, in no particular order.
func sessions(t *testing.T, dir string) []string {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "session-*"))
	var out []string
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

func TestSFTPSenderPutsFilesOverSessionsAtOnceAndTheManifestLast(t *testing.T) {
	dir := fakeSFTP(t, 3)
	var files []string
	for i := range 10 {
		files = append(files, fmt.Sprintf("doc-%02d.pdf", i))
	}
	files = append(files, batch.Manifest)
	s := SFTPSender{Addr: "127.0.0.1:2022", Key: "key", KnownHosts: "known", Sessions: 3}
	if err := s.Send(context.Background(), batch.ID{System: System, Name: "run-1"}, t.TempDir(), files); err != nil {
		t.Fatal(err)
	}
	put := map[string]int{}
	var mkdirs, manifests, fileSessions int
	for _, cmds := range sessions(t, dir) {
		switch {
		case cmds == "mkdir run-1\n":
			mkdirs++
		case cmds == "cd run-1\nput manifest.csv\n":
			manifests++
		case strings.HasPrefix(cmds, "cd run-1\nput doc-"):
			fileSessions++
			for _, line := range strings.Split(strings.TrimSpace(cmds), "\n")[1:] {
				put[strings.TrimPrefix(line, "put ")]++
			}
		default:
			t.Errorf("a session was told %q", cmds)
		}
	}
	if mkdirs != 1 || manifests != 1 || fileSessions != 3 {
		t.Fatalf("%d mkdir sessions, %d manifest sessions, %d file sessions", mkdirs, manifests, fileSessions)
	}
	for _, f := range files[:10] {
		if put[f] != 1 {
			t.Errorf("%s put %d times", f, put[f])
		}
	}
}

func TestSFTPSenderSendsNoManifestWhenAFileFails(t *testing.T) {
	dir := fakeSFTP(t, 2)
	files := []string{"a.pdf", "failing.pdf", "c.pdf", "d.pdf", batch.Manifest}
	s := SFTPSender{Addr: "127.0.0.1:2022", Key: "key", KnownHosts: "known", Sessions: 2}
	err := s.Send(context.Background(), batch.ID{System: System, Name: "run-2"}, t.TempDir(), files)
	if err == nil || !strings.Contains(err.Error(), "failing.pdf: permission denied") || !strings.Contains(err.Error(), "manifest.csv not sent") {
		t.Fatalf("error %v", err)
	}
	for _, cmds := range sessions(t, dir) {
		if strings.Contains(cmds, batch.Manifest) {
			t.Fatal("the manifest was sent after a file failed")
		}
	}
}

// The indexes' writes are estimated beside the request units, at least: a put of an item in both
// indexes writes to each, an update naming an index's key writes to that index, and an update that
// names none is not seen.
func TestIndexWritesAreEstimatedBeside(t *testing.T) {
	var m meter
	doc := `{"Item":{"PK":{"S":"DOC#d1"},"GSI1PK":{"S":"CLIENT#1"},"GSI2PK":{"S":"CLIENT#1#TYPE#x"}}}`
	m.observe(faults.Exchange{Operation: "TransactWriteItems", Status: 200, Request: []byte(`{"TransactItems":[{"Put":` + doc + `},{"Update":{"UpdateExpression":"ADD Done :one"}}]}`)})
	m.observe(faults.Exchange{Operation: "UpdateItem", Status: 200, Request: []byte(`{"UpdateExpression":"SET GSI1SK = :due"}`)})
	units := m.units()
	if units["TransactWriteItems"] != (Units{Write: 4, Index: 2}) || units["UpdateItem"] != (Units{Write: 1, Index: 1}) {
		t.Fatalf("units %+v", units)
	}
	var out bytes.Buffer
	report(&out, Result{Uploaded: 1, Uploading: time.Second}, map[string]int{}, map[string]int{}, units, Idle{}, estimate(units, nil, 1, 0))
	if !regexp.MustCompile(`index writes, at least +3 write +USD 0\.0000`).MatchString(out.String()) {
		t.Fatalf("no index line in\n%s", out.String())
	}
}

// The report says which operations the DynamoDB units go to, the costliest first, and the
// requests of the idle stack's scheduled runs on their own line and taken off the per-document
// figure.
func TestReportShowsUnitsByOperationAndTheIdleRequests(t *testing.T) {
	var m meter
	item := strings.Repeat("x", 1500) // 2 write units (1 KB each, rounded up)
	for range 3 {
		m.observe(faults.Exchange{Operation: "UpdateItem", Request: []byte(`{"Key":"` + item + `"}`), Status: 200})
	}
	m.observe(faults.Exchange{Operation: "TransactWriteItems", Status: 200,
		Request: []byte(`{"TransactItems":[{"Put":"` + item + `"},{"Update":"` + item + `"}]}`)}) // 2 × 2 × 2
	m.observe(faults.Exchange{Operation: "Query", Request: []byte(`{}`), Response: []byte(`{"Items":[]}`), Status: 200})
	m.observe(faults.Exchange{Operation: "GetItem", Request: []byte(`{}`), Status: 400, Response: []byte(`{"__type":"ResourceNotFoundException"}`)}) // failed: nothing
	m.observe(faults.Exchange{Operation: "PutItem", Request: []byte(`{}`), Status: 400,                                                              // its condition false: still charged
		Response: []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"}`)})
	units := m.units()
	if units["UpdateItem"] != (Units{Write: 6}) || units["TransactWriteItems"] != (Units{Write: 8}) || units["Query"] != (Units{Read: 0.5}) ||
		units["PutItem"] != (Units{Write: 1}) {
		t.Fatalf("units %+v", units)
	}
	if _, ok := units["GetItem"]; ok {
		t.Fatal("a failed request was counted")
	}
	r := Result{Uploaded: 100, Uploading: 5 * time.Second, Processing: 5 * time.Second}
	ddb := map[string]int{"UpdateItem": 300, "TransactWriteItems": 100, "Query": 120}
	s3ops := map[string]int{"GetObject": 100}
	var out bytes.Buffer
	report(&out, r, ddb, s3ops, units, Idle{PerSecond: 6, Counted: 20 * time.Second}, estimate(units, s3ops, 100, 0))
	text := out.String()
	for _, want := range []string{
		"AWS requests per document 6.20",
		"scheduled runs while idle 6.0 requests a second",
		"120 of the requests above in the 20s counted",
		"AWS requests per document without them 5.00",
		"DynamoDB request units 15 write, 0 read",
	} {
		// Columns are as wide as their widest cell: any run of spaces will do.
		if !regexp.MustCompile(strings.Join(strings.Fields(regexp.QuoteMeta(want)), ` +`)).MatchString(text) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	tx, upd := strings.Index(text, "  TransactWriteItems"), strings.Index(text, "  UpdateItem")
	if tx < 0 || upd < 0 || tx > upd || !regexp.MustCompile(`  TransactWriteItems +8 write, 0 read +USD 0\.0000 \(53% of DynamoDB\)`).MatchString(text) {
		t.Errorf("units by operation, costliest first, not in\n%s", text)
	}
}
