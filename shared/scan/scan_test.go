package scan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/council/cfp/shared/access"
)

func check(t *testing.T, data []byte, declared ...string) Result {
	t.Helper()
	if declared == nil {
		declared = []string{PDF}
	}
	res, err := Check(bytes.NewReader(data), int64(len(data)), declared...)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return res
}

func code(r Result) string {
	if r.Problem == nil {
		return ""
	}
	return r.Problem.Code
}

func TestPDFActiveContent(t *testing.T) {
	launch := "<< /Type /Action /S /Launch /F (cmd.exe) >>"
	cases := []struct {
		name string
		pdf  []byte
		want string
	}{
		{"plain", page(""), ""},
		{"names only in text, strings and comments", page("/Lang (/JavaScript /AA) % /JS /Launch\n"), ""},
		{"open at a page (direct destination)", page("/OpenAction [3 0 R /Fit]"), ""},
		{"open at a page (destination by reference)", page("/OpenAction 5 0 R", "[3 0 R /XYZ null null 0]"), ""},
		{"no open action", page("/OpenAction null"), ""},
		{"JavaScript name tree", page("/Names << /JavaScript 5 0 R >>", "<< /Names [(a) 6 0 R] >>", "<< /S /JavaScript /JS (app.alert(1)) >>"), "pdf_javascript"},
		{"JS only", page("/OpenAction [3 0 R /Fit]", "<< /JS 6 0 R >>", stream("", []byte("app.alert(1)"))), "pdf_javascript"},
		{"hex-escaped JavaScript", page("", "<< /S /J#61vaScript >>"), "pdf_javascript"},
		{"hex-escaped JS", page("", "<< /#4A#53 (x) >>"), "pdf_javascript"},
		{"open at a page (GoTo action, as pdfTeX writes it)", page("/OpenAction << /S /GoTo /D [3 0 R /Fit] >>"), ""},
		{"open at a page (GoTo action by reference)", page("/OpenAction 5 0 R", "<< /S /GoTo /D [3 0 R /Fit] >>"), ""},
		{"open action opening a web address", page("/OpenAction << /S /URI /URI (https://example.com/) >>"), "pdf_open_action"},
		{"open action chaining another action", page("/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next 5 0 R >>", "<< /S /URI /URI (https://example.com/) >>"), "pdf_open_action"},
		{"open action by reference to a web address", page("/OpenAction 5 0 R", "<< /S /URI /URI (https://example.com/) >>"), "pdf_open_action"},
		{"open action to an object an update redefines", append(page("/OpenAction 5 0 R", "<< /S /GoTo /D [3 0 R /Fit] >>"), "5 0 obj\n<< /S /URI /URI (https://example.com/) >>\nendobj\n%%EOF\n"...), "pdf_open_action"},
		{"open action to an object that does not exist", page("/OpenAction 9 0 R"), "pdf_open_action"},
		{"open action number without R", page("/OpenAction 5 /PageMode /UseNone"), "pdf_open_action"},
		{"additional actions", page("/AA << /WC 5 0 R >>", "<< /S /GoTo /D [3 0 R /Fit] >>"), "pdf_additional_actions"},
		{"launch", page("", launch), "pdf_launch"},
		{"embedded file", page("/Names << /EmbeddedFiles 5 0 R >>", "<< /Names [(a.exe) << /Type /Filespec /F (a.exe) /EF << /F 6 0 R >> >>] >>", stream("/Type /EmbeddedFile", []byte("MZ"))), "pdf_embedded_file"},
		{"embedded file stream alone", page("", stream("/Type /EmbeddedFile", []byte("MZ"))), "pdf_embedded_file"},
		{"rich media", page("", "<< /Type /Annot /Subtype /RichMedia >>"), "pdf_rich_media"},
		{"XFA form", page("/AcroForm << /Fields [] /XFA 5 0 R >>", stream("", []byte("<xdp/>"))), "pdf_xfa"},
		{"JavaScript inside an object stream", page("", objStm(6, "", "<< /S /JavaScript /JS (app.alert(1)) >>")), "pdf_javascript"},
		{"hex-escaped name inside an object stream", page("", objStm(6, "", "<< /Type /Action /S /L#61unch >>")), "pdf_launch"},
		{"object stream without /Type", page("", objStm(6, "/Filter /FlateDecode", "<< /AA << >> >>")), "pdf_additional_actions"},
		{"open action to a destination in an object stream", page("/OpenAction 6 0 R", objStm(6, "", "[3 0 R /Fit]")), ""},
		{"open action to a GoTo in an object stream", page("/OpenAction 6 0 R", objStm(6, "", "<< /S /GoTo /D [3 0 R /Fit] >>")), ""},
		{"open action to another action in an object stream", page("/OpenAction 7 0 R", objStm(6, "", "<< /S /GoTo /D [3 0 R /Fit] >>", "<< /S /Launch /F (x) >>")), "pdf_launch"},
		{"open action to a named action in an object stream", page("/OpenAction 7 0 R", objStm(6, "", "<< /S /GoTo /D [3 0 R /Fit] >>", "<< /S /Named /N /Print >>")), "pdf_open_action"},
		{"encrypted", buildPDF("/Encrypt 5 0 R", "<< /Type /Catalog >>", "", "", "", "<< /Filter /Standard /V 2 >>"), "pdf_encrypted"},
		{"encrypted wins over active content", buildPDF("/Encrypt 2 0 R", "<< /Type /Catalog /OpenAction << /S /JavaScript >> >>", "<< /Filter /Standard >>"), "pdf_encrypted"},
	}
	for _, c := range cases {
		if got := code(check(t, c.pdf)); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestPDFObjectInsideAnotherObjectsStringIsFound(t *testing.T) {
	// Object 6 starts with an unbalanced string that, read front to back, would swallow object 7;
	// a reader finds object 7 through the header's offset, and so must the check.
	data := "6 0 7 5 (abc <</S /JavaScript /JS (x)>>\n"
	s := stream("/Type /ObjStm /Filter /FlateDecode /N 2 /First 8", deflate([]byte(data)))
	if got := code(check(t, page("", s))); got != "pdf_javascript" {
		t.Fatalf("got %q", got)
	}
}

func TestPDFDamagedOrUncheckable(t *testing.T) {
	good := page("")
	bomb := stream("/Type /ObjStm /Filter /FlateDecode /N 1 /First 4", deflate(append([]byte("6 0 "), bytes.Repeat([]byte(" "), maxInflate+10)...)))
	cases := []struct {
		name string
		pdf  []byte
		want string
	}{
		{"no %%EOF", bytes.TrimSuffix(good, []byte("%%EOF\n")), "pdf_damaged"},
		{"cut short in a stream", good[:bytes.Index(good, []byte("endstream"))], "pdf_damaged"},
		{"object hidden in a comment", page("", "<< >> % 9 0 obj << /S /JavaScript >>"), "pdf_damaged"},
		{"object hidden in a stream body", page("", stream("", []byte("junk\n9 0 obj\n<< /Foo /Bar >>\nendobj\n"))), "pdf_damaged"},
		{"object hidden in a string", page("", "(x\n9 0 obj << /Foo 1 >> endobj)"), "pdf_damaged"},
		{"object stream that does not inflate", page("", stream("/Type /ObjStm /Filter /FlateDecode /N 1 /First 4", []byte("not zlib data at all"))), "pdf_damaged"},
		{"object stream with another filter", page("", stream("/Type /ObjStm /Filter /ASCIIHexDecode /N 1 /First 4", []byte("3620302020"))), "pdf_uncheckable"},
		{"object stream with a filter chain", page("", stream("/Type /ObjStm /Filter [/FlateDecode /FlateDecode] /N 1 /First 4", deflate(deflate([]byte("6 0 <<>>"))))), "pdf_uncheckable"},
		{"object stream with a predictor", page("", stream("/Type /ObjStm /Filter /FlateDecode /DecodeParms << /Predictor 12 >> /N 1 /First 4", deflate([]byte("6 0 <<>>")))), "pdf_uncheckable"},
		{"object stream with /N by reference", page("", stream("/Type /ObjStm /Filter /FlateDecode /N 9 0 R /First 4", deflate([]byte("6 0 <<>>")))), "pdf_uncheckable"},
		{"object stream header not numbers", page("", stream("/Type /ObjStm /Filter /FlateDecode /N 1 /First 4", deflate([]byte("a b <<>>")))), "pdf_damaged"},
		{"decompression bomb", page("", bomb), "pdf_uncheckable"},
		{"nesting beyond the cap", page("", strings.Repeat("[", maxDepth+1)+strings.Repeat("]", maxDepth+1)), "pdf_damaged"},
	}
	for _, c := range cases {
		if got := code(check(t, c.pdf)); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestPDFBinaryStreamsCauseNoFalseAlarm(t *testing.T) {
	// Image data is noise; noise holds "/JS " and friends now and then. Stream bodies are skipped.
	noise := make([]byte, 2<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	for i := 0; i < 50; i++ {
		copy(noise[rng.IntN(len(noise)-20):], "/JS /AA /JavaScript ")
	}
	if got := code(check(t, page("", stream("/Type /XObject /Subtype /Image /Filter /DCTDecode", noise)))); got != "" {
		t.Fatalf("got %q", got)
	}
}

func TestTypesAndSizes(t *testing.T) {
	jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0}, make([]byte, 100)...)
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), make([]byte, 100)...)
	html := []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")
	exe := append([]byte("MZ\x90\x00"), make([]byte, 100)...)
	cases := []struct {
		name     string
		data     []byte
		declared []string
		want     string
		reason   string
	}{
		{"jpeg", jpeg, []string{JPEG}, "", ""},
		{"png", png, []string{PNG, "image/png"}, "", ""},
		{"declared with parameters", jpeg, []string{"image/jpeg; charset=binary"}, "", ""},
		{"program sent as PDF", exe, []string{PDF}, "content_mismatch", "a Windows program"},
		{"web page sent as PNG", html, []string{PNG}, "content_mismatch", "a web page"},
		{"JPEG sent as PNG", jpeg, []string{PNG}, "content_mismatch", "a JPEG image"},
		{"PDF sent as JPEG", page(""), []string{JPEG}, "content_mismatch", "a PDF document"},
		{"PNG signature without IHDR", []byte("\x89PNG\r\n\x1a\nxxxxxxxx"), []string{PNG}, "content_mismatch", "damaged PNG"},
		{"PDF not at the start (polyglot)", append([]byte("<html>"), page("")...), []string{PDF}, "content_mismatch", ""},
		{"not an accepted type", jpeg, []string{"image/gif"}, "type_not_allowed", "PDF, JPEG and PNG"},
		// A page's upload form cannot know the type: the bytes decide, and must be an accepted type.
		{"no type (a page's form): the bytes are a JPEG", jpeg, []string{"", "binary/octet-stream"}, "", ""},
		{"no type (a page's form): the bytes are a PNG", png, []string{"application/octet-stream"}, "", ""},
		{"no type (a page's form): a web page", html, []string{"", "binary/octet-stream"}, "type_not_allowed", "a web page"},
		{"no type (a page's form): a program", exe, []string{""}, "type_not_allowed", "a Windows program"},
		{"no type (a page's form) but stored as another", jpeg, []string{"", PNG}, "content_mismatch", ""},
		{"declared types disagree", jpeg, []string{JPEG, PNG}, "type_mismatch", ""},
		{"empty", nil, []string{PDF}, "empty", "empty"},
	}
	for _, c := range cases {
		r := check(t, c.data, c.declared...)
		if code(r) != c.want || c.reason != "" && !strings.Contains(r.Problem.Reason, c.reason) {
			t.Errorf("%s: got %+v %+v", c.name, r, r.Problem)
		}
	}
	sum := sha256.Sum256(jpeg)
	if r := check(t, jpeg, JPEG); r.SHA256 != hex.EncodeToString(sum[:]) || r.Type != JPEG {
		t.Errorf("hash or type: %+v", r)
	}
	sum = sha256.Sum256(exe)
	if r := check(t, exe, PDF); r.SHA256 != hex.EncodeToString(sum[:]) {
		t.Error("a refused file keeps its hash")
	}
}

// failing fails every read: a file over the limit must be refused without being read.
type failing struct{}

func (failing) ReadAt([]byte, int64) (int, error) { return 0, errors.New("read") }

func TestTooLargeIsNotRead(t *testing.T) {
	r, err := Check(failing{}, access.MaxFileSize+1, PDF)
	if err != nil || code(r) != "too_large" || r.SHA256 != "" {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := Check(failing{}, 100, PDF); err == nil {
		t.Fatal("a read error was not reported")
	}
}

func TestVerdict(t *testing.T) {
	for _, c := range []struct {
		value  string
		tagged bool
		want   access.EvidenceStatus
	}{
		{"NO_THREATS_FOUND", true, access.Clean},
		{"THREATS_FOUND", true, access.Infected},
		{"UNSUPPORTED", true, access.ScanFailed},
		{"ACCESS_DENIED", true, access.ScanFailed},
		{"FAILED", true, access.ScanFailed},
		{"no_threats_found", true, access.ScanFailed},
		{"SOMETHING_NEW", true, access.ScanFailed},
		{"", false, access.ScanFailed},
		{"NO_THREATS_FOUND", false, access.ScanFailed},
	} {
		got, reason := Verdict(c.value, c.tagged)
		if got != c.want || (got == access.Clean) != (reason == "") {
			t.Errorf("%q %v: %s %q", c.value, c.tagged, got, reason)
		}
	}
}

func FuzzCheck(f *testing.F) {
	f.Add(page(""))
	f.Add(page("/OpenAction 5 0 R", "[3 0 R /Fit]"))
	f.Add(page("", objStm(6, "", "<< /S /J#61vaScript >>", "[1 2 (x) <41>]")))
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Length 5 >> stream\nab"))
	f.Add([]byte("%PDF-\n<< /Type /ObjStm /N 1 /First 2 /Filter /FlateDecode >> stream\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Check(bytes.NewReader(data), int64(len(data)), PDF)
		if err != nil {
			t.Fatalf("reading from memory failed: %v", err)
		}
		if len(data) > 0 {
			sum := sha256.Sum256(data)
			if r.SHA256 != hex.EncodeToString(sum[:]) {
				t.Fatal("wrong hash")
			}
		}
		if r.Problem == nil && r.Type != PDF {
			t.Fatal("a file that is not a PDF passed as one")
		}
		again, _ := Check(bytes.NewReader(data), int64(len(data)), PDF)
		if code(again) != code(r) {
			t.Fatal("not deterministic")
		}
	})
}
