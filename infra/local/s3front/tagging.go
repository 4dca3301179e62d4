package s3front

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// S3's limits on object tags.
const (
	maxTags        = 10
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  []tag    `xml:"TagSet>Tag"`
}

type tag struct {
	Key   string
	Value string
}

func errInvalidTag(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "InvalidTag", format, args...)
}

// addTag adds one tag to m with S3's checks.
func addTag(m map[string]string, k, v string) error {
	switch {
	case k == "" || utf8.RuneCountInString(k) > maxTagKeyLen:
		return errInvalidTag("The TagKey you have provided is invalid")
	case utf8.RuneCountInString(v) > maxTagValueLen:
		return errInvalidTag("The TagValue you have provided is invalid")
	case strings.HasPrefix(strings.ToLower(k), "aws:"):
		return errInvalidTag("Your TagKey cannot be prefixed with aws:")
	}
	if _, dup := m[k]; dup {
		return errInvalidTag("Cannot provide multiple Tags with the same key")
	}
	m[k] = v
	if len(m) > maxTags {
		return errInvalidTag("Object tags cannot be greater than %d", maxTags)
	}
	return nil
}

// validateTags applies S3's limits to an in-process tag set.
func validateTags(tags map[string]string) error {
	m := map[string]string{}
	for k, v := range tags {
		if err := addTag(m, k, v); err != nil {
			return err
		}
	}
	return nil
}

// parseTaggingHeader reads the x-amz-tagging header (or POST "tagging" as a
// query string): URL-encoded "k1=v1&k2=v2".
func parseTaggingHeader(h string) (map[string]string, error) {
	m := map[string]string{}
	for _, pair := range strings.Split(h, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, errInvalidTag("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
		}
		if err := addTag(m, k, v); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// parseTaggingXML reads a <Tagging> document (PutObjectTagging body, POST
// "tagging" field).
func parseTaggingXML(r io.Reader) (map[string]string, error) {
	var t tagging
	if err := xml.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&t); err != nil {
		return nil, newError(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	m := map[string]string{}
	for _, tg := range t.TagSet {
		if err := addTag(m, tg.Key, tg.Value); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func taggingDoc(tags map[string]string) tagging {
	t := tagging{Xmlns: "http://s3.amazonaws.com/doc/2006-03-01/", TagSet: []tag{}}
	for k, v := range tags {
		t.TagSet = append(t.TagSet, tag{Key: k, Value: v})
	}
	sort.Slice(t.TagSet, func(i, j int) bool { return t.TagSet[i].Key < t.TagSet[j].Key })
	return t
}

// serveTagging answers GET/PUT/DELETE /<bucket>/<key>?tagging.
func (s *Server) serveTagging(w http.ResponseWriter, r *http.Request, bucket, key string) {
	if key == "" {
		writeError(w, r, newError(http.StatusNotImplemented, "NotImplemented", "Bucket tagging is not implemented locally."))
		return
	}
	src := sourceIP(r)
	if err := s.checkVersion(w, r, bucket, key); err != nil {
		writeError(w, r, err)
		return
	}
	switch r.Method {
	case http.MethodGet:
		if err := s.checkObject(bucket, key); err != nil {
			writeError(w, r, err)
			return
		}
		tags, err := s.tags.get(bucket, key)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeXML(w, http.StatusOK, taggingDoc(tags))
	case http.MethodPut:
		tags, err := parseTaggingXML(r.Body)
		if err == nil {
			err = s.putTags(bucket, key, tags, src)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusOK)
	case http.MethodDelete:
		if err := s.deleteTags(bucket, key, src); err != nil {
			writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, r, newError(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource."))
	}
}

// putTags replaces an object's tag set and emits ObjectTagging:Put.
func (s *Server) putTags(bucket, key string, tags map[string]string, src string) error {
	unlock := s.locks.lock(bucket, key)
	defer unlock()
	obj, err := s.head(bucket, key)
	if err != nil {
		return err
	}
	if err := s.tags.set(bucket, key, tags); err != nil {
		return err
	}
	obj.size = 0
	s.emit("ObjectTagging:Put", bucket, key, obj, src)
	return nil
}

// deleteTags removes an object's tag set and emits ObjectTagging:Delete.
func (s *Server) deleteTags(bucket, key string, src string) error {
	unlock := s.locks.lock(bucket, key)
	defer unlock()
	obj, err := s.head(bucket, key)
	if err != nil {
		return err
	}
	if err := s.tags.set(bucket, key, nil); err != nil {
		return err
	}
	obj.size = 0
	s.emit("ObjectTagging:Delete", bucket, key, obj, src)
	return nil
}

// setTagCount adds x-amz-tagging-count to a GET/HEAD answer, as S3 does when
// the object has tags.
func (s *Server) setTagCount(w http.ResponseWriter, bucket, key string) {
	tags, err := s.tags.get(bucket, key)
	if err == nil && len(tags) > 0 {
		w.Header().Set("x-amz-tagging-count", strconv.Itoa(len(tags)))
	}
}
