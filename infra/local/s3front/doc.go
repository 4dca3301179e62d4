// Package s3front is the local S3 server: gofakes3 (v1.2.0, s3bolt backend)
// in-process, behind a thin front of ours that adds what gofakes3 lacks and
// the portal relies on in AWS.
//
// Addressing is path-style only: http://127.0.0.1:9000/<bucket>/<key>.
//
// What the front owns (everything else passes through to gofakes3):
//
//   - Object tagging. GET/PUT/DELETE ?tagging never reach gofakes3, whose
//     PutObjectTagging overwrites the object body with the request XML. Tags
//     live in their own bolt file beside the objects (Dir/tags.db); the
//     x-amz-tagging header is honoured on PUT (and on CopyObject with
//     x-amz-tagging-directive REPLACE; COPY, the default, copies the source's
//     tags); GET/HEAD answer x-amz-tagging-count; an overwrite or delete drops
//     the old tags, as in S3.
//   - Browser POST uploads (presigned POST forms). The SigV4 signature over the
//     base64 policy is verified with Config.SecretKey, the expiration and every
//     condition is enforced (eq, starts-with, content-length-range on the real
//     file size) and every form field must be covered by a condition, as S3
//     requires. A rejected form stores nothing.
//   - Event notifications: every successful write (PUT, POST, copy, multipart
//     completion, tagging put/delete, delete) produces an events.S3Event shaped
//     like S3's (eventVersion 2.1, URL-encoded key, sequencer) for
//     Config.Notify. Events of one key are delivered in write order; keys are
//     delivered independently of each other, so a slow subscriber of one key
//     does not hold up others.
//   - Object metadata as S3 keeps it: a PUT replaces the metadata of the object
//     it overwrites (gofakes3 would merge it) and request-only headers
//     (x-amz-date, x-amz-content-sha256, ...) are not stored and echoed.
//   - aws-chunked request bodies with trailing checksums
//     (STREAMING-UNSIGNED-PAYLOAD-TRAILER, the SDK default when
//     AWS_REQUEST_CHECKSUM_CALCULATION is not when_required) are decoded before
//     gofakes3 sees them, so the framing never ends up inside an object.
//   - Version ids, as the buckets in AWS keep versions: every write gives the
//     object a new id (x-amz-version-id, and versionId in its events), and a
//     GET, HEAD or tagging call naming a version is answered for the current
//     one only (version.go). ListObjectVersions lists the current versions (the
//     only ones kept), and a DELETE naming the current version deletes the
//     object for good; naming any other deletes nothing, as for a version S3
//     no longer has.
//
// Not emulated: request signatures other than POST policies are not verified
// (every local process shares the same dummy credentials), earlier versions
// (replaced and deleted objects are not kept), bucket tagging, ACLs, and tags
// given when a multipart upload is created.
//
// Persistence: Dir/objects.db (gofakes3's s3bolt backend) and Dir/tags.db (tags
// and version ids). Both are bolt files, locked by one process at a time.
//
// In-process users (the GuardDuty stand-in) use GetObject, GetTags and PutTags,
// which behave as the S3 API does and emit the same notifications. Errors for a
// missing bucket or key satisfy errors.Is(err, fs.ErrNotExist).
package s3front
