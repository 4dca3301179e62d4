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

// Drafts (access/draft.go): CreateRequest writes one, ReviseDraft and SendRequest change it.

// ReviseDraft changes a draft's answers (access.Request.Revise). ErrConflict: it is no longer a
// draft (sent, or expired).
func (s *Store) ReviseDraft(ctx context.Context, id access.RequestID, answers access.NewRequest) (access.Request, error) {
	return s.change(ctx, id, "revise draft", func(r access.Request, _ []evidenceItem, now time.Time, _ *tx) (access.Request, []access.Event, error) {
		return r.Revise(answers, now)
	})
}

// SendRequest sends a request from the pages (access.Request.Send: a draft is confirmed). uploaded names the files of the current
// round that are in the bucket though their checks have not begun; the round's other files still
// awaiting their upload are empty upload slots, deleted in the same write. The files kept lose
// their TTL, and the request joins its requester's list ("I lost my link"). It returns the
// request as written; access.ErrNoEvidence or access.ErrRefusedEvidence when it cannot be sent
// yet, ErrConflict when it cannot be sent any more (sent already, expired).
func (s *Store) SendRequest(ctx context.Context, id access.RequestID, uploaded map[access.EvidenceID]bool) (access.Request, error) {
	return s.change(ctx, id, "send request", func(r access.Request, ev []evidenceItem, now time.Time, t *tx) (access.Request, []access.Event, error) {
		var kept []access.Evidence
		for _, it := range ev {
			e := it.Evidence
			k := evidenceKey(id, e.ID)
			if e.Round == r.Round && e.Status == access.AwaitingUpload && !uploaded[e.ID] {
				t.del(k, cond{expr: "#st = :await", names: map[string]string{"#st": "Status"},
					values: map[string]types.AttributeValue{":await": str(string(access.AwaitingUpload))}}, ErrConflict)
				continue
			}
			if e.Round == r.Round {
				kept = append(kept, e)
			}
			t.update(k, "REMOVE ExpiresAt", cond{expr: "attribute_exists(PK)"}, ErrConflict)
		}
		sent, events, err := r.Send(kept, now)
		if err != nil || !r.Draft {
			return sent, events, err
		}
		item, err := attributevalue.MarshalMap(requesterItemOf(sent))
		if err != nil {
			return r, nil, wrap("send request", err)
		}
		t.put(item, cond{}, nil)
		return sent, events, nil
	})
}

// requesterItem lists a confirmed request under its requester's address. It is also the
// requester's entry in the name index (GSI1 NAME#, person.go): the request item's two index slots
// are taken by the queue and the grant.
type requesterItem struct {
	PK, SK    string
	GSI1PK    string `dynamodbav:",omitempty"`
	GSI1SK    string `dynamodbav:",omitempty"`
	Kind      string // "requester"
	RequestID access.RequestID
	Name      string       `dynamodbav:",omitempty"`
	Email     access.Email `dynamodbav:",omitempty"`
}

func requesterItemOf(r access.Request) requesterItem {
	idx := requesterKey(r.Requester.Email, r.CreatedAt, r.ID)
	it := requesterItem{PK: idx.PK, SK: idx.SK, Kind: "requester", RequestID: r.ID, Name: r.Requester.Name, Email: r.Requester.Email}
	it.GSI1PK, it.GSI1SK = nameIndex(r.Requester.Name, r.Requester.Email)
	return it
}

// linkRequests is how many of an address's newest requests "I lost my link" sends links for.
const linkRequests = 5

// ResendLinks queues, for each of the address's newest confirmed requests, the email with a fresh
// link to its status page (access.Request.LinkAgain), counted against l in the same write. An
// address with no request gets nothing and writes nothing; ErrLimited when l is reached.
func (s *Store) ResendLinks(ctx context.Context, email access.Email, l Limit) error {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(requesterPK(email))},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(linkRequests),
	})
	if err != nil {
		return wrap("resend links", err)
	}
	var events []access.Event
	for _, item := range out.Items {
		var it requesterItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return wrap("resend links", err)
		}
		req, err := get[requestItem](ctx, s, requestKey(it.RequestID), "resend links")
		if err != nil {
			return err
		}
		req.restore()
		events = append(events, req.Request.LinkAgain()...)
	}
	if len(events) == 0 {
		return nil
	}
	now := s.now()
	t, err := s.limited(ctx, now, l)
	if err != nil {
		return err
	}
	t.events(events, now)
	return s.run(ctx, t, "resend links")
}
