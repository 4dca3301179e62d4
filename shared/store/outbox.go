package store

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
)

// MailID identifies a queued email; it is also the email's idempotency key.
type MailID string

// Queued is an email in the outbox.
type Queued struct {
	mail.Message
	Attempts int
	DueAt    time.Time
	dueKey   string
}

type mailItem struct {
	PK, SK    string
	GSI1PK    string `dynamodbav:",omitempty"`
	GSI1SK    string `dynamodbav:",omitempty"`
	GSI2PK    string // MAILTO#<address>: the emails to a person, for the staff person page
	GSI2SK    string
	Message   mail.Message
	Attempts  int
	Status    string // queued, sent, parked
	QueuedAt  string
	SentAt    string `dynamodbav:",omitempty"`
	SESID     string `dynamodbav:",omitempty"`
	LastError string `dynamodbav:",omitempty"`
	ExpiresAt int64  `dynamodbav:",omitempty"`
}

// mailItem marshals the item that queues an email.
func mailItemOf(m mail.Message, now time.Time) map[string]types.AttributeValue {
	k := mailKey(MailID(m.ID))
	item, err := attributevalue.MarshalMap(mailItem{
		PK: k.PK, SK: k.SK, GSI1PK: outbox, GSI1SK: dueKey(now, m.ID), GSI2PK: mailToPK(m.To), GSI2SK: dueKey(now, m.ID),
		Message: m, Status: "queued", QueuedAt: stamp(now),
	})
	if err != nil {
		panic("store: a mail message does not marshal: " + err.Error()) // static types; cannot fail
	}
	return item
}

// mail queues an email in t, in the same transaction as the state change that causes it, so the
// two happen together or not at all. An id already queued fails the transaction (ErrConflict).
func (t *tx) mail(m mail.Message, now time.Time) *tx {
	return t.put(mailItemOf(m, now), cond{expr: "attribute_not_exists(PK)"}, ErrConflict)
}

// events queues the emails that the domain's events ask for.
func (t *tx) events(events []access.Event, now time.Time) *tx {
	for _, e := range events {
		if m, ok := mail.For(e); ok {
			t.mail(m, now)
		}
	}
	return t
}

// QueueMail queues emails that no other state change goes with (each once: an id already queued is left as it is).
func (s *Store) QueueMail(ctx context.Context, msgs ...mail.Message) error {
	now := s.now()
	for _, m := range msgs {
		_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: mailItemOf(m, now), ConditionExpression: aws.String("attribute_not_exists(PK)")})
		if err != nil && !conditionFailed(err) {
			return wrap("queue mail", err)
		}
	}
	return nil
}

// DueMail returns up to limit queued emails whose time has come, oldest first.
func (s *Store) DueMail(ctx context.Context, limit int) ([]Queued, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		IndexName:              aws.String(gsi1.name),
		KeyConditionExpression: aws.String("GSI1PK = :q AND GSI1SK <= :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":q": str(outbox), ":now": str(stamp(s.now()) + "~"),
		},
		Limit: aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, wrap("due mail", err)
	}
	var items []mailItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return nil, wrap("due mail", err)
	}
	q := make([]Queued, len(items))
	for i, it := range items {
		due, _ := time.Parse(stampLayout, it.GSI1SK[:len(it.GSI1SK)-len(it.Message.ID)-1])
		q[i] = Queued{Message: it.Message, Attempts: it.Attempts, DueAt: due, dueKey: it.GSI1SK}
	}
	return q, nil
}

// ClaimMail takes a queued email for sending: one conditional write that only one sender can win.
// The email stays in the outbox, due again when the lease ends, so a sender that dies mid-send
// leaves it to the next run rather than losing it. ErrConflict: another sender has it.
func (s *Store) ClaimMail(ctx context.Context, q *Queued, lease time.Duration) error {
	next := dueKey(s.now().Add(lease), q.ID)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      mailKey(MailID(q.ID)).av(),
		UpdateExpression:         aws.String("SET GSI1SK = :next, Attempts = Attempts + :one"),
		ConditionExpression:      aws.String("GSI1SK = :seen AND #st = :queued"),
		ExpressionAttributeNames: map[string]string{"#st": "Status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":next": str(next), ":seen": str(q.dueKey), ":one": num("1"), ":queued": str("queued"),
		},
	})
	if conditionFailed(err) {
		return ErrConflict
	}
	if err != nil {
		return wrap("claim mail", err)
	}
	q.Attempts++
	q.dueKey = next
	return nil
}

// MailSent takes a sent email out of the outbox for good (kept 30 days as a record, then expired).
func (s *Store) MailSent(ctx context.Context, q Queued, sesID string) error {
	now := s.now()
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      mailKey(MailID(q.ID)).av(),
		UpdateExpression:         aws.String("SET #st = :sent, SentAt = :at, SESID = :id, ExpiresAt = :exp REMOVE GSI1PK, GSI1SK"),
		ExpressionAttributeNames: map[string]string{"#st": "Status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sent": str("sent"), ":at": str(stamp(now)), ":id": str(sesID),
			":exp": num(strconv.FormatInt(now.Add(30*24*time.Hour).Unix(), 10)),
		},
	})
	return wrap("mail sent", err)
}

// MailRetry puts a failed email back, due at next.
func (s *Store) MailRetry(ctx context.Context, q Queued, next time.Time, reason string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 mailKey(MailID(q.ID)).av(),
		UpdateExpression:    aws.String("SET GSI1SK = :next, LastError = :why"),
		ConditionExpression: aws.String("GSI1SK = :mine"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":next": str(dueKey(next, q.ID)), ":why": str(reason), ":mine": str(q.dueKey),
		},
	})
	if conditionFailed(err) {
		return ErrConflict
	}
	return wrap("mail retry", err)
}

// MailParked takes an email that failed too often out of the outbox, keeping it (with the reason)
// for a person to look at: not lost, not retried forever.
func (s *Store) MailParked(ctx context.Context, q Queued, reason string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      mailKey(MailID(q.ID)).av(),
		UpdateExpression:         aws.String("SET #st = :parked, LastError = :why REMOVE GSI1PK, GSI1SK"),
		ConditionExpression:      aws.String("GSI1SK = :mine"),
		ExpressionAttributeNames: map[string]string{"#st": "Status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":parked": str("parked"), ":why": str(reason), ":mine": str(q.dueKey),
		},
	})
	if conditionFailed(err) {
		return ErrConflict
	}
	return wrap("mail parked", err)
}

// MailStatus returns a queued email's status ("queued", "sent", "parked") and attempts, for tests and support.
func (s *Store) MailStatus(ctx context.Context, id MailID) (status string, attempts int, err error) {
	it, err := get[mailItem](ctx, s, mailKey(id), "mail status")
	return it.Status, it.Attempts, err
}
