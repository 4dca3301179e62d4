package access

import "time"

// Evidence scanning. Each evidence file keeps the facts learnt about its object: the content
// checks and the malware verdict, each bound to the object version it is about. The evidence status is a function of the facts, not of the order
// they arrived in, so duplicated and out-of-order S3 events end in the same state:
//
//	infected      the verdict is THREATS_FOUND (whatever the checks said)
//	rejected      the checks refused the file, or a second, different object was uploaded to the same key
//	scanning      checks or verdict still to come
//	clean         checks passed and the verdict is NO_THREATS_FOUND
//	scan_failed   checks passed and the verdict is anything else, or there was none
//
// A fact once recorded is kept (a duplicate changes nothing; a later verdict only ever escalates
// to infected), so a final status is never overwritten by an earlier-stage event.
//
// An object version is named by its S3 version id (the uploads bucket keeps versions), and by its
// ETag only where there is none. The ETag alone is not an identity: it is an MD5 (or an MD5 of
// MD5s), so a replacement can carry the ETag of the object it replaces, and would inherit that
// object's checks and verdict. The checks record the SHA-256 of exactly the bytes they read.

// Check is the outcome of the content checks of one version of an evidence object.
type Check struct {
	Version string // the object version checked (S3 version id)
	ETag    string
	SHA256  string // of the bytes checked
	Problem string // why the file is refused, for the person who sent it; "" when it passed
}

// Verdict is the malware scanner's verdict on one version of an evidence object.
type Verdict struct {
	Version string
	ETag    string
	Outcome EvidenceStatus // Clean, Infected or ScanFailed
	Value   string         // the tag's value as the scanner wrote it ("" when there was none)
	Reason  string         // for the person who sent the file, when not clean
}

// Scan is what is known about an evidence's object.
type Scan struct {
	Version       string // the object version the facts are about (S3 version id; "" where the bucket keeps none)
	ETag          string
	Checked       bool
	Problem       string
	SHA256        string
	Outcome       EvidenceStatus // of the malware verdict; "" until it is in
	Verdict       string
	VerdictReason string
	Replaced      bool // a different object was uploaded to the same key after the first
}

const replacedReason = "A second, different file was uploaded in place of the first. Please upload the file again as a new upload."

// Status is the evidence status the facts add up to.
func (f Scan) Status() EvidenceStatus {
	switch {
	case f.Outcome == Infected:
		return Infected
	case f.Replaced, f.Checked && f.Problem != "":
		return EvRejected
	case !f.Checked || f.Outcome == "":
		return EvScanning
	}
	return f.Outcome
}

// Reason says why the file is not accepted, "" when it is (or may yet be).
func (f Scan) Reason() string {
	switch f.Status() {
	case Infected, ScanFailed:
		return f.VerdictReason
	case EvRejected:
		if f.Checked && f.Problem != "" {
			return f.Problem
		}
		return replacedReason
	}
	return ""
}

// Remove reports whether the object should now be deleted from the bucket: it is refused, and
// nothing can change that any more. A refused file waits for its malware verdict (or the key's
// replacement), so that an infected file ends as infected however the events are ordered.
func (f Scan) Remove() bool {
	st := f.Status()
	return (st == EvRejected || st == Infected) && (f.Outcome != "" || f.Replaced)
}

// adopt binds the facts to an object version; a different version marks the key replaced.
func (f *Scan) adopt(version, etag string) bool {
	switch {
	case f.ETag == "" && f.Version == "":
		f.Version, f.ETag = version, etag
	case f.Version == "" && f.ETag == etag:
		f.Version = version // facts recorded before versions were: the first version seen with their ETag
	case !f.Is(version, etag):
		f.Replaced = true
		return false
	}
	return true
}

// Is reports whether the facts are about the object version named: by version id when either
// side has one (a replacement with the same ETag is another object), by ETag only when neither has.
func (f Scan) Is(version, etag string) bool {
	if f.Version != "" || version != "" {
		return f.Version == version && f.ETag == etag
	}
	return f.ETag == etag
}

// WithCheck is what is known once the content checks c are in.
func (f Scan) WithCheck(c Check) Scan {
	if f.adopt(c.Version, c.ETag) && !f.Checked {
		f.Checked, f.Problem, f.SHA256 = true, c.Problem, c.SHA256
	}
	return f
}

// WithVerdict is what is known once the malware verdict v is in.
func (f Scan) WithVerdict(v Verdict) Scan {
	if f.adopt(v.Version, v.ETag) && (f.Outcome == "" || v.Outcome == Infected && f.Outcome != Infected) {
		f.Outcome, f.Verdict, f.VerdictReason = v.Outcome, v.Value, v.Reason
	}
	return f
}

// Settle is the evidence as the facts f make it, at now.
func (e Evidence) Settle(f Scan, now time.Time) Evidence {
	e.Status, e.Reason, e.SHA256, e.Verdict, e.UpdatedAt = f.Status(), f.Reason(), f.SHA256, f.Verdict, now
	if e.UploadedAt.IsZero() {
		e.UploadedAt = now
	}
	return e
}

// Rendition is the copy of a clean evidence file that staff open instead of the upload (content
// disarm and reconstruction): made from exactly the version checked, or refused with a reason.
type Rendition struct {
	Version string // the evidence object version it was made from
	SHA256  string // of the bytes it was made from: the bytes checked
	Key     string // in the uploads bucket; "" when refused
	Object  string // the S3 version id of the object at Key: the one staff are given, not a later write
	Type    string // its content type
	Pages   int    // of a PDF
	Refused string // why there is none, for staff; "" when made
	At      time.Time
}

// For reports whether the rendition was made from the version the facts are about.
func (r *Rendition) For(f Scan) bool {
	return r != nil && r.Version == f.Version && r.SHA256 == f.SHA256
}

// Showing is what a reviewer's "View" can give of an evidence file.
type Showing int

const (
	ShowNothing   Showing = iota // not clean, or deleted: nothing of it is handed out
	ShowPreparing                // clean, and its rendition is not made yet
	ShowRefused                  // clean, and rendering refused it (Rendition.Refused says why)
	ShowRendition                // its rendition: RenditionKey at Rendition.Object, never the upload
)

// Showing is what staff may be given of the file. Only a rendition made from the bytes the checks
// read, at its own key under renditions/ and pinned to the object version written, is ever shown:
// the upload itself never is, whatever the record says.
func (e Evidence) Showing() Showing {
	rd := e.Rendition
	switch {
	case e.Status != Clean, !e.DeletedAt.IsZero():
		return ShowNothing
	case rd == nil || rd.SHA256 != e.SHA256:
		return ShowPreparing
	case rd.Refused != "":
		return ShowRefused
	case rd.Key != RenditionKey(e.RequestID, e.ID) || rd.Object == "":
		return ShowPreparing // not a rendition staff can be given: wait for the one render writes
	}
	return ShowRendition
}
