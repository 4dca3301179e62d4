package scan

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
)

// update appends an incremental update to pdf whose cross-reference section lists object num at
// offset off: a classic table, or (xrefStm) an xref stream inflated through the PNG Up predictor,
// as Acrobat and qpdf write them.
func update(pdf []byte, num, off int, xrefStm bool) []byte {
	i := bytes.LastIndex(pdf, []byte("startxref"))
	var prev int
	fmt.Sscanf(string(pdf[i+len("startxref"):]), "%d", &prev)
	b := bytes.NewBuffer(append([]byte(nil), pdf...))
	at := b.Len()
	if !xrefStm {
		fmt.Fprintf(b, "xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", num, off, num+1, prev, at)
		return b.Bytes()
	}
	var rows, last []byte
	last = make([]byte, 6)
	for _, o := range []int{off, at} {
		row := []byte{1, byte(o >> 24), byte(o >> 16), byte(o >> 8), byte(o), 0}
		rows = append(rows, 2) // PNG Up
		for j := range row {
			rows = append(rows, row[j]-last[j])
		}
		last = row
	}
	data := deflate(rows)
	fmt.Fprintf(b, "%d 0 obj\n<< /Type /XRef /Size %d /Root 1 0 R /Prev %d /Index [%d 2] /W [1 4 1] /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 6 >> /Length %d >>\nstream\n%s\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n",
		num+1, num+2, prev, num, len(data), data, at)
	return b.Bytes()
}

// hiddenObject is an object whose header has a comment in it (a comment is whitespace to a reader), so
// that no literal "12 0 obj" shows, with no endobj after it (readers do without).
const hiddenObject = "12 0 %x\nobj\n<< /S /JavaScript /JS (app.alert\\(1\\)) >>\n"

// hiding are the places a sequential reading skips, each holding the hiddenObject object.
var hiding = map[string]string{
	"stream body":  stream("", []byte("q Q\n"+hiddenObject)),
	"string":       "[(" + hiddenObject + ")]",
	"hex string":   "[<" + hiddenObject[:len(hiddenObject)-4] + ">]",
	"image stream": stream("/Type /XObject /Subtype /Image /Width 1 /Height 1 /BitsPerComponent 8 /ColorSpace /DeviceGray", []byte("\x00\x01"+hiddenObject)),
}

// TestObjectHiddenInASkippedRegion: an object inside a stream body or string, reached through the
// cross-reference table, was never read by the sweep: its JavaScript passed.
func TestObjectHiddenInASkippedRegion(t *testing.T) {
	for where, container := range hiding {
		pdf := page("", container)
		off := bytes.Index(pdf, []byte("12 0 %x"))
		for _, xrefStm := range []bool{false, true} {
			if got := code(check(t, update(pdf, 12, off, xrefStm))); got != "pdf_hidden_object" {
				t.Errorf("an object hiddenObject in a %s, xref stream %v: got %q", where, xrefStm, got)
			}
		}
		// The same bytes with nothing pointing at them are only text or data.
		if got := code(check(t, pdf)); got != "" {
			t.Errorf("a %s holding an object header that nothing points at: got %q", where, got)
		}
	}
}

// TestXrefOffsetsToNothingAreAccepted: offsets that point at nothing (past the end, into image
// data, at the wrong byte) are common in scanned PDFs that readers repair.
func TestXrefOffsetsToNothingAreAccepted(t *testing.T) {
	img := stream("/Type /XObject /Subtype /Image /Width 4 /Height 4 /BitsPerComponent 8 /ColorSpace /DeviceGray", []byte("\x00\x10\x20 0 12 ob\xff\xfe 7 8 junk"))
	pdf := page("", img)
	inside := bytes.Index(pdf, []byte("\x00\x10\x20"))
	early := bytes.Index(pdf, []byte("\n1 0 obj")) // one byte early, on the end of a comment's line
	for _, off := range []int{inside, inside + 3, len(pdf) + 100, 5, 999999999, early} {
		for _, xrefStm := range []bool{false, true} {
			if got := code(check(t, update(pdf, 12, off, xrefStm))); got != "" {
				t.Errorf("offset %d, xref stream %v: got %q", off, xrefStm, got)
			}
		}
	}
}

// TestObjectStreamWithRealNumbers: /N 1.0 /First 4.0 without /Type /ObjStm was never inflated,
// but pdf.js reads such a stream as an object stream.
func TestObjectStreamWithRealNumbers(t *testing.T) {
	js := deflate([]byte("6 0 << /S /JavaScript /JS (app.alert(1)) >>"))
	for _, nf := range []string{"/N 1.0 /First 4.0", "/N 1. /First +4", "/First 4.0 /N 1", "/N .1e1 /First 4"} {
		if got := code(check(t, page("", stream("/Filter /FlateDecode "+nf, js)))); got != "pdf_javascript" {
			t.Errorf("%s: got %q", nf, got)
		}
	}
	for _, nf := range []string{"/N 1.5 /First 4", "/N 1 /First (4)", "/N [1] /First 4"} {
		if got := code(check(t, page("", stream("/Filter /FlateDecode "+nf, js)))); got != "pdf_damaged" {
			t.Errorf("%s: got %q", nf, got)
		}
	}
	// An ICC profile carries /N (its colour components) and no /First: not an object stream.
	if got := code(check(t, page("", stream("/N 3 /Filter /FlateDecode", deflate([]byte("\x00\x01/JS")))))); got != "" {
		t.Errorf("ICC profile: got %q", got)
	}
}

// totalAlloc returns the bytes f allocated (the garbage collector stays on).
func totalAlloc(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestManyObjectStreamsCostLittle: each object stream had its own inflater and buffers and its
// declared header allocated before anything was read, and nothing limited how many a file had:
// worstPDF (10 MiB) cost about 30 s and 89 GB of allocations.
func TestManyObjectStreamsCostLittle(t *testing.T) {
	data := worstPDF(access.MaxFileSize)
	var res Result
	start := time.Now()
	n := totalAlloc(func() { res = check(t, data) })
	if code(res) != "pdf_too_complex" {
		t.Errorf("got %q", code(res))
	}
	if n > 16<<20 {
		t.Errorf("checking a %d-byte PDF allocated %d bytes in %v", len(data), n, time.Since(start))
	}
}

// TestOrdinaryPDFsAreAccepted: testdata/corpus holds small PDFs from common producers
// (LibreOffice, Ghostscript's ps2pdf, qpdf with object and xref streams and linearized, pdftk);
// none is refused, and the cross-reference check reads each one's sections.
func TestOrdinaryPDFsAreAccepted(t *testing.T) {
	files, _ := filepath.Glob("testdata/corpus/*.pdf")
	if len(files) < 5 {
		t.Fatalf("corpus: %d files", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := code(check(t, data)); got != "" {
			t.Errorf("%s: refused, %q", f, got)
		}
		d, err := sweepPDF(bytes.NewReader(data), int64(len(data)), bytes.NewReader(data))
		if err != nil || d.offsets < 5 {
			t.Errorf("%s: %d cross-reference offsets read, %v", f, d.offsets, err)
		}
	}
}
