package store

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
)

// Expiry, in three steps, each safe to repeat and to run twice at once:
//
//  1. WaitingBefore finds the requests that came into a status that expires before a cutoff: a
//     Query of that status's WAITING# partition of GSI1 (never a Scan).
//  2. ExpireRequest decides again on a consistent read (access.Request.Expire) and writes, in one
//     transaction conditioned on the version read, the expired request, the requester's email and
//     the deletion of the request's link tokens. The expired request is in the PURGE partition of
//     GSI1 from that write on.
//  3. Each request in PURGE is claimed (ClaimPurge) by one run, which deletes its files from the
//     bucket (the caller's), then DeleteRequestTokens (any token minted since), then PurgeDone:
//     its evidence items are marked deleted (their facts stay) and it leaves PURGE. A run that
//     dies leaves its claim to lapse, and the request is purged by a later run.

// maxTokensInExpiry bounds the tokens deleted in the expiring transaction (at most 100 items with
// the request and its email); any more are deleted by the purge (DeleteRequestTokens).
const maxTokensInExpiry = 90

// EachWaitingBefore hands each request that came into status st before cutoff to each, oldest
// first, until each returns false or there are no more: pages of a Query of the status's GSI1
// partition with the sort key below the cutoff. The index is read eventually consistently: what it
// hands over is a candidate, which ExpireRequest decides on again.
func (s *Store) EachWaitingBefore(ctx context.Context, st access.Status, cutoff time.Time, each func(Waiting) bool) error {
	pk := queuePK(st)
	if pk == "" || !strings.HasPrefix(pk, waiting) {
		return nil
	}
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		IndexName:              aws.String(gsi1.name),
		KeyConditionExpression: aws.String(gsi1.pk + " = :pk AND " + gsi1.sk + " < :cutoff"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(pk), ":cutoff": str(stamp(cutoff)),
		},
		Limit: aws.Int32(50),
	}
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return wrap("waiting requests", err)
		}
		for _, item := range res.Items {
			var it requestItem
			if err := unmarshalItem(item, &it); err != nil {
				return wrap("waiting requests", err)
			}
			if !each(Waiting{Request: it.Request, Since: waitingSince(it)}) {
				return nil
			}
		}
		if in.ExclusiveStartKey = res.LastEvaluatedKey; in.ExclusiveStartKey == nil {
			return nil
		}
	}
}

// waitingSince is when the request as read came into its queue's partition ("" for none).
func waitingSince(it requestItem) time.Time {
	if it.GSI1PK == "" || it.GSI1PK != queuePK(it.Status) || len(it.GSI1SK) < len(stampLayout) {
		return time.Time{}
	}
	since, err := time.Parse(stampLayout, it.GSI1SK[:len(stampLayout)])
	if err != nil {
		return time.Time{}
	}
	return since
}

// ExpireRequest expires a request that has waited after or longer in its status
// (access.Request.Expire, on a consistent read): the expired request, its requester's email and
// the deletion of its link tokens in one transaction, conditioned on the status and version read.
// It returns the request as written. ErrConflict: it moved on (submitted, decided, expired by
// another run); access.ErrNotDue: it came back to its status since it was found, and has not
// waited long enough again. Neither writes anything.
func (s *Store) ExpireRequest(ctx context.Context, id access.RequestID, after time.Duration) (access.Request, error) {
	tokens, err := s.requestTokens(ctx, id)
	if err != nil {
		return access.Request{}, err
	}
	return s.changeItem(ctx, id, "expire request", func(it requestItem, _ []evidenceItem, now time.Time, t *tx) (access.Request, []access.Event, error) {
		r, events, err := it.Request.Expire(waitingSince(it), after, now)
		if err != nil {
			return r, nil, err
		}
		for _, k := range tokens[:min(len(tokens), maxTokensInExpiry)] {
			t.del(k, cond{}, nil)
		}
		return r, events, nil
	})
}

// requestTokens are the keys of the link tokens issued for a request (GSI2, eventually consistent:
// one minted a moment ago may be missing, and is deleted by the purge).
func (s *Store) requestTokens(ctx context.Context, id access.RequestID) ([]key, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(gsi2.name),
		KeyConditionExpression:    aws.String(gsi2.pk + " = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(requestTokensPK(id))},
		ProjectionExpression:      aws.String("PK"),
	}
	var keys []key
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, wrap("request tokens", err)
		}
		for _, item := range res.Items {
			if pk, ok := item["PK"].(*types.AttributeValueMemberS); ok {
				if hash, ok := strings.CutPrefix(pk.Value, "TOKEN#"); ok {
					keys = append(keys, tokenKey(hash))
				}
			}
		}
		if in.ExclusiveStartKey = res.LastEvaluatedKey; in.ExclusiveStartKey == nil {
			return keys, nil
		}
	}
}

