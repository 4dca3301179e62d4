// Package rendition makes the copy of an evidence file that staff open instead of the upload
// (content disarm and reconstruction): a PDF is rendered page by page by PDFium, run as
// WebAssembly in the process (go-pdfium through wazero: no cgo, no system library, no file
// system), and the page images are assembled into a new PDF that holds nothing but one JPEG per
// page; a JPEG or PNG is decoded and encoded again, so no metadata, trailing bytes or second
// format survive. Whatever PDFium cannot open, or cannot render within the time given, is
// refused with a reason a person understands, never passed through.
package rendition
