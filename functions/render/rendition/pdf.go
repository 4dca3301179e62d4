package rendition

import (
	"bytes"
	"fmt"
)

// page is one page of a rebuilt PDF: its size in points and its picture.
type page struct {
	width, height float64 // points
	jpeg          []byte
	pxW, pxH      int
}

// assemble writes a PDF whose pages each draw one JPEG over the whole page, and nothing else: no
// fonts, annotations, actions, names, metadata or document information.
func assemble(pages []page) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	n := 2 + 3*len(pages)
	offsets := make([]int, n+1)
	obj := func(id int, body string) {
		offsets[id] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", id, body)
	}
	stream := func(id int, dict string, data []byte) {
		offsets[id] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n<< %s /Length %d >>\nstream\n", id, dict, len(data))
		b.Write(data)
		b.WriteString("\nendstream\nendobj\n")
	}
	obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	var kids bytes.Buffer
	for i := range pages {
		fmt.Fprintf(&kids, "%d 0 R ", 3+3*i)
	}
	obj(2, fmt.Sprintf("<< /Type /Pages /Kids [ %s] /Count %d >>", kids.String(), len(pages)))
	for i, p := range pages {
		id := 3 + 3*i
		obj(id, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /P %d 0 R >> >> /Contents %d 0 R >>",
			p.width, p.height, id+2, id+1))
		stream(id+1, "", fmt.Appendf(nil, "q %.2f 0 0 %.2f 0 0 cm /P Do Q", p.width, p.height))
		stream(id+2, fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode", p.pxW, p.pxH), p.jpeg)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", n+1)
	for id := 1; id <= n; id++ {
		fmt.Fprintf(&b, "%010d 00000 n \n", offsets[id])
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", n+1, xref)
	return b.Bytes()
}
