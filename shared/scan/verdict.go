package scan

import "github.com/council/cfp/shared/access"

// StatusTag is the object tag GuardDuty Malware Protection for S3 writes with its verdict.
const StatusTag = "GuardDutyMalwareScanStatus"

// The tag's values (GuardDuty also writes UNSUPPORTED, ACCESS_DENIED and FAILED).
const (
	NoThreatsFound = "NO_THREATS_FOUND"
	ThreatsFound   = "THREATS_FOUND"
)

// Verdict turns the scanner's tag into an evidence status, failing closed: only NO_THREATS_FOUND
// is clean, THREATS_FOUND is infected, and anything else (UNSUPPORTED, ACCESS_DENIED, FAILED, a
// value GuardDuty may add later, or no tag at all) is scan_failed. reason is for the uploader,
// "" when clean.
func Verdict(value string, tagged bool) (status access.EvidenceStatus, reason string) {
	switch {
	case tagged && value == NoThreatsFound:
		return access.Clean, ""
	case tagged && value == ThreatsFound:
		return access.Infected, "Our virus scan found a virus or other threat in the file."
	}
	return access.ScanFailed, "Our virus scan could not check the file, so we cannot accept it."
}
