package store

import (
	"context"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
)

// Waiting is a request in the staff queue and since when it has been in its status.
type Waiting struct {
	Request access.Request
	Since   time.Time
}

// QueueStatuses are the statuses the staff queue shows.
var QueueStatuses = []access.Status{access.ReadyForReview, access.MoreInfoRequested, access.AwaitingEvidence}

// Queue returns the requests awaiting review, more information or upload, oldest first: one Query
// per status on its GSI1 partition, paged through (never a Scan).
func (s *Store) Queue(ctx context.Context) ([]Waiting, error) {
	var out []Waiting
	for _, st := range QueueStatuses {
		err := s.requestItems(ctx, &dynamodb.QueryInput{
			IndexName:                 aws.String(gsi1.name),
			KeyConditionExpression:    aws.String(gsi1.pk + " = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(queuePK(st))},
		}, "queue", func(it requestItem) {
			since, _ := time.Parse(stampLayout, it.GSI1SK[:min(len(stampLayout), len(it.GSI1SK))])
			out = append(out, Waiting{Request: it.Request, Since: since})
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(out, func(a, b Waiting) int { return a.Since.Compare(b.Since) })
	return out, nil
}
