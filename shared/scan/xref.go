package scan

import (
	"bufio"
	"bytes"
	"io"
)

// The cross-reference check. The sweep skips comments, strings and stream bodies; a reader
// that follows the cross-reference sections can still be sent into one of them, to an object
// whose header the sniffer does not see ("12 0 %x\nobj"). So every offset the sections give (and
// every section's own offset) is checked against the regions the sweep skipped. An offset inside
// one, where what starts there could be an object header or a section, is a hidden object. An
// offset that points at nothing (past the end, into image data) is left alone: scanned PDFs
// often have them, and readers repair them by looking for literal headers, which the sweep sees.

// crossReferences follows the sections from the last startxref, as readers do, and checks each
// offset they give. A section it cannot read is what a reader would repair: no finding.
func (d *doc) crossReferences() error {
	start, ok, err := d.startxref()
	if err != nil || !ok {
		return err
	}
	todo, seen := []int64{start}, map[int64]bool{}
	for len(todo) > 0 {
		off := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if seen[off] || off < 0 || off >= d.size {
			continue
		}
		if len(seen) >= maxSection || d.xrefRead >= maxXref {
			d.add(tooComplex)
			return nil
		}
		seen[off] = true
		if err := d.offset(off); err != nil {
			return err
		}
		more, err := d.section(off)
		if err != nil && !broken(err) {
			return err
		}
		todo = append(todo, more...)
	}
	return nil
}

// startxref reads the offset after the file's last "startxref" (found by the sweep).
func (d *doc) startxref() (int64, bool, error) {
	if d.startxrefAt == 0 {
		return 0, false, nil
	}
	b := make([]byte, min(64, d.size-d.startxrefAt))
	if _, err := d.r.ReadAt(b, d.startxrefAt); err != nil && err != io.EOF {
		return 0, false, err
	}
	b = bytes.TrimLeft(b, " \t\r\n\f\x00")
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		n++
	}
	return atoi(b[:n]), n > 0, nil
}

// section reads the cross-reference section at off, a table or a stream, checks the offsets it
// gives and returns the offsets of the sections it names (/Prev, /XRefStm).
func (d *doc) section(off int64) ([]int64, error) {
	l := &lexer{doc: d, in: bufio.NewReaderSize(io.NewSectionReader(d.r, off, d.size-off), 16<<10), left: maxXref - d.xrefRead}
	defer func() { d.xrefRead += l.pos }()
	k, w, err := l.xtoken()
	if err != nil || k != 'w' {
		return nil, err
	}
	if string(w) == "xref" {
		return d.table(l)
	}
	// n g obj << ... >> stream
	if wordKind(w) != tokInt {
		return nil, nil
	}
	if k, w, err = l.xtoken(); err != nil || k != 'w' || wordKind(w) != tokInt {
		return nil, err
	}
	if k, w, err = l.xtoken(); err != nil || string(w) != "obj" {
		return nil, err
	}
	if k, _, err = l.xtoken(); err != nil || k != '<' {
		return nil, err
	}
	v := map[string][]string{}
	if err := l.xdict("", v, 0); err != nil {
		return nil, err
	}
	if k, w, err = l.xtoken(); err != nil || string(w) != "stream" || v["W"] == nil {
		return nil, err
	}
	c, err := l.next() // the keyword ends with CRLF or LF
	if err == nil && c == '\r' {
		if c, err = l.next(); err == nil && c != '\n' {
			l.back()
		}
	}
	if err != nil {
		return nil, err
	}
	return sections(v), d.xrefStream(v, off+l.pos)
}

// sections are the offsets of the other sections a trailer names.
func sections(v map[string][]string) []int64 {
	var offs []int64
	for _, k := range []string{"Prev", "XRefStm"} {
		if len(v[k]) == 1 && wordKind([]byte(v[k][0])) == tokInt {
			offs = append(offs, atoi([]byte(v[k][0])))
		}
	}
	return offs
}

// table reads a classic cross-reference table after its keyword, and its trailer.
func (d *doc) table(l *lexer) ([]int64, error) {
	word := func() ([]byte, bool, error) {
		k, w, err := l.xtoken()
		return w, k == 'w', err
	}
	for {
		w, ok, err := word()
		if err != nil || !ok {
			return nil, err
		}
		if string(w) == "trailer" {
			if k, _, err := l.xtoken(); err != nil || k != '<' {
				return nil, err
			}
			v := map[string][]string{}
			err := l.xdict("", v, 0)
			return sections(v), err
		}
		if wordKind(w) != tokInt { // a subsection starts with its first number and count
			return nil, nil
		}
		if w, ok, err = word(); err != nil || !ok || wordKind(w) != tokInt {
			return nil, err
		}
		for n := atoi(w); n > 0; n-- {
			if w, ok, err = word(); err != nil || !ok || wordKind(w) != tokInt {
				return nil, err
			}
			at := atoi(w)
			if _, ok, err = word(); err != nil || !ok {
				return nil, err
			}
			if w, ok, err = word(); err != nil || !ok {
				return nil, err
			}
			switch string(w) {
			case "n":
				if err := d.offset(at); err != nil {
					return nil, err
				}
			case "f":
			default:
				return nil, nil
			}
		}
	}
}

