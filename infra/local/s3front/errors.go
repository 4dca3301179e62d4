package s3front

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"

	"github.com/johannesboyne/gofakes3"
)

// ErrNoSuchKey is returned by the in-process API for a missing bucket or key.
// It wraps fs.ErrNotExist so callers need not import this package to test it.
var ErrNoSuchKey = fmt.Errorf("s3front: no such key: %w", fs.ErrNotExist)

// apiError is an S3 error answer: HTTP status plus the XML <Error> body.
type apiError struct {
	Status  int      `xml:"-"`
	XMLName xml.Name `xml:"Error"`
	Code    string
	Message string
	// Extra elements some errors carry (ProposedSize, MaxSizeAllowed, ...).
	Extra []extraElem `xml:",any"`
}

type extraElem struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// Unwrap lets in-process callers test a missing bucket or key with errors.Is.
func (e *apiError) Unwrap() error {
	if e.Code == "NoSuchKey" || e.Code == "NoSuchBucket" {
		return ErrNoSuchKey
	}
	return nil
}

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *apiError) with(name, value string) *apiError {
	e.Extra = append(e.Extra, extraElem{XMLName: xml.Name{Local: name}, Value: value})
	return e
}

func errNoSuchKey(key string) *apiError {
	return newError(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.").with("Key", key)
}

func errNoSuchBucket(bucket string) *apiError {
	return newError(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist").with("BucketName", bucket)
}

func errPolicy(format string, args ...any) *apiError {
	return newError(http.StatusForbidden, "AccessDenied", "Invalid according to Policy: "+format, args...)
}

// toAPIError turns any error into an S3 answer; gofakes3's own error codes keep
// their status.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var ge gofakes3.Error
	if errors.As(err, &ge) {
		code := ge.ErrorCode()
		msg := code.Message()
		var er *gofakes3.ErrorResponse
		if errors.As(err, &er) && er.Message != "" {
			msg = er.Message
		}
		return &apiError{Status: code.Status(), Code: string(code), Message: msg}
	}
	return newError(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
}

func writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := toAPIError(err)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(ae.Status)
	if r.Method == http.MethodHead {
		return
	}
	writeXMLBody(w, ae)
}

func writeXML(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	writeXMLBody(w, v)
}

func xmlDecode(r io.Reader, v any) error { return xml.NewDecoder(r).Decode(v) }

func writeXMLBody(w http.ResponseWriter, v any) {
	w.Write([]byte(xml.Header))
	xml.NewEncoder(w).Encode(v)
}

// notFound reports whether a gofakes3 backend error means "no such bucket/key".
func notFound(err error) bool {
	return gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey) || gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchBucket)
}
