// Command publish-document publishes the documents the back office drops under inbound/ in the
// documents bucket (contract: "Publishing documents"). It runs on each ObjectCreated event and
// handles every record of it.
//
// For each object it reads the metadata and the first bytes in one ranged GetObject, and checks:
// client-reference (the council's format, CLIENT_REFERENCE_PATTERN), document-type (one of the four),
// document-date (YYYY-MM-DD, a real date), title (present, at most 200 characters), and that the
// bytes start with the PDF signature "%PDF-".
//
//   - A bad object is copied to rejected/<the rest of its key> with the reasons in its metadata
//     (x-amz-meta-rejection-reason), logged ("document rejected", reasons only), and deleted from
//     inbound/. No table item is written: nobody ever sees it.
//   - A good object becomes document <id>, the id derived from the object's identity (bucket, key,
//     ETag: store.NewDocumentID): it is copied to published/<client reference>/<id>.pdf (only this
//     function may write published/, so the back office cannot overwrite it by accident), then ONE
//     transaction writes the document item (conditional: a repeat of the same object changes
//     nothing) and adds the document to the pending new-documents notice of every active grantee of
//     the client (store.PublishDocument), and last the inbound object is deleted.
//
// A repeated event, or the same bytes written again under the same key, gives the same id: the
// conditional write fails and no second notice is added, so it is published and announced once. An
// event for an object that is gone (already handled) or that has been replaced since (its own event
// handles the new one) is skipped. A failure part-way leaves the inbound object in place and the
// event fails, so Lambda's retries finish the job; every step is safe to repeat. A record that
// cannot be read (a key that is not URL-encoded) is logged and skipped, and does not fail the
// event, which no retry could mend (the rule of bucket.Event.Each).
//
// Unknown client reference. The council has no client register the portal can read, and documents
// often arrive before anyone has been granted access to a client (the issue: "published, nobody
// notified; a person granted access later sees them"). So a client reference is known when it is in
// the council's format (the same pattern staff approval checks). Requiring an existing grant would
// reject exactly those early documents.
//
// AWS requests per publication (published document, client's grantees on one page, no retries):
//
//	S3        GetObject (ranged, metadata + 5 bytes) 1, CopyObject 1, DeleteObject 1   = 3
//	DynamoDB  Query GSI2 (grantees of the client) 1, TransactWriteItems 1              = 2
//
// so 5 requests, whatever the number of grantees (up to 99 in the one transaction; the transaction's
// write units are 2 per item: 2 × (1 + grantees)). A rejected object costs 3 S3 requests (GetObject,
// CopyObject, DeleteObject) and no DynamoDB request; an empty object one more (HeadObject, as a
// ranged read of nothing fails). A TransactionConflict with a concurrent publication for the same
// person is retried by the store (at most 5 more). The notices are turned into emails by notify.
//
// Batches. A sending system that writes no metadata drops PDFs and a manifest.csv under
// batches/<system>/<batch>/ (shared/batch reads it; the README shows its header line). The files
// and the manifest arrive in any order: each file's arrival and each manifest row are recorded on
// the same store item (store.FileArrived, store.RowListed), and whichever comes second finds the
// file due and publishes it, its row's outcome written in the publication's transaction
// (store.PublishFromBatch), so a repeated or late event publishes and counts nothing twice. A
// batch's file is published in place: the document keeps the key and the S3 version id of the file
// that arrived (the documents bucket keeps versions, the senders' roles may write but not delete
// versions, and the lifecycle keeps a version under batches/ as long as a published document), so
// the sender cannot change what was published, and the copy under published/ and the delete are
// saved (a CopyObject is priced as a PUT: it alone cost as much as the whole budget of a run). The
// portal's download presigns that version. A bad row is refused with its reason, the others stand.
// replace also hides the old document, withdraw only hides one (audited, store.Correction), and the
// grantees' notices count the replacement so their next email says so. Notices from a batch wait
// for its report (notify), so a grantee gets one email for a batch. When every row has an outcome,
// or the schedule finds the batch's BATCH_WINDOW over (its unarrived files missing), the report goes
// to batches/<system>/reports/<batch>.csv and one summary email to BUSINESS_SUPPORT is queued
// (store.BatchReported, once). A batch file costs, with no retries: S3 GetObject (ranged) = 1;
// DynamoDB UpdateItem (its arrival) and UpdateItem (its row), Query (the client's grantees, once a
// client when the manifest publishes it), TransactWriteItems, and a GetItem (is the batch complete?)
// when its own event publishes it; the batch's item is opened once an instance (Handler.Opened);
// plus, once per batch, reading the manifest, a Query of its rows, the report's PutObject and one
// transaction.
//
// The logs hold document ids, ETags, types and counts: never a key, a client reference, a title or
// an address, which are personal data.
package main