// xrefStream reads the entries of a cross-reference stream whose dictionary is v and whose body
// starts at start, checking the offset of every object it places in the file (type 1).
func (d *doc) xrefStream(v map[string][]string, start int64) error {
	ints := func(key string, def ...int64) ([]int64, bool) {
		if v[key] == nil {
			return def, true
		}
		var out []int64
		for _, s := range v[key] {
			if wordKind([]byte(s)) != tokInt || s[0] == '-' {
				return nil, false
			}
			out = append(out, atoi([]byte(s)))
		}
		return out, true
	}
	w, okW := ints("W")
	size, okS := ints("Size", 0)
	index, okI := ints("Index")
	if okS && len(size) == 1 && index == nil {
		index = []int64{0, size[0]}
	}
	filter := v["Filter"]
	pred, okP := ints("DecodeParms.Predictor", 1)
	cols, okC := ints("DecodeParms.Columns", 1)
	colors, okK := ints("DecodeParms.Colors", 1)
	bpc, okB := ints("DecodeParms.BitsPerComponent", 8)
	length, okL := ints("Length")
	switch {
	case !okW || !okS || !okI || len(w) != 3 || len(index)%2 != 0 || w[0] > 8 || w[1] > 8 || w[2] > 8:
		d.add(damaged)
		return nil
	case len(filter) > 1 || len(filter) == 1 && filter[0] != "/FlateDecode" || len(filter) == 0 && (!okL || len(length) != 1),
		!okP || !okC || !okK || !okB || len(pred) != 1 || len(cols) != 1 || len(colors) != 1 || len(bpc) != 1,
		pred[0] != 1 && (pred[0] < 10 || pred[0] > 15), cols[0] > 1<<20 || colors[0] > 32 || bpc[0] > 16,
		v["DecodeParms"] != nil && (len(v["DecodeParms"]) != 1 || v["DecodeParms"][0] != "null"):
		d.add(uncheckable)
		return nil
	}
	var l int64
	if length != nil {
		l = length[0]
	}
	body, err := d.inflate(start, len(filter) == 1, l)
	if err != nil {
		return err
	}
	budget := &io.LimitedReader{R: body, N: maxInflate - d.inflated + 1}
	defer func() {
		if d.inflated = maxInflate + 1 - budget.N; budget.N <= 0 {
			d.add(uncheckable)
		}
	}()
	in := io.Reader(budget)
	if pred[0] >= 10 {
		row := (cols[0]*colors[0]*bpc[0] + 7) / 8
		if !d.spend(3*row + 1) {
			return nil
		}
		in = &png{in: budget, bpp: int(max(1, colors[0]*bpc[0]/8)), raw: make([]byte, row+1), cur: make([]byte, row), prev: make([]byte, row)}
	}
	in = bufio.NewReaderSize(in, 4<<10)
	e := make([]byte, w[0]+w[1]+w[2])
	field := func(b []byte) int64 {
		var n int64
		for _, c := range b {
			n = n<<8 | int64(c)
		}
		return n
	}
	for i := 0; i < len(index); i += 2 {
		for n := index[i+1]; n > 0; n-- {
			if _, err := io.ReadFull(in, e); err != nil {
				return err
			}
			typ := int64(1)
			if w[0] > 0 {
				typ = field(e[:w[0]])
			}
			if typ != 1 {
				continue
			}
			if err := d.offset(field(e[w[0] : w[0]+w[1]])); err != nil {
				return err
			}
		}
	}
	return nil
}

// png undoes the PNG predictors, row by row.
type png struct {
	in             io.Reader
	bpp            int
	raw, cur, prev []byte
	off            int
	started        bool
}

