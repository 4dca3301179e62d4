package store

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
)

// A new-documents notice is one item per person (NOTICE#<email> / NOTICE) counting the documents
// published for them since their last email. It is in the sparse GSI1 partition NOTICE, sorted by
// <firstAt>#<email>, while it is pending; turning it into an email deletes it. Documents published
// from a batch add to no notice: the batch's report tells its grantees, one email each
// (BatchNoticeMailID), however far apart its files are published.

// Notice is a person's pending new-documents notice.
type Notice struct {
	Email   access.Email
	Count   int       // documents published for them since the notice began
	FirstAt time.Time // the first of them: the notice is sent at the latest a maximum delay after it
	LastAt  time.Time // the latest: the notice is sent once this is a quiet period old
	sortKey string
}

type noticeItem struct {
	PK, SK         string
	GSI1PK, GSI1SK string
	Email          access.Email
	Count          int
	FirstAt        string
	LastAt         string
}

// noticeAdd adds one document to a person's notice in t, creating it if there is none.
func (t *tx) noticeAdd(e access.Email, now time.Time) *tx {
	return t.update(noticeKey(e), "ADD #c :one SET FirstAt = if_not_exists(FirstAt, :at), LastAt = :at, GSI1PK = :q, GSI1SK = if_not_exists(GSI1SK, :sk), Email = :e", cond{
		names: map[string]string{"#c": "Count"},
		values: map[string]types.AttributeValue{
			":one": num("1"), ":at": str(stamp(now)), ":q": str(noticeQueue), ":sk": str(noticeSK(now, e)), ":e": str(string(e)),
		},
	}, nil)
}

// DueNotices returns up to limit pending notices that are due at now: their person has had no new
// document for quiet, or their first document is maxDelay old. One Query on GSI1 (paged): a notice
// can only be due once its first document is quiet (or maxDelay) old, so the key condition bounds
// the read, and a filter leaves out the ones still receiving documents.
func (s *Store) DueNotices(ctx context.Context, quiet, maxDelay time.Duration, limit int) ([]Notice, error) {
	now := s.now()
	quietCut, maxCut := stamp(now.Add(-quiet)), stamp(now.Add(-maxDelay))
	firstCut := stamp(now.Add(-min(quiet, maxDelay))) // no notice whose first document is later can be due
	var out []Notice
	var start map[string]types.AttributeValue
	for len(out) < limit {
		res, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName:              &s.table,
			IndexName:              aws.String(gsi1.name),
			KeyConditionExpression: aws.String("GSI1PK = :q AND GSI1SK <= :cut"),
			FilterExpression:       aws.String("LastAt <= :quiet OR FirstAt <= :max"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":q": str(noticeQueue), ":cut": str(firstCut + "~"), ":quiet": str(quietCut), ":max": str(maxCut),
			},
			ExclusiveStartKey: start,
		})
		if err != nil {
			return nil, wrap("due notices", err)
		}
		for _, item := range res.Items {
			var it noticeItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return nil, wrap("due notices", err)
			}
			out = append(out, it.notice())
		}
		if start = res.LastEvaluatedKey; start == nil {
			break
		}
	}
	return out[:min(len(out), limit)], nil
}

func (it noticeItem) notice() Notice {
	first, _ := time.Parse(stampLayout, it.FirstAt)
	last, _ := time.Parse(stampLayout, it.LastAt)
	return Notice{Email: it.Email, Count: it.Count, FirstAt: first, LastAt: last, sortKey: it.GSI1SK}
}

// NoticeMailID is the id of the email a notice becomes: derived from the person and the notice's
// first document, so turning the same notice into an email twice queues it once.
func NoticeMailID(n Notice) MailID {
	sum := sha256.Sum256([]byte(string(n.Email) + "\x00" + n.sortKey))
	return MailID("n" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15])))
}

// SendNotice turns a pending notice into one queued new-documents email, in one transaction: the
// notice is deleted only if its count is still the one read, so a document published meanwhile is
// not lost (the notice stays, and goes out on a later run). ErrConflict: the notice changed or is
// already gone; nothing was written.
func (s *Store) SendNotice(ctx context.Context, n Notice) (MailID, error) {
	id := NoticeMailID(n)
	m := mail.Message{ID: string(id), To: n.Email, Template: mail.NewDocuments}
	t := s.tx().del(noticeKey(n.Email), cond{
		expr:   "#c = :seen AND GSI1SK = :sk",
		names:  map[string]string{"#c": "Count"},
		values: map[string]types.AttributeValue{":seen": num(strconv.Itoa(n.Count)), ":sk": str(n.sortKey)},
	}, ErrConflict).mail(m, s.now())
	return id, s.run(ctx, t, "send notice")
}

// PendingNotice returns a person's pending notice, read consistently; ErrNotFound when there is none.
func (s *Store) PendingNotice(ctx context.Context, e access.Email) (Notice, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: noticeKey(access.NormaliseEmail(string(e))).av(), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Notice{}, wrap("pending notice", err)
	}
	if out.Item == nil {
		return Notice{}, ErrNotFound
	}
	var it noticeItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return Notice{}, wrap("pending notice", err)
	}
	return it.notice(), nil
}

// Backlog counts the pending notices and the emails still in the outbox (due or not), for tools
// that wait for a run to drain. Two counting Queries on GSI1, paged.
func (s *Store) Backlog(ctx context.Context) (notices, queued int, err error) {
	if notices, err = s.count(ctx, noticeQueue); err != nil {
		return 0, 0, err
	}
	queued, err = s.count(ctx, outbox)
	return notices, queued, err
}

func (s *Store) count(ctx context.Context, partition string) (int, error) {
	n := 0
	var start map[string]types.AttributeValue
	for {
		res, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 &s.table,
			IndexName:                 aws.String(gsi1.name),
			KeyConditionExpression:    aws.String("GSI1PK = :q"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":q": str(partition)},
			Select:                    types.SelectCount,
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return 0, wrap("backlog", err)
		}
		n += int(res.Count)
		if start = res.LastEvaluatedKey; start == nil {
			return n, nil
		}
	}
}
