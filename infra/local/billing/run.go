package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/batch"
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
}

// Result is what a run did.
type Result struct {
	Expected
	Uploaded, Published, Rejected  int // files sent; rows the report says published, refused
	InTable                        int // good documents found current in the table under their id
	Notified                       int // distinct grantees of the run who got a new-documents email
	Emails                         int // new-documents emails to the run's grantees (Notified when none is duplicated)
	Started                        time.Time
	Uploading, Processing, Mailing time.Duration // time to send the batch; then until its report; then until every notice is sent
}

// SeedBenchmarkGrants writes the plan's grants straight into the table, for the benchmark and the
// sample run only: thousands of people are not put through the request-and-approval journey, which
// is not what is measured (journey tests never seed grants).
func (tg Target) SeedBenchmarkGrants(ctx context.Context, p Plan) error {
	bar := newProgress(tg.Out, "seeding grants (benchmark only)", len(p.Grants))
	defer bar.finish()
	return tg.each(ctx, len(p.Grants), func(i int) error {
		_, err := storetest.SeedGrant(ctx, tg.Store, p.Grants[i])
		bar.add(1)
		return err
	})
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

// published counts the plan's good documents that are in the table, current, under the id their
// batch file's identity gives them (bucket, key, ETag: the MD5 of a single-part upload's bytes).
func (tg Target) published(ctx context.Context, p Plan, b batch.ID) (int, error) {
	var n atomic.Int64
	err := tg.each(ctx, len(p.Docs), func(i int) error {
		d := p.Docs[i]
		if d.Bad != "" {
			return nil
		}
		sum := md5.Sum(d.Body)
		_, err := tg.Store.PublishedDocument(ctx, store.NewDocumentID(tg.Bucket, b.Key(path.Base(d.Key)), hex.EncodeToString(sum[:])))
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
