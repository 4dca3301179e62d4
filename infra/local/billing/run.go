package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

// Target is a running local stack, reached directly (not through any fault proxy).
type Target struct {
	S3      *s3.Client
	Store   *store.Store
	Mailbox services.Mailbox
	Bucket  string
	Out     io.Writer
	Wait    time.Duration // the most to wait for each of publication and notification
	Workers int           // parallel writes and reads
	// Backlog bounds the documents dropped but not yet handled (0: no bound). The local stack serves
	// a backlog of events in no particular order, so with thousands waiting one client's documents
	// would be published minutes apart and, quiet periods being short locally, its grantees emailed
	// more than once. A back office whose drops keep pace with publication is the realistic case.
	Backlog int
}

// Result is what a run did.
type Result struct {
	Expected
	Uploaded, Published, Rejected  int
	Notified                       int // distinct grantees of the run who got a new-documents email
	Emails                         int // new-documents emails to the run's grantees (Notified when none is duplicated)
	Started                        time.Time
	Uploading, Processing, Mailing time.Duration // time to drop everything; then to handle every object; then to send every notice
}

// Seed writes the plan's grants straight into the table (the approval journey is not what is
// being measured).
func (tg Target) Seed(ctx context.Context, p Plan) error {
	bar := newProgress(tg.Out, "granting access", len(p.Grants))
	defer bar.finish()
	return tg.each(ctx, len(p.Grants), func(i int) error {
		_, err := storetest.SeedGrant(ctx, tg.Store, p.Grants[i])
		bar.add(1)
		return err
	})
}

// Run drops the plan's documents, waits until each is handled and every notice is sent, and
// counts what happened.
func (tg Target) Run(ctx context.Context, p Plan) (Result, error) {
	r := Result{Expected: p.Expected(), Started: time.Now()}
	bar := newProgress(tg.Out, "dropping documents", len(p.Docs))
	var uploaded atomic.Int64
	etags := make([]string, len(p.Docs))
	prefix := "inbound/billing-" + p.Run + "/"
	watching, stopWatching := context.WithCancel(ctx)
	waiting := tg.watchBacklog(watching, prefix)
	err := tg.each(ctx, len(p.Docs), func(i int) error {
		for tg.Backlog > 0 && waiting() >= tg.Backlog && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
		}
		d := p.Docs[i]
		out, err := tg.S3.PutObject(ctx, &s3.PutObjectInput{
			Bucket: &tg.Bucket, Key: &d.Key, Body: bytes.NewReader(d.Body), Metadata: d.Meta, ContentType: aws.String("application/pdf"),
		})
		if err != nil {
			return err
		}
		etags[i] = aws.ToString(out.ETag)
		uploaded.Add(1)
		bar.add(1)
		return nil
	})
	stopWatching()
	bar.finish()
	r.Uploaded = int(uploaded.Load())
	r.Uploading = time.Since(r.Started)
	if err != nil {
		return r, fmt.Errorf("dropping documents: %w", err)
	}

	bar = newProgress(tg.Out, "publishing", len(p.Docs))
	err = tg.poll(ctx, time.Second, func() (bool, error) {
		left, err := tg.count(ctx, prefix)
		bar.set(len(p.Docs) - left)
		return left == 0, err
	})
	bar.finish()
	r.Processing = time.Since(r.Started) - r.Uploading
	if err != nil {
		return r, fmt.Errorf("waiting for publication: %w", err)
	}
	if r.Published, err = tg.published(ctx, p, etags); err != nil {
		return r, err
	}
	if r.Rejected, err = tg.count(ctx, "rejected/billing-"+p.Run+"/"); err != nil {
		return r, err
	}

	err = tg.awaitNotices(ctx, p, &r)
	r.Mailing = time.Since(r.Started) - r.Uploading - r.Processing
	return r, err
}

