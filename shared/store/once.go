package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
)

// OnceTTL is how long a create's idempotency key is remembered: longer than any retry of one form.
const OnceTTL = 24 * time.Hour

type onceItem struct {
	PK, SK      string
	RequestID   access.RequestID
	Fingerprint string // hash of the body the key was first sent with
	ExpiresAt   int64  // TTL
}

// Claim records that the create sent with an idempotency key (by its hash) makes request id, and
// returns the request that key makes: id when the key is new, or the one a first sending claimed.
// ErrConflict: the key was first sent with a different body (fingerprint), and is refused.
func (s *Store) Claim(ctx context.Context, keyHash, fingerprint string, id access.RequestID) (access.RequestID, error) {
	k := onceKey(keyHash)
	item, err := attributevalue.MarshalMap(onceItem{PK: k.PK, SK: k.SK, RequestID: id, Fingerprint: fingerprint, ExpiresAt: s.now().Add(OnceTTL).Unix()})
	if err != nil {
		return "", wrap("claim", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	if !conditionFailed(err) {
		return id, wrap("claim", err)
	}
	first, err := get[onceItem](ctx, s, k, "claim")
	if err != nil {
		return "", err
	}
	if first.Fingerprint != fingerprint {
		return "", ErrConflict
	}
	return first.RequestID, nil
}

// ReissueContinuation replaces a request's continuation token (by its hash), for a requester whose
// create's answer, and so its token, was lost. ErrConflict: the request is past awaiting evidence,
// when a new token would let nothing more be done.
func (s *Store) ReissueContinuation(ctx context.Context, id access.RequestID, hash string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      requestKey(id).av(),
		UpdateExpression:         aws.String("SET #r.ContinuationHash = :h ADD Version :one"),
		ConditionExpression:      aws.String("#st = :awaiting"),
		ExpressionAttributeNames: map[string]string{"#r": "Request", "#st": "Status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":h": str(hash), ":awaiting": str(string(access.AwaitingEvidence)), ":one": num("1"),
		},
	})
	if conditionFailed(err) {
		return ErrConflict
	}
	return wrap("reissue continuation", err)
}
