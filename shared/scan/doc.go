// Package scan owns the content checks of an evidence upload and the meaning of the malware
// scanner's verdict. It does no I/O of its own: Check reads through an io.ReaderAt, so the same code
// runs over a byte slice (tests, fuzzing) and over bounded ranged reads of an S3 object (the
// scan-upload function), and it never needs the whole file in memory.
//
// What Check refuses, each with a reason a person understands (Problem.Reason) and a short stable
// code for logs (Problem.Code):
//   - an empty file, or one over access.MaxFileSize;
//   - a declared type other than PDF, JPEG or PNG, or declared types that disagree;
//   - bytes that are not what was declared: the real type comes from magic bytes ("%PDF-" at
//     offset 0, FF D8 FF, the PNG signature followed by IHDR). "%PDF-" must be at offset 0
//     although readers accept it anywhere in the first KiB: that leeway is how polyglot files
//     (an HTML page that is also a PDF) are made;
//   - PDFs with active content: the names /JavaScript, /JS, /Launch, /AA, /EmbeddedFile(s), /EF,
//     /RichMedia, /XFA anywhere in the file's objects, and an /OpenAction that does more than open
//     the document at a page. A destination array, or a GoTo action without a chained /Next, is
//     accepted, directly or by reference (pdfTeX writes "/OpenAction 98 0 R" with object 98 a GoTo
//     action; refusing those would refuse ordinary documents); anything else (URI, SubmitForm,
//     Named, a reference to nothing, an object redefined by an update as something else) is not;
//   - encrypted PDFs (/Encrypt): their strings and streams cannot be read, so they cannot be checked;
//   - PDFs with an object hidden inside a region the sweep skips (a stream body, a string, a
//     comment) and reached through the cross-reference sections (pdf_hidden_object): every offset
//     the sections give, classic tables and xref streams (inflated, PNG predictors undone, /W and
//     /Index read) from the last startxref along /Prev and /XRefStm, is checked against the
//     skipped regions; one inside a region, where what starts could be an object header however
//     spread out with whitespace and comments ("12 0 %x\nobj"), or a table, is refused. Offsets
//     that point at nothing (past the end, into image data) are not: scanned PDFs have them and
//     readers repair them by finding literal headers, which the sweep sees;
//   - PDFs with more parts than the checks will read (pdf_too_complex): over 4,096 object streams,
//     over 256 cross-reference sections, or more than 16 MiB allocated for what the file declares;
//   - PDFs that cannot be checked: damaged (no %%EOF in the last KiB, as Acrobat requires; a stream
//     without endstream; an object stream that does not inflate), object streams compressed other
//     than with FlateDecode without predictors, or inflating to more than a fixed budget (a
//     decompression bomb), or an object hidden where a sequential reading does not see it (an
//     "n g obj" or "endobj" inside a comment, string or stream body, or after an array or
//     dictionary left open, which is how a scanner that reads front to back is made to miss an
//     object a reader finds through the xref table).
//
// How the PDF is read: one sequential pass over the file, as tokens. Names are compared after
// decoding #xx escapes (/J#61vaScript is /JavaScript). Comments, strings and stream bodies are
// skipped, so text and compressed or image data cannot produce false alarms; object streams
// (/Type /ObjStm, or any stream with both /N and /First, whatever its /Type and in any number
// form, 1.0 or 1e0, as pdf.js reads them; a value that is not a whole number is refused as
// damaged; /N alone is an ICC profile's) are inflated and their objects read the same way, each
// from its own offset. The cross-reference sections are read after the sweep.
//
// Cost is bounded whatever the file: a 64 KiB read buffer; one inflater (flate.Resetter), its
// buffers and one lexer reused by every object and xref stream; an object stream's header read as
// it inflates, never allocated from its declared size; 64 MiB inflated per file; the skipped
// regions kept as a list, or as a bit per byte of the file once that is smaller (1.25 MiB at
// 10 MiB); what grows with the file counted against a 16 MiB budget; and a nesting cap. The worst
// file we know under 10 MiB (BenchmarkCheckWorstPDF) costs about 0.1 s and 8 MiB.
//
// Why our own scanner and not a PDF library. pdfcpu is the well-kept Go PDF library; it parses
// fully and correctly, but (1) it builds the document's object graph in memory, several times the
// file's size, where this check must stream a 10 MiB file in bounded memory; (2) it follows the
// cross-reference table, so objects it does not reach (unreferenced ones, older incremental
// revisions) are never looked at, while a lexical pass sees every byte; (3) a full parser is a
// large attack surface to run on hostile input, with a dependency tree (x/image, x/text, ...)
// that would grow the function's binary towards its 12 MiB budget. The other Go readers
// (rsc.io/pdf and its forks) are unmaintained. What this check needs (tokens, #xx names, Flate
// object streams) is a few hundred lines that the tests and the fuzz target cover.
//
// The malware verdict: GuardDuty Malware Protection for S3 tags each object StatusTag. Only
// NO_THREATS_FOUND is clean; THREATS_FOUND is infected; anything else, or no tag, is scan_failed.
package scan