// awaitNotices waits until no notice or email is pending, counting the run's grantees emailed.
func (tg Target) awaitNotices(ctx context.Context, p Plan, r *Result) error {
	bar := newProgress(tg.Out, "emailing grantees", r.Expected.Notified)
	quiet := 0
	err := tg.poll(ctx, 2*time.Second, func() (bool, error) {
		notices, queued, err := tg.Store.Backlog(ctx)
		if err != nil {
			return false, err
		}
		if r.Notified, r.Emails, err = tg.mailed(ctx, p); err != nil {
			return false, err
		}
		bar.set(r.Notified)
		if notices+queued == 0 {
			quiet++
		} else {
			quiet = 0
		}
		// Done once nothing is pending, seen twice (a notice may be between its read and its email).
		return quiet >= 2, nil
	})
	bar.finish()
	if err != nil {
		return fmt.Errorf("waiting for the emails: %w", err)
	}
	return nil
}

// watchBacklog counts the objects waiting under prefix every quarter second, while ctx lasts (and
// not at all without a bound), and returns the latest count.
func (tg Target) watchBacklog(ctx context.Context, prefix string) func() int {
	var n atomic.Int64
	if tg.Backlog > 0 {
		go func() {
			for ctx.Err() == nil {
				if c, err := tg.count(ctx, prefix); err == nil {
					n.Store(int64(c))
				}
				time.Sleep(250 * time.Millisecond)
			}
		}()
	}
	return func() int { return int(n.Load()) }
}

// each runs fn for 0..n-1 on the target's workers, stopping at the first error.
func (tg Target) each(ctx context.Context, n int, fn func(int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	var first error
	var once sync.Once
	for range max(tg.Workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// poll calls check every interval until it reports done, bounded by the target's wait.
func (tg Target) poll(ctx context.Context, every time.Duration, check func() (bool, error)) error {
	deadline := time.Now().Add(tg.Wait)
	for {
		done, err := check()
		if err != nil || done {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not finished after %s", tg.Wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
}

// count counts the objects under a prefix.
func (tg Target) count(ctx context.Context, prefix string) (int, error) {
	n := 0
	pages := s3.NewListObjectsV2Paginator(tg.S3, &s3.ListObjectsV2Input{Bucket: &tg.Bucket, Prefix: &prefix})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("listing %s: %w", prefix, err)
		}
		n += len(page.Contents)
	}
	return n, nil
}

// published counts the plan's documents that are in the table.
func (tg Target) published(ctx context.Context, p Plan, etags []string) (int, error) {
	var n atomic.Int64
	err := tg.each(ctx, len(p.Docs), func(i int) error {
		_, err := tg.Store.PublishedDocument(ctx, store.NewDocumentID(tg.Bucket, p.Docs[i].Key, etags[i]))
		switch {
		case err == nil:
			n.Add(1)
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		return nil
	})
	return int(n.Load()), err
}

// mailed counts the run's grantees that got a new-documents email, and those emails.
func (tg Target) mailed(ctx context.Context, p Plan) (people, emails int, err error) {
	all, err := tg.Mailbox.Messages(ctx)
	if err != nil {
		return 0, 0, err
	}
	mine := "-" + p.Run + "-"
	subject := newDocumentsSubject()
	seen := map[access.Email]bool{}
	for _, m := range all {
		if m.Subject != subject {
			continue
		}
		for _, to := range m.To {
			if strings.HasPrefix(to, "grantee") && strings.Contains(to, mine) {
				emails++
				seen[access.NormaliseEmail(to)] = true
			}
		}
	}
	return len(seen), emails, nil
}

// newDocumentsSubject is the subject of the new-documents email, as the templates render it.
func newDocumentsSubject() string {
	r, err := mail.Render(mail.Message{Template: mail.NewDocuments}, "", mail.Bases{Portal: "http://localhost", Brand: brand.Sample()})
	if err != nil {
		panic(err)
	}
	return r.Subject
}
