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
	case "GetItem", "Query":
		m.readUnits += read(len(x.Response))
	}
}

func (m *meter) units() (write, read float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writeUnits, m.readUnits
}

// Cost is a run's estimated AWS request cost.
type Cost struct {
	Dynamo, S3, SES, Lambda float64
}

func (c Cost) Total() float64 { return c.Dynamo + c.S3 + c.SES + c.Lambda }

// estimate prices a run: the functions' DynamoDB units and S3 requests as counted, plus the back
// office's own PutObject of each document, one email per notified person, one invocation per
// document.
func estimate(writeUnits, readUnits float64, s3ops map[string]int, docs, emails int) Cost {
	put, get := docs, 0 // the back office's uploads
	for op, n := range s3ops {
		switch op {
		case "PutObject", "CopyObject", "PostObject", "ListObjects", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "PutObjectTagging":
			put += n
		case "DeleteObject", "DeleteObjects":
		default:
			get += n
		}
	}
	return Cost{
		Dynamo: writeUnits*Prices.DynamoWriteUnit + readUnits*Prices.DynamoReadUnit,
		S3:     float64(put)*Prices.S3Put + float64(get)*Prices.S3Get,
		SES:    float64(emails) * Prices.SESEmail,
		Lambda: float64(docs) * Prices.LambdaRequest,
	}
}

// report writes a run's figures as a table.
func report(w io.Writer, r Result, ddb, s3ops map[string]int, writeUnits, readUnits float64, c Cost) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	perDoc := func(n int) string { return fmt.Sprintf("%.2f", float64(n)/float64(max(r.Uploaded, 1))) }
	fmt.Fprintf(tw, "documents dropped\t%d\n", r.Uploaded)
	fmt.Fprintf(tw, "published\t%d\t(expected %d)\n", r.Published, r.Expected.Published)
	fmt.Fprintf(tw, "rejected\t%d\t(expected %d)\n", r.Rejected, r.Expected.Rejected)
	fmt.Fprintf(tw, "grantees notified\t%d\t(expected %d; emails sent to them: %d)\n", r.Notified, r.Expected.Notified, r.Emails)
	total := r.Uploading + r.Processing
	fmt.Fprintf(tw, "wall time\t%s\t(dropping %s, publishing done %s after the last drop, emails %s after that)\n",
		(total + r.Mailing).Round(100e6), r.Uploading.Round(100e6), r.Processing.Round(100e6), r.Mailing.Round(100e6))
	fmt.Fprintf(tw, "documents per second\t%.1f\t(dropped to all handled)\n", float64(r.Uploaded)/total.Seconds())
	if ddb != nil {
		fmt.Fprintf(tw, "DynamoDB requests per document\t%s\t%s\n", perDoc(sum(ddb)), ops(ddb))
		fmt.Fprintf(tw, "S3 requests per document\t%s\t%s (functions only)\n", perDoc(sum(s3ops)), ops(s3ops))
		fmt.Fprintf(tw, "DynamoDB request units\t%.0f write, %.0f read\t(estimated)\n", writeUnits, readUnits)
		fmt.Fprintf(tw, "estimated AWS request cost\tUSD %.4f\t(DynamoDB %.4f, S3 %.4f, SES %.4f, Lambda requests %.4f)\n", c.Total(), c.Dynamo, c.S3, c.SES, c.Lambda)
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
