package batch

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"slices"
	"strconv"
	"strings"
)

// Tally is a batch's counts: what its summary email says. It holds no personal data.
type Tally struct {
	Rows      int `dynamodbav:"rows"`
	Published int `dynamodbav:"published"`
	Replaced  int `dynamodbav:"replaced"`
	Withdrawn int `dynamodbav:"withdrawn"`
	Refused   int `dynamodbav:"refused"`
	Missing   int `dynamodbav:"missing"`
	Unlisted  int `dynamodbav:"unlisted"`
	// Manifest is why the manifest was refused or "no manifest arrived"; "" when it was read.
	Manifest string `dynamodbav:"manifest,omitempty"`
}

// ReportColumns are the report's header names.
var ReportColumns = []string{"line", "file_name", "client_reference", "document_type", "document_date", "title", "action", "outcome", "reason", "document_id"}

// Report writes the reconciliation report of a batch and its counts: every row of the manifest
// with its outcome and reason, in the manifest's order, then every file no row lists. manifest is
// why the manifest could not be read ("" when it was).
func Report(files []File, manifest string) ([]byte, Tally) {
	var rows, unlisted []File
	for _, f := range files {
		switch {
		case f.Row != nil:
			rows = append(rows, f)
		case f.Arrived:
			unlisted = append(unlisted, f)
		}
	}
	slices.SortFunc(rows, func(a, b File) int { return cmp.Compare(a.Row.Line, b.Row.Line) })
	slices.SortFunc(unlisted, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	t := Tally{Rows: len(rows), Manifest: manifest}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(ReportColumns)
	if manifest != "" {
		_ = w.Write(cells("1", Manifest, "", "", "", "", "", string(Refused), manifest, ""))
	}
	for _, f := range rows {
		r := f.Row
		action := string(r.Action)
		if t := r.Target.String(); t != "" {
			action += " " + t
		}
		out := f.Outcome
		count(&t, out)
		_ = w.Write(cells(strconv.Itoa(r.Line), r.File, r.Fields.ClientReference, r.Fields.Type, r.Fields.Date, r.Fields.Title, action, string(out), f.Reason, f.Document))
	}
	for _, f := range unlisted {
		t.Unlisted++
		_ = w.Write(cells("", f.Name, "", "", "", "", "", string(Unlisted), "no row of manifest.csv lists this file", ""))
	}
	w.Flush()
	return buf.Bytes(), t
}

func count(t *Tally, o Outcome) {
	switch o {
	case Published:
		t.Published++
	case Replaced:
		t.Replaced++
	case Withdrawn:
		t.Withdrawn++
	case Refused:
		t.Refused++
	default:
		t.Missing++
	}
}

// cells guards each value against being read as a formula by a spreadsheet (OWASP's CSV
// injection advice): a cell starting =, +, -, @, tab or CR is prefixed with a quote.
func cells(v ...string) []string {
	for i, s := range v {
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			v[i] = "'" + s
		}
	}
	return v
}
