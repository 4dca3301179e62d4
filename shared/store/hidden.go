package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// HiddenDocuments returns up to limit of a client's replaced and withdrawn documents, newest dated
// first, and whether there are more (one Query on GSI1, partition CLIENT#<ref>#HIDDEN). Only the
// staff client page reads them: the portal's lists read the client's current partition alone.
func (s *Store) HiddenDocuments(ctx context.Context, clientRef string, limit int) ([]Document, bool, error) {
	limit = min(max(limit, 1), MaxPage)
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(gsi1.name),
		KeyConditionExpression:    aws.String(gsi1.pk + " = :pk AND begins_with(" + gsi1.sk + ", :doc)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(hiddenDocsPK(clientRef)), ":doc": str(docPrefix)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit + 1)),
	})
	if err != nil {
		return nil, false, wrap("hidden documents", err)
	}
	var items []documentItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return nil, false, wrap("hidden documents", err)
	}
	docs := make([]Document, 0, min(len(items), limit))
	for _, it := range items[:min(len(items), limit)] {
		docs = append(docs, it.Document)
	}
	return docs, len(items) > limit, nil
}
