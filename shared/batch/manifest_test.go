package batch

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/council/cfp/shared/access"
)

var refFormat = regexp.MustCompile(`^(?:[0-9]{6,10})$`)

const header = "file_name,client_reference,document_type,document_date,title,action\n"

func TestParseRefusesRowByRow(t *testing.T) {
	manifest := header +
		"a.pdf,1234567,care_invoice,2026-10-31,Care invoice October,publish\n" + // line 2: good
		"b.pdf,ABC,care_invoice,2026-10-31,Invoice,publish\n" + // 3
		"c.pdf,1234567,bank_statement,2026-10-31,Invoice,publish\n" + // 4
		"d.pdf,1234567,care_invoice,31/10/2026,Invoice,publish\n" + // 5
		"e.pdf,1234567,care_invoice,2026-10-31,,publish\n" + // 6
		"a.pdf,1234567,care_invoice,2026-10-31,Again,publish\n" + // 7
		"f.pdf,1234567,care_invoice,2026-10-31,Invoice\n" + // 8
		"g.pdf,1234567,care_invoice,2026-10-31,\xff\xfe,publish\n" + // 9
		"h.pdf,1234567,care_invoice,2026-10-31,Invoice,delete\n" + // 10
		"i.pdf,1234567,care_invoice,2026-10-31,Invoice,replace\n" + // 11
		"j.pdf,1234567,care_invoice,2026-10-31,Invoice,replace run-6/j.pdf\n" + // 12: good
		",1234567,,,,withdraw dabcdefghijklmnopqrstuvwx\n" + // 13: good
		"k.pdf,1234567,,,,withdraw run-6/k.pdf\n" + // 14
		"../x.pdf,1234567,care_invoice,2026-10-31,Invoice,publish\n" + // 15
		"l.pdf,1234567,care_invoice,2026-10-31,\"Invoice \"bad\",publish\n" + // 16
		"m.pdf,1234567,care_invoice,2026-10-31,Invoice,publish\n" + // 17: good, after the bad quote
		"n.pdf,1234567,care_invoice,2026-10-31,Invoice,replace run-6/j.pdf\n" // 18: the target of line 12 again
	p := Parse([]byte("\xef\xbb\xbf"+manifest), refFormat)
	if p.Refused != "" {
		t.Fatal(p.Refused)
	}
	want := map[int]string{
		2: "", 3: "unknown client reference", 4: "document_type is not one of", 5: "document_date is not a date",
		6: "title is missing", 7: "listed twice (first on line 2)", 8: "has 5 fields, not 6", 9: "not UTF-8",
		10: "action is not publish", 11: "names no target", 12: "", 13: "", 14: "withdraw names no file_name",
		15: "file_name is a path", 16: "not valid CSV", 17: "", 18: "named on line 12 already",
	}
	got := map[int]Row{}
	for _, r := range p.Rows {
		got[r.Line] = r
	}
	for line, why := range want {
		r, ok := got[line]
		switch {
		case !ok:
			t.Errorf("line %d: not read (%+v)", line, p.Rows)
		case why == "" && r.Refused != "":
			t.Errorf("line %d refused: %s", line, r.Refused)
		case why != "" && !strings.Contains(r.Refused, why):
			t.Errorf("line %d: refused %q, want %q", line, r.Refused, why)
		}
	}
	if len(p.Rows) != len(want) {
		t.Errorf("%d rows, want %d", len(p.Rows), len(want))
	}
	if r := got[12]; r.Action != Replace || r.Target != (Target{Batch: "run-6", File: "j.pdf"}) {
		t.Errorf("replace read as %+v", r)
	}
	if r := got[13]; r.Action != Withdraw || r.Target.Document != "dabcdefghijklmnopqrstuvwx" {
		t.Errorf("withdraw read as %+v", r)
	}
}

