package main

import (
	"bytes"
	"fmt"
	"strings"
)

// samplePDF is a one-page A4 PDF 1.4 document of the given lines in Helvetica, with a correct
// cross-reference table, as a council's billing system would produce (no scripts, no forms).
func samplePDF(lines []string) []byte {
	var content strings.Builder
	content.WriteString("BT /F1 11 Tf 56 780 Td 15 TL\n")
	for i, l := range lines {
		if i == 0 {
			content.WriteString("/F1 16 Tf (" + pdfText(l) + ") Tj /F1 11 Tf T* T*\n")
			continue
		}
		content.WriteString("(" + pdfText(l) + ") Tj T*\n")
	}
	content.WriteString("ET\n")
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n") // the binary comment marks the file as binary to transfer tools
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

// pdfText escapes a string for a PDF literal string.
func pdfText(s string) string {
	return strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(s)
}
