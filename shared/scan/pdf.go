package scan

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Bounds that keep a hostile PDF from costing more than an honest one.
const (
	readBuffer = 64 << 10
	maxInflate = 64 << 20 // bytes all object streams of one file may inflate to
	maxHeader  = 1 << 20  // an object stream's header (/First)
	maxObjects = 100000   // objects in one object stream (/N)
	maxDepth   = 4096     // nesting of arrays and dictionaries
	maxName    = 127      // the spec's longest name: a longer one is none of ours
	tailWindow = 1024     // where %%EOF must be, as Acrobat requires
	maxObjNum  = 8388607  // the spec's largest object number
	maxRefs    = 64       // /OpenAction references followed in one file
	maxObjStms = 4096     // object streams read in one file: more is refused
	maxMemory  = 16 << 20 // bytes one file's checks may allocate for what it declares
	window     = 1024     // bytes read at a suspect cross-reference offset
	maxSuspect = 64       // cross-reference offsets inside skipped regions examined
	maxSection = 256      // cross-reference sections followed
	maxXref    = 32 << 20 // bytes of cross-reference sections read
)

// finding is one kind of thing a PDF was refused for. When several are found, the lowest one is
// reported: encryption first (nothing else can be trusted in an encrypted file), damage last.
type finding int

const (
	none finding = iota
	encrypted
	javascript
	launch
	openAction
	additionalActions
	embeddedFile
	richMedia
	xfa
	hidden
	tooComplex
	uncheckable
	damaged
)

const plainAdvice = " For safety we only accept plain PDFs: print or save the document as a new PDF and upload that."

var pdfProblems = map[finding]Problem{
	encrypted:         {"pdf_encrypted", "The PDF is password-protected or encrypted, so it cannot be checked. Remove the protection (for example by printing it to a new PDF) and upload it again."},
	javascript:        {"pdf_javascript", "The PDF contains JavaScript, a program that runs inside it." + plainAdvice},
	launch:            {"pdf_launch", "The PDF tries to start other programs on the computer that opens it." + plainAdvice},
	openAction:        {"pdf_open_action", "The PDF runs an action by itself when it is opened." + plainAdvice},
	additionalActions: {"pdf_additional_actions", "The PDF runs actions by itself, for example when a page is opened or a field is used." + plainAdvice},
	embeddedFile:      {"pdf_embedded_file", "The PDF has other files attached inside it." + plainAdvice},
	richMedia:         {"pdf_rich_media", "The PDF contains embedded media (video, sound or Flash)." + plainAdvice},
	xfa:               {"pdf_xfa", "The PDF is an interactive (XFA) form." + plainAdvice},
	hidden:            {"pdf_hidden_object", "The PDF has parts hidden inside other parts, where a PDF reader finds them but our check cannot." + plainAdvice},
	tooComplex:        {"pdf_too_complex", "The PDF is built from more parts than we can check. Print or save it as a new PDF and upload that."},
	uncheckable:       {"pdf_uncheckable", "The PDF is built in a way we cannot check (it is too complex, or compressed in an unusual way). Print or save it as a new PDF and upload that."},
	damaged:           {"pdf_damaged", "The PDF is damaged or incomplete, so it cannot be checked. Print or save it as a new PDF and upload that."},
}

// activeNames are the names that mean active content or encryption wherever they appear.
// /OpenAction is judged by its value instead (see doc.go).
var activeNames = map[string]finding{
	"JavaScript": javascript, "JS": javascript,
	"Launch":       launch,
	"AA":           additionalActions,
	"EmbeddedFile": embeddedFile, "EmbeddedFiles": embeddedFile, "EF": embeddedFile,
	"RichMedia": richMedia,
	"XFA":       xfa,
	"Encrypt":   encrypted,
}

// key is a dictionary key the scanner acts on.
type key int

const (
	keyWanted key = iota // no key yet: the next name is one
	keyOther
	keyType
	keyFilter
	keyDecodeParms
	keyN
	keyFirst
	keyLength
	keyOpenAction
	keyS          // an action's type
	keyNextAction // an action's chained next actions
)

