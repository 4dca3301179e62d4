package rendition

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/council/cfp/shared/scan"
)

var (
	engineOnce sync.Once
	engine     *Engine
	engineErr  error
)

// testEngine is one engine for the package's tests: compiling PDFium takes seconds. The
// compilation cache is kept between runs in the user's cache directory.
func testEngine(tb testing.TB) *Engine {
	tb.Helper()
	engineOnce.Do(func() {
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		engine, engineErr = New(filepath.Join(dir, "cfp-render-test"))
	})
	if engineErr != nil {
		tb.Fatal(engineErr)
	}
	return engine
}

// Letter is a typed letter of n A4 pages in Helvetica, as a council or a court writes one;
// extra is added to the catalogue (active content, say).
func Letter(n int, extra string) []byte {
	var b bytes.Buffer
	offsets := map[int]int{}
	obj := func(id int, body string) {
		offsets[id] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", id, body)
	}
	b.WriteString("%PDF-1.4\n")
	obj(1, "<< /Type /Catalog /Pages 2 0 R "+extra+" >>")
	var kids []string
	for i := range n {
		kids = append(kids, fmt.Sprintf("%d 0 R", 4+2*i))
	}
	obj(2, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	obj(3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	for i := range n {
		var text strings.Builder
		fmt.Fprintf(&text, "BT /F1 16 Tf 72 770 Td (Court of Protection - Deputyship Order - page %d of %d) Tj ET\n", i+1, n)
		for line := range 40 {
			fmt.Fprintf(&text, "BT /F1 11 Tf 72 %d Td (Line %d: The deputy may receive the financial documents of the client.) Tj ET\n", 740-16*line, line+1)
		}
		obj(4+2*i, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i))
		obj(5+2*i, fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", text.Len(), text.String()))
	}
	last := 3 + 2*n
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", last+1)
	for id := 1; id <= last; id++ {
		fmt.Fprintf(&b, "%010d 00000 n \n", offsets[id])
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", last+1, xref)
	return b.Bytes()
}

func TestAPDFIsRebuiltFromPicturesOfItsPages(t *testing.T) {
	e := testEngine(t)
	in := Letter(3, "/OpenAction << /S /JavaScript /JS (app.alert(1)) >> /AA << /WC << /S /Launch /F (calc.exe) >> >>")
	if res, _ := scan.Check(bytes.NewReader(in), int64(len(in)), "application/pdf"); res.Problem == nil {
		t.Fatal("the test letter's active content is not seen by the scanner")
	}
	out, pages, err := e.PDF(context.Background(), in)
	if err != nil || pages != 3 {
		t.Fatalf("%d pages, %v", pages, err)
	}
	for _, name := range []string{"/JavaScript", "/JS", "/Launch", "/OpenAction", "/AA", "/Font", "/Annots", "/AcroForm", "/EmbeddedFile", "/Metadata", "/Info"} {
		if bytes.Contains(out, []byte(name)) {
			t.Errorf("the rendition has %s", name)
		}
	}
	if res, err := scan.Check(bytes.NewReader(out), int64(len(out)), "application/pdf"); err != nil || res.Problem != nil {
		t.Fatalf("the rendition does not pass the upload checks: %+v %v", res.Problem, err)
	}
	// PDFium reads the rendition back: three pages, each a picture of its page with the text on it.
	again, n, err := e.PDF(context.Background(), out)
	if err != nil || n != 3 || len(again) == 0 {
		t.Fatalf("the rendition cannot be rendered again: %d %v", n, err)
	}
	if bytes.Count(out, []byte("/Subtype /Image")) != 3 {
		t.Fatal("not one picture per page")
	}
	img := firstPicture(t, out)
	if b := img.Bounds(); b.Dx() != 1239 || b.Dy() != 1754 {
		t.Errorf("an A4 page is %dx%d pixels, want 1239x1754 (150 DPI)", b.Dx(), b.Dy())
	}
	if dark := darkShare(img); dark < 0.005 || dark > 0.2 {
		t.Errorf("%.3f of the page is dark: the text was not drawn", dark)
	}
}

func TestWhatPDFiumCannotOpenIsRefused(t *testing.T) {
	e := testEngine(t)
	for name, data := range map[string][]byte{
		"not a PDF": []byte("MZ\x90\x00 a program"),
		"truncated": Letter(2, "")[:200],
		"no pages":  []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"),
	} {
		_, _, err := e.PDF(context.Background(), data)
		var r Refusal
		if !errors.As(err, &r) || r == "" {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
}

// A rendering past its time is stopped and refused, and the engine goes on rendering.
func TestARenderingPastItsTimeIsRefused(t *testing.T) {
	e := testEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := e.PDF(ctx, Letter(MaxPages, ""))
	if !errors.Is(err, Refusal("The file could not be made safe to show in the time allowed.")) {
		t.Fatalf("%v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("stopped after %s", took)
	}
	if _, n, err := e.PDF(context.Background(), Letter(1, "")); err != nil || n != 1 {
		t.Fatalf("after a time-out: %d %v", n, err)
	}
}

func TestPicturesAreEncodedAgainWithNothingElse(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		src.Set(x, 10, color.RGBA{200, 10, 10, 255})
	}
	var p, j bytes.Buffer
	png.Encode(&p, src)
	jpeg.Encode(&j, src, nil)
	// A text chunk before the end, and a program after it.
	withText := append(append([]byte{}, p.Bytes()[:33]...), pngChunk("tEXt", "Comment\x00<script>alert(1)</script>")...)
	withText = append(append(withText, p.Bytes()[33:]...), "MZ\x90\x00 trailing program"...)
	withExif := append(append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10}, "Exif\x00\x00secret!!"...), j.Bytes()[2:]...)
	withExif = append(withExif, "%PDF-1.4 polyglot"...)
	for _, c := range []struct {
		name, ctype string
		data        []byte
		bad         []string
	}{
		{"png", "image/png", withText, []string{"tEXt", "script", "MZ"}},
		{"jpeg", "image/jpeg", withExif, []string{"Exif", "secret", "%PDF"}},
	} {
		out, err := Image(c.data, c.ctype)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, s := range c.bad {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("%s: %q survived", c.name, s)
			}
		}
		img, format, err := image.Decode(bytes.NewReader(out))
		if err != nil || format != c.name || img.Bounds() != src.Bounds() {
			t.Errorf("%s: %s %v %v", c.name, format, img.Bounds(), err)
		}
	}
	if _, err := Image(p.Bytes(), "image/jpeg"); err == nil {
		t.Error("a PNG declared a JPEG was passed")
	}
	ihdr := append([]byte{0, 0, 0x80, 0, 0, 0, 0x80, 0}, p.Bytes()[24:29]...) // 32768 x 32768 in the header
	huge := append(append(append([]byte{}, p.Bytes()[:8]...), pngChunk("IHDR", string(ihdr))...), p.Bytes()[33:]...)
	if _, err := Image(huge, "image/png"); !errors.Is(err, Refusal("The picture is too large to show (more than 50 million pixels).")) {
		t.Errorf("a picture of a billion pixels: %v", err)
	}
}

// BenchmarkRenderPage is the rendition of a typed A4 letter, per page: time, and the bytes
// allocated per page by Go (PDFium's own memory is the WebAssembly instance's linear memory).
func BenchmarkRenderPage(b *testing.B) {
	e := testEngine(b)
	const pages = 5
	in := Letter(pages, "")
	b.ReportAllocs()
	b.ResetTimer()
	var size int
	for range b.N {
		out, _, err := e.PDF(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*pages), "ms/page")
	b.ReportMetric(float64(size/pages), "rendition-B/page")
	b.ReportMetric(peakRSS(), "peak-RSS-MiB") // the whole test process: Go heap, PDFium's linear memory, the compiled code
}

// peakRSS is the process's peak resident memory in MiB (Linux; 0 elsewhere).
func peakRSS() float64 {
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(v), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}

func firstPicture(t *testing.T, pdf []byte) image.Image {
	t.Helper()
	i := bytes.Index(pdf, []byte("stream\n\xff\xd8"))
	if i < 0 {
		t.Fatal("no JPEG in the rendition")
	}
	img, err := jpeg.Decode(bytes.NewReader(pdf[i+len("stream\n"):]))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func darkShare(img image.Image) float64 {
	b := img.Bounds()
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			if r, g, bl, _ := img.At(x, y).RGBA(); r+g+bl < 3*0x8000 {
				dark++
			}
		}
	}
	return float64(dark) / float64(b.Dx()*b.Dy()/4)
}

func pngChunk(kind, data string) []byte {
	var b bytes.Buffer
	n := len(data)
	b.Write([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	b.WriteString(kind + data)
	sum := crc32.ChecksumIEEE([]byte(kind + data))
	b.Write([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
	return b.Bytes()
}

// BenchmarkStart is PDFium's start: compiling the WebAssembly module and starting an instance,
// without the compilation cache and with a cache filled by an earlier start.
func BenchmarkStart(b *testing.B) {
	for _, c := range []struct {
		name  string
		cache func() string
	}{
		{"no-cache", func() string { return "" }},
		{"cached", func() string { return filepath.Join(os.TempDir(), "cfp-render-bench") }},
	} {
		b.Run(c.name, func(b *testing.B) {
			if dir := c.cache(); dir != "" { // fill it
				e, err := New(dir)
				if err != nil {
					b.Fatal(err)
				}
				e.Close()
			}
			b.ResetTimer()
			for range b.N {
				e, err := New(c.cache())
				if err != nil {
					b.Fatal(err)
				}
				e.Close()
			}
		})
	}
}

// A two-page typed letter comes out with every line of text on its own band of ink, as set: the
// picture is sharp enough to read (41 lines on page 1: a heading and 40 of body text). With
// CFP_SCREENSHOTS set, page 1 is written there as a PNG to look at.
func TestALetterStaysLegible(t *testing.T) {
	out, _, err := testEngine(t).PDF(context.Background(), Letter(2, ""))
	if err != nil {
		t.Fatal(err)
	}
	img := firstPicture(t, out)
	if n := textLines(img); n != 41 {
		t.Errorf("%d lines of text on page 1, want 41", n)
	}
	if dir := os.Getenv("CFP_SCREENSHOTS"); dir != "" {
		f, err := os.Create(filepath.Join(dir, "rendition-letter-page1.png"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
	}
}

// textLines counts the bands of rows with ink, separated by blank rows.
func textLines(img image.Image) int {
	b := img.Bounds()
	lines, inLine := 0, false
	for y := b.Min.Y; y < b.Max.Y; y++ {
		ink := false
		for x := b.Min.X; x < b.Max.X && !ink; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			ink = r+g+bl < 3*0x8000
		}
		if ink && !inLine {
			lines++
		}
		inLine = ink
	}
	return lines
}
