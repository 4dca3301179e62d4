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

// Audit events (AUDIT#CLIENT#<ref> / <at>#<id>, and GSI2 AUDIT#PERSON#<email> / <at>#<id>): who
// looked at which client's documents, through which grant, when and from where. One item per
// event, written before the documents are shown or the download link is given, so nothing is seen
// unrecorded. Events have no TTL: they are kept for the council's records retention, which removes
// them by policy rather than by the table.

// Audit actions.
const (
	AuditListDocuments    = "list_documents"
	AuditDownloadDocument = "download_document"
	AuditReplaceDocument  = "replace_document"  // a batch's replace hid it (no person: the sending system)
	AuditWithdrawDocument = "withdraw_document" // a batch's withdraw hid it
)

// AuditEvent is one audited access.
type AuditEvent struct {
	ID              string
	At              time.Time
	Action          string
	Email           access.Email // who
	ClientReference string
	DocumentID      DocumentID       // the document downloaded ("" for a list)
	GrantID         access.RequestID // the grant the access rested on
	Detail          string           // a list's filter and page, e.g. "type=care_invoice page=2"
	SourceIP        string
	UserAgent       string
}

type auditItem struct {
	PK, SK string
	GSI2PK string `dynamodbav:",omitempty"`
	GSI2SK string `dynamodbav:",omitempty"`
	Kind   string // "audit"
	Event  AuditEvent
}

// Audit records an event (one PutItem). A missing ID or time is filled in.
func (s *Store) Audit(ctx context.Context, e AuditEvent) error {
	if e.ID == "" {
		e.ID = access.NewID("a")
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	e.At = e.At.UTC()
	item := auditItemOf(e)
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	return wrap("audit", err)
}

// auditItemOf marshals an audit event's item. An event with no person (a sending system's
// correction) is in no person's audit partition.
func auditItemOf(e AuditEvent) map[string]types.AttributeValue {
	sk := auditSK(e.At, e.ID)
	k := auditKey(e.ClientReference, e.At, e.ID)
	it := auditItem{PK: k.PK, SK: k.SK, Kind: "audit", Event: e}
	if e.Email != "" {
		it.GSI2PK, it.GSI2SK = auditPersonPK(e.Email), sk
	}
	item, err := attributevalue.MarshalMap(it)
	if err != nil {
		panic("store: an audit event does not marshal: " + err.Error()) // static types; cannot fail
	}
	return item
}

// AuditOfClient returns up to limit of a client's audit events, newest first (one Query).
func (s *Store) AuditOfClient(ctx context.Context, clientRef string, limit int) ([]AuditEvent, error) {
	return s.audit(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(auditClientPK(clientRef))},
	}, limit)
}

// AuditOfPerson returns up to limit of a person's audit events, newest first (one Query on GSI2).
func (s *Store) AuditOfPerson(ctx context.Context, e access.Email, limit int) ([]AuditEvent, error) {
	return s.audit(ctx, &dynamodb.QueryInput{
		IndexName:                 aws.String(gsi2.name),
		KeyConditionExpression:    aws.String("GSI2PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(auditPersonPK(e))},
	}, limit)
}

func (s *Store) audit(ctx context.Context, in *dynamodb.QueryInput, limit int) ([]AuditEvent, error) {
	in.TableName, in.ScanIndexForward, in.Limit = &s.table, aws.Bool(false), aws.Int32(int32(max(limit, 1)))
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, wrap("audit events", err)
	}
	var items []auditItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return nil, wrap("audit events", err)
	}
	events := make([]AuditEvent, len(items))
	for i, it := range items {
		events[i] = it.Event
	}
	return events, nil
}
