package s3front

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/events"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3bolt"
	bolt "go.etcd.io/bbolt"
)

// Config configures the local S3 server.
type Config struct {
	// Dir is the persistence directory (e.g. .local/data/s3); objects,
	// metadata and tags survive a restart.
	Dir string
	// Buckets are created if missing.
	Buckets []string
	// AccessKey and SecretKey are the dummy static credentials every local
	// process uses; POST policies are verified against SecretKey.
	AccessKey, SecretKey string
	// Region is the only region a POST form's credential may name.
	Region string
	// Notify is called after every successful write, from a goroutine, in
	// write order per key. Who is subscribed is for Notify to decide.
	Notify func(events.S3Event)
	// Log receives one line per rejected or failed request (nil: discard).
	Log io.Writer
}

// Server is the local S3 endpoint.
type Server struct {
	cfg     Config
	db      *bolt.DB
	objects objects
	tags    *tagStore
	fake    http.Handler
	locks   keyLocks
	queue   *dispatcher
	seq     sequencer
	reqID   atomic.Uint64
	logMu   sync.Mutex
	close   sync.Once
}

// New opens (or creates) the store under cfg.Dir and creates cfg.Buckets.
func New(cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("s3front: Config.Dir is required")
	}
	if cfg.SecretKey == "" || cfg.AccessKey == "" {
		return nil, errors.New("s3front: Config.AccessKey and SecretKey are required (POST policies are verified with them)")
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("s3front: %w", err)
	}
	db, err := openBolt(filepath.Join(cfg.Dir, "objects.db"))
	if err != nil {
		return nil, err
	}
	tags, err := openTagStore(cfg.Dir)
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, db: db, objects: objects{Backend: s3bolt.New(db), db: db}, tags: tags}
	s.queue = newDispatcher(cfg.Notify)
	s.fake = gofakes3.New(s.objects, gofakes3.WithLogger(errLogger{s})).Server()
	for _, b := range cfg.Buckets {
		if err := s.ensureBucket(b); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

func (s *Server) ensureBucket(name string) error {
	if err := gofakes3.ValidateBucketName(name); err != nil {
		return fmt.Errorf("s3front: bucket %q: %w", name, err)
	}
	ok, err := s.objects.BucketExists(name)
	if err != nil || ok {
		return err
	}
	return s.objects.CreateBucket(name)
}

// Close waits for queued notifications to be delivered, then closes the store.
// Stop serving HTTP first.
func (s *Server) Close() error {
	var err error
	s.close.Do(func() {
		s.queue.wait()
		err = errors.Join(s.tags.close(), s.db.Close())
	})
	return err
}

func (s *Server) logf(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.cfg.Log, "s3: "+format+"\n", args...)
}

// errLogger passes on gofakes3's errors only: its info lines are per request.
type errLogger struct{ s *Server }

func (l errLogger) Print(level gofakes3.LogLevel, v ...any) {
	if level == gofakes3.LogErr {
		l.s.logf("gofakes3: %s", fmt.Sprint(v...))
	}
}

// ServeHTTP routes a path-style S3 request: the writes and tagging calls to
// the front, everything else to gofakes3.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	has := func(name string) bool { _, ok := q[name]; return ok }
	versioned := q.Get("versionId") != "" && q.Get("versionId") != "null"
	// gofakes3 answers CORS for any origin; the front's own answers match it
	// (browsers post upload forms from the portal's origin).
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Expose-Headers", "ETag")

	if r.Method == http.MethodPut {
		if err := decodeAWSChunked(r); err != nil {
			writeError(w, r, err)
			return
		}
	}

	switch {
	case bucket == "":
		s.fake.ServeHTTP(w, r)
	case has("tagging"):
		s.serveTagging(w, r, bucket, key)
	case key == "" && r.Method == http.MethodPost && has("delete"):
		s.serveDeleteMulti(w, r, bucket)
	case key == "" && r.Method == http.MethodGet && has("versions"):
		s.serveListVersions(w, r, bucket)
	case r.Method == http.MethodDelete && !has("uploadId") && versioned:
		s.serveDeleteVersion(w, r, bucket, key, q.Get("versionId"))
	case key == "" && r.Method == http.MethodPost && !has("uploads"):
		s.servePost(w, r, bucket)
	case key == "":
		s.fake.ServeHTTP(w, r)
	case r.Method == http.MethodPut:
		s.servePut(w, r, bucket, key)
	case r.Method == http.MethodPost && has("uploadId"):
		s.serveWrite(w, r, bucket, key, "ObjectCreated:CompleteMultipartUpload", nil)
	case r.Method == http.MethodDelete && !has("uploadId") && !versioned:
		if err := s.deleteObject(bucket, key, sourceIP(r)); err != nil {
			writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		if err := s.checkVersion(w, r, bucket, key); err != nil {
			writeError(w, r, err)
			return
		}
		s.setTagCount(w, bucket, key)
		s.fake.ServeHTTP(w, r)
	default:
		s.fake.ServeHTTP(w, r)
	}
}

