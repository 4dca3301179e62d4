package guardduty

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"testing"
)

var ctx = context.Background()

// memObjects is an in-memory Objects with S3's tagging semantics.
type memObjects struct {
	mu      sync.Mutex
	bodies  map[string][]byte
	tags    map[string]map[string]string
	readErr error // when set, reading fails after the first half of the body
}

func newMem() *memObjects {
	return &memObjects{bodies: map[string][]byte{}, tags: map[string]map[string]string{}}
}

func (m *memObjects) put(key string, body []byte, tags map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bodies["b/"+key] = body
	m.tags["b/"+key] = tags
}

func (m *memObjects) GetObject(_ context.Context, bucket, key string) (io.ReadCloser, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.bodies[bucket+"/"+key]
	if !ok {
		return nil, 0, fmt.Errorf("no such key %s: %w", key, fs.ErrNotExist)
	}
	var r io.Reader = bytes.NewReader(b)
	if m.readErr != nil {
		r = io.MultiReader(bytes.NewReader(b[:len(b)/2]), errReader{m.readErr})
	}
	return io.NopCloser(r), int64(len(b)), nil
}

func (m *memObjects) GetTags(_ context.Context, bucket, key string) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.bodies[bucket+"/"+key]; !ok {
		return nil, fs.ErrNotExist
	}
	out := map[string]string{}
	for k, v := range m.tags[bucket+"/"+key] {
		out[k] = v
	}
	return out, nil
}

func (m *memObjects) PutTags(_ context.Context, bucket, key string, tags map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.bodies[bucket+"/"+key]; !ok {
		return fs.ErrNotExist
	}
	m.tags[bucket+"/"+key] = tags
	return nil
}

func (m *memObjects) tag(key string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.tags["b/"+key][TagKey]
	return v, ok
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

var cleanPDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
	"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// embedded returns a file of n bytes with the EICAR string placed across an
// INSTREAM chunk boundary.
func embedded(n int) []byte {
	b := bytes.Repeat([]byte("%PDF filler 0123456789\n"), n/23+1)[:n]
	copy(b[chunkSize-20:], eicar)
	return b
}

func TestScanVerdicts(t *testing.T) {
	addr := startClamd(t)
	objs := newMem()
	var log bytes.Buffer
	s := New(addr, objs, &log)

	objs.put("clean.pdf", cleanPDF, map[string]string{"request": "r1"})
	objs.put("eicar.com", []byte(eicar), nil)
	objs.put("inside.pdf", embedded(3<<20), nil)
	objs.put("huge.pdf", bytes.Repeat([]byte("a"), streamMax+1), nil)
	objs.put("empty.pdf", []byte{}, nil)

	for _, tc := range []struct{ key, want string }{
		{"clean.pdf", NoThreatsFound},
		{"eicar.com", ThreatsFound},
		{"inside.pdf", ThreatsFound},
		{"huge.pdf", Failed}, // beyond clamd's StreamMaxLength: no verdict is not clean
		{"empty.pdf", NoThreatsFound},
	} {
		t.Run(tc.key, func(t *testing.T) {
			if got := s.Scan(ctx, "b", tc.key); got != tc.want {
				t.Fatalf("Scan = %q, want %q\nlog:\n%s", got, tc.want, log.String())
			}
			if tag, _ := objs.tag(tc.key); tag != tc.want {
				t.Fatalf("tag %s = %q, want %q", TagKey, tag, tc.want)
			}
		})
	}
	// Existing tags are kept.
	if tags, _ := objs.GetTags(ctx, "b", "clean.pdf"); tags["request"] != "r1" || len(tags) != 2 {
		t.Fatalf("tags after scan: %v", tags)
	}
	if !strings.Contains(log.String(), "b/huge.pdf: FAILED (clamd: INSTREAM size limit exceeded") {
		t.Fatalf("log does not give clamd's size-limit error:\n%s", log.String())
	}
	if !strings.Contains(log.String(), "b/eicar.com: THREATS_FOUND (Local-EICAR-Test") {
		t.Fatalf("log does not name the signature:\n%s", log.String())
	}
}

func TestScanFailsClosed(t *testing.T) {
	addr := startClamd(t)

	t.Run("clamd unreachable", func(t *testing.T) {
		objs := newMem()
		objs.put("clean.pdf", cleanPDF, nil)
		down := fmt.Sprintf("tcp:127.0.0.1:%d", freePort(t))
		if got := New(down, objs, nil).Scan(ctx, "b", "clean.pdf"); got != Failed {
			t.Fatalf("Scan with clamd down = %q", got)
		}
		if tag, _ := objs.tag("clean.pdf"); tag != Failed {
			t.Fatalf("tag %q", tag)
		}
		if Ping(down) == nil {
			t.Fatal("Ping succeeded with nothing listening")
		}
	})

	t.Run("object unreadable half way", func(t *testing.T) {
		objs := newMem()
		objs.put("clean.pdf", cleanPDF, nil)
		objs.readErr = errors.New("disk gone")
		var log bytes.Buffer
		if got := New(addr, objs, &log).Scan(ctx, "b", "clean.pdf"); got != Failed {
			t.Fatalf("Scan of a half-read object = %q", got)
		}
		if !strings.Contains(log.String(), "reading object: disk gone") {
			t.Fatalf("log: %s", log.String())
		}
	})

	t.Run("missing object", func(t *testing.T) {
		objs := newMem()
		var log bytes.Buffer
		if got := New(addr, objs, &log).Scan(ctx, "b", "gone.pdf"); got != "" {
			t.Fatalf("Scan of missing object = %q", got)
		}
		if _, tagged := objs.tag("gone.pdf"); tagged {
			t.Fatal("missing object was tagged")
		}
		if !strings.Contains(log.String(), "gone.pdf: not scanned") {
			t.Fatalf("log: %s", log.String())
		}
	})

	t.Run("bad address", func(t *testing.T) {
		objs := newMem()
		objs.put("clean.pdf", cleanPDF, nil)
		if got := New("127.0.0.1:1", objs, nil).Scan(ctx, "b", "clean.pdf"); got != Failed {
			t.Fatalf("Scan = %q", got)
		}
	})
}
