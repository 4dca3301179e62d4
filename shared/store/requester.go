package store

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
)

// RequestsOf returns the newest confirmed requests made from an address (at most limit), newest
// first, as they stand now: one Query of the address's list (REQUESTER#) and one GetItem of each
// request's top item, never its evidence. A request listed but no longer there is left out.
// Drafts are not listed: a request joins the list when it is sent (SendRequest).
func (s *Store) RequestsOf(ctx context.Context, e access.Email, limit int) ([]access.Request, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(requesterPK(e))},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, wrap("requests of", err)
	}
	reqs := make([]access.Request, 0, len(out.Items))
	for _, item := range out.Items {
		var it requesterItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return nil, wrap("requests of", err)
		}
		req, err := get[requestItem](ctx, s, requestKey(it.RequestID), "requests of")
		switch {
		case errors.Is(err, ErrNotFound):
			continue
		case err != nil:
			return nil, err
		}
		req.restore()
		reqs = append(reqs, req.Request)
	}
	return reqs, nil
}