// servePut handles PutObject, CopyObject and UploadPart.
func (s *Server) servePut(w http.ResponseWriter, r *http.Request, bucket, key string) {
	if r.URL.Query().Has("uploadId") {
		s.fake.ServeHTTP(w, r) // a part is not an object yet: no tags, no event
		return
	}
	// gofakes3 would store x-amz-tagging as metadata: take it out.
	var tags map[string]string
	if h := r.Header.Get("X-Amz-Tagging"); h != "" {
		var err error
		if tags, err = parseTaggingHeader(h); err != nil {
			writeError(w, r, err)
			return
		}
	}
	r.Header.Del("X-Amz-Tagging")

	src := r.Header.Get("X-Amz-Copy-Source")
	if src == "" {
		s.serveWrite(w, r, bucket, key, "ObjectCreated:Put", func() map[string]string { return tags })
		return
	}
	srcBucket, srcKey, err := parseCopySource(src)
	if err != nil {
		writeError(w, r, err)
		return
	}
	// gofakes3 query-unescapes the key ('+' becomes a space); hand it a form
	// that decodes back to the key S3 would read.
	r.Header.Set("X-Amz-Copy-Source", "/"+srcBucket+"/"+url.QueryEscape(srcKey))
	finalTags := func() map[string]string { return tags }
	if !strings.EqualFold(r.Header.Get("X-Amz-Tagging-Directive"), "REPLACE") {
		// COPY (the default) gives the new object the source's tags. Read
		// them before the copy: source and destination may be the same key.
		srcTags, err := s.tags.get(srcBucket, srcKey)
		if err != nil {
			writeError(w, r, err)
			return
		}
		finalTags = func() map[string]string { return srcTags }
	}
	s.serveWrite(w, r, bucket, key, "ObjectCreated:Copy", finalTags)
}

// serveWrite passes a write to gofakes3 under the key lock and, when it
// succeeds, replaces the object's tags (a new object has only the tags it was
// written with) and emits the event before the client sees the answer.
func (s *Server) serveWrite(w http.ResponseWriter, r *http.Request, bucket, key, event string, tags func() map[string]string) {
	unlock := s.locks.lock(bucket, key)
	defer unlock()

	rec := newRecorder()
	s.fake.ServeHTTP(rec, r)
	if rec.ok() {
		var t map[string]string
		if tags != nil {
			t = tags()
		}
		if err := s.tags.set(bucket, key, t); err == nil {
			err = s.tags.newVersion(bucket, key)
		} else {
			s.logf("%s %s/%s: storing tags and version: %v", event, bucket, key, err)
			writeError(w, r, err)
			return
		}
		obj, err := s.head(bucket, key)
		if err != nil {
			s.logf("%s %s/%s: reading back: %v", event, bucket, key, err)
			writeError(w, r, err)
			return
		}
		if obj.version != "" {
			rec.header.Set("x-amz-version-id", obj.version)
		}
		s.emit(event, bucket, key, obj, sourceIP(r))
	}
	rec.copyTo(w)
}

// deleteObject removes an object and its tags; ObjectRemoved:Delete is emitted
// only when there was an object to remove.
func (s *Server) deleteObject(bucket, key, src string) error {
	if err := s.checkBucket(bucket); err != nil {
		return err
	}
	unlock := s.locks.lock(bucket, key)
	defer unlock()
	_, err := s.head(bucket, key)
	existed := err == nil
	if err != nil && !errors.Is(err, ErrNoSuchKey) {
		return err
	}
	if _, err := s.objects.DeleteObject(bucket, key); err != nil {
		return err
	}
	if err := s.tags.set(bucket, key, nil); err != nil {
		return err
	}
	if err := s.tags.dropVersion(bucket, key); err != nil {
		return err
	}
	if existed {
		s.emit("ObjectRemoved:Delete", bucket, key, objInfo{}, src)
	}
	return nil
}

