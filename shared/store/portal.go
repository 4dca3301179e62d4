package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The portal's document list: one Query per page on GSI1 (a client's documents) or GSI2 (of one
// type), newest first. A document by id is PublishedDocument (publish.go).
//
// Cursors are opaque to the portal and bound to the list they came from: a cursor names its client
// and type filter, a cursor from another list is refused (ErrBadCursor), and the next page's
// partition is always built from the list being asked for, never from the cursor. Only the position
// within that list comes from the cursor, so editing one can at most move within a list the caller
// is already allowed to read.

// DocumentPage is one page of a client's documents, newest first.
type DocumentPage struct {
	Documents []Document
	Next      string // the cursor of the next page; "" on the last page
}

// ErrBadCursor: the cursor is malformed or belongs to another list.
var ErrBadCursor = errors.New("store: the cursor does not belong to this list")

// MaxPage is the largest page a caller may ask for.
const MaxPage = 100

// Documents returns up to limit (1..MaxPage) of a client's documents after cursor ("" for the
// first page), newest first, of type t ("" for every type). One Query: it asks for one item more
// than the page so that the last page has no next cursor.
func (s *Store) Documents(ctx context.Context, clientRef string, t DocumentType, cursor string, limit int) (DocumentPage, error) {
	limit = min(max(limit, 1), MaxPage)
	ix, pk := gsi1, clientPK(clientRef)
	if t != "" {
		ix, pk = gsi2, clientTypePK(clientRef, t)
	}
	index, pkName, skName := ix.name, ix.pk, ix.sk
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(index),
		KeyConditionExpression:    aws.String(pkName + " = :pk AND begins_with(" + skName + ", :doc)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk), ":doc": str(docPrefix)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit + 1)),
	}
	if cursor != "" {
		sk, err := openCursor(cursor, clientRef, t)
		if err != nil {
			return DocumentPage{}, err
		}
		id := sk[strings.LastIndexByte(sk, '#')+1:]
		in.ExclusiveStartKey = map[string]types.AttributeValue{
			"PK": str(documentKey(DocumentID(id)).PK), "SK": str(documentKey(DocumentID(id)).SK),
			pkName: str(pk), skName: str(sk),
		}
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return DocumentPage{}, wrap("documents", err)
	}
	var items []documentItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return DocumentPage{}, wrap("documents", err)
	}
	page := DocumentPage{Documents: make([]Document, 0, min(len(items), limit))}
	for i, it := range items {
		if i == limit {
			page.Next = makeCursor(clientRef, t, items[i-1].GSI1SK)
			break
		}
		page.Documents = append(page.Documents, it.Document)
	}
	return page, nil
}

type cursorBody struct {
	Client string       `json:"c"`
	Type   DocumentType `json:"t,omitempty"`
	After  string       `json:"k"`
}

// makeCursor names the list and the position after which the next page starts (the sort key,
// which is the same in GSI1 and GSI2).
func makeCursor(clientRef string, t DocumentType, after string) string {
	b, _ := json.Marshal(cursorBody{Client: clientRef, Type: t, After: after})
	return base64.RawURLEncoding.EncodeToString(b)
}

// openCursor returns the position of a cursor made for this client and type.
func openCursor(cursor, clientRef string, t DocumentType) (string, error) {
	if len(cursor) > 1024 {
		return "", ErrBadCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return "", ErrBadCursor
	}
	var c cursorBody
	if err := json.Unmarshal(raw, &c); err != nil || c.Client != clientRef || c.Type != t {
		return "", ErrBadCursor
	}
	// DOC#<date>#<published>#<id>: four parts, none empty.
	parts := strings.Split(c.After, "#")
	if len(parts) != 4 || parts[0]+"#" != docPrefix {
		return "", ErrBadCursor
	}
	for _, p := range parts {
		if p == "" {
			return "", ErrBadCursor
		}
	}
	return c.After, nil
}
