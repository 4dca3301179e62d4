package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
)

// requestItem is an access request as stored; once approved it is also the grant (GSI keys set).
type requestItem struct {
	PK, SK  string
	GSI1PK  string `dynamodbav:",omitempty"`
	GSI1SK  string `dynamodbav:",omitempty"`
	GSI2PK  string `dynamodbav:",omitempty"`
	GSI2SK  string `dynamodbav:",omitempty"`
	Kind    string // "request"
	Request access.Request
	Status  access.Status // duplicated from Request for conditions
	Version int
}

type evidenceItem struct {
	PK, SK   string
	Kind     string // "evidence"
	Evidence access.Evidence
	Status   access.EvidenceStatus
}

// Limit is a fixed-window rate limit counted in the same write as what it limits.
type Limit struct {
	Kind   string // e.g. "request-email", "request-ip"
	Key    string // the address or IP: hashed before it is stored
	Window time.Duration
	Max    int
}

func (s *Store) limitUpdate(l Limit, now time.Time) types.TransactWriteItem {
	sum := sha256.Sum256([]byte(l.Key))
	start := now.Truncate(l.Window)
	k := rateKey(l.Kind, hex.EncodeToString(sum[:16]), strconv.FormatInt(start.Unix(), 10))
	return types.TransactWriteItem{Update: &types.Update{
		TableName:           &s.table,
		Key:                 k.av(),
		UpdateExpression:    aws.String("ADD N :one SET ExpiresAt = :exp"),
		ConditionExpression: aws.String("attribute_not_exists(N) OR N < :max"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": num("1"), ":max": num(strconv.Itoa(l.Max)), ":exp": unix(start.Add(l.Window + time.Hour)),
		},
	}}
}

func marshalRequest(r access.Request) (map[string]types.AttributeValue, error) {
	k := requestKey(r.ID)
	return attributevalue.MarshalMap(requestItem{PK: k.PK, SK: k.SK, Kind: "request", Request: r, Status: r.Status})
}

func marshalEvidence(e access.Evidence) (map[string]types.AttributeValue, error) {
	k := evidenceKey(e.RequestID, e.ID)
	return attributevalue.MarshalMap(evidenceItem{PK: k.PK, SK: k.SK, Kind: "evidence", Evidence: e, Status: e.Status})
}

// CreateRequest writes a new request, its declared evidence and its emails in one transaction,
// counting it against the limits in the same write. ErrLimited: a limit is reached and nothing was written.
func (s *Store) CreateRequest(ctx context.Context, r access.Request, ev []access.Evidence, msgs []mail.Message, limits ...Limit) error {
	now := s.now()
	var items []types.TransactWriteItem
	for _, l := range limits {
		items = append(items, s.limitUpdate(l, now))
	}
	ri, err := marshalRequest(r)
	if err != nil {
		return wrap("create request", err)
	}
	items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: ri, ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	for _, e := range ev {
		ei, err := marshalEvidence(e)
		if err != nil {
			return wrap("create request", err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: ei}})
	}
	for _, m := range msgs {
		items = append(items, s.mailPut(m, now))
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := cancelReasons(err); reasons != nil {
		for i := range limits {
			if reasons[i] == "ConditionalCheckFailed" {
				return ErrLimited
			}
		}
	}
	return wrap("create request", err)
}

// Request returns a request with its evidence (every round), read consistently.
func (s *Store) Request(ctx context.Context, id access.RequestID) (access.Request, []access.Evidence, error) {
	req, items, err := s.partition(ctx, id)
	if err != nil {
		return access.Request{}, nil, err
	}
	ev := make([]access.Evidence, len(items))
	for i, it := range items {
		ev[i] = it.Evidence
	}
	return req.Request, ev, nil
}

// MoveRequest changes a request's status from one to another in one conditional write, together with
// its emails. ErrConflict: the request is no longer in status from (someone else moved it first).
func (s *Store) MoveRequest(ctx context.Context, id access.RequestID, from, to access.Status, msgs ...mail.Message) error {
	now := s.now()
	set := "SET #st = :to, #r.#st = :to, #r.UpdatedAt = :now"
	if to == access.Scanning {
		set += ", #r.SubmittedAt = :now"
	}
	update := &types.Update{
		TableName:                &s.table,
		Key:                      requestKey(id).av(),
		UpdateExpression:         aws.String(set + " ADD Version :one"),
		ConditionExpression:      aws.String("#st = :from"),
		ExpressionAttributeNames: map[string]string{"#st": "Status", "#r": "Request"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":to": str(string(to)), ":from": str(string(from)), ":now": str(now.UTC().Format(time.RFC3339Nano)), ":one": num("1"),
		},
	}
	items := []types.TransactWriteItem{{Update: update}}
	for _, m := range msgs {
		items = append(items, s.mailPut(m, now))
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons := cancelReasons(err); reasons != nil && reasons[0] == "ConditionalCheckFailed" {
		return ErrConflict
	}
	return wrap("move request", err)
}
