package store

import (
	"strings"
	"testing"
)

// FuzzCursor: a cursor opens only for the list it was made for, and whatever string arrives as a
// cursor never panics and never names a position outside a document sort key.
func FuzzCursor(f *testing.F) {
	f.Add(makeCursor("123456", "", "DOC#2026-01-01#2026-01-02T00:00:00.000000Z#d1"), "123456", "")
	f.Add(makeCursor("123456", CareInvoice, "DOC#2026-01-01#x#d1"), "654321", string(CareInvoice))
	f.Add("eyJjIjoiMTIzNDU2IiwiayI6IkRPQyMxIzIjMyJ9", "123456", "")
	f.Add("%%%", "1", "")
	f.Fuzz(func(t *testing.T, cursor, client, typ string) {
		after, err := openCursor(cursor, client, DocumentType(typ))
		if err != nil {
			return
		}
		if !strings.HasPrefix(after, docPrefix) || strings.Count(after, "#") != 3 {
			t.Fatalf("cursor %q opened to %q", cursor, after)
		}
		if _, err := openCursor(cursor, client+"x", DocumentType(typ)); err == nil {
			t.Fatalf("cursor for %q opened for another client", client)
		}
		if again, err := openCursor(makeCursor(client, DocumentType(typ), after), client, DocumentType(typ)); err != nil || again != after {
			t.Fatalf("round trip of %q: %q %v", after, again, err)
		}
	})
}
