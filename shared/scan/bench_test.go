package scan

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

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

// worstPDF is the costliest file under size bytes we know how to build: object stream after object
// stream, each a few bytes long but declaring the largest header (/First) and object count (/N)
// the checks allow, so that every one of them asks for its own inflater, buffers and header.
func worstPDF(size int) []byte {
	var b bytes.Buffer
	b.Write(page("")[:bytes.LastIndex(page(""), []byte("xref"))])
	body := deflate([]byte("6 0 <<>>"))
	for n := 5; b.Len()+300 < size; n++ {
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, stream(fmt.Sprintf("/Type /ObjStm /Filter /FlateDecode /N %d /First %d", maxObjects, maxHeader), body))
	}
	b.WriteString("trailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n")
	return b.Bytes()
}

// peakHeap runs f and returns the most heap in use, above what was in use before, seen while it
// ran (sampled every millisecond, with the garbage collector on).
func peakHeap(f func()) uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	base := s[0].Value.Uint64()
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(done)
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// BenchmarkCheckWorstPDF checks worstPDF at the largest size accepted; peak-heap-B is the most
// heap one check held at once.
func BenchmarkCheckWorstPDF(b *testing.B) {
	data := worstPDF(access.MaxFileSize)
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var peak uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		peak = max(peak, peakHeap(func() {
			if _, err := Check(r, int64(len(data)), PDF); err != nil {
				b.Fatal(err)
			}
		}))
	}
	b.ReportMetric(float64(peak), "peak-heap-B")
	b.ReportMetric(float64(len(data)), "file-B")
}

// budgetPDF spends the budgets instead: object streams that inflate, together, to just under the
// 64 MiB the checks inflate per file, full of small tokens, each declaring as many objects as a 1 MiB header holds.
func budgetPDF() []byte {
	var b bytes.Buffer
	b.Write(page("")[:bytes.LastIndex(page(""), []byte("xref"))])
	var header bytes.Buffer
	objects := 0
	for ; header.Len() < maxHeader-32; objects++ {
		fmt.Fprintf(&header, "%d %d ", 100+objects, (maxObjects-objects)*8)
	}
	data := deflate(append(header.Bytes(), bytes.Repeat([]byte("<</A[1 2 R]>>\n"), (maxInflate/16-header.Len())/14)...))
	for n := 5; n < 5+15; n++ {
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, stream(fmt.Sprintf("/Type /ObjStm /Filter /FlateDecode /N %d /First %d", objects, header.Len()), data))
	}
	b.WriteString("trailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n")
	return b.Bytes()
}

// BenchmarkCheckBudgetPDF checks budgetPDF: the costliest file once the caps hold.
func BenchmarkCheckBudgetPDF(b *testing.B) {
	data := budgetPDF()
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var peak uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		peak = max(peak, peakHeap(func() {
			if _, err := Check(r, int64(len(data)), PDF); err != nil {
				b.Fatal(err)
			}
		}))
	}
	b.ReportMetric(float64(peak), "peak-heap-B")
	b.ReportMetric(float64(len(data)), "file-B")
}
