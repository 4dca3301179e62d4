package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
)

// Grant is an approved request seen as what it gives (the domain's: access.Grant). It is the request
// item itself (design decision 4); approval sets the GSI keys that make it a grant, ending access
// removes them, so an ended grant is in no index and cannot be found by a reader.
type Grant = access.Grant

func grantFrom(it requestItem) Grant {
	r := it.Request
	g := Grant{RequestID: r.ID, Reference: r.Reference, Email: r.Requester.Email, Name: r.Requester.Name, ClientName: r.Client.Name, ClientBirth: r.Client.DateOfBirth, Relationship: r.Relationship}
	if d := r.Decision; d != nil {
		g.ClientReference, g.Start, g.EndsOn, g.Ended = d.ClientReference, d.At, d.AccessEndsOn, !d.EndedAt.IsZero()
	}
	return g
}

// GrantsOf returns every grant a person holds (one Query on GSI1), ended ones excluded.
func (s *Store) GrantsOf(ctx context.Context, email access.Email) ([]Grant, error) {
	return s.grants(ctx, gsi1, personPK(email), clientPre)
}

// GrantFor returns a person's grants for one client (one Query on GSI1). Usually one; joint
// authority through two requests gives two.
func (s *Store) GrantFor(ctx context.Context, email access.Email, clientRef string) ([]Grant, error) {
	return s.grants(ctx, gsi1, personPK(email), grantPersonSK(clientRef, ""))
}

// GranteesOf returns every grant for a client (one Query on GSI2, paged through).
func (s *Store) GranteesOf(ctx context.Context, clientRef string) ([]Grant, error) {
	return s.grants(ctx, gsi2, clientPK(clientRef), grantPre)
}

// OpenRequestsFor returns the requests for a client reference that are sent and not yet decided
// (the reference their requester gave), oldest first: one Query on GSI2, beside the reference's grants.
func (s *Store) OpenRequestsFor(ctx context.Context, clientRef string) ([]access.Request, error) {
	var out []access.Request
	err := s.requestItems(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String(gsi2.name),
		KeyConditionExpression:    aws.String(gsi2.pk + " = :pk AND begins_with(" + gsi2.sk + ", :pre)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(clientPK(clientRef)), ":pre": str(openRequestPre)},
	}, "open requests", func(it requestItem) {
		if !it.Status.Decided() && !it.Request.Draft {
			out = append(out, it.Request)
		}
	})
	return out, err
}

func (s *Store) grants(ctx context.Context, ix index, pk, prefix string) ([]Grant, error) {
	var out []Grant
	err := s.requestItems(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String(ix.name),
		KeyConditionExpression:    aws.String(ix.pk + " = :pk AND begins_with(" + ix.sk + ", :pre)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk), ":pre": str(prefix)},
	}, "grants", func(it requestItem) {
		if it.Status == access.Approved {
			out = append(out, grantFrom(it))
		}
	})
	return out, err
}

// requestItems runs a Query over request items page by page, handing each item to each.
func (s *Store) requestItems(ctx context.Context, in *dynamodb.QueryInput, op string, each func(requestItem)) error {
	in.TableName = &s.table
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return wrap(op, err)
		}
		for _, item := range res.Items {
			var it requestItem
			if err := unmarshalItem(item, &it); err != nil {
				return wrap(op, err)
			}
			each(it)
		}
		if in.ExclusiveStartKey = res.LastEvaluatedKey; in.ExclusiveStartKey == nil {
			return nil
		}
	}
}
