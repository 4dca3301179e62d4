package s3front

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/textproto"
	"path/filepath"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3bolt"
	bolt "go.etcd.io/bbolt"
	"gopkg.in/mgo.v2/bson"
)

// openBolt opens a bolt file, failing instead of waiting forever when another
// process (a second local stack) holds it.
func openBolt(path string) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("s3front: open %s (is another local stack running?): %w", path, err)
	}
	return db, nil
}

// objects wraps the s3bolt backend to keep object metadata as S3 does.
type objects struct {
	*s3bolt.Backend
	db *bolt.DB // the backend's file, for reads that copy their bytes (GetObject)
}

// boltObject is s3bolt's stored object (its schema in gofakes3 v1.2.0).
type boltObject struct {
	Name         string
	Metadata     map[string]string
	LastModified time.Time
	Size         int64
	Contents     []byte
	Hash         []byte
}

// GetObject reads an object within one bolt read transaction and copies its bytes out of it.
// s3bolt's own GetObject decodes straight from bolt's memory map and returns slices of it after
// the transaction ends: a later write may reuse those pages or remap the file, and a read still
// streaming then returns another object's bytes or crashes the process ("unexpected fault
// address"), which a billing run's thousands of writes make happen.
func (o objects) GetObject(bucket, key string, rng *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	var obj boltObject
	err := o.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return gofakes3.BucketNotFound(bucket)
		}
		v := b.Get([]byte(key))
		if v == nil {
			return gofakes3.KeyNotFound(key)
		}
		if err := bson.Unmarshal(v, &obj); err != nil {
			return fmt.Errorf("s3front: could not read object %q/%q: %w", bucket, key, err)
		}
		obj.Contents, obj.Hash = bytes.Clone(obj.Contents), bytes.Clone(obj.Hash)
		obj.Metadata = maps.Clone(obj.Metadata)
		return nil
	})
	if err != nil {
		return nil, err
	}
	r, err := rng.Range(obj.Size)
	if err != nil {
		return nil, err
	}
	data := obj.Contents
	if r != nil {
		data = data[r.Start : r.Start+r.Length]
	}
	return &gofakes3.Object{Name: key, Metadata: obj.Metadata, Size: obj.Size, Contents: io.NopCloser(bytes.NewReader(data)), Range: r, Hash: obj.Hash}, nil
}

// HeadObject is GetObject without the body (s3bolt's would call its own GetObject).
func (o objects) HeadObject(bucket, key string) (*gofakes3.Object, error) {
	obj, err := o.GetObject(bucket, key, nil)
	if err != nil {
		return nil, err
	}
	obj.Contents = io.NopCloser(bytes.NewReader(nil))
	return obj, nil
}

// PutObject stores only real object metadata (gofakes3 would keep every
// x-amz-* request header and echo it on GET) and replaces, rather than merges,
// the metadata of an object it overwrites.
func (o objects) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	meta = objectMeta(meta)
	if cond != nil {
		// Conditional writes must see the current object; keep gofakes3's merge.
		return o.Backend.PutObject(bucket, key, meta, input, size, cond)
	}
	body, err := gofakes3.ReadAll(input, size)
	if err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	// s3bolt merges the old object's metadata into the new one; removing the
	// old object first is what makes this a replacement. Callers hold the key
	// lock, so no other write interleaves.
	if _, err := o.Backend.DeleteObject(bucket, key); err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	return o.Backend.PutObject(bucket, key, meta, bytes.NewReader(body), size, nil)
}

// CopyObject routes the copy's write through PutObject above.
func (o objects) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	return gofakes3.CopyObject(o, srcBucket, srcKey, dstBucket, dstKey, meta)
}

// objectMeta keeps the headers S3 stores with an object.
func objectMeta(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		k = textproto.CanonicalMIMEHeaderKey(k)
		switch {
		case k == "Last-Modified", k == "Content-Type", k == "Content-Disposition",
			k == "Content-Encoding", k == "Content-Language", k == "Cache-Control", k == "Expires",
			strings.HasPrefix(k, "X-Amz-Meta-"),
			k == "X-Amz-Storage-Class", k == "X-Amz-Website-Redirect-Location",
			strings.HasPrefix(k, "X-Amz-Server-Side-Encryption"):
			out[k] = v
		}
	}
	return out
}

// tagStore keeps object tags in their own bolt file: one bolt bucket per S3
// bucket, object key to JSON tag map. Kept apart from s3bolt's file because
// s3bolt lists every top-level bolt bucket as an S3 bucket.
type tagStore struct {
	db *bolt.DB
}

func openTagStore(dir string) (*tagStore, error) {
	db, err := openBolt(filepath.Join(dir, "tags.db"))
	if err != nil {
		return nil, err
	}
	return &tagStore{db: db}, nil
}

func (t *tagStore) get(bucket, key string) (map[string]string, error) {
	tags := map[string]string{}
	err := t.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return nil
		}
		v := b.Get([]byte(key))
		if v == nil {
			return nil
		}
		return json.Unmarshal(v, &tags)
	})
	return tags, err
}

// set replaces the tag set; an empty set removes the entry.
func (t *tagStore) set(bucket, key string, tags map[string]string) error {
	return t.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucket))
		if err != nil {
			return err
		}
		if len(tags) == 0 {
			return b.Delete([]byte(key))
		}
		v, err := json.Marshal(tags)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), v)
	})
}

func (t *tagStore) close() error { return t.db.Close() }
