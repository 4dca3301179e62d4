package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// tx is one TransactWriteItems being built. Every item says what the failure of its condition
// means to the caller (ErrConflict, ErrLimited, ErrLinkUsed, ErrNotFound), so that a cancelled
// transaction is mapped to an error in one place, by the item that failed, not by its position.
type tx struct {
	table string
	items []types.TransactWriteItem
	fails []error
}

func (s *Store) tx() *tx { return &tx{table: s.table} }

// cond is a condition or update expression with its names and values.
type cond struct {
	expr   string
	names  map[string]string
	values map[string]types.AttributeValue
}

func (c cond) e() *string {
	if c.expr == "" {
		return nil
	}
	return aws.String(c.expr)
}

func (c cond) n() map[string]string {
	if len(c.names) == 0 {
		return nil
	}
	return c.names
}

func (c cond) v() map[string]types.AttributeValue {
	if len(c.values) == 0 {
		return nil
	}
	return c.values
}

// put writes a whole item, if c holds (c.expr "" for no condition); fail is what a failed c means.
func (t *tx) put(item map[string]types.AttributeValue, c cond, fail error) *tx {
	return t.add(types.TransactWriteItem{Put: &types.Put{TableName: &t.table, Item: item,
		ConditionExpression: c.e(), ExpressionAttributeNames: c.n(), ExpressionAttributeValues: c.v()}}, fail)
}

// update applies the update u (whose names and values it shares with c) to the item at k, if c holds.
func (t *tx) update(k key, u string, c cond, fail error) *tx {
	return t.add(types.TransactWriteItem{Update: &types.Update{TableName: &t.table, Key: k.av(), UpdateExpression: aws.String(u),
		ConditionExpression: c.e(), ExpressionAttributeNames: c.n(), ExpressionAttributeValues: c.v()}}, fail)
}

// check makes the transaction depend on c holding for the item at k.
func (t *tx) check(k key, c cond, fail error) *tx {
	return t.add(types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &t.table, Key: k.av(),
		ConditionExpression: c.e(), ExpressionAttributeNames: c.n(), ExpressionAttributeValues: c.v()}}, fail)
}

// del deletes the item at k, if c holds.
func (t *tx) del(k key, c cond, fail error) *tx {
	return t.add(types.TransactWriteItem{Delete: &types.Delete{TableName: &t.table, Key: k.av(),
		ConditionExpression: c.e(), ExpressionAttributeNames: c.n(), ExpressionAttributeValues: c.v()}}, fail)
}

func (t *tx) add(item types.TransactWriteItem, fail error) *tx {
	if fail == nil {
		fail = ErrConflict
	}
	t.items, t.fails = append(t.items, item), append(t.fails, fail)
	return t
}

// conflictTries bounds the retries of a transaction cancelled only because a concurrent
// transaction touched one of its items (DynamoDB cancels one of the two as TransactionConflict).
const conflictTries = 6

// run writes the transaction. Cancelled only by conflicts with concurrent transactions, it is tried
// again with jitter; cancelled by a failed condition, it returns the error of the first item whose
// condition failed. Anything else (throttling, or conflicts outlasting the tries) is an AWS failure,
// wrapped with op: the caller says "try again".
func (s *Store) run(ctx context.Context, t *tx, op string) error {
	delay := 20 * time.Millisecond
	for try := 1; ; try++ {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: t.items})
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			return wrap(op, err)
		}
		conflict := false
		for i, r := range tce.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "ConditionalCheckFailed":
				if i < len(t.fails) {
					return t.fails[i]
				}
				return ErrConflict
			case "TransactionConflict":
				conflict = true
			case "", "None":
			default:
				return wrap(op, err) // throttled or failed: the caller says "try again"
			}
		}
		if !conflict {
			return wrap(op, err)
		}
		if try == conflictTries {
			return wrap(op, err)
		}
		select {
		case <-ctx.Done():
			return errors.Join(wrap(op, err), ctx.Err())
		case <-time.After(delay/2 + rand.N(delay)):
		}
		delay *= 2
	}
}
