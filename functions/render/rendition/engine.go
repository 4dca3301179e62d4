package rendition

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"math"
	"strings"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/enums"
	pdfiumerrors "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Refusal is why a file has no rendition, in words for a person: the file is not shown.
type Refusal string

func (r Refusal) Error() string { return string(r) }

// Limits of one rendering.
const (
	DPI       = 150       // small print stays legible; an A4 page is 1240 x 1754 pixels
	MaxPages  = 100       // evidence is a letter, an order, a certificate: not a book
	maxPagePx = 8_000_000 // a page larger than A3 at DPI is rendered at a lower resolution
)

// Engine renders PDFs with PDFium. It is safe for one rendering at a time; Close releases it.
type Engine struct {
	pool pdfium.Pool
}

// New compiles PDFium's WebAssembly module and starts one instance. With cacheDir set, the
// compiled code is kept there (wazero's compilation cache), so that a later start of the process
// with the same directory loads it instead of compiling again.
func New(cacheDir string) (*Engine, error) {
	cfg := wazero.NewRuntimeConfig().
		WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling). // PDFium's setjmp/longjmp
		WithCloseOnContextDone(true)                                                       // so that a rendering past its time can be stopped
	if cacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cacheDir)
		if err != nil {
			return nil, fmt.Errorf("rendition: compilation cache: %w", err)
		}
		cfg = cfg.WithCompilationCache(cache)
	}
	pool, err := webassembly.Init(webassembly.Config{
		MinIdle: 1, MaxIdle: 1, MaxTotal: 1,
		RuntimeConfig: cfg,
		FSConfig:      wazero.NewFSConfig(), // no file system: documents are given as bytes
		Stdout:        io.Discard, Stderr: io.Discard,
	})
	if err != nil {
		return nil, fmt.Errorf("rendition: starting PDFium: %w", err)
	}
	return &Engine{pool: pool}, nil
}

// Close releases PDFium.
func (e *Engine) Close() error { return e.pool.Close() }

// PDF renders every page of a PDF and assembles the pictures into a new PDF. A file PDFium
// cannot open, with more than MaxPages pages, or not rendered before ctx's deadline, is a
// Refusal. The instance rendering a file past its deadline is killed, and the next call gets a
// new one.
func (e *Engine) PDF(ctx context.Context, data []byte) (out []byte, pages int, err error) {
	inst, err := e.pool.GetInstanceWithContext(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("rendition: a PDFium instance: %w", err)
	}
	done := make(chan struct{})
	killed := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			inst.Kill()
			close(killed)
		case <-done:
		}
	}()
	defer func() {
		close(done)
		select {
		case <-killed:
			out, pages, err = nil, 0, Refusal("The file could not be made safe to show in the time allowed.")
		default:
			inst.Close()
		}
	}()
	return render(inst, data)
}

func render(inst pdfium.Pdfium, data []byte) ([]byte, int, error) {
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &data})
	if err != nil {
		if errors.Is(err, pdfiumerrors.ErrPassword) || strings.Contains(err.Error(), pdfiumerrors.ErrPassword.Error()) {
			return nil, 0, Refusal("The PDF is protected by a password.")
		}
		return nil, 0, Refusal("The file cannot be opened as a PDF.")
	}
	defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
	count, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	switch {
	case err != nil:
		return nil, 0, Refusal("The file cannot be opened as a PDF.")
	case count.PageCount == 0:
		return nil, 0, Refusal("The PDF has no pages.")
	case count.PageCount > MaxPages:
		return nil, 0, Refusal(fmt.Sprintf("The PDF has more than %d pages.", MaxPages))
	}
	pages := make([]page, 0, count.PageCount)
	for i := range count.PageCount {
		p, err := renderPage(inst, doc.Document, i)
		if err != nil {
			return nil, 0, err
		}
		pages = append(pages, p)
	}
	return assemble(pages), len(pages), nil
}

func renderPage(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, i int) (page, error) {
	bad := Refusal(fmt.Sprintf("Page %d of the PDF cannot be shown.", i+1))
	size, err := inst.FPDF_GetPageSizeByIndex(&requests.FPDF_GetPageSizeByIndex{Document: doc, Index: i})
	if err != nil || !(size.Width >= 1 && size.Height >= 1 && size.Width <= 14400 && size.Height <= 14400) {
		return page{}, bad // PDF pages are 1 to 14,400 points a side
	}
	w, h := pixels(size.Width, size.Height)
	r, err := inst.RenderPageInPixels(&requests.RenderPageInPixels{
		Page:        requests.Page{ByIndex: &requests.PageByIndex{Document: doc, Index: i}},
		Width:       w,
		Height:      h,
		RenderFlags: enums.FPDF_RENDER_FLAG_ANNOT, // what an annotation shows (a stamp, a signature) is part of the page
	})
	if err != nil {
		return page{}, bad
	}
	defer r.Cleanup()
	var out bytes.Buffer
	img := r.Result.Image
	if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: jpegQuality}); err != nil {
		return page{}, bad
	}
	b := img.Bounds()
	return page{width: size.Width, height: size.Height, jpeg: out.Bytes(), pxW: b.Dx(), pxH: b.Dy()}, nil
}

// pixels is a page's picture size at DPI, lowered to at most maxPagePx pixels.
func pixels(wPt, hPt float64) (int, int) {
	scale := DPI / 72.0
	if area := wPt * hPt * scale * scale; area > maxPagePx {
		scale *= math.Sqrt(maxPagePx / area)
	}
	return max(1, int(wPt*scale)), max(1, int(hPt*scale))
}
