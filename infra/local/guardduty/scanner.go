package guardduty

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"sync"
	"time"
)

// The tag GuardDuty writes and its values used here.
const (
	TagKey         = "GuardDutyMalwareScanStatus"
	NoThreatsFound = "NO_THREATS_FOUND"
	ThreatsFound   = "THREATS_FOUND"
	Failed         = "FAILED"
)

// defaultTimeout bounds a scan whose context has no deadline.
const defaultTimeout = 2 * time.Minute

// Objects is the S3 the scanner reads and tags; *s3front.Server satisfies it.
// Missing objects are reported with errors matching fs.ErrNotExist.
type Objects interface {
	GetObject(ctx context.Context, bucket, key string) (io.ReadCloser, int64, error)
	GetTags(ctx context.Context, bucket, key string) (map[string]string, error)
	PutTags(ctx context.Context, bucket, key string, tags map[string]string) error
}

// Scanner scans objects with clamd and tags the verdict.
type Scanner struct {
	addr    string
	objects Objects
	log     io.Writer
	logMu   sync.Mutex
}

// New returns a scanner using clamd at clamdAddr ("tcp:127.0.0.1:port" or
// "unix:/path"). log receives one line per scan (nil: discard).
func New(clamdAddr string, objects Objects, log io.Writer) *Scanner {
	if log == nil {
		log = io.Discard
	}
	return &Scanner{addr: clamdAddr, objects: objects, log: log}
}

// Scan scans one object and tags it with the verdict, keeping its other tags.
// It returns the verdict, or "" when the object does not exist (nothing is
// tagged then).
func (s *Scanner) Scan(ctx context.Context, bucket, key string) string {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultTimeout)
		defer cancel()
	}
	status, detail := s.scan(ctx, bucket, key)
	if status == "" {
		s.logf("%s/%s: not scanned: %s", bucket, key, detail)
		return ""
	}
	if err := s.tag(ctx, bucket, key, status); err != nil {
		s.logf("%s/%s: %s (%s), tag not written: %v", bucket, key, status, detail, err)
		return status
	}
	s.logf("%s/%s: %s (%s)", bucket, key, status, detail)
	return status
}

// scan returns the verdict and a line explaining it.
func (s *Scanner) scan(ctx context.Context, bucket, key string) (status, detail string) {
	body, size, err := s.objects.GetObject(ctx, bucket, key)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "no such object"
	}
	if err != nil {
		return Failed, fmt.Sprintf("reading object: %v", err)
	}
	defer body.Close()
	counted := &countingReader{r: body}
	res, err := instream(ctx, s.addr, counted)
	switch {
	case err != nil:
		return Failed, err.Error()
	case counted.n != size:
		return Failed, fmt.Sprintf("read %d of %d bytes", counted.n, size)
	case res.threat != "":
		return ThreatsFound, res.threat
	default:
		return NoThreatsFound, fmt.Sprintf("%d bytes clean", size)
	}
}

func (s *Scanner) tag(ctx context.Context, bucket, key, status string) error {
	current, err := s.objects.GetTags(ctx, bucket, key)
	if err != nil {
		return err
	}
	tags := maps.Clone(current)
	if tags == nil {
		tags = map[string]string{}
	}
	tags[TagKey] = status
	return s.objects.PutTags(ctx, bucket, key, tags)
}

func (s *Scanner) logf(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.log, "guardduty: "+format+"\n", args...)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
