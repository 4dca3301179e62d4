package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/council/cfp/infra/local/faults"
	"github.com/council/cfp/shared/batch"
	"github.com/council/cfp/shared/store"
)

// Prices are AWS list prices in US dollars, for estimating what a billing run's requests cost.
//
// Source: the public pricing pages named beside each figure, US East (N. Virginia) column, as
// published in 2025 (DynamoDB on-demand after its November 2024 price cut). Copied into the
// repository in November 2026 without network access to check them again from this machine, so
// treat the result as an order of magnitude and check the pages before quoting a figure. Europe
// (London), where the portal runs, lists the same services a few per cent higher.
var Prices = struct {
	Source, Date string

	DynamoWriteUnit, DynamoReadUnit float64 // per on-demand write / read request unit
	S3Put, S3Get                    float64 // per PUT, COPY, POST, LIST request / per GET, HEAD and other request (DELETE is free)
	SESEmail                        float64 // per outbound email
	LambdaRequest                   float64 // per invocation (compute time is not counted here)
}{
	Source: "https://aws.amazon.com/dynamodb/pricing/on-demand/, https://aws.amazon.com/s3/pricing/, " +
		"https://aws.amazon.com/ses/pricing/, https://aws.amazon.com/lambda/pricing/ (US East, N. Virginia)",
	Date:            "2025 list prices, copied 2026-11",
	DynamoWriteUnit: 0.625 / 1e6,
	DynamoReadUnit:  0.125 / 1e6,
	S3Put:           0.005 / 1e3,
	S3Get:           0.0004 / 1e3,
	SESEmail:        0.10 / 1e3,
	LambdaRequest:   0.20 / 1e6,
}

// meter estimates DynamoDB request units from the requests the functions make (seen through the
// fault proxy's Inspect): 1 write unit per KB of an item written (2 in a transaction), 1 read unit
// per 4 KB read strongly (half that for eventually consistent reads). Item sizes are taken from
// the request and answer sizes, which slightly overstates them. It keeps the units by operation,
// so that a report shows which kind of request the cost goes to.
type meter struct {
	mu   sync.Mutex
	byOp map[string]Units
}

// Units are DynamoDB request units, estimated. Index is the write units the table's indexes add,
// at least: not in Write, nor in the budget's figure (see indexUnits).
type Units struct{ Write, Read, Index float64 }

// Cost is what the units cost at Prices.
func (u Units) Cost() float64 { return u.Write*Prices.DynamoWriteUnit + u.Read*Prices.DynamoReadUnit }

func (m *meter) observe(x faults.Exchange) {
	// A failed request consumes nothing, but for a write whose condition is false: DynamoDB still
	// charges its write units (the publish path's "already there" answers are such writes).
	conditionFailed := x.Status == 400 && bytes.Contains(x.Response, []byte("ConditionalCheckFailedException"))
	if x.Status != 200 && !conditionFailed {
		return
	}
	var req struct {
		ConsistentRead bool
		TransactItems  []json.RawMessage
		RequestItems   map[string]json.RawMessage
	}
	_ = json.Unmarshal(x.Request, &req)
	read := func(bytes int) float64 {
		u := math.Ceil(float64(max(bytes, 1)) / 4096)
		if !req.ConsistentRead {
			u /= 2
		}
		return u
	}
	var u Units
	switch x.Operation {
	case "PutItem", "UpdateItem", "DeleteItem":
		u.Write += math.Ceil(float64(len(x.Request)) / 1024)
		u.Index += indexUnits(x.Request)
	case "TransactWriteItems":
		for _, it := range req.TransactItems {
			u.Write += 2 * math.Ceil(float64(len(it))/1024)
			var w struct{ Put, Update json.RawMessage }
			_ = json.Unmarshal(it, &w)
			u.Index += indexUnits(w.Put) + indexUnits(w.Update)
		}
	case "BatchWriteItem":
		for _, table := range req.RequestItems {
			var writes []json.RawMessage
			_ = json.Unmarshal(table, &writes)
			for _, w := range writes {
				u.Write += math.Ceil(float64(len(w)) / 1024)
			}
		}
	case "GetItem", "Query":
		u.Read += read(len(x.Response))
	case "BatchGetItem":
		// Each item is read on its own (rounded up to 4 KB each): count the items answered.
		var res struct{ Responses map[string][]json.RawMessage }
		_ = json.Unmarshal(x.Response, &res)
		for _, items := range res.Responses {
			for _, it := range items {
				u.Read += read(len(it))
			}
		}
	}
	if u == (Units{}) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byOp == nil {
		m.byOp = map[string]Units{}
	}
	t := m.byOp[x.Operation]
	m.byOp[x.Operation] = Units{t.Write + u.Write, t.Read + u.Read, t.Index + u.Index}
}

