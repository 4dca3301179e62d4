package s3front

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"

	bolt "go.etcd.io/bbolt"
)

// Versions, as far as the portal relies on them: every write of an object gives it a new version
// id, answered as x-amz-version-id and carried by its events (s3.object.versionId); a GET, HEAD or
// tagging call naming a version is answered for the current version only. Earlier versions are not
// kept: naming one answers 404 NoSuchVersion, as S3 does for a version that has expired.

// versionsOf is the bolt bucket (in tags.db) of one S3 bucket's current version ids. S3 bucket
// names cannot hold ':', so it never meets a tag bucket.
func versionsOf(bucket string) []byte { return []byte("versions:" + bucket) }

func (t *tagStore) version(bucket, key string) (string, error) {
	var v string
	err := t.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(versionsOf(bucket)); b != nil {
			v = string(b.Get([]byte(key)))
		}
		return nil
	})
	return v, err
}

// newVersion gives the object at key a new version id; callers hold the key lock.
func (t *tagStore) newVersion(bucket, key string) error {
	id := make([]byte, 16)
	rand.Read(id)
	return t.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(versionsOf(bucket))
		if err != nil {
			return err
		}
		return b.Put([]byte(key), []byte(hex.EncodeToString(id)))
	})
}

func (t *tagStore) dropVersion(bucket, key string) error {
	return t.db.Update(func(tx *bolt.Tx) error {
		if b := tx.Bucket(versionsOf(bucket)); b != nil {
			return b.Delete([]byte(key))
		}
		return nil
	})
}

// checkVersion answers for the current version of an object: it refuses a request naming any
// other, takes the version out of the query (gofakes3's store keeps none) and answers the
// current version's id. A missing object is left for the call itself to answer.
func (s *Server) checkVersion(w http.ResponseWriter, r *http.Request, bucket, key string) error {
	obj, err := s.head(bucket, key)
	if err != nil {
		return nil
	}
	q := r.URL.Query()
	if want := q.Get("versionId"); q.Has("versionId") && want != "null" && want != obj.version {
		return newError(http.StatusNotFound, "NoSuchVersion", "The specified version does not exist.").with("Key", key).with("VersionId", want)
	}
	if q.Has("versionId") {
		q.Del("versionId")
		r.URL.RawQuery = q.Encode()
	}
	if obj.version != "" {
		w.Header().Set("x-amz-version-id", obj.version)
	}
	return nil
}
