package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// maxCursor is the longest cursor openCursor accepts.
const maxCursor = 1024

// wellFormedPosition reports whether after is a position a cursor may carry: a document sort key
// DOC#<date>#<published>#<id>, four parts, none empty.
func wellFormedPosition(after string) bool {
	parts := strings.Split(after, "#")
	if len(parts) != 4 || parts[0] != "DOC" {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
	}
	return true
}

// FuzzCursor: a cursor opens only for the list (client and type filter) it was made for, opens to
// the position it was made with, and whatever string arrives as a cursor never panics and never
// opens to anything but a document sort key.
//
// Client references and types are compared only when they are valid UTF-8: JSON turns invalid
// bytes into U+FFFD, so "\xff" and "\ufffd" share cursors. That is harmless (the portal builds the
// partition from the reference in the path, after checking a grant, never from the cursor, and
// references are digits) and FuzzDocuments checks the partition itself.
func FuzzCursor(f *testing.F) {
	sk := "DOC#2026-01-01#2026-01-02T00:00:00.000000Z#d1"
	f.Add(makeCursor("123456", "", sk), "123456", "", "123456", string(CareInvoice))
	f.Add(makeCursor("123456", CareInvoice, sk), "123456", string(CareInvoice), "654321", string(CareInvoice))
	f.Add(makeCursor("123456", CareInvoice, sk), "123456", string(CareInvoice), "1234567", string(CareInvoice))
	f.Add(makeCursor("123456", "", "DOC#a#b#c#d"), "123456", "", "123456", "")
	f.Add(makeCursor("123456", "", "GRANT#r1"), "123456", "", "", "")
	f.Add(makeCursor("1", "", "DOC##x#y"), "1", "", "", "")
	f.Add("eyJjIjoiMTIzNDU2IiwiayI6IkRPQyMxIzIjMyJ9", "123456", "", "", "")
	f.Add("eyJjIjoiMTIzNDU2IiwidCI6IiIsImsiOiJET0MjMSMyIzMiLCJjIjoiOTk5In0", "123456", "", "999", "") // a second "c"
	f.Add(sk, "123456", "", "", "")
	f.Add("%%%", "1", "", "", "")
	f.Add("", "", "", "", "")
	f.Fuzz(func(t *testing.T, cursor, client, typ, client2, typ2 string) {
		after, err := openCursor(cursor, client, DocumentType(typ))
		if err == nil {
			if !wellFormedPosition(after) {
				t.Fatalf("cursor %q opened to %q", cursor, after)
			}
			other := client2 != client || typ2 != typ
			if other && valid(client, client2, typ, typ2) {
				if _, err := openCursor(cursor, client2, DocumentType(typ2)); err == nil {
					t.Fatalf("a cursor of %q/%q opened for %q/%q", client, typ, client2, typ2)
				}
			}
			c := makeCursor(client, DocumentType(typ), after)
			if again, err := openCursor(c, client, DocumentType(typ)); len(c) <= maxCursor && (err != nil || again != after) {
				t.Fatalf("round trip of %q: %q %v", after, again, err)
			}
		} else if !errors.Is(err, ErrBadCursor) {
			t.Fatalf("cursor %q: %v", cursor, err)
		}
		// Any position the store makes a cursor with comes back, for its list only.
		if wellFormedPosition(cursor) && valid(cursor, client, typ) {
			c := makeCursor(client, DocumentType(typ), cursor)
			if got, err := openCursor(c, client, DocumentType(typ)); len(c) <= maxCursor && (err != nil || got != cursor) {
				t.Fatalf("made with %q, opened to %q %v", cursor, got, err)
			}
		}
	})
}

// valid reports whether every string is valid UTF-8 (each on its own: halves of a rune are not).
func valid(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

// queryDB answers Query with canned items and records what was asked; the list makes no other call.
type queryDB struct {
	DB
	queries []*dynamodb.QueryInput
	items   []map[string]types.AttributeValue
}

func (q *queryDB) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	q.queries = append(q.queries, in)
	return &dynamodb.QueryOutput{Items: q.items}, nil
}

