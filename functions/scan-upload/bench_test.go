package main

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/bucket"
)

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

func checker(tb testing.TB) (Handler, bucket.Object, string) {
	s3 := newFakeS3()
	key := "evidence/rbench/ebench"
	data := bigPDF(access.MaxFileSize)
	etag := s3.put(key, "application/pdf", data)
	return Handler{Objects: s3, Bucket: uploads}, bucket.Object{ETag: etag, Size: int64(len(data)), ContentType: "application/pdf"}, key
}

func TestTheFunctionNeverHoldsAFileTwice(t *testing.T) {
	h, obj, key := checker(t)
	var err error
	peak := allocated(func() { _, err = h.check(ctx, key, obj, "application/pdf") })
	if err != nil {
		t.Fatal(err)
	}
	// Two ranged-read blocks and the scanner's buffers: a fraction of the file, whatever its size.
	if peak > 2*blockSize+1<<20 {
		t.Fatalf("checking a %d-byte object allocated %d bytes", obj.Size, peak)
	}
}

// BenchmarkValidate10MiBPDF is the function's validation of a 10 MiB PDF: ranged GETs (served
// from memory) and the checks. gets/op is the number of S3 requests; peak-heap-B what one
// validation allocates with the garbage collector off (an upper bound of its peak heap).
func BenchmarkValidate10MiBPDF(b *testing.B) {
	h, obj, key := checker(b)
	s3 := h.Objects.(*fakeS3)
	b.SetBytes(obj.Size)
	b.ReportAllocs()
	s3.gets = 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := h.check(ctx, key, obj, "application/pdf"); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(s3.gets)/float64(b.N), "gets/op")
	b.ReportMetric(float64(allocated(func() { _, _ = h.check(ctx, key, obj, "application/pdf") })), "peak-heap-B")
	b.ReportMetric(float64(obj.Size), "file-B")
}