var keys = map[string]key{
	"Type": keyType, "Filter": keyFilter, "DecodeParms": keyDecodeParms, "N": keyN, "First": keyFirst,
	"Length": keyLength, "OpenAction": keyOpenAction, "S": keyS, "Next": keyNextAction,
}

// doc is one PDF being checked.
type doc struct {
	r        io.ReaderAt
	size     int64
	found    finding
	inflated int64
	// An /OpenAction that only opens the document at a page is harmless: a destination array, or
	// a GoTo action with no chained /Next (what office software and pdfTeX write). Its value may be
	// a reference, and the object it names may come later, so harmless and others record, per
	// object number, whether each definition of an object was harmless (one bit per number).
	harmless, others bitset
	openRefs         []int64

	skipped     regions // what the sweep did not read as tokens
	spent       int64   // bytes allocated for what the file declares, against maxMemory
	objStms     int     // object streams read
	suspects    int     // cross-reference offsets examined in skipped regions
	xrefRead    int64   // bytes of cross-reference sections read
	offsets     int     // cross-reference offsets read
	matched     int     // bytes of "startxref" just seen
	startxrefAt int64   // the end of the last "startxref" in the file, 0 when none

	// One inflater, its buffers and one lexer serve every object and xref stream in turn.
	zr       io.ReadCloser
	src, out *bufio.Reader
	ol       *lexer
	entries  []entry
	window   []byte
}

// spend counts n more bytes against the file's memory budget; false (and a refusal) when spent.
func (d *doc) spend(n int64) bool {
	if d.spent += n; d.spent > maxMemory {
		d.add(tooComplex)
		return false
	}
	return true
}

// defined records whether objects nums are harmless as an /OpenAction's value.
func (d *doc) defined(nums []int64, harmless bool) {
	for _, n := range nums {
		if harmless {
			d.harmless.set(n)
		} else {
			d.others.set(n)
		}
	}
}

func (d *doc) openRef(n int64) {
	if len(d.openRefs) >= maxRefs {
		d.add(openAction)
		return
	}
	d.openRefs = append(d.openRefs, n)
}

func (d *doc) add(f finding) {
	if d.found == none || f < d.found {
		d.found = f
	}
}

// checkPDF reads the file once through sweep (front to back) and r (object streams, the tail).
func checkPDF(r io.ReaderAt, size int64, sweep io.Reader) (*Problem, error) {
	d, err := sweepPDF(r, size, sweep)
	if err != nil || d.found == none {
		return nil, err
	}
	p := pdfProblems[d.found]
	return &p, nil
}

// sweepPDF runs every check of a PDF and returns what it found.
func sweepPDF(r io.ReaderAt, size int64, sweep io.Reader) (*doc, error) {
	d := &doc{r: r, size: size, skipped: regions{size: size}}
	l := &lexer{doc: d, in: bufio.NewReaderSize(sweep, readBuffer), left: -1, file: true}
	if err := l.run(); err != nil {
		return d, err
	}
	if err := d.crossReferences(); err != nil {
		return d, err
	}
	tail := make([]byte, min(size, tailWindow))
	if _, err := r.ReadAt(tail, size-int64(len(tail))); err != nil && err != io.EOF {
		return d, err
	}
	if !bytes.Contains(tail, []byte("%%EOF")) {
		d.add(damaged)
	}
	for _, n := range d.openRefs {
		if !d.harmless.has(n) || d.others.has(n) {
			d.add(openAction)
		}
	}
	return d, nil
}

// streamDict is what the scanner keeps of an outermost dictionary: enough to know whether the
// stream after it is an object stream and how to read it.
type streamDict struct {
	objStm           bool
	filters          [2]string // the first two; more is always refused
	nFilters         int
	decodeParms      bool
	n, first, length int64
	hasN, hasFirst   bool
	hasLength        bool
	indirect         bool // /N or /First is a reference: its value is elsewhere
	notWhole         bool // /N or /First is not a whole number
}

// objectStream: pdf.js reads any stream with /N and /First as an object stream, whatever its
// /Type, and takes 1.0 or 1e0 for 1.
func (s streamDict) objectStream() bool { return s.objStm || s.hasN && s.hasFirst }

