package s3front

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
)

const (
	// maxPostFields caps the form fields before the file (S3 allows 20 KB).
	maxPostFields = 64 << 10
	// maxPostObject is S3's largest POST upload when the policy sets no
	// content-length-range.
	maxPostObject = 5 << 30
)

// servePost handles a browser (presigned POST) upload to /<bucket>.
func (s *Server) servePost(w http.ResponseWriter, r *http.Request, bucket string) {
	if err := s.post(w, r, bucket); err != nil {
		ae := toAPIError(err)
		s.logf("POST /%s rejected: %s: %s", bucket, ae.Code, ae.Message)
		// Read what is left (within reason) so the client gets our answer
		// rather than a reset connection.
		io.CopyN(io.Discard, r.Body, 64<<20)
		writeError(w, r, ae)
	}
}

// post verifies the form and stores the object. Nothing is stored unless
// every check passes.
func (s *Server) post(w http.ResponseWriter, r *http.Request, bucket string) error {
	if err := s.checkBucket(bucket); err != nil {
		return err
	}
	fields, file, err := readForm(r)
	if err != nil {
		return err
	}
	key := fields["key"]
	if key == "" {
		return newError(http.StatusBadRequest, "InvalidArgument", "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
	}
	if len(key) > gofakes3.KeySizeLimit {
		return newError(http.StatusBadRequest, "KeyTooLongError", "Your key is too long")
	}
	limits, err := s.checkPolicy(bucket, fields, time.Now())
	if err != nil {
		return err
	}
	var tags map[string]string
	if t := fields["tagging"]; t != "" {
		if tags, err = parseTaggingXML(strings.NewReader(t)); err != nil {
			return err
		}
	}

	body, size, err := spool(file, limits.max)
	if err != nil {
		return err
	}
	defer os.Remove(body.Name())
	defer body.Close()
	if size > limits.max {
		return newError(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size").
			with("MaxSizeAllowed", strconv.FormatInt(limits.max, 10))
	}
	if size < limits.min {
		return newError(http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size").
			with("ProposedSize", strconv.FormatInt(size, 10)).
			with("MinSizeAllowed", strconv.FormatInt(limits.min, 10))
	}

	etag, err := s.storePost(bucket, key, postMeta(fields), tags, body, size, sourceIP(r))
	if err != nil {
		return err
	}
	respondPost(w, r, bucket, key, etag, fields)
	return nil
}

func (s *Server) storePost(bucket, key string, meta, tags map[string]string, body io.Reader, size int64, src string) (string, error) {
	unlock := s.locks.lock(bucket, key)
	defer unlock()
	if _, err := s.objects.PutObject(bucket, key, meta, body, size, nil); err != nil {
		return "", err
	}
	if err := s.tags.set(bucket, key, tags); err != nil {
		return "", err
	}
	if err := s.tags.newVersion(bucket, key); err != nil {
		return "", err
	}
	obj, err := s.head(bucket, key)
	if err != nil {
		return "", err
	}
	s.emit("ObjectCreated:Post", bucket, key, obj, src)
	return obj.etag, nil
}

// readForm reads the form fields (names lower-cased, as S3 matches them
// case-insensitively) up to the file part, which S3 requires to come last.
func readForm(r *http.Request) (map[string]string, *multipart.Part, error) {
	malformed := newError(http.StatusBadRequest, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.")
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, malformed
	}
	fields := map[string]string{}
	total := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, nil, newError(http.StatusBadRequest, "InvalidArgument", "POST requires exactly one file upload per request.")
		}
		if err != nil {
			return nil, nil, malformed
		}
		name := strings.ToLower(part.FormName())
		if name == "" {
			continue
		}
		if name == "file" {
			return fields, part, nil
		}
		v, err := io.ReadAll(io.LimitReader(part, int64(maxPostFields-total+1)))
		if err != nil {
			return nil, nil, malformed
		}
		if total += len(v); total > maxPostFields {
			return nil, nil, newError(http.StatusBadRequest, "MaxPostPreDataLengthExceeded", "Your POST request fields preceding the upload file were too large.")
		}
		if _, dup := fields[name]; dup {
			return nil, nil, newError(http.StatusBadRequest, "InvalidArgument", "Form field %s is given more than once.", name)
		}
		fields[name] = string(v)
	}
}

// spool copies the file part to a temporary file, reading at most limit+1
// bytes: enough to know the file is too large.
func spool(part io.Reader, limit int64) (*os.File, int64, error) {
	f, err := os.CreateTemp("", "s3front-post-*")
	if err != nil {
		return nil, 0, err
	}
	n, err := io.Copy(f, io.LimitReader(part, limit+1))
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, newError(http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header")
	}
	return f, n, nil
}

type sizeLimits struct{ min, max int64 }

// checkPolicy authenticates the form (SigV4 over the base64 policy) and checks
// the policy's expiration and conditions, and that every field is covered by
// a condition. The file size is checked by the caller against the limits.
func (s *Server) checkPolicy(bucket string, fields map[string]string, now time.Time) (sizeLimits, error) {
	limits := sizeLimits{0, maxPostObject}
	policy := fields["policy"]
	if policy == "" {
		return limits, newError(http.StatusForbidden, "AccessDenied", "Access Denied")
	}
	if a := fields["x-amz-algorithm"]; a != "AWS4-HMAC-SHA256" {
		return limits, newError(http.StatusBadRequest, "InvalidArgument", "Bucket POST must contain a valid x-amz-algorithm field (AWS4-HMAC-SHA256).")
	}
	cred := strings.Split(fields["x-amz-credential"], "/")
	if len(cred) != 5 || cred[3] != "s3" || cred[4] != "aws4_request" {
		return limits, newError(http.StatusBadRequest, "InvalidArgument", "Bucket POST must contain a valid x-amz-credential field.")
	}
	if cred[0] != s.cfg.AccessKey {
		return limits, newError(http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	}
	if s.cfg.Region != "" && cred[2] != s.cfg.Region {
		return limits, newError(http.StatusBadRequest, "AuthorizationQueryParametersError", "Error parsing the X-Amz-Credential parameter; the region '%s' is wrong; expecting '%s'", cred[2], s.cfg.Region)
	}
	want := hex.EncodeToString(hmacSHA256(signingKey(s.cfg.SecretKey, cred[1], cred[2], cred[3]), policy))
	if !hmac.Equal([]byte(strings.ToLower(fields["x-amz-signature"])), []byte(want)) {
		return limits, newError(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	}

	invalid := func(why string) error {
		return newError(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: %s", why)
	}
	raw, err := base64.StdEncoding.DecodeString(policy)
	if err != nil {
		return limits, invalid("Invalid 'Policy' form field.")
	}
	var doc struct {
		Expiration string            `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return limits, invalid("Invalid JSON.")
	}
	exp, err := time.Parse(time.RFC3339, doc.Expiration)
	if err != nil {
		return limits, invalid("Invalid 'expiration' value: '" + doc.Expiration + "'")
	}
	if !now.Before(exp) {
		return limits, errPolicy("Policy expired.")
	}

	value := func(name string) (string, bool) {
		if name == "bucket" {
			return bucket, true
		}
		v, ok := fields[name]
		return v, ok
	}
	covered := map[string]bool{}
	for _, c := range doc.Conditions {
		failed := errPolicy("Policy Condition failed: %s", compactJSON(c))
		var exact map[string]any
		if json.Unmarshal(c, &exact) == nil {
			for k, want := range exact {
				name := strings.ToLower(k)
				covered[name] = true
				got, ok := value(name)
				if w, isStr := want.(string); !isStr || !ok || got != w {
					return limits, failed
				}
			}
			continue
		}
		var arr []any
		if json.Unmarshal(c, &arr) != nil || len(arr) != 3 {
			return limits, invalid("Invalid condition: " + compactJSON(c))
		}
		op, _ := arr[0].(string)
		switch strings.ToLower(op) {
		case "eq", "starts-with":
			field, ok1 := arr[1].(string)
			want, ok2 := arr[2].(string)
			if !ok1 || !ok2 || !strings.HasPrefix(field, "$") {
				return limits, invalid("Invalid condition: " + compactJSON(c))
			}
			name := strings.ToLower(field[1:])
			covered[name] = true
			got, ok := value(name)
			if strings.EqualFold(op, "eq") && (!ok || got != want) ||
				strings.EqualFold(op, "starts-with") && !strings.HasPrefix(got, want) {
				return limits, failed
			}
		case "content-length-range":
			lo, ok1 := jsonInt(arr[1])
			hi, ok2 := jsonInt(arr[2])
			if !ok1 || !ok2 || lo < 0 || hi < lo {
				return limits, invalid("Invalid content-length-range: " + compactJSON(c))
			}
			limits = sizeLimits{lo, min(hi, maxPostObject)}
		default:
			return limits, invalid("Invalid condition: " + compactJSON(c))
		}
	}
	for name := range fields {
		switch {
		case name == "policy", name == "x-amz-signature", strings.HasPrefix(name, "x-ignore-"):
		case !covered[name]:
			return limits, errPolicy("Extra input fields: %s", name)
		}
	}
	return limits, nil
}

func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

func jsonInt(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		return int64(n), n == float64(int64(n))
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}

func compactJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

// postMeta is the object metadata a POST form can set.
func postMeta(fields map[string]string) map[string]string {
	meta := map[string]string{
		"Content-Type":  "binary/octet-stream",
		"Last-Modified": time.Now().UTC().Format(http.TimeFormat),
	}
	for name, v := range fields {
		switch {
		case name == "content-type", name == "cache-control", name == "content-disposition",
			name == "content-encoding", name == "expires", name == "x-amz-storage-class",
			name == "x-amz-website-redirect-location", strings.HasPrefix(name, "x-amz-meta-"):
			meta[textproto.CanonicalMIMEHeaderKey(name)] = v
		}
	}
	return meta
}

// respondPost answers a stored upload as S3 does: success_action_redirect,
// else success_action_status 200/201, else 204.
func respondPost(w http.ResponseWriter, r *http.Request, bucket, key, etag string, fields map[string]string) {
	quoted := `"` + etag + `"`
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	location := scheme + "://" + r.Host + "/" + bucket + "/" + (&url.URL{Path: key}).EscapedPath()
	w.Header().Set("ETag", quoted)
	w.Header().Set("Location", location)

	if redirect, err := url.Parse(fields["success_action_redirect"]); err == nil && redirect.IsAbs() {
		q := redirect.Query()
		q.Set("bucket", bucket)
		q.Set("key", key)
		q.Set("etag", quoted)
		redirect.RawQuery = q.Encode()
		http.Redirect(w, r, redirect.String(), http.StatusSeeOther)
		return
	}
	switch fields["success_action_status"] {
	case "200":
		w.WriteHeader(http.StatusOK)
	case "201":
		writeXML(w, http.StatusCreated, struct {
			XMLName  xml.Name `xml:"PostResponse"`
			Location string
			Bucket   string
			Key      string
			ETag     string
		}{Location: location, Bucket: bucket, Key: key, ETag: quoted})
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}