// DeleteRequestTokens deletes every link token issued for a request, and says how many there were.
func (s *Store) DeleteRequestTokens(ctx context.Context, id access.RequestID) (int, error) {
	keys, err := s.requestTokens(ctx, id)
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: k.av()}); err != nil {
			return 0, wrap("delete request tokens", err)
		}
	}
	return len(keys), nil
}

// Purge is an expired request whose files and links are still to be deleted, as read from the
// purge queue: Due is when it became due, or a claim's lease ends (the claims' condition).
type Purge struct {
	Request access.RequestID
	Due     time.Time
}

func (p Purge) dueKey() string { return dueKey(p.Due, string(p.Request)) }

// DuePurges returns up to limit expired requests whose files and links are still to be deleted and
// that no run has claimed (or whose claim has lapsed), oldest first.
func (s *Store) DuePurges(ctx context.Context, limit int) ([]Purge, error) {
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		IndexName:              aws.String(gsi1.name),
		KeyConditionExpression: aws.String(gsi1.pk + " = :pk AND " + gsi1.sk + " <= :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(purgeQueue), ":now": str(stamp(s.now()) + "~"),
		},
		Limit: aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, wrap("due purges", err)
	}
	out := make([]Purge, 0, len(res.Items))
	for _, item := range res.Items {
		var it requestItem
		if err := unmarshalItem(item, &it); err != nil {
			return nil, wrap("due purges", err)
		}
		due, err := time.Parse(stampLayout, it.GSI1SK[:min(len(stampLayout), len(it.GSI1SK))])
		if err != nil {
			return nil, wrap("due purges", err)
		}
		out = append(out, Purge{Request: it.Request.ID, Due: due})
	}
	return out, nil
}

// ClaimPurge takes an expired request's purge for one run: one conditional write that only one run
// can win. It stays in PURGE, due again when the lease ends, so a run that dies leaves it to a
// later one. ErrConflict: another run has it, or it is done.
func (s *Store) ClaimPurge(ctx context.Context, p *Purge, lease time.Duration) error {
	next := Purge{Request: p.Request, Due: s.now().Add(lease).UTC().Truncate(time.Microsecond)}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       requestKey(p.Request).av(),
		UpdateExpression:          aws.String("SET GSI1SK = :next"),
		ConditionExpression:       aws.String("GSI1PK = :purge AND GSI1SK = :seen"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":next": str(next.dueKey()), ":purge": str(purgeQueue), ":seen": str(p.dueKey())},
	})
	if conditionFailed(err) {
		return ErrConflict
	}
	if err != nil {
		return wrap("claim purge", err)
	}
	*p = next
	return nil
}

// PurgeDone records that an expired request's files are deleted: each of its evidence items is
// marked deleted (access.Evidence.DeletedAt; its facts, the hash and the verdict among them, stay
// as the request's record), then the request leaves PURGE, if the claim is still this run's.
// ErrConflict: the claim lapsed and another run took it (which finishes the work).
func (s *Store) PurgeDone(ctx context.Context, p Purge) error {
	_, items, err := s.partition(ctx, p.Request)
	if err != nil {
		return err
	}
	at, err := attributevalue.Marshal(s.now().UTC())
	if err != nil {
		return wrap("purge done", err)
	}
	for _, e := range items {
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 &s.table,
			Key:                       evidenceKey(e.Evidence.RequestID, e.Evidence.ID).av(),
			UpdateExpression:          aws.String("SET #e.DeletedAt = :at"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeNames:  map[string]string{"#e": "Evidence"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":at": at},
		})
		if err != nil && !conditionFailed(err) {
			return wrap("purge done", err)
		}
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       requestKey(p.Request).av(),
		UpdateExpression:          aws.String("REMOVE GSI1PK, GSI1SK"),
		ConditionExpression:       aws.String("GSI1PK = :purge AND GSI1SK = :mine"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":purge": str(purgeQueue), ":mine": str(p.dueKey())},
	})
	if conditionFailed(err) {
		return ErrConflict
	}
	return wrap("purge done", err)
}