func TestParseRefusesABadHeader(t *testing.T) {
	for _, m := range []string{"", "file,ref,type,date,title,action\na.pdf,1,2,3,4,5\n", "file_name,client_reference,document_type,document_date,title\n",
		"file_name,file_name,client_reference,document_type,document_date,title,action\n", "\xff" + header} {
		if p := Parse([]byte(m), refFormat); p.Refused == "" || len(p.Rows) != 0 {
			t.Errorf("%q: read as %+v", m, p)
		}
	}
	p := Parse([]byte("Title,ACTION,File Name,Client_Reference,document type,document_date\nInvoice,publish,a.pdf,1234567,care_invoice,2026-10-31\n"), refFormat)
	if p.Refused != "" || len(p.Rows) != 1 || p.Rows[0].Refused != "" || p.Rows[0].File != "a.pdf" {
		t.Errorf("columns in another order: %+v", p)
	}
}

func TestReport(t *testing.T) {
	row := func(line int, file string) *Row {
		return &Row{Line: line, File: file, Action: Publish, Fields: ParsedFields("1234567")}
	}
	files := []File{
		{Name: "b.pdf", Row: row(3, "b.pdf"), Outcome: Missing, Reason: "never arrived"},
		{Name: "a.pdf", Row: row(2, "a.pdf"), Arrived: true, Outcome: Published, Document: "d1"},
		{Name: "z.pdf", Arrived: true},
		{Row: &Row{Line: 4, Refused: "bad", Action: Withdraw, Target: Target{Document: "d2"}}, Outcome: Refused, Reason: "=bad"},
	}
	csv, tally := Report(files, "")
	want := Tally{Rows: 3, Published: 1, Missing: 1, Refused: 1, Unlisted: 1}
	if tally != want {
		t.Errorf("tally %+v, want %+v", tally, want)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[1], "2,a.pdf,") || !strings.HasPrefix(lines[2], "3,b.pdf") ||
		!strings.Contains(lines[3], "withdraw d2,refused,'=bad") || !strings.HasPrefix(lines[4], ",z.pdf,") {
		t.Errorf("report:\n%s", csv)
	}
}

// ParsedFields is a row's fields for a client (tests).
func ParsedFields(ref string) (f access.DocumentFields) {
	f.ClientReference, f.Type, f.Date, f.Title = ref, "care_invoice", "2026-10-31", "Invoice"
	return f
}

// FuzzParse: whatever bytes arrive as a manifest, Parse never panics; a row it accepts is valid
// UTF-8, names a file of the batch (or none for a withdraw), has a known action and a target when
// it needs one, and no two accepted rows name the same file; lines only go forward.
func FuzzParse(f *testing.F) {
	f.Add([]byte(header + "a.pdf,1234567,care_invoice,2026-10-31,Invoice,publish\n"))
	f.Add([]byte(header + "a.pdf,1234567,care_invoice,2026-10-31,\"multi\nline\",replace d2/a.pdf\n,1234567,,,,withdraw dabcdefghijklmnopqrstuvwx\n"))
	f.Add([]byte(header + "a.pdf,\"12\"34,x,y,z,publish\nb.pdf,1,2,3\n\"unterminated"))
	f.Add([]byte("\xef\xbb\xbf" + header + "a.pdf,1234567,care_invoice,2026-10-31,\xff,publish\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := Parse(data, refFormat)
		seen := map[string]bool{}
		last := 0
		for _, r := range p.Rows {
			if r.Line < last {
				t.Fatalf("line %d after %d", r.Line, last)
			}
			last = r.Line
			if r.Refused != "" {
				continue
			}
			switch {
			case !utf8.ValidString(r.File + r.Fields.Title + r.Fields.ClientReference + r.Target.String()):
				t.Fatalf("accepted a row that is not UTF-8: %+v", r)
			case r.Action != Publish && r.Action != Replace && r.Action != Withdraw:
				t.Fatalf("accepted the action %q", r.Action)
			case (r.Action == Withdraw) != (r.File == ""), r.File != "" && fileName(r.File) != "":
				t.Fatalf("accepted the file %q for %s", r.File, r.Action)
			case (r.Action == Publish) != (r.Target == Target{}):
				t.Fatalf("accepted the target %+v for %s", r.Target, r.Action)
			case !refFormat.MatchString(r.Fields.ClientReference):
				t.Fatalf("accepted the reference %q", r.Fields.ClientReference)
			case r.File != "" && seen[r.File]:
				t.Fatalf("accepted %q twice", r.File)
			}
			seen[r.File] = true
		}
	})
}
