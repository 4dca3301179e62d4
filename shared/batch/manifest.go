package batch

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/council/cfp/shared/access"
)

// Columns are the manifest's header names, in the order the README shows them; a manifest may
// put them in any order.
var Columns = []string{"file_name", "client_reference", "document_type", "document_date", "title", "action"}

// MaxRows bounds a manifest: rows past it are refused (a run is 12,000 documents).
const MaxRows = 50_000

// Action is what a row asks for.
type Action string

const (
	Publish  Action = "publish"
	Replace  Action = "replace"  // publish the row's file and hide the target
	Withdraw Action = "withdraw" // hide the target; the row names no file
)

// Target is the document a replace or withdraw names: a document id, or a file of another batch
// of the same sending system (Batch/File).
type Target struct {
	Document    string
	Batch, File string
}

func (t Target) String() string {
	if t.Document != "" {
		return t.Document
	}
	if t.File == "" {
		return ""
	}
	return t.Batch + "/" + t.File
}

// Row is one row of a manifest as read. Refused is why it cannot be acted on ("" when it can).
type Row struct {
	Line   int
	File   string
	Fields access.DocumentFields
	Action Action
	Target Target
	// Refused is set when reading the row already shows it cannot be done.
	Refused string
	First   int // the line that listed File first, when this row lists it again
}

// Parsed is a manifest as read: its rows, or why none of it can be read (Refused: not a header
// line this package knows).
type Parsed struct {
	Rows    []Row
	Refused string
}

var columnNames = access.FieldNames{ClientReference: "client_reference", Type: "document_type", Date: "document_date", Title: "title"}

var documentID = regexp.MustCompile(`^d[a-z2-7]{24}$`)

// Parse reads a manifest. Each row is checked on its own: a bad row is refused with its reason and
// the others stand. refFormat is the council's client reference format.
func Parse(data []byte, refFormat *regexp.Regexp) Parsed {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // spreadsheets start UTF-8 files with a byte-order mark
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return Parsed{Refused: "manifest.csv has no header line " + strings.Join(Columns, ",")}
	}
	col, bad := columns(header)
	if bad != "" {
		return Parsed{Refused: bad}
	}
	var p Parsed
	first := map[string]int{}   // file name: the line it was first listed on
	targets := map[string]int{} // a replace's or withdraw's target: the line that names it
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return p
		}
		var row Row
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			row = Row{Line: pe.StartLine, Refused: "the row is not valid CSV: " + pe.Err.Error()}
		case err != nil:
			row = Row{Line: lastLine(p) + 1, Refused: "the row cannot be read"}
		default:
			line, _ := r.FieldPos(0)
			row = readRow(line, rec, col, refFormat)
		}
		if len(p.Rows) >= MaxRows {
			row.Refused = "more than " + strconv.Itoa(MaxRows) + " rows in one manifest"
		}
		if row.File != "" {
			if l, ok := first[row.File]; ok && row.Refused == "" {
				row.Refused, row.First = fmt.Sprintf("file_name listed twice (first on line %d)", l), l
			} else if !ok {
				first[row.File] = row.Line
			}
		}
		if t := row.Target.String(); t != "" && row.Refused == "" {
			// Rows are acted on at once, not in order: a second correction of one document would race the first.
			if l, ok := targets[t]; ok {
				row.Refused = fmt.Sprintf("the target %s is named on line %d already", t, l)
			} else {
				targets[t] = row.Line
			}
		}
		p.Rows = append(p.Rows, row)
		if err != nil && !errors.As(err, &pe) {
			return p // an error the reader cannot continue past
		}
	}
}

func lastLine(p Parsed) int {
	if len(p.Rows) == 0 {
		return 1
	}
	return p.Rows[len(p.Rows)-1].Line
}

