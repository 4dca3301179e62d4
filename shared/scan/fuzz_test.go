package scan

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// FuzzCheck's seed corpus is testdata/fuzz/FuzzCheck: one PDF for each kind of active content
// (JavaScript, JS, Launch, OpenAction beyond a GoTo, AA, embedded files, RichMedia, XFA, Encrypt),
// plain, #xx-escaped and inside object streams, and two harmless open actions beside them.

// activeKinds are the entries that refuse a PDF, with a value each and the refusal's code.
var activeKinds = []struct{ name, value, code string }{
	{"JavaScript", "5 0 R", "pdf_javascript"},
	{"JS", "(app.alert(1))", "pdf_javascript"},
	{"S", "/Launch /F (cmd.exe)", "pdf_launch"},
	{"OpenAction", "<< /S /URI /URI (https://example.com/) >>", "pdf_open_action"},
	{"OpenAction", "<< /S /GoTo /D [3 0 R /Fit] /Next 5 0 R >>", "pdf_open_action"},
	{"OpenAction", "<< /S /Named /N /Print >>", "pdf_open_action"},
	{"AA", "<< /O 5 0 R >>", "pdf_additional_actions"},
	{"EmbeddedFiles", "5 0 R", "pdf_embedded_file"},
	{"EF", "<< /F 5 0 R >>", "pdf_embedded_file"},
	{"Type", "/EmbeddedFile", "pdf_embedded_file"},
	{"Subtype", "/RichMedia", "pdf_rich_media"},
	{"XFA", "5 0 R", "pdf_xfa"},
	{"Encrypt", "5 0 R", "pdf_encrypted"},
}

// escape writes name with the characters whose bit is set in mask as #xx, as PDF writers may.
func escape(name string, mask uint64) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if i < 64 && mask&(1<<i) != 0 {
			fmt.Fprintf(&b, "#%02X", name[i])
		} else {
			b.WriteByte(name[i])
		}
	}
	return b.String()
}

// FuzzActiveContent: a PDF with active content is never accepted, however its names are escaped,
// wherever the entry sits (the catalog, an object of its own, a compressed object stream) and
// whatever object comes before it (the fuzzer's attempt to hide it: an unclosed string, a false
// stream, a comment). With nothing in front of it, the refusal names the kind of content.
func FuzzActiveContent(f *testing.F) {
	for i := range activeKinds {
		for where := range 3 {
			f.Add(uint8(i), uint64(0), uint8(where), "")
		}
	}
	f.Add(uint8(0), uint64(0b1010), uint8(1), "")
	f.Add(uint8(1), uint64(0), uint8(1), "(unclosed string")
	f.Add(uint8(2), uint64(0), uint8(1), "<< /Length 99 >>\nstream\n")
	f.Add(uint8(3), uint64(0), uint8(0), "% comment\n")
	f.Add(uint8(4), uint64(0), uint8(2), "endobj\n9 0 obj")
	f.Add(uint8(5), uint64(0), uint8(2), "<< /A [") // found by this target: see TestObjectStreamAfterAnObjectLeftOpen
	f.Fuzz(func(t *testing.T, kind uint8, mask uint64, where uint8, before string) {
		k := activeKinds[int(kind)%len(activeKinds)]
		entry := "/" + escape(k.name, mask) + " " + k.value
		var data []byte
		switch where % 3 {
		case 0: // the catalog; before is object 5
			data = page(entry, before)
		case 1: // a dictionary of its own, object 6
			data = page("", before, "<< "+entry+" >>")
		case 2: // inside an object stream, object 6, holding objects 20 and 21
			data = page("", before, objStm(20, "", "<< /Type /Action >>", "<< "+entry+" >>"))
		}
		r, err := Check(bytes.NewReader(data), int64(len(data)), PDF)
		if err != nil {
			t.Fatal(err)
		}
		if r.Problem == nil {
			t.Fatalf("accepted %s after %q:\n%s", entry, before, data)
		}
		if before == "" && r.Problem.Code != k.code {
			t.Fatalf("%s: %s, want %s", entry, r.Problem.Code, k.code)
		}
	})
}

// TestObjectStreamAfterAnObjectLeftOpen: an object whose array or dictionary is never closed made
// the sweep read every later object as a nested value, so an object stream after it was never
// decoded and JavaScript inside it passed; a reader finds that object stream at its xref offset.
// (Found by FuzzActiveContent.)
func TestObjectStreamAfterAnObjectLeftOpen(t *testing.T) {
	for _, open := range []string{"[", "<<", "<< /A [", "[[[ << /B"} {
		js := objStm(20, "", "<< /Type /Action >>", "<< /S /JavaScript /JS (app.alert(1)) >>")
		for _, data := range [][]byte{
			page("/OpenAction [3 0 R /Fit]", open, js),
			// No endobj in between: the next object's header is the sign.
			bytes.Replace(page("", "<< /Annots [21 0 R] "+open, js), []byte("\nendobj\n6 0 obj"), []byte("\n6 0 obj"), 1),
		} {
			if got := code(check(t, data)); got != "pdf_javascript" {
				t.Errorf("%q before an object stream with JavaScript: %q", open, got)
			}
		}
		if got := code(check(t, page("", open))); got != "pdf_damaged" {
			t.Errorf("an object left open with %q: %q", open, got)
		}
	}
}

// separators are what may stand between the parts of an object header: whitespace, comments.
var separators = []string{" ", "\n", "\r\n", "\t", "\f", "\x00", "%x\n", "% a long comment %%\r", "%\n"}

// FuzzHiddenObject: an object with JavaScript, hidden in a region the sweep skips (a stream body,
// a string, a hex string) behind a header spread out with whitespace and comments, and reached
// through the cross-reference table or an xref stream, is never accepted.
func FuzzHiddenObject(f *testing.F) {
	f.Add([]byte{6, 6}, uint8(0), false)
	f.Add([]byte{0, 7, 1}, uint8(1), true)
	f.Add([]byte{8, 2, 4, 5}, uint8(2), false)
	f.Add([]byte{}, uint8(3), true)
	f.Fuzz(func(t *testing.T, seps []byte, where uint8, xrefStm bool) {
		sep := func(i int) string {
			if i >= len(seps) {
				return " "
			}
			return separators[int(seps[i])%len(separators)]
		}
		obj := "12" + sep(0) + "0" + sep(1) + "obj" + sep(2) + "<< /S /JavaScript /JS (app.alert\\(1\\)) >>\n"
		var container string
		switch where % 3 {
		case 0:
			container = stream("", []byte("q Q\n"+obj))
		case 1:
			container = "[(" + obj + ")]"
		case 2:
			container = "[<" + strings.ReplaceAll(obj, ">", "") + ">]"
		}
		pdf := page("", container)
		data := update(pdf, 12, bytes.Index(pdf, []byte("12"+sep(0)+"0")), xrefStm)
		r, err := Check(bytes.NewReader(data), int64(len(data)), PDF)
		if err != nil {
			t.Fatal(err)
		}
		if r.Problem == nil {
			t.Fatalf("accepted a hidden object:\n%q", data)
		}
	})
}
