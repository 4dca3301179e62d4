package s3front

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"

	"github.com/johannesboyne/gofakes3"
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

// versionsResult is ListObjectVersions' answer: the current version of each object, the only one
// kept here (no delete markers: a delete removes the object).
type versionsResult struct {
	XMLName     xml.Name       `xml:"ListVersionsResult"`
	Xmlns       string         `xml:"xmlns,attr"`
	Name        string         `xml:"Name"`
	Prefix      string         `xml:"Prefix"`
	KeyMarker   string         `xml:"KeyMarker"`
	MaxKeys     int            `xml:"MaxKeys"`
	IsTruncated bool           `xml:"IsTruncated"`
	NextKey     string         `xml:"NextKeyMarker,omitempty"`
	NextVersion string         `xml:"NextVersionIdMarker,omitempty"`
	Versions    []versionEntry `xml:"Version"`
}

type versionEntry struct {
	Key          string `xml:"Key"`
	VersionID    string `xml:"VersionId"`
	IsLatest     bool   `xml:"IsLatest"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

// serveListVersions answers ListObjectVersions (prefix, key-marker, max-keys; no delimiter).
func (s *Server) serveListVersions(w http.ResponseWriter, r *http.Request, bucket string) {
	if err := s.checkBucket(bucket); err != nil {
		writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	max := 1000
	if v, err := strconv.Atoi(q.Get("max-keys")); err == nil && v > 0 && v < max {
		max = v
	}
	prefix, marker := q.Get("prefix"), q.Get("key-marker")
	page := gofakes3.ListBucketPage{MaxKeys: int64(max)}
	if marker != "" {
		page.Marker, page.HasMarker = marker, true
	}
	list, err := s.objects.ListBucket(bucket, &gofakes3.Prefix{HasPrefix: prefix != "", Prefix: prefix}, page)
	if err != nil {
		writeError(w, r, err)
		return
	}
	res := versionsResult{Xmlns: "http://s3.amazonaws.com/doc/2006-03-01/", Name: bucket, Prefix: prefix, KeyMarker: marker, MaxKeys: max, IsTruncated: list.IsTruncated}
	for _, c := range list.Contents {
		v, err := s.tags.version(bucket, c.Key)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if v == "" {
			v = "null" // written before versions were kept, as S3 names such a version
		}
		res.Versions = append(res.Versions, versionEntry{Key: c.Key, VersionID: v, IsLatest: true,
			LastModified: c.LastModified.UTC().Format("2006-01-02T15:04:05.000Z"), ETag: c.ETag, Size: c.Size, StorageClass: "STANDARD"})
	}
	if list.IsTruncated && len(res.Versions) > 0 {
		last := res.Versions[len(res.Versions)-1]
		res.NextKey, res.NextVersion = last.Key, last.VersionID
	}
	writeXML(w, http.StatusOK, res)
}

// serveDeleteVersion answers DeleteObject naming a version: the current one is deleted for good
// (its tags and version id with it, and an ObjectRemoved:Delete event); any other is not here, and
// S3 answers a delete of a version it does not have with 204 all the same.
func (s *Server) serveDeleteVersion(w http.ResponseWriter, r *http.Request, bucket, key, version string) {
	obj, err := s.head(bucket, key)
	switch {
	case errors.Is(err, ErrNoSuchKey):
	case err != nil:
		writeError(w, r, err)
		return
	case obj.version == version || obj.version == "" && version == "null":
		if err := s.deleteObject(bucket, key, sourceIP(r)); err != nil {
			writeError(w, r, err)
			return
		}
	}
	w.Header().Set("x-amz-version-id", version)
	w.WriteHeader(http.StatusNoContent)
}
