package scan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime"
	"net/http"

	"github.com/council/cfp/shared/access"
)

// The content types an evidence file may be.
const (
	PDF  = "application/pdf"
	JPEG = "image/jpeg"
	PNG  = "image/png"
)

// Problem is why a file is refused.
type Problem struct {
	Code   string // short and stable, for logs and tests
	Reason string // for the person who uploaded it
}

// Result is what Check found.
type Result struct {
	Type    string   // the type the bytes really are (PDF, JPEG, PNG), "" when none of them
	SHA256  string   // hex SHA-256 of the whole file; "" for a file over the size limit (not read)
	Problem *Problem // nil when the file passed every check
}

var labels = map[string]string{PDF: "a PDF document", JPEG: "a JPEG image", PNG: "a PNG image"}

// Check checks a file of size bytes read through r, declared (by the uploader's form, by the
// object's Content-Type) as each of declared. It reads the file once, front to back, in bounded
// pieces. An error is a failure to read, never a verdict on the file.
func Check(r io.ReaderAt, size int64, declared ...string) (Result, error) {
	var res Result
	want, anyType := "", true
	for _, d := range declared {
		if undeclared(d) {
			continue
		}
		anyType = false
		mt, _, err := mime.ParseMediaType(d)
		if err != nil || labels[mt] == "" {
			res.Problem = &Problem{"type_not_allowed", "Only PDF, JPEG and PNG files can be accepted."}
			return res, nil
		}
		if want != "" && mt != want {
			res.Problem = &Problem{"type_mismatch", "The file was sent as " + labels[mt] + ", not as " + labels[want] + " as declared."}
			return res, nil
		}
		want = mt
	}
	anyType = anyType && len(declared) > 0
	switch {
	case want == "" && !anyType:
		res.Problem = &Problem{"type_not_allowed", "Only PDF, JPEG and PNG files can be accepted."}
		return res, nil
	case size <= 0:
		res.SHA256 = hex.EncodeToString(sha256.New().Sum(nil))
		res.Problem = &Problem{"empty", "The file is empty."}
		return res, nil
	case size > access.MaxFileSize:
		res.Problem = &Problem{"too_large", "The file is larger than 10 MiB, the most we accept."}
		return res, nil
	}

	head := make([]byte, min(size, 512))
	if _, err := r.ReadAt(head, 0); err != nil && err != io.EOF {
		return res, err
	}
	res.Type = Sniff(head)
	if want == "" {
		// Sent from a page's form, which cannot know the file's type: its bytes say it.
		if want = res.Type; want == "" {
			what := "Only PDF, JPEG and PNG files can be accepted."
			if l := describe(head); l != "" {
				what = "The file is " + l + ". " + what
			}
			res.Problem = &Problem{"type_not_allowed", what}
			return res, nil
		}
	}

	h := sha256.New()
	sweep := io.TeeReader(io.NewSectionReader(r, 0, size), h)
	var err error
	if res.Type == want && want == PDF {
		res.Problem, err = checkPDF(r, size, sweep)
	} else {
		_, err = io.Copy(io.Discard, sweep)
	}
	if err != nil {
		return res, err
	}
	res.SHA256 = hex.EncodeToString(h.Sum(nil))
	if res.Type != want && res.Problem == nil {
		what := "not " + labels[want] + ", nor any other file type we accept"
		if l := describe(head); l != "" {
			what = l
		}
		res.Problem = &Problem{"content_mismatch", "The file was sent as " + labels[want] + ", but its contents are " + what + "."}
	}
	return res, nil
}

// undeclared reports whether a declared type says nothing: a page's upload form cannot know the
// file's type, so its evidence is declared without one and S3 stores it as an octet stream.
func undeclared(t string) bool {
	return t == "" || t == "binary/octet-stream" || t == "application/octet-stream"
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// Sniff returns the accepted type the first bytes of a file show (PDF, JPEG or PNG), or "".
func Sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return PDF
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return JPEG
	case bytes.HasPrefix(head, pngSignature) && len(head) >= 16 && string(head[12:16]) == "IHDR":
		return PNG
	}
	return ""
}

// describe names what a file's first bytes look like, for a refusal a person can act on.
func describe(head []byte) string {
	switch {
	case Sniff(head) != "":
		return labels[Sniff(head)]
	case bytes.HasPrefix(head, []byte("MZ")):
		return "a Windows program"
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return "a program"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "a ZIP archive (or a Word or Excel document)"
	case bytes.HasPrefix(head, []byte("GIF8")):
		return "a GIF image"
	case bytes.HasPrefix(head, pngSignature):
		return "a damaged PNG image"
	}
	switch mt, _, _ := mime.ParseMediaType(http.DetectContentType(head)); mt {
	case "text/html":
		return "a web page (HTML)"
	case "text/xml":
		return "an XML document"
	case "text/plain":
		return "text"
	}
	return ""
}