// indexUnits estimates, as a lower bound, the write units a put or update adds to the table's
// indexes (DynamoDB charges an index's write like the table's; ours project every attribute): a
// put of an item carrying an index's partition key, 1 unit per KB for that index; an update whose
// expression names an index's key, 1 unit for that index. An update of an item already in an
// index that does not name its keys, a delete, and the delete-then-put of a changed index key are
// not seen from the request, so the real figure is higher.
func indexUnits(req json.RawMessage) float64 {
	if len(req) == 0 {
		return 0
	}
	var w struct {
		Item             map[string]json.RawMessage
		UpdateExpression string
	}
	if json.Unmarshal(req, &w) != nil {
		return 0
	}
	units := 0.0
	for _, ix := range store.Schema.Indexes {
		switch {
		case w.Item[ix.PartitionKey] != nil:
			units += math.Ceil(float64(len(req)) / 1024)
		case strings.Contains(w.UpdateExpression, ix.PartitionKey) || strings.Contains(w.UpdateExpression, ix.SortKey):
			units++
		}
	}
	return units
}

func (m *meter) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byOp = nil
}

// units are the units counted since the last reset, by operation.
func (m *meter) units() map[string]Units {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]Units, len(m.byOp))
	for op, u := range m.byOp {
		out[op] = u
	}
	return out
}

// total adds up units by operation.
func total(byOp map[string]Units) Units {
	var t Units
	for _, u := range byOp {
		t.Write += u.Write
		t.Read += u.Read
		t.Index += u.Index
	}
	return t
}

// Cost is a run's estimated AWS cost: what our functions' requests cost (DynamoDB, S3: the figure
// the budget is about), and beside it what the run costs that is not our functions' requests (the
// sender's own uploads, SES, Lambda invocations).
type Cost struct {
	Dynamo, S3          float64 // our functions' requests
	Sender, SES, Lambda float64 // beside
}

// Requests is the cost of our functions' requests.
func (c Cost) Requests() float64 { return c.Dynamo + c.S3 }

// estimate prices a run: the functions' DynamoDB units and S3 requests as counted; beside them the
// sender's uploads (one PutObject a file and the manifest), one email per notified person and one
// invocation per S3 event (a file or the manifest).
func estimate(units map[string]Units, s3ops map[string]int, files, emails int) Cost {
	put, get := 0, 0
	for op, n := range s3ops {
		switch op {
		case "PutObject", "CopyObject", "PostObject", "ListObjects", "ListObjectsV2", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "PutObjectTagging":
			put += n
		case "DeleteObject", "DeleteObjects":
		default:
			get += n
		}
	}
	return Cost{
		Dynamo: total(units).Cost(),
		S3:     float64(put)*Prices.S3Put + float64(get)*Prices.S3Get,
		Sender: float64(files+1) * Prices.S3Put,
		SES:    float64(emails) * Prices.SESEmail,
		Lambda: float64(files+1) * Prices.LambdaRequest,
	}
}

// Idle is what the stack's scheduled functions ask of AWS while nothing is sent: the bench runs
// them every second, so during a run their Queries count among the run's requests, though in AWS
// they run every one to five minutes and a run's share of them is a few requests.
type Idle struct {
	PerSecond float64       // DynamoDB and S3 requests a second, measured before the run with nothing sent
	Counted   time.Duration // how long the run's requests were counted for
}

// Requests is the idle share of a count taken over Counted.
func (i Idle) Requests() float64 { return i.PerSecond * i.Counted.Seconds() }

