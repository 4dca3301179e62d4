package batch

import (
	"strings"
)

// Where batches live in the documents bucket.
const (
	Prefix   = "batches/"
	Manifest = "manifest.csv"
	reports  = "reports"
)

// ID names one batch of one sending system.
type ID struct{ System, Name string }

func (b ID) String() string { return b.System + "/" + b.Name }

// ReportKey is where the batch's reconciliation report goes: the sender's reports folder.
func (b ID) ReportKey() string { return Prefix + b.System + "/" + reports + "/" + b.Name + ".csv" }

// Key returns the key of a file of the batch.
func (b ID) Key(file string) string { return Prefix + b.System + "/" + b.Name + "/" + file }

// ParseKey reads an object key as a file of a batch: batches/<system>/<batch>/<file>. False for
// any other key: one outside batches/, a folder, a deeper path, or the reports folder (whose
// objects are ours, not a batch's).
func ParseKey(key string) (ID, string, bool) {
	rest, ok := strings.CutPrefix(key, Prefix)
	if !ok {
		return ID{}, "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" || parts[1] == reports {
		return ID{}, "", false
	}
	return ID{parts[0], parts[1]}, parts[2], true
}
