package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/council/cfp/infra/local/dynamo"
	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/infra/local/stack"
	"github.com/council/cfp/shared/store"
)

func main() {
	addr := func(env, def string) string {
		if v := os.Getenv(env); v != "" {
			return "http://" + v
		}
		return "http://" + def
	}
	var (
		sz      Size
		s3URL   = flag.String("s3-url", addr("CFP_S3_ADDR", "127.0.0.1:9000"), "S3 endpoint of the running local stack")
		ddbURL  = flag.String("dynamodb", addr("CFP_DYNAMODB_ADDR", "127.0.0.1:8000"), "DynamoDB endpoint")
		mailURL = flag.String("mailbox", addr("CFP_MAILBOX_ADDR", "127.0.0.1:8005"), "SES mailbox endpoint")
		table   = flag.String("table", "cfp", "table name")
		bucket  = flag.String("bucket", "cfp-documents", "documents bucket")
		wait    = flag.Duration("wait", 15*time.Minute, "the most to wait for publication, and then for the emails")
		workers = flag.Int("workers", 16, "parallel uploads and reads")
		viaS3   = flag.Bool("s3", false, "send the batch straight to S3 rather than over SFTP")
		sftpTo  = flag.String("sftp", strings.TrimPrefix(addr("CFP_SFTP_ADDR", "127.0.0.1:2022"), "http://"), "SFTP server of the running local stack")
		keyDir  = flag.String("keys", defaultKeyDir(), "the local stack's SFTP keys (its data directory's sftp/)")
		conns   = flag.Int("sessions", DefaultSFTPSessions, "sftp sessions putting files at once")
	)
	flag.IntVar(&sz.Docs, "n", 12000, "documents to drop")
	flag.IntVar(&sz.Clients, "clients", 4000, "sample clients")
	flag.IntVar(&sz.Grantees, "grantees", 5000, "people with access (each to one client; clients take them in turn)")
	flag.Float64Var(&sz.Bad, "bad", 0.002, "share of documents dropped with a fault, to be rejected")
	flag.Parse()
	if sz.Docs < 1 || sz.Clients < 1 || sz.Grantees < 0 || sz.Bad < 0 || sz.Bad > 1 {
		fail(fmt.Errorf("-n and -clients must be at least 1, -grantees at least 0, -bad between 0 and 1"))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	tg := Target{
		S3:      stack.S3Client(*s3URL),
		Store:   store.New(dynamo.Client(*ddbURL), *table),
		Mailbox: services.Mailbox{URL: *mailURL},
		Bucket:  *bucket, Out: os.Stdout, Wait: *wait, Workers: *workers,
	}
	plan := NewPlan(sz, rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1)))
	fmt.Printf("Billing run %s: %d documents for %d clients, %d people with access\n", plan.Run, sz.Docs, sz.Clients, sz.Grantees)
	err := tg.SeedBenchmarkGrants(ctx, plan)
	if err != nil {
		fail(fmt.Errorf("granting access (is the local stack running? make run): %w", err))
	}
	var send Sender = S3Sender{tg}
	if !*viaS3 {
		s, err := NewSFTPSender(*sftpTo, *keyDir)
		if err != nil {
			fail(err)
		}
		s.Sessions = *conns
		send = s
	}
	r, err := tg.RunBatch(ctx, plan, send)
	report(os.Stdout, r, nil, nil, nil, Idle{}, Cost{})
	if err != nil {
		fail(err)
	}
	if r.Published != r.Expected.Published || r.Rejected != r.Expected.Rejected || r.Notified != r.Expected.Notified {
		fail(fmt.Errorf("the run did not come out as expected"))
	}
	if r.Emails > r.Notified {
		// A batch holds its grantees' notices until it is reported: one email each.
		fail(fmt.Errorf("%d people got more than one email for one batch", r.Emails-r.Notified))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "billing:", err)
	os.Exit(1)
}