// report writes a run's figures as a table. ddb == nil: no request counts (a sample run).
func report(w io.Writer, r Result, ddb, s3ops map[string]int, units map[string]Units, idle Idle, c Cost) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	perDoc := func(n float64) string { return fmt.Sprintf("%.2f", n/float64(max(r.Uploaded, 1))) }
	fmt.Fprintf(tw, "documents sent\t%d\t(and %s)\n", r.Uploaded, batch.Manifest)
	fmt.Fprintf(tw, "published\t%d\t(expected %d; found current in the table under their id: %d)\n", r.Published, r.Expected.Published, r.InTable)
	fmt.Fprintf(tw, "refused\t%d\t(expected %d)\n", r.Rejected, r.Expected.Rejected)
	fmt.Fprintf(tw, "grantees notified\t%d\t(expected %d; emails sent to them: %d)\n", r.Notified, r.Expected.Notified, r.Emails)
	elapsed := r.Uploading + r.Processing
	fmt.Fprintf(tw, "wall time\t%s\t(sending %s, the report %s after the last file, emails %s after that)\n",
		(elapsed + r.Mailing).Round(100e6), r.Uploading.Round(100e6), r.Processing.Round(100e6), r.Mailing.Round(100e6))
	fmt.Fprintf(tw, "documents per second\t%.1f\t(from the first file sent to the report)\n", float64(r.Uploaded)/elapsed.Seconds())
	if ddb != nil {
		all := float64(sum(ddb) + sum(s3ops))
		fmt.Fprintf(tw, "AWS requests per document\t%s\t(our functions: publish-document and notify; budget 5)\n", perDoc(all))
		fmt.Fprintf(tw, "  DynamoDB\t%s\t%s\n", perDoc(float64(sum(ddb))), ops(ddb))
		fmt.Fprintf(tw, "  S3\t%s\t%s\n", perDoc(float64(sum(s3ops))), ops(s3ops))
		fmt.Fprintf(tw, "scheduled runs while idle\t%.1f requests a second\t(every scheduled function runs each second here; %.0f of the requests above in the %s counted)\n",
			idle.PerSecond, idle.Requests(), idle.Counted.Round(time.Second))
		fmt.Fprintf(tw, "AWS requests per document without them\t%s\t(the run's own requests)\n", perDoc(max(all-idle.Requests(), 0)))
		t := total(units)
		fmt.Fprintf(tw, "DynamoDB request units\t%.0f write, %.0f read\t(estimated)\n", t.Write, t.Read)
		for _, op := range byCost(units) {
			u := units[op]
			fmt.Fprintf(tw, "  %s\t%.0f write, %.0f read\tUSD %.4f (%.0f%% of DynamoDB)\n", op, u.Write, u.Read, u.Cost(), 100*u.Cost()/max(t.Cost(), 1e-12))
		}
		fmt.Fprintf(tw, "cost of those requests\tUSD %.4f\t(DynamoDB %.4f, S3 %.4f; budget USD 0.06)\n", c.Requests(), c.Dynamo, c.S3)
		fmt.Fprintf(tw, "beside: index writes, at least\t%.0f write\tUSD %.4f (the table's two indexes; not in the figure above, which counts the requests' item writes)\n",
			t.Index, t.Index*Prices.DynamoWriteUnit)
		fmt.Fprintf(tw, "beside, not counted\tUSD %.4f\t(the sender's uploads %.4f, SES %.4f, Lambda invocations %.4f)\n", c.Sender+c.SES+c.Lambda, c.Sender, c.SES, c.Lambda)
		fmt.Fprintf(tw, "prices\t%s\t%s\n", Prices.Date, Prices.Source)
	}
	_ = tw.Flush()
}

// byCost names the operations, the costliest first.
func byCost(units map[string]Units) []string {
	var names []string
	for op := range units {
		names = append(names, op)
	}
	sort.Slice(names, func(i, j int) bool {
		ci, cj := units[names[i]].Cost(), units[names[j]].Cost()
		return ci > cj || ci == cj && names[i] < names[j]
	})
	return names
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func ops(m map[string]int) string {
	var parts []string
	for op, n := range m {
		parts = append(parts, fmt.Sprintf("%s %d", op, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
