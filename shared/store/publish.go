package store

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
)

// NewDocumentID derives a document's id from the identity of the object it was published from:
// its bucket, key and ETag. The same object seen twice (a repeated event, or the same bytes
// written again under the same key) gets the same id, so it is published once; a corrected
// document (new bytes) is a new document.
func NewDocumentID(bucket, key, etag string) DocumentID {
	etag = strings.ToLower(strings.Trim(etag, `"`))
	sum := sha256.Sum256([]byte(bucket + "\x00" + key + "\x00" + etag))
	return DocumentID("d" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15])))
}

// maxTransactItems is DynamoDB's limit on the items of one TransactWriteItems.
const maxTransactItems = 100

// conflictTries bounds the retries of a transaction cancelled only by a conflict with a concurrent
// write of the same notice (two documents for one person published at the same moment).
const conflictTries = 6

// PublishDocument records a published document and adds it to the pending new-documents notice of
// each recipient, in one transaction: either the document is visible and its recipients will be
// told, or neither. ErrConflict: a document with this id was already published (nothing changed).
//
// A client with more than 99 recipients (never seen in practice) has the others' notices added in
// further transactions after the document; if the function stops between them those few are not
// told, but still see the document when they sign in.
func (s *Store) PublishDocument(ctx context.Context, d Document, recipients []access.Email) error {
	item, err := attributevalue.MarshalMap(newDocumentItem(d))
	if err != nil {
		return wrap("publish document", err)
	}
	now := s.now()
	first := []types.TransactWriteItem{{Put: &types.Put{
		TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}}
	var notices []types.TransactWriteItem
	for _, e := range dedupe(recipients) {
		notices = append(notices, s.noticeAdd(e, now))
	}
	n := min(len(notices), maxTransactItems-1)
	err = s.transact(ctx, append(first, notices[:n]...))
	if reasons := cancelReasons(err); reasons != nil && reasons[0] == "ConditionalCheckFailed" {
		return ErrConflict
	}
	if err != nil {
		return wrap("publish document", err)
	}
	for rest := notices[n:]; len(rest) > 0; rest = rest[min(len(rest), maxTransactItems):] {
		if err := s.transact(ctx, rest[:min(len(rest), maxTransactItems)]); err != nil {
			return wrap("publish document: further notices", err)
		}
	}
	return nil
}

// transact runs a transaction, trying again (with jitter) while it is cancelled only because a
// concurrent transaction touched the same item.
func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem) error {
	delay := 20 * time.Millisecond
	for try := 1; ; try++ {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil || try == conflictTries || !onlyConflicts(cancelReasons(err)) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(delay/2 + rand.N(delay)):
		}
		delay *= 2
	}
}

// onlyConflicts reports whether a transaction was cancelled by TransactionConflict and nothing worse.
func onlyConflicts(reasons []string) bool {
	conflict := false
	for _, r := range reasons {
		switch r {
		case "", "None":
		case "TransactionConflict":
			conflict = true
		default:
			return false
		}
	}
	return conflict
}

func dedupe(emails []access.Email) []access.Email {
	seen := map[access.Email]bool{}
	var out []access.Email
	for _, e := range emails {
		e = access.NormaliseEmail(string(e))
		if e != "" && !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}

// PublishedDocument returns a document by id, read consistently.
func (s *Store) PublishedDocument(ctx context.Context, id DocumentID) (Document, error) {
	it, err := get[documentItem](ctx, s, documentKey(id), "published document")
	return it.Document, err
}
