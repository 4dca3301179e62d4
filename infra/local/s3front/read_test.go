package s3front

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
)

// A read that is still streaming when later writes grow the bolt file (a remap) or reuse its
// pages must still return its own object's bytes (s3bolt's own GetObject crashed here).
func TestReadsSurviveLaterWrites(t *testing.T) {
	st := start(t, t.TempDir())
	want := strings.Repeat("the first object ", 4096)
	st.put("inbound/first", want)
	body, _, err := st.srv.GetObject(context.Background(), "uploads", "inbound/first")
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	big := strings.Repeat("x", 256<<10)
	for i := range 64 { // 16 MiB of writes and deletes: the file grows and is remapped
		st.put(fmt.Sprintf("inbound/filler-%d", i), big)
		if i%2 == 0 {
			if err := st.srv.deleteObject("uploads", fmt.Sprintf("inbound/filler-%d", i), "127.0.0.1"); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := io.ReadAll(body)
	if err != nil || !bytes.Equal(got, []byte(want)) {
		t.Fatalf("the streaming read returned %d other bytes (%v)", len(got), err)
	}
	if g, _ := st.get("inbound/first"); g != want {
		t.Fatal("a later read differs")
	}
}