// serveDeleteMulti answers DeleteObjects with the same per-key semantics as
// DeleteObject (tags removed, one event per removed object).
func (s *Server) serveDeleteMulti(w http.ResponseWriter, r *http.Request, bucket string) {
	if err := s.checkBucket(bucket); err != nil {
		writeError(w, r, err)
		return
	}
	var req gofakes3.DeleteRequest
	if err := parseXML(r.Body, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if len(req.Objects) > 1000 {
		writeError(w, r, newError(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"))
		return
	}
	res := gofakes3.MultiDeleteResult{}
	for _, o := range req.Objects {
		if err := s.deleteObject(bucket, o.Key, sourceIP(r)); err != nil {
			ae := toAPIError(err)
			res.Error = append(res.Error, gofakes3.ErrorResult{Key: o.Key, Code: gofakes3.ErrorCode(ae.Code), Message: ae.Message})
			continue
		}
		if !req.Quiet {
			res.Deleted = append(res.Deleted, gofakes3.ObjectID{Key: o.Key})
		}
	}
	writeXML(w, http.StatusOK, res)
}

type objInfo struct {
	size    int64
	etag    string // without quotes, as in events
	version string // the current version's id ("" for objects written before versions were kept)
}

func (s *Server) checkBucket(bucket string) error {
	ok, err := s.objects.BucketExists(bucket)
	if err != nil {
		return err
	}
	if !ok {
		return errNoSuchBucket(bucket)
	}
	return nil
}

func (s *Server) head(bucket, key string) (objInfo, error) {
	if err := s.checkBucket(bucket); err != nil {
		return objInfo{}, err
	}
	obj, err := s.objects.HeadObject(bucket, key)
	if notFound(err) {
		return objInfo{}, errNoSuchKey(key)
	}
	if err != nil {
		return objInfo{}, err
	}
	obj.Contents.Close()
	v, err := s.tags.version(bucket, key)
	if err != nil {
		return objInfo{}, err
	}
	return objInfo{size: obj.Size, etag: hex.EncodeToString(obj.Hash), version: v}, nil
}

func (s *Server) checkObject(bucket, key string) error {
	_, err := s.head(bucket, key)
	return err
}

// parseCopySource reads x-amz-copy-source: "[/]bucket/url-encoded-key[?versionId=...]".
func parseCopySource(src string) (bucket, key string, err error) {
	src, _, _ = strings.Cut(src, "?")
	bucket, key, ok := strings.Cut(strings.TrimPrefix(src, "/"), "/")
	if ok {
		key, err = url.PathUnescape(key)
	}
	if !ok || err != nil || bucket == "" || key == "" {
		return "", "", newError(http.StatusBadRequest, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	return bucket, key, nil
}

// GetObject reads an object as GetObject over HTTP would. A missing bucket or
// key gives an error wrapping ErrNoSuchKey (and fs.ErrNotExist).
func (s *Server) GetObject(ctx context.Context, bucket, key string) (io.ReadCloser, int64, error) {
	if err := s.checkBucket(bucket); err != nil {
		return nil, 0, fmt.Errorf("%w: %s/%s", err, bucket, key)
	}
	obj, err := s.objects.GetObject(bucket, key, nil)
	if notFound(err) {
		return nil, 0, fmt.Errorf("%w: %s/%s", ErrNoSuchKey, bucket, key)
	}
	if err != nil {
		return nil, 0, err
	}
	return obj.Contents, obj.Size, nil
}

// GetTags returns an object's tag set, as GetObjectTagging would.
func (s *Server) GetTags(ctx context.Context, bucket, key string) (map[string]string, error) {
	if err := s.checkObject(bucket, key); err != nil {
		return nil, err
	}
	return s.tags.get(bucket, key)
}

// PutTags replaces an object's tag set, as PutObjectTagging would, and emits
// the same ObjectTagging:Put notification. Callers that add a tag read the
// current set with GetTags first.
func (s *Server) PutTags(ctx context.Context, bucket, key string, tags map[string]string) error {
	if err := validateTags(tags); err != nil {
		return err
	}
	return s.putTags(bucket, key, tags, "127.0.0.1")
}

// recorder holds a gofakes3 answer until the front has finished its part of
// the write, so a client never sees success before tags and events are done.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}
func (r *recorder) ok() bool { return r.status == 0 || r.status < 300 }

func (r *recorder) copyTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(max(r.status, http.StatusOK))
	w.Write(r.body.Bytes())
}

func parseXML(r io.Reader, v any) error {
	if err := xmlDecode(io.LimitReader(r, 2<<20), v); err != nil {
		return newError(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	return nil
}
