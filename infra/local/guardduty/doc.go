// Package guardduty is the local stand-in for GuardDuty Malware Protection for
// S3 (architecture decision 5): it streams an object to ClamAV's clamd with
// the INSTREAM command and tags the object GuardDutyMalwareScanStatus, as
// GuardDuty does in AWS. Writing the tag through the S3 front emits the same
// s3:ObjectTagging:Put notification that triggers scan-upload in AWS.
//
// Verdicts fail closed: NO_THREATS_FOUND only after clamd answered
// "stream: OK" for every byte of the object; THREATS_FOUND when clamd names a
// signature; FAILED when clamd is unreachable, answers an error (for example
// the object exceeds its StreamMaxLength), or the object cannot be read in
// full. A missing object is logged and left untagged.
//
// Tags: S3's PutObjectTagging replaces the whole tag set, so Scan reads the
// object's current tags and writes them back with the verdict added (like
// GuardDuty, which keeps existing tags). The read-then-write is not atomic
// against a concurrent tagging call on the same object; locally nothing else
// tags uploads.
//
// The clamd protocol is implemented here (no client library): commands are
// sent with the "z" prefix (NUL-terminated), INSTREAM data as chunks each
// preceded by its length as a 4-byte big-endian integer, ended by a
// zero-length chunk.
package guardduty
