package scan

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
)

// buildPDF writes a PDF whose objects are numbered from 1 in the order given, with a classic
// cross-reference table and a trailer; extraTrailer is added to the trailer dictionary.
func buildPDF(extraTrailer string, objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, extraTrailer, xref)
	return b.Bytes()
}

// page is a document with one page; catalog is added to the catalog dictionary, more are objects 5...
func page(catalog string, more ...string) []byte {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R " + catalog + " >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
		stream("", []byte("BT /F1 24 Tf 72 720 Td (Hello /JavaScript and /JS in text) Tj ET")),
	}
	return buildPDF("", append(objs, more...)...)
}

// stream is a stream object with the given extra dictionary entries.
func stream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

func deflate(data []byte) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	_, _ = w.Write(data)
	_ = w.Close()
	return b.Bytes()
}

// objStm is an object stream holding objs, numbered from first; dict replaces the usual
// "/Type /ObjStm /Filter /FlateDecode" when given.
func objStm(first int, dict string, objs ...string) string {
	var header, body strings.Builder
	for i, o := range objs {
		fmt.Fprintf(&header, "%d %d ", first+i, body.Len())
		body.WriteString(o + "\n")
	}
	data := header.String() + body.String()
	if dict == "" {
		dict = "/Type /ObjStm /Filter /FlateDecode"
	}
	return stream(fmt.Sprintf("%s /N %d /First %d", dict, len(objs), header.Len()), deflate([]byte(data)))
}
