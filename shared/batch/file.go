package batch

// Outcome is what became of a row of the manifest, or of a file it does not list.
type Outcome string

const (
	Published Outcome = "published"
	Replaced  Outcome = "replaced" // published, and the target hidden
	Withdrawn Outcome = "withdrawn"
	Refused   Outcome = "refused"
	Missing   Outcome = "missing"  // listed, but the file never arrived before the batch closed
	Unlisted  Outcome = "unlisted" // a file no row lists: left where it is, not published
)

// File is what is known of one row or file of a batch: its row (nil until the manifest lists
// it), whether its object has arrived, and its outcome once it has one. A row that names no file
// (a withdraw, a refused row) is a File with no Name.
type File struct {
	Name     string
	Row      *Row
	Arrived  bool
	ETag     string
	Version  string // the S3 version id of the file that arrived: what is published, in place
	Size     int64
	PDF      bool // its first bytes are a PDF's
	Outcome  Outcome
	Reason   string
	Document string // the document it published or hid
}

// Named is the file name the row or file is kept under ("" for a row kept by its line: one that
// names no file, a path, or a file an earlier row already listed).
func (f File) Named() string {
	if f.Row == nil {
		return f.Name
	}
	if r := f.Row; r.First == 0 && fileName(r.File) == "" {
		return r.File
	}
	return ""
}

// Due reports whether the file can be acted on now: both it and its row are there and it has no
// outcome yet. Whichever of the two arrives second makes it due.
func (f File) Due() bool { return f.Row != nil && f.Arrived && f.Outcome == "" }

// Unlisted reports whether the file arrived with no row listing it.
func (f File) Unlisted() bool { return f.Row == nil && f.Arrived }

// Check is the refusal of a due file for a reason the row alone could not show ("" when it can be
// published).
func (f File) Check() string {
	if !f.PDF {
		return "not a PDF"
	}
	return ""
}

// Closed is the outcome a row without one gets when its batch is closed because its time is up.
func (f File) Closed() (Outcome, string) {
	if !f.Arrived {
		return Missing, "the file never arrived before the batch closed"
	}
	return Refused, "not published before the batch closed"
}

// Correct decides whether a replace or withdraw of row may hide a document of client ref that is
// current or not: the reason it may not, or "".
func Correct(row Row, ref string, current bool) string {
	switch {
	case !current:
		return "the target " + row.Target.String() + " is already replaced or withdrawn"
	case ref != row.Fields.ClientReference:
		return "the target " + row.Target.String() + " is another client's document"
	}
	return ""
}
