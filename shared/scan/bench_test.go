package scan

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/council/cfp/shared/access"
)

// bigPDF is a valid PDF of about size bytes, shaped like a scanned document: mostly image data,
// with an object stream of small objects.
func bigPDF(size int) []byte {
	var objs []string
	for i := 0; i < 200; i++ {
		objs = append(objs, fmt.Sprintf("<< /Type /Annot /Subtype /Link /Rect [0 0 %d 10] /Dest [3 0 R /Fit] >>", i))
	}
	head := page("/OpenAction [3 0 R /Fit]", objStm(10, "", objs...))
	head = head[:bytes.LastIndex(head, []byte("xref"))]
	var b bytes.Buffer
	b.Write(head)
	img := make([]byte, 1<<20)
	x := uint32(2463534242)
	for i := range img {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		img[i] = byte(x)
	}
	for n := 300; b.Len()+len(img)+200 < size; n++ {
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, stream("/Type /XObject /Subtype /Image /Filter /DCTDecode", img))
		img[0]++
	}
	b.WriteString("trailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n")
	return b.Bytes()
}

// allocated runs f once with the garbage collector off and returns the bytes it allocated: an
// upper bound of the heap it needed at its peak.
func allocated(f func()) uint64 {
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestCheckingA10MiBPDFNeedsBoundedMemory(t *testing.T) {
	data := bigPDF(access.MaxFileSize)
	var res Result
	peak := allocated(func() { res, _ = Check(bytes.NewReader(data), int64(len(data)), PDF) })
	if res.Problem != nil {
		t.Fatalf("the benchmark document is refused: %+v", res.Problem)
	}
	if peak > 1<<20 {
		t.Fatalf("checking a %d-byte PDF allocated %d bytes", len(data), peak)
	}
}

// BenchmarkCheckPDF10MiB validates a 10 MiB PDF read from memory; peak-heap-B is what one
// validation allocates with the garbage collector off (an upper bound of its peak heap).
func BenchmarkCheckPDF10MiB(b *testing.B) {
	data := bigPDF(access.MaxFileSize)
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Check(r, int64(len(data)), PDF); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(allocated(func() { _, _ = Check(r, int64(len(data)), PDF) })), "peak-heap-B")
	b.ReportMetric(float64(len(data)), "file-B")
}
