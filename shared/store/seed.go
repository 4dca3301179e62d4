package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/council/cfp/shared/access"
)

// SeedGrant writes an approved request that is a grant, as Approve leaves it, without the journey
// before it and without its email. It is for tests and local tools (sample billing runs) that need
// grantees; no function calls it. The grant's RequestID is made up when empty and returned.
func (s *Store) SeedGrant(ctx context.Context, g Grant) (access.RequestID, error) {
	if g.RequestID == "" {
		g.RequestID = access.NewRequestID()
	}
	if g.Start.IsZero() {
		g.Start = s.now()
	}
	if g.Relationship == "" {
		g.Relationship = access.Deputy
	}
	d := &access.Decision{Outcome: access.Approved, By: "seed@council.example", At: g.Start, ClientReference: g.ClientReference, AccessEndsOn: g.EndsOn}
	if g.Ended {
		d.EndedAt = g.Start
	}
	r := access.Request{
		ID: g.RequestID, Status: access.Approved, Relationship: g.Relationship,
		Requester: access.Requester{Name: g.Name, Email: access.NormaliseEmail(string(g.Email))},
		Client:    access.Client{Name: g.ClientName, ClientReference: g.ClientReference},
		CreatedAt: g.Start, UpdatedAt: g.Start, Decision: d,
	}
	k := requestKey(r.ID)
	it := requestItem{PK: k.PK, SK: k.SK, Kind: "request", Request: r, Status: r.Status, Version: 1}
	if !g.Ended { // an ended grant is in no index, as EndAccess leaves it
		it.GSI1PK, it.GSI1SK = personPK(r.Requester.Email), grantPersonSK(g.ClientReference, r.ID)
		it.GSI2PK, it.GSI2SK = clientPK(g.ClientReference), grantClientSK(r.ID)
	}
	item, err := attributevalue.MarshalMap(it)
	if err != nil {
		return "", wrap("seed grant", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	return r.ID, wrap("seed grant", err)
}