type frame struct {
	dict    bool
	key     key   // dictionary: whose value comes next
	last    key   // dictionary: the key of the value just read (a following R makes it a reference)
	filters bool  // array: the value of /Filter in an outermost dictionary
	open    int64 // dictionary: /OpenAction's value was this number; an R must follow
	opening bool  // open is set
	action  bool  // dictionary: the value of an /OpenAction
	goTo    bool  // dictionary: /S /GoTo
	next    bool  // dictionary: has /Next
}

// lexer reads PDF tokens from in. At file level (file) it skips stream bodies, decoding object
// streams on the way; inside an object stream it reads one object's region (left bytes).
type lexer struct {
	doc   *doc
	in    *bufio.Reader
	left  int64 // bytes this lexer may still read; negative: to the end
	pos   int64 // bytes read: the file offset at file level
	file  bool
	fed   int64 // at file level, the bytes doc.watch has seen
	stack []frame
	over  int // opening brackets past maxDepth, not on the stack
	word  []byte
	tail  tail
	dict  streamDict
	ready bool // dict is a complete outermost dictionary, and nothing has come after it yet
	// objs are the numbers of the object whose value comes next ("12 0 obj" at file level, the
	// header's numbers in an object stream), root those of the outermost dictionary being read;
	// ints are the last two integers at depth 0.
	objs  []int64
	root  []int64
	ints  [2]int64
	nInts int
}

func (l *lexer) next() (byte, error) {
	if l.left == 0 {
		return 0, io.EOF
	}
	c, err := l.in.ReadByte()
	if err != nil {
		return 0, err
	}
	l.pos++
	if l.left > 0 {
		l.left--
	}
	if l.file && l.pos > l.fed {
		l.fed = l.pos
		l.doc.watch(c, l.pos)
	}
	return c, nil
}

// watch follows every byte of the file once, in order, for the last "startxref" anywhere in it:
// pdf.js finds it by a search back from the end that looks at bytes, not tokens.
func (d *doc) watch(c byte, pos int64) {
	const word = "startxref" // no prefix of it ends it: one state is enough
	switch {
	case c == word[d.matched]:
		if d.matched++; d.matched == len(word) {
			d.startxrefAt, d.matched = pos, 0
		}
	case c == word[0]:
		d.matched = 1
	default:
		d.matched = 0
	}
}