func (p *png) Read(b []byte) (int, error) {
	if !p.started || p.off == len(p.cur) {
		if _, err := io.ReadFull(p.in, p.raw); err != nil {
			return 0, err
		}
		p.started, p.off = true, 0
		p.prev, p.cur = p.cur, p.prev
		cur, prev, raw := p.cur, p.prev, p.raw[1:]
		for i := range cur {
			var left, upLeft byte
			if i >= p.bpp {
				left, upLeft = cur[i-p.bpp], prev[i-p.bpp]
			}
			switch p.raw[0] {
			case 0:
				cur[i] = raw[i]
			case 1:
				cur[i] = raw[i] + left
			case 2:
				cur[i] = raw[i] + prev[i]
			case 3:
				cur[i] = raw[i] + byte((int(left)+int(prev[i]))/2)
			case 4:
				cur[i] = raw[i] + paeth(left, prev[i], upLeft)
			default:
				return 0, io.ErrUnexpectedEOF // not a PNG row: the data is damaged
			}
		}
	}
	n := copy(b, p.cur[p.off:])
	p.off += n
	return n, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// offset checks one offset a cross-reference section gives.
func (d *doc) offset(off int64) error {
	d.offsets++
	if off < 0 || off >= d.size || !d.skipped.has(off) {
		return nil
	}
	if d.suspects++; d.suspects > maxSuspect {
		d.add(hidden)
		return nil
	}
	if d.window == nil {
		d.window = make([]byte, window)
	}
	b := d.window[:min(window, d.size-off)]
	if _, err := d.r.ReadAt(b, off); err != nil && err != io.EOF {
		return err
	}
	if startsObject(b, off+int64(len(b)) == d.size) {
		d.add(hidden)
	}
	return nil
}

// startsObject reports whether b may begin what a reader takes for an object ("12 0 obj" with
// any whitespace and comments between) or a cross-reference table. When b ends before that is
// settled, and the file goes on (!last), it is taken to: a header can be spread out with long
// comments.
func startsObject(b []byte, last bool) bool {
	i := 0
	// gap skips whitespace and comments; false when b ends in a comment
	gap := func() bool {
		for i < len(b) {
			switch c := b[i]; {
			case isSpace(c):
				i++
			case c == '%':
				for i < len(b) && b[i] != '\n' && b[i] != '\r' {
					i++
				}
				if i == len(b) {
					return false
				}
			default:
				return true
			}
		}
		return true
	}
	digits := func() int {
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		n := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i, n = i+1, n+1 {
		}
		return n
	}
	// keyword reports whether b goes on with word, or ends with the start of it
	keyword := func(word string) (found, ended bool) {
		rest := b[i:]
		if len(rest) < len(word) {
			return false, bytes.HasPrefix([]byte(word), rest)
		}
		return bytes.HasPrefix(rest, []byte(word)), false
	}
	if !gap() {
		return !last
	}
	if found, ended := keyword("xref"); found || ended {
		return found || !last
	}
	for n := 0; n < 2; n++ {
		if digits() == 0 {
			return i == len(b) && !last
		}
		at := i
		if i == len(b) || !gap() {
			return !last
		}
		if n == 0 && i == at {
			return false // "12x": no space after the number
		}
	}
	found, ended := keyword("obj")
	return found || ended && !last
}

// xtoken reads the next token of a cross-reference section or its dictionary: a name ('/', w
// without its slash), a word ('w': a number or keyword), '<' for <<, '>' for >>, '[', ']', or a
// string ('(', skipped). k is 0 at the end of the data.
func (l *lexer) xtoken() (k byte, w []byte, err error) {
	for {
		c, err := l.next()
		if err != nil {
			return 0, nil, eof(err)
		}
		switch {
		case isSpace(c):
		case c == '%':
			if err := l.skipComment(); err != nil {
				return 0, nil, eof(err)
			}
		case c == '/':
			w, err := l.readName()
			return '/', w, err
		case c == '[' || c == ']':
			return c, nil, nil
		case c == '(':
			return '(', nil, l.skipString()
		case c == '<' || c == '>':
			d, err := l.next()
			if err == nil && d == c {
				return c, nil, nil
			}
			if err == nil {
				l.back()
			}
			if c == '>' {
				continue
			}
			return '(', nil, l.skipHex()
		case c == ')' || c == '{' || c == '}':
		default:
			w, err := l.readWord(c)
			return 'w', w, err
		}
	}
}

// xdict reads a dictionary after its <<, keeping in v the words and names (with their slash) of
// each key's value; a nested dictionary's keys are kept as "Outer.Inner".
func (l *lexer) xdict(prefix string, v map[string][]string, depth int) error {
	key, word := "", false
	for {
		k, w, err := l.xtoken()
		if err != nil || k == 0 || k == '>' {
			return err
		}
		switch {
		case k == '/' && (key == "" || word):
			key, word = prefix+string(w), false
		case k == '/':
			v[key], key = append(v[key], "/"+string(w)), ""
		case k == 'w' && key != "":
			v[key], word = append(v[key], string(w)), true
		case k == '<' && depth < 8:
			if err := l.xdict(key+".", v, depth+1); err != nil {
				return err
			}
			key = ""
		case k == '[':
			for {
				if k, w, err = l.xtoken(); err != nil || k == 0 || k == ']' {
					break
				}
				if key != "" && (k == 'w' || k == '/') {
					if k == '/' {
						w = append([]byte("/"), w...)
					}
					v[key] = append(v[key], string(w))
				}
			}
			if err != nil {
				return err
			}
			key = ""
		default:
			key = ""
		}
	}
}
