package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/council/cfp/infra/local/faults"
	"github.com/council/cfp/shared/batch"
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
// the request and answer sizes, which slightly overstates them.
type meter struct {
	mu                    sync.Mutex
	writeUnits, readUnits float64
}

func (m *meter) observe(x faults.Exchange) {
	if x.Status != 200 {
		return // a failed request consumes nothing
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
	m.mu.Lock()
	defer m.mu.Unlock()
	switch x.Operation {
	case "PutItem", "UpdateItem", "DeleteItem":
		m.writeUnits += math.Ceil(float64(len(x.Request)) / 1024)
	case "TransactWriteItems":
		for _, it := range req.TransactItems {
			m.writeUnits += 2 * math.Ceil(float64(len(it))/1024)
		}
	case "BatchWriteItem":
		for _, table := range req.RequestItems {
			var writes []json.RawMessage
			_ = json.Unmarshal(table, &writes)
			for _, w := range writes {
				m.writeUnits += math.Ceil(float64(len(w)) / 1024)
			}
		}
	case "GetItem", "Query":
		m.readUnits += read(len(x.Response))
	case "BatchGetItem":
		// Each item is read on its own (rounded up to 4 KB each): count the items answered.
		var res struct{ Responses map[string][]json.RawMessage }
		_ = json.Unmarshal(x.Response, &res)
		for _, items := range res.Responses {
			for _, it := range items {
				m.readUnits += read(len(it))
			}
		}
	}
}

func (m *meter) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.writeUnits, m.readUnits = 0, 0
}

func (m *meter) units() (write, read float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writeUnits, m.readUnits
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
func estimate(writeUnits, readUnits float64, s3ops map[string]int, files, emails int) Cost {
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
		Dynamo: writeUnits*Prices.DynamoWriteUnit + readUnits*Prices.DynamoReadUnit,
		S3:     float64(put)*Prices.S3Put + float64(get)*Prices.S3Get,
		Sender: float64(files+1) * Prices.S3Put,
		SES:    float64(emails) * Prices.SESEmail,
		Lambda: float64(files+1) * Prices.LambdaRequest,
	}
}

// report writes a run's figures as a table.
func report(w io.Writer, r Result, ddb, s3ops map[string]int, writeUnits, readUnits float64, c Cost) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	perDoc := func(n int) string { return fmt.Sprintf("%.2f", float64(n)/float64(max(r.Uploaded, 1))) }
	fmt.Fprintf(tw, "documents sent\t%d\t(and %s)\n", r.Uploaded, batch.Manifest)
	fmt.Fprintf(tw, "published\t%d\t(expected %d; found current in the table under their id: %d)\n", r.Published, r.Expected.Published, r.InTable)
	fmt.Fprintf(tw, "refused\t%d\t(expected %d)\n", r.Rejected, r.Expected.Rejected)
	fmt.Fprintf(tw, "grantees notified\t%d\t(expected %d; emails sent to them: %d)\n", r.Notified, r.Expected.Notified, r.Emails)
	total := r.Uploading + r.Processing
	fmt.Fprintf(tw, "wall time\t%s\t(sending %s, the report %s after the last file, emails %s after that)\n",
		(total + r.Mailing).Round(100e6), r.Uploading.Round(100e6), r.Processing.Round(100e6), r.Mailing.Round(100e6))
	fmt.Fprintf(tw, "documents per second\t%.1f\t(from the first file sent to the report)\n", float64(r.Uploaded)/total.Seconds())
	if ddb != nil {
		fmt.Fprintf(tw, "AWS requests per document\t%s\t(our functions: publish-document and notify; budget 5)\n", perDoc(sum(ddb)+sum(s3ops)))
		fmt.Fprintf(tw, "  DynamoDB\t%s\t%s\n", perDoc(sum(ddb)), ops(ddb))
		fmt.Fprintf(tw, "  S3\t%s\t%s\n", perDoc(sum(s3ops)), ops(s3ops))
		fmt.Fprintf(tw, "DynamoDB request units\t%.0f write, %.0f read\t(estimated)\n", writeUnits, readUnits)
		fmt.Fprintf(tw, "cost of those requests\tUSD %.4f\t(DynamoDB %.4f, S3 %.4f; budget USD 0.06)\n", c.Requests(), c.Dynamo, c.S3)
		fmt.Fprintf(tw, "beside, not counted\tUSD %.4f\t(the sender's uploads %.4f, SES %.4f, Lambda invocations %.4f)\n", c.Sender+c.SES+c.Lambda, c.Sender, c.SES, c.Lambda)
		fmt.Fprintf(tw, "prices\t%s\t%s\n", Prices.Date, Prices.Source)
	}
	_ = tw.Flush()
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
