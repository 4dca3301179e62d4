package store

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

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

// PublishDocument records a published document and adds it to the pending new-documents notice of
// each recipient, in one transaction: either the document is visible and its recipients will be
// told, or neither. ErrConflict: a document with this id was already published (nothing changed).
//
// A client with more than 99 recipients (never seen in practice) has the others' notices added in
// further transactions after the document; if the function stops between them those few are not
// told, but still see the document when they sign in.
func (s *Store) PublishDocument(ctx context.Context, d Document, recipients []access.Email) error {
	return s.publish(ctx, d, recipients, s.tx(), "publish document")
}

// publish writes the document and its notices in t, after whatever t already holds.
func (s *Store) publish(ctx context.Context, d Document, recipients []access.Email, first *tx, op string) error {
	if err := first.document(d); err != nil {
		return wrap(op, err)
	}
	now := s.now()
	rest := dedupe(recipients)
	room := maxTransactItems - len(first.items)
	for _, e := range rest[:min(len(rest), room)] {
		first.noticeAdd(e, now)
	}
	if err := s.run(ctx, first, op); err != nil {
		return err
	}
	for rest = rest[min(len(rest), room):]; len(rest) > 0; rest = rest[min(len(rest), maxTransactItems):] {
		t := s.tx()
		for _, e := range rest[:min(len(rest), maxTransactItems)] {
			t.noticeAdd(e, now)
		}
		if err := s.run(ctx, t, op+": further notices"); err != nil {
			return err
		}
	}
	return nil
}

// document writes a new document in t, once (ErrConflict: one with its id is there).
func (t *tx) document(d Document) error {
	item, err := attributevalue.MarshalMap(newDocumentItem(d))
	if err != nil {
		return err
	}
	t.put(item, cond{expr: "attribute_not_exists(PK)"}, ErrConflict)
	return nil
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

// PublishedDocument returns a current document by id, read consistently: ErrNotFound for one
// replaced or withdrawn, which nobody may download any more.
func (s *Store) PublishedDocument(ctx context.Context, id DocumentID) (Document, error) {
	d, err := s.DocumentRecord(ctx, id)
	if err == nil && !d.Current() {
		return Document{}, ErrNotFound
	}
	return d, err
}

// DocumentRecord returns a document by id whether current or hidden, read consistently (the
// audit trail and corrections).
func (s *Store) DocumentRecord(ctx context.Context, id DocumentID) (Document, error) {
	it, err := get[documentItem](ctx, s, documentKey(id), "published document")
	return it.Document, err
}
