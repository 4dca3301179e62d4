package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DB is the part of the DynamoDB API the store uses; *dynamodb.Client satisfies it.
type DB interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// Store is the single table.
type Store struct {
	db    DB
	table string
	now   func() time.Time
}

// New returns the store over a table.
func New(db DB, table string) *Store {
	return &Store{db: db, table: table, now: time.Now}
}

// WithClock returns a copy of the store that reads the time from now (tests of expiry).
func (s *Store) WithClock(now func() time.Time) *Store { c := *s; c.now = now; return &c }

// Errors callers act on. Anything else is an AWS failure: answer "try again", change nothing.
var (
	ErrNotFound = errors.New("store: not found")
	ErrConflict = errors.New("store: the item changed or is not in the expected state")
	ErrLimited  = errors.New("store: rate limit reached")
)

// conditionFailed reports whether err is a failed condition of a single-item write.
func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// get reads one item consistently into an item type; ErrNotFound when there is none.
func get[T any](ctx context.Context, s *Store, k key, op string) (T, error) {
	var it T
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: k.av(), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return it, wrap(op, err)
	}
	if out.Item == nil {
		return it, ErrNotFound
	}
	return it, wrap(op, unmarshalItem(out.Item, &it))
}