// columns maps each column name to its position, or says what is wrong with the header.
func columns(header []string) (map[string]int, string) {
	col := map[string]int{}
	var unknown []string
	for i, h := range header {
		name := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(h)), " ", "_")
		if !utf8.ValidString(h) || !known(name) {
			unknown = append(unknown, strconv.Quote(strings.ToValidUTF8(h, "?")))
			continue
		}
		if _, dup := col[name]; dup {
			return nil, "the header line names " + name + " twice"
		}
		col[name] = i
	}
	var missing []string
	for _, c := range Columns {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(unknown) > 0 || len(missing) > 0 {
		why := "the header line must be " + strings.Join(Columns, ",")
		if len(missing) > 0 {
			why += "; missing: " + strings.Join(missing, ", ")
		}
		if len(unknown) > 0 {
			why += "; unknown: " + strings.Join(unknown, ", ")
		}
		return nil, why
	}
	return col, ""
}

func known(name string) bool {
	for _, c := range Columns {
		if c == name {
			return true
		}
	}
	return false
}

// readRow checks one record: UTF-8, the number of fields, the action and its target, and each
// field as the inbound/ route checks it.
func readRow(line int, rec []string, col map[string]int, refFormat *regexp.Regexp) Row {
	row := Row{Line: line}
	if len(rec) != len(col) {
		row.Refused = fmt.Sprintf("the row has %d fields, not %d", len(rec), len(col))
		return row
	}
	for _, v := range rec {
		if !utf8.ValidString(v) {
			row.Refused = "the row is not UTF-8 text"
			return row
		}
	}
	get := func(name string) string { return strings.TrimSpace(rec[col[name]]) }
	row.File = get("file_name")
	row.Fields = access.DocumentFields{ClientReference: get("client_reference"), Type: get("document_type"), Date: get("document_date"), Title: get("title")}
	var reasons []string
	verb, target, _ := strings.Cut(get("action"), " ")
	row.Action, target = Action(strings.ToLower(verb)), strings.TrimSpace(target)
	switch row.Action {
	case Publish:
		if target != "" {
			reasons = append(reasons, "publish names no target")
		}
	case Replace, Withdraw:
		t, why := readTarget(target)
		row.Target = t
		if why != "" {
			reasons = append(reasons, why)
		}
	default:
		reasons = append(reasons, "action is not publish, replace <document id or batch/file> or withdraw <document id or batch/file>")
	}
	if row.Action == Withdraw {
		// A withdraw publishes nothing: it needs only the client, to make sure of the target.
		if row.File != "" {
			reasons = append(reasons, "withdraw names no file_name")
		}
		switch {
		case row.Fields.ClientReference == "":
			reasons = append(reasons, "client_reference is missing")
		case !refFormat.MatchString(row.Fields.ClientReference):
			reasons = append(reasons, "unknown client reference (not in the council's format)")
		}
	} else {
		if why := fileName(row.File); why != "" {
			reasons = append(reasons, why)
		}
		reasons = append(reasons, row.Fields.Problems(refFormat, columnNames)...)
	}
	row.Refused = strings.Join(reasons, "; ")
	return row
}

func fileName(f string) string {
	switch {
	case f == "":
		return "file_name is missing"
	case strings.ContainsAny(f, "/\\") || f == "." || f == "..":
		return "file_name is a path, not a file of this batch"
	case strings.EqualFold(f, Manifest):
		return "file_name is the manifest"
	case len(f) > 255:
		return "file_name is longer than 255 bytes"
	}
	return ""
}

// readTarget reads a replace's or withdraw's target.
func readTarget(s string) (Target, string) {
	const why = "the target is not a document id or batch/file"
	switch {
	case s == "":
		return Target{}, "the action names no target (a document id or batch/file)"
	case documentID.MatchString(s):
		return Target{Document: s}, ""
	}
	b, f, ok := strings.Cut(s, "/")
	if !ok || b == "" || b == reports || strings.Contains(f, "/") || fileName(f) != "" {
		return Target{}, why
	}
	return Target{Batch: b, File: f}, ""
}
