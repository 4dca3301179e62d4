package store

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
)

// An address is suppressed once SES reports a permanent bounce or a complaint for it
// (SUPPRESS#<email> / SUPPRESS). The notifier sends nothing to a suppressed address, and the portal
// can tell the person that emails to their address are failing.

// Suppression says why an address is suppressed.
type Suppression struct {
	Reason string    // "bounce" or "complaint"
	Detail string    // SES's bounce subtype or complaint feedback type, when given
	At     time.Time // the latest report
	First  time.Time // the first report (read only)
	Counts int       // how many reports (read only)
}

// Suppress records a bounce or complaint for an address (one write; a repeated report only
// refreshes it and counts it).
func (s *Store) Suppress(ctx context.Context, e access.Email, why Suppression) error {
	e = access.NormaliseEmail(string(e))
	at := stamp(why.At)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        &s.table,
		Key:              suppressKey(e).av(),
		UpdateExpression: aws.String("SET Reason = :r, Detail = :d, LastAt = :at, FirstAt = if_not_exists(FirstAt, :at) ADD Reports :one"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":r": str(why.Reason), ":d": str(why.Detail), ":at": str(at), ":one": num("1"),
		},
	})
	return wrap("suppress", err)
}

// Suppressed reports whether an address is suppressed, and why (one consistent GetItem).
func (s *Store) Suppressed(ctx context.Context, e access.Email) (Suppression, bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: suppressKey(access.NormaliseEmail(string(e))).av(), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Suppression{}, false, wrap("suppressed", err)
	}
	if out.Item == nil {
		return Suppression{}, false, nil
	}
	sv := func(name string) string {
		if v, ok := out.Item[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	at, _ := time.Parse(stampLayout, sv("LastAt"))
	first, _ := time.Parse(stampLayout, sv("FirstAt"))
	n := 0
	if v, ok := out.Item["Reports"].(*types.AttributeValueMemberN); ok {
		n, _ = strconv.Atoi(v.Value)
	}
	return Suppression{Reason: sv("Reason"), Detail: sv("Detail"), At: at, First: first, Counts: n}, true, nil
}

// MailSuppressed takes a claimed email to a suppressed address out of the outbox without sending
// it, keeping it (status "suppressed") as a record. ErrConflict: the claim was lost.
func (s *Store) MailSuppressed(ctx context.Context, q Queued) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      mailKey(MailID(q.ID)).av(),
		UpdateExpression:         aws.String("SET #st = :sup, ExpiresAt = :exp REMOVE GSI1PK, GSI1SK"),
		ConditionExpression:      aws.String("GSI1SK = :mine"),
		ExpressionAttributeNames: map[string]string{"#st": "Status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sup": str("suppressed"), ":mine": str(q.dueKey), ":exp": unix(s.now().Add(30 * 24 * time.Hour)),
		},
	})
	if conditionFailed(err) {
		return ErrConflict
	}
	return wrap("mail suppressed", err)
}