func (l *lexer) back() {
	_ = l.in.UnreadByte() // always follows a successful ReadByte
	l.pos--
	if l.left >= 0 {
		l.left++
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

// eof turns the end of input into a clean stop and keeps real read errors.
func eof(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

func (l *lexer) run() error {
	for {
		c, err := l.next()
		if err != nil {
			return eof(err)
		}
		switch {
		case isSpace(c):
		case c == '%':
			at := l.pos
			if err = l.skipComment(); err == nil {
				l.skip(at, l.pos-1) // not the end of the line: an offset one byte early lands there
			}
		case c == '(':
			at := l.pos
			if err = l.skipString(); err == nil {
				l.token(tokString, nil)
			}
			l.skip(at, l.pos)
		case c == '<':
			var d byte
			if d, err = l.next(); err == nil && d == '<' {
				l.open(true)
			} else if err == nil {
				l.back()
				at := l.pos
				if err = l.skipHex(); err == nil {
					l.token(tokString, nil)
				}
				l.skip(at, l.pos)
			}
		case c == '>':
			var d byte
			if d, err = l.next(); err == nil && d == '>' {
				l.close()
			} else if err == nil {
				l.back()
			}
		case c == '[':
			l.open(false)
		case c == ']':
			l.close()
		case c == '/':
			var name []byte
			if name, err = l.readName(); err == nil {
				l.token(tokName, name)
			}
		case c == ')' || c == '{' || c == '}':
			// not object syntax (PostScript functions live in stream bodies): nothing to read
		default:
			var w []byte
			if w, err = l.readWord(c); err == nil {
				if l.file && len(l.stack) == 0 && l.over == 0 && string(w) == "stream" {
					err = l.stream()
				} else if l.file && (len(l.stack) > 0 || l.over > 0) && (string(w) == "obj" || string(w) == "endobj") {
					l.unclosed()
				} else {
					l.token(wordKind(w), w)
				}
			}
		}
		if err = eof(err); err != nil {
			return err
		}
	}
}

type tokKind int

const (
	tokName tokKind = iota
	tokInt
	tokNull
	tokRef // the keyword R
	tokString
	tokOpen // [ or <<
	tokOther
)

func wordKind(w []byte) tokKind {
	switch string(w) {
	case "R":
		return tokRef
	case "null":
		return tokNull
	}
	for i, c := range w {
		if c < '0' || c > '9' {
			if i > 0 || (c != '+' && c != '-') || len(w) == 1 {
				return tokOther
			}
		}
	}
	return tokInt
}

func atoi(w []byte) int64 {
	var n int64
	for _, c := range w {
		if c >= '0' && c <= '9' && n < 1<<40 {
			n = n*10 + int64(c-'0')
		}
	}
	if len(w) > 0 && w[0] == '-' {
		return -n
	}
	return n
}

// token handles one complete token (or an opening bracket, as tokOpen, before it is pushed).
func (l *lexer) token(kind tokKind, w []byte) {
	if kind == tokName {
		if f, ok := activeNames[string(w)]; ok {
			l.doc.add(f)
		}
	}
	if len(l.stack) == 0 {
		l.topLevel(kind, w)
		return
	}
	f := &l.stack[len(l.stack)-1]
	outer := len(l.stack) == 1 && f.dict
	switch {
	case !f.dict:
		if f.filters && kind == tokName && l.dict.nFilters < 2 {
			l.dict.filters[l.dict.nFilters] = string(w)
		}
		if f.filters && kind == tokName {
			l.dict.nFilters++
		}
	case f.key == keyWanted:
		switch kind {
		case tokName:
			if f.opening { // "/OpenAction 5 /Next": a number that is not a reference
				f.opening = false
				l.doc.add(openAction)
			}
			f.key = keyOther
			if k, ok := keys[string(w)]; ok {
				f.key = k
			}
			f.next = f.next || f.key == keyNextAction
		case tokRef: // "/N 5 0 R": the value read as 5 was a reference
			if outer && (f.last == keyN || f.last == keyFirst) {
				l.dict.indirect = true
			}
			if outer && f.last == keyLength {
				l.dict.hasLength = false
			}
			if f.opening {
				f.opening = false
				l.doc.openRef(f.open)
			}
		}
	default:
		k := f.key
		f.key, f.last = keyWanted, k
		if k == keyS {
			f.goTo = kind == tokName && string(w) == "GoTo"
		}
		if k == keyOpenAction {
			switch {
			case kind == tokNull, kind == tokOpen: // none, a destination, or an action judged at its end
			case kind == tokInt:
				f.open, f.opening = atoi(w), true
			default:
				l.doc.add(openAction) // nothing a reader would take as harmless
			}
		}
		if outer {
			l.outerValue(k, kind, w)
		}
	}
}

// topLevel follows tokens outside any array or dictionary: object headers and what they define.
func (l *lexer) topLevel(kind tokKind, w []byte) {
	if kind != tokOpen {
		l.ready = false
	}
	if len(l.objs) > 0 {
		if kind == tokOpen && w != nil {
			l.root = append(l.root[:0], l.objs...) // judged when the dictionary ends
		} else {
			l.doc.defined(l.objs, kind == tokOpen)
		}
		l.objs = l.objs[:0]
	} else if kind == tokOther && string(w) == "obj" && l.nInts >= 2 {
		l.objs = append(l.objs, l.ints[0])
	}
	if kind == tokInt {
		l.ints[0], l.ints[1] = l.ints[1], atoi(w)
		l.nInts++
	} else {
		l.nInts = 0
	}
}

// outerValue records a value of the outermost dictionary.
func (l *lexer) outerValue(k key, kind tokKind, w []byte) {
	s := &l.dict
	switch k {
	case keyType:
		s.objStm = kind == tokName && string(w) == "ObjStm"
	case keyFilter:
		if kind == tokName {
			s.filters[0], s.nFilters = string(w), 1
		}
	case keyDecodeParms:
		s.decodeParms = kind != tokNull
	case keyN, keyFirst:
		v, ok := number(kind, w)
		if k == keyN {
			s.n, s.hasN = v, true
		} else {
			s.first, s.hasFirst = v, true
		}
		s.notWhole = s.notWhole || !ok
	case keyLength:
		s.length, s.hasLength = atoi(w), kind == tokInt
	}
}

// open handles [ and <<; token sees an array as (tokOpen, nil), a dictionary as (tokOpen, "<<").
func (l *lexer) open(dict bool) {
	var w []byte
	if dict {
		w = []byte("<<")
	}
	var filters, action bool
	if n := len(l.stack); n > 0 && l.stack[n-1].dict {
		filters = n == 1 && l.stack[0].key == keyFilter && !dict
		action = l.stack[n-1].key == keyOpenAction && dict
	}
	l.token(tokOpen, w)
	if len(l.stack) == 0 && dict {
		l.dict, l.ready = streamDict{}, false
	}
	if len(l.stack) >= maxDepth {
		l.over++
		l.doc.add(damaged)
		return
	}
	l.stack = append(l.stack, frame{dict: dict, filters: filters, action: action})
}

func (l *lexer) close() {
	switch {
	case l.over > 0:
		l.over--
	case len(l.stack) > 0:
		top := l.stack[len(l.stack)-1]
		harmless := top.goTo && !top.next
		if top.opening || top.action && !harmless {
			l.doc.add(openAction)
		}
		l.stack = l.stack[:len(l.stack)-1]
		if len(l.stack) == 0 && top.dict {
			l.ready = true
			l.doc.defined(l.root, harmless)
			l.root = l.root[:0]
		}
	}
}

// unclosed handles an object header or end met inside an array or dictionary: an object left
// open. Read on, the following objects would be seen as nested values and an object stream among
// them never decoded, while a reader finds each object at its offset. The file is damaged, and the
// sweep resumes at file level so that what follows is still checked.
func (l *lexer) unclosed() {
	l.doc.add(damaged)
	l.stack, l.over, l.root, l.ready = l.stack[:0], 0, l.root[:0], false
}

// readName reads a name after its slash, decoding #xx escapes. Names longer than any we look for
// are read to their end but not kept.
func (l *lexer) readName() ([]byte, error) {
	l.word = l.word[:0]
	long := false
	for {
		c, err := l.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if isSpace(c) || isDelim(c) {
			l.back()
			break
		}
		if c == '#' {
			esc, err := l.escape()
			if err != nil {
				return nil, err
			}
			for _, b := range esc[:len(esc)-1] {
				l.word = append(l.word, b) // an invalid escape keeps its bytes as they are
			}
			c = esc[len(esc)-1]
		}
		if len(l.word) < maxName {
			l.word = append(l.word, c)
		} else {
			long = true
		}
	}
	if long {
		return nil, nil
	}
	return l.word, nil
}

// escape reads what follows a # in a name: the byte of a #xx escape, or, when the digits are not
// both hex, the bytes as written (# and whatever hex digit was read).
func (l *lexer) escape() ([]byte, error) {
	hi, err := l.next()
	if err != nil {
		return []byte{'#'}, eof(err)
	}
	h, ok := unhex(hi)
	if !ok {
		l.back()
		return []byte{'#'}, nil
	}
	lo, err := l.next()
	if err != nil {
		return []byte{'#', hi}, eof(err)
	}
	v, ok := unhex(lo)
	if !ok {
		l.back()
		return []byte{'#', hi}, nil
	}
	return []byte{h<<4 | v}, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// readWord reads a keyword or number starting with c.
func (l *lexer) readWord(c byte) ([]byte, error) {
	l.word = append(l.word[:0], c)
	for {
		c, err := l.next()
		if err == io.EOF {
			return l.word, nil
		}
		if err != nil {
			return nil, err
		}
		if isSpace(c) || isDelim(c) {
			l.back()
			return l.word, nil
		}
		if len(l.word) < 32 {
			l.word = append(l.word, c)
		}
	}
}

func (l *lexer) skipComment() error {
	l.tail.reset()
	for {
		c, err := l.next()
		if err != nil || c == '\n' || c == '\r' {
			return err
		}
		l.sniff(c)
	}
}

// skipString skips a literal string: balanced parentheses, backslash escapes.
func (l *lexer) skipString() error {
	l.tail.reset()
	depth := 1
	for {
		c, err := l.next()
		if err == io.EOF {
			l.doc.add(damaged)
		}
		if err != nil {
			return err
		}
		l.sniff(c)
		switch c {
		case '\\':
			if c, err = l.next(); err != nil {
				return err
			}
			l.sniff(c)
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return nil
			}
		}
	}
}

func (l *lexer) skipHex() error {
	l.tail.reset()
	for {
		c, err := l.next()
		if err == io.EOF {
			l.doc.add(damaged)
		}
		if err != nil || c == '>' {
			return err
		}
		l.sniff(c)
	}
}

// skip records that the sweep skipped the bytes from start to end (file level only).
func (l *lexer) skip(start, end int64) {
	if l.file {
		l.doc.skipped.add(start, end, l.doc)
	}
}

// sniff watches skipped text for an object hidden in it (file level only).
func (l *lexer) sniff(c byte) {
	if l.file && l.tail.push(c) {
		l.doc.add(damaged)
	}
}

// stream handles the keyword stream at file level: an object stream is read through doc.r, and
// the body is then skipped up to endstream.
func (l *lexer) stream() error {
	s, ok := l.dict, l.ready
	l.ready = false
	c, err := l.next() // the keyword ends with CRLF or LF; a lone CR is tolerated
	switch {
	case err != nil:
		l.doc.add(damaged)
		return err
	case c == '\r':
		if c, err = l.next(); err == nil && c != '\n' {
			l.back()
		}
	case c != '\n':
		l.back()
	}
	if ok && s.objectStream() {
		if err := l.doc.objectStream(s, l.pos); err != nil {
			return err
		}
	}
	l.tail.reset()
	at := l.pos
	defer func() { l.skip(at, l.pos) }()
	for {
		c, err := l.next()
		if err == io.EOF {
			l.doc.add(damaged)
		}
		if err != nil {
			return err
		}
		if c == 'm' && l.tail.endsWith("endstrea") {
			return nil
		}
		l.sniff(c)
	}
}

// objectStream reads the objects of an object stream whose body starts at offset start.
func (d *doc) objectStream(s streamDict, start int64) error {
	switch {
	case s.indirect || s.decodeParms || s.nFilters > 1 || s.nFilters == 1 && s.filters[0] != "FlateDecode":
		d.add(uncheckable)
		return nil
	case s.notWhole || !s.hasN || !s.hasFirst || s.n < 0 || s.first < 0 || s.n > maxObjects || s.first > maxHeader:
		d.add(damaged)
		return nil
	case s.nFilters == 0 && !s.hasLength:
		d.add(uncheckable)
		return nil
	}
	if d.objStms++; d.objStms > maxObjStms {
		d.add(tooComplex)
		return nil
	}
	body, err := d.inflate(start, s.nFilters == 1, s.length)
	if err != nil {
		return d.corrupt(err)
	}
	budget := &io.LimitedReader{R: body, N: maxInflate - d.inflated + 1}
	if d.out == nil {
		d.out = bufio.NewReaderSize(nil, 16<<10)
	}
	d.out.Reset(budget)
	err = d.objects(d.out, s)
	d.inflated = maxInflate + 1 - budget.N
	if budget.N <= 0 {
		d.add(uncheckable)
	}
	return d.corrupt(err)
}

// inflate returns the body of the stream at start: length bytes as they are, or (flate) what they
// inflate to, through the file's one inflater.
func (d *doc) inflate(start int64, flate bool, length int64) (io.Reader, error) {
	body := io.NewSectionReader(d.r, start, d.size-start)
	if !flate {
		return io.LimitReader(body, length), nil
	}
	if d.src == nil {
		d.src = bufio.NewReaderSize(nil, 8<<10)
	}
	d.src.Reset(body)
	if d.zr == nil {
		zr, err := zlib.NewReader(d.src)
		if err != nil {
			return nil, err
		}
		d.zr = zr
		return zr, nil
	}
	return d.zr, d.zr.(zlib.Resetter).Reset(d.src, nil)
}

// entry is one object of an object stream: its number and offset after the header.
type entry struct{ num, offset int64 }

// objects reads an object stream's contents: the header of N (object number, offset) pairs, then
// each object from its own offset with a fresh lexer, so no object can hide inside another's string.
func (d *doc) objects(in *bufio.Reader, s streamDict) error {
	ok, err := d.header(in, s.first)
	if err != nil || !ok {
		return err
	}
	if int64(len(d.entries)) != s.n {
		d.add(damaged)
	}
	entries := d.entries
	slices.SortFunc(entries, func(a, b entry) int { return int(a.offset - b.offset) })
	if d.ol == nil {
		d.ol = &lexer{doc: d}
	}
	l := d.ol
	l.in, l.pos, l.objs = in, 0, l.objs[:0]
	var at int64
	for i := 0; ; {
		// The region from at to the next offset (or to the end) is one object's, read afresh.
		end := int64(-1)
		if i < len(entries) {
			end = entries[i].offset
		}
		if end != at {
			l.left, l.stack, l.over, l.ready, l.root, l.nInts = end-at, l.stack[:0], 0, false, l.root[:0], 0
			before := l.pos
			if err := l.run(); err != nil {
				return err
			}
			if end < 0 || l.pos-before < end-at {
				return nil // the end, or the data ended before this offset
			}
			at = end
		}
		l.objs = l.objs[:0]
		for ; i < len(entries) && entries[i].offset == at; i++ {
			l.objs = append(l.objs, entries[i].num)
		}
	}
}

// header reads an object stream's header, first bytes of number pairs, straight from the
// inflater: nothing is allocated for what the header declares, only for the pairs it holds,
// and that is counted against the file's budget. ok is false when the file is refused.
func (d *doc) header(in *bufio.Reader, first int64) (ok bool, err error) {
	d.entries = d.entries[:0]
	var pair [2]int64
	n, v, digits := 0, int64(0), false
	end := func() bool {
		if !digits {
			return true
		}
		pair[n], n, v, digits = v, n+1, 0, false
		if n == 2 {
			if len(d.entries) == cap(d.entries) && !d.spend(16*int64(max(64, cap(d.entries)))) {
				return false
			}
			d.entries, n = append(d.entries, entry{pair[0], pair[1]}), 0
		}
		return true
	}
	for i := int64(0); i < first; i++ {
		c, err := in.ReadByte()
		if err != nil {
			return false, err
		}
		switch {
		case c >= '0' && c <= '9':
			if v < 1<<40 {
				v = v*10 + int64(c-'0')
			}
			digits = true
		case isSpace(c):
			if !end() {
				return false, nil
			}
		default:
			d.add(damaged) // not a number
			return false, nil
		}
	}
	if !end() {
		return false, nil
	}
	if n != 0 {
		d.add(damaged)
	}
	return true, nil
}

// corrupt turns an object stream that does not inflate into a finding; read errors stay errors.
func (d *doc) corrupt(err error) error {
	if broken(err) {
		d.add(damaged)
		return nil
	}
	return err
}

// broken reports whether err is data that does not inflate or ends too soon, not a failed read.
func broken(err error) bool {
	var ce flate.CorruptInputError
	return err != nil && (errors.As(err, &ce) || errors.Is(err, zlib.ErrChecksum) || errors.Is(err, zlib.ErrHeader) ||
		errors.Is(err, zlib.ErrDictionary) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF))
}

// tail is the last bytes of a skipped region, enough to recognise "endstream", "endobj" and an
// object header "12 0 obj" ending at the current byte.
type tail struct {
	buf [32]byte
	n   int
}

func (t *tail) reset() { t.n = 0 }

// push adds a byte and reports whether an object header or endobj ends there.
func (t *tail) push(c byte) bool {
	t.buf[t.n%len(t.buf)] = c
	t.n++
	return c == 'j' && (t.endsWith("endobj") || t.objHeader())
}

// at returns the i-th byte from the end (0: the last one).
func (t *tail) at(i int) (byte, bool) {
	if i >= t.n || i >= len(t.buf) {
		return 0, false
	}
	return t.buf[(t.n-1-i)%len(t.buf)], true
}

// endsWith reports whether the last bytes pushed are s.
func (t *tail) endsWith(s string) bool {
	for i := 0; i < len(s); i++ {
		c, ok := t.at(i)
		if !ok || c != s[len(s)-1-i] {
			return false
		}
	}
	return true
}

// objHeader reports whether the region ends with digits, space, digits, space, "obj".
func (t *tail) objHeader() bool {
	if !t.endsWith("obj") {
		return false
	}
	i := 3
	for _, digits := range []bool{false, true, false, true} {
		n := 0
		for {
			c, ok := t.at(i)
			if !ok || (digits && (c < '0' || c > '9')) || (!digits && !isSpace(c)) {
				break
			}
			i, n = i+1, n+1
		}
		if n == 0 {
			return false
		}
	}
	return true
}

// bitset is a set of object numbers, grown as needed up to maxObjNum (1 MiB).
type bitset []uint64

func (b *bitset) set(n int64) {
	if n < 0 || n > maxObjNum {
		return
	}
	i := int(n / 64)
	if i >= len(*b) {
		*b = append(*b, make([]uint64, i+1-len(*b))...)
	}
	(*b)[i] |= 1 << (n % 64)
}

func (b bitset) has(n int64) bool {
	i := n / 64
	return n >= 0 && i < int64(len(b)) && b[i]&(1<<(n%64)) != 0
}

// number reads a value given for /N or /First: an integer, or a real a reader takes for one
// (1.0, +1, 1., .1e1). ok is false for anything else.
func number(kind tokKind, w []byte) (int64, bool) {
	if kind == tokInt {
		return atoi(w), true
	}
	if kind != tokOther || len(w) == 0 || len(w) >= 32 || strings.Trim(string(w), "0123456789+-.eE") != "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(w), 64)
	if err != nil || v != math.Trunc(v) || math.Abs(v) > 1<<40 {
		return 0, false
	}
	return int64(v), true
}

// regions are the byte ranges of the file that the sweep skipped (comments, strings, stream
// bodies): a sorted list of spans while that is small, a bit per byte of the file once the list
// would be larger than that (1.25 MiB for a 10 MiB file).
type regions struct {
	size  int64
	spans []int64 // start, end, start, end...
	bits  bitset
}

func (r *regions) add(start, end int64, d *doc) {
	switch {
	case end <= start:
	case r.bits != nil:
		r.bits.setRange(start, end)
	case int64(len(r.spans))*8 < r.size/8+1024:
		if len(r.spans) == cap(r.spans) && !d.spend(8*int64(max(64, cap(r.spans)))) {
			return
		}
		r.spans = append(r.spans, start, end)
	default:
		if !d.spend(r.size/8 + 8) {
			return
		}
		r.bits = make(bitset, r.size/64+1)
		for i := 0; i < len(r.spans); i += 2 {
			r.bits.setRange(r.spans[i], r.spans[i+1])
		}
		r.bits.setRange(start, end)
		r.spans = nil
	}
}

// has reports whether offset off is inside a skipped region.
func (r *regions) has(off int64) bool {
	if r.bits != nil {
		return r.bits.has(off)
	}
	// the first span that starts after off; the one before it holds off if any does
	i := sort.Search(len(r.spans)/2, func(i int) bool { return r.spans[2*i] > off })
	return i > 0 && off < r.spans[2*i-1]
}

// setRange sets the bits from start to end (exclusive) of a bitset already large enough.
func (b bitset) setRange(start, end int64) {
	for n := start; n < end; {
		if n%64 == 0 && end-n >= 64 {
			b[n/64] = ^uint64(0)
			n += 64
			continue
		}
		b[n/64] |= 1 << (n % 64)
		n++
	}
}
