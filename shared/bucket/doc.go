// Package bucket owns the S3 side of the system.
//
//   - For the API: presigned POST forms for evidence uploads (server-chosen key, fixed content
//     type, size range, short expiry) and presigned GET links. The API never carries file bytes.
//   - For the functions S3 invokes: the object calls they make (head, ranged read, tags, copy and
//     delete of one version, named by its ETag), each saying ErrGone when there is no object and
//     ErrChanged when it is another version by then, and the S3 event notification they are
//     invoked with (Event), its keys decoded once.
//
// The rule for an event (Event.Each): a record that cannot be read is logged and skipped, and does
// not fail the event, as no retry can mend it; a record that fails does not stop the others and
// fails the event, so Lambda retries it whole (an asynchronous invocation cannot be retried in
// part), which is safe because every step of the functions is idempotent.
//
// A Bucket holds one S3 client and one presign client, built once when the function starts.
package bucket