func attr(m map[string]types.AttributeValue, name string) string {
	if s, ok := m[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// FuzzDocuments: whatever cursor comes with a list request, the one Query reads the partition of the
// client (and type) asked for, starting (if anywhere) from a document position in that partition;
// a cursor that does not open costs no request. The next page's cursor opens for the same list.
func FuzzDocuments(f *testing.F) {
	sk := "DOC#2026-01-01#2026-01-02T00:00:00.000000Z#d1"
	f.Add(makeCursor("123456", "", sk), "123456", "")
	f.Add(makeCursor("123456", CareInvoice, sk), "123456", string(CareInvoice))
	f.Add(makeCursor("123456", "", "DOC#x#y#../../REQ#r1"), "123456", "")
	f.Add(makeCursor("654321", "", sk), "123456", "")
	f.Add(makeCursor("123456#TYPE#care_invoice", "", sk), "123456", string(CareInvoice))
	f.Add("", "123456", "")
	f.Add("not a cursor", "123456", "")
	f.Add("", strings.Repeat("|", 2000), "") // a next cursor too long to open: no reference is this long
	published := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, cursor, client, typ string) {
		db := &queryDB{}
		for _, id := range []DocumentID{"d2", "d1"} {
			item, err := attributevalue.MarshalMap(newDocumentItem(Document{ID: id, ClientReference: client, Type: DocumentType(typ), DocumentDate: "2026-11-01", PublishedAt: published}))
			if err != nil {
				t.Fatal(err)
			}
			db.items = append(db.items, item)
		}
		s := New(db, "t")
		page, err := s.Documents(context.Background(), client, DocumentType(typ), cursor, 1)
		if err != nil {
			if !errors.Is(err, ErrBadCursor) || cursor == "" || len(db.queries) != 0 {
				t.Fatalf("cursor %q: %v after %d queries", cursor, err, len(db.queries))
			}
			return
		}
		if len(db.queries) != 1 {
			t.Fatalf("%d queries", len(db.queries))
		}
		q := db.queries[0]
		index, pkName, skName, pk := "GSI1", "GSI1PK", "GSI1SK", clientPK(client)
		if typ != "" {
			index, pkName, skName, pk = "GSI2", "GSI2PK", "GSI2SK", clientPK(client)+"#TYPE#"+typ
		}
		if *q.IndexName != index || attr(q.ExpressionAttributeValues, ":pk") != pk || attr(q.ExpressionAttributeValues, ":doc") != docPrefix {
			t.Fatalf("cursor %q for %q/%q queried %s %v", cursor, client, typ, *q.IndexName, q.ExpressionAttributeValues)
		}
		if start := q.ExclusiveStartKey; cursor != "" {
			after := attr(start, skName)
			id := after[strings.LastIndexByte(after, '#')+1:]
			if len(start) != 4 || attr(start, pkName) != pk || !wellFormedPosition(after) ||
				attr(start, "PK") != "DOC#"+id || attr(start, "SK") != "DOC" {
				t.Fatalf("cursor %q for %q/%q started from %v", cursor, client, typ, start)
			}
		} else if start != nil {
			t.Fatalf("a first page started from %v", start)
		}
		if len(page.Documents) != 1 || page.Next == "" {
			t.Fatalf("page %+v", page)
		}
		// References are at most 20 characters (approval's safeRef) and types a few words, so
		// their cursors stay well under the length openCursor accepts.
		if valid(client, typ) && len(client) <= 40 && len(typ) <= 40 {
			if _, err := openCursor(page.Next, client, DocumentType(typ)); err != nil {
				t.Fatalf("the next page's cursor does not open for its own list: %v", err)
			}
		}
	})
}
