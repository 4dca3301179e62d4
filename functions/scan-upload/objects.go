package main

import (
	"context"
	"fmt"
	"io"

	"github.com/council/cfp/shared/bucket"
)

// blockSize is the size of one ranged GET. The checks read front to back, with short excursions
// (an object stream, the last KiB), so two blocks held at once serve nearly every read once:
// memory stays at 2 MiB whatever the file's size, and a 10 MiB file costs about 10 GETs.
const blockSize = 1 << 20

// rangeReader reads one version of an object in ranged reads of blockSize, keeping the two
// blocks used last. A version no longer there fails the read (bucket.ErrGone, ErrChanged).
type rangeReader struct {
	ctx     context.Context
	objects Objects
	key     string
	obj     bucket.Object
	blocks  [2]block
	clock   int
}

type block struct {
	off  int64
	n    int
	used int
	buf  []byte
}

func (h Handler) reader(ctx context.Context, key string, obj bucket.Object) *rangeReader {
	return &rangeReader{ctx: ctx, objects: h.Objects, key: key, obj: obj}
}

func (r *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) && off < r.obj.Size {
		b, err := r.block(off - off%blockSize)
		if err != nil {
			return n, err
		}
		c := copy(p[n:], b.buf[off-b.off:b.n])
		n, off = n+c, off+int64(c)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *rangeReader) block(start int64) (*block, error) {
	r.clock++
	victim := &r.blocks[0]
	for i := range r.blocks {
		b := &r.blocks[i]
		if b.n > 0 && b.off == start {
			b.used = r.clock
			return b, nil
		}
		if b.used < victim.used {
			victim = b
		}
	}
	end := min(start+blockSize, r.obj.Size) // exclusive
	if victim.buf == nil {
		victim.buf = make([]byte, min(blockSize, r.obj.Size))
	}
	victim.n, victim.used = 0, r.clock
	_, n, err := r.objects.ReadVersion(r.ctx, r.key, r.obj, start, victim.buf[:end-start])
	if err != nil {
		return nil, err
	}
	if n < int(end-start) {
		return nil, fmt.Errorf("reading bytes %d-%d: %d bytes only", start, end-1, n)
	}
	victim.off, victim.n = start, n
	return victim, nil
}
