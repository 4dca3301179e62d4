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
// and the manifest arrive in any order, and S3's events reach us in any order too. A file's event
// records only its arrival on the file's item (store.FileArrived, one UpdateItem, no S3 read). The
// manifest's event reads the manifest, the batch's items (one Query a page) and the batch's folder
// (ListObjectsV2, a request per 1,000 files), so that files whose events are still on their way
// count as arrived; it reads the first bytes of each such file (one ranged GetObject: a PDF?), and
// publishes the good ones in groups of store.MaxGroup, one transaction each (store.PublishGroup:
// the documents, their rows' outcomes, and the group's own count of rows done, so that groups
// written at once touch no common item). A row whose file is not there yet is recorded
// (store.RowListed) and the file's event, meeting it on the same item, publishes it on its own
// (store.PublishFromBatch). Whichever comes second publishes, each outcome is written once with a
// count, so a repeated or late event publishes and counts nothing twice; a group that meets a
// published document (a repeat) is published one by one. A batch's file is published in place:
// the document keeps the key and the S3 version id of the file read, the documents bucket keeps
// versions and the senders' roles may write but not delete versions (the lifecycle keeps a version
// under batches/ as long as a published document), so the sender cannot change what was
// published, and a copy under published/ is saved (a CopyObject is priced as a PUT: it alone cost
// as much as the whole budget of a run). The portal's download presigns that version. A bad row is
// refused with its reason, the others stand. replace also hides the old document, withdraw only
// hides one (audited, store.Correction).
//
// When every row has an outcome, or the schedule finds the batch's BATCH_WINDOW over (its
// unarrived files missing), one run claims the report (store.ClaimReport: files published at the
// same moment can each find the batch complete; a claim whose run stopped passes to the schedule
// after its lease), writes it to batches/<system>/reports/<batch>.csv, queues one new-documents
// email to each active grantee of the clients it published for (one Query of grants a client; the
// email's id is the batch's and the person's, so a report made again queues none twice; it says so
// when a document they could see was replaced), and marks the batch reported with its one summary
// to BUSINESS_SUPPORT. A batch's documents make no notice: its grantees get one email for the
// batch, however far apart its files were published.
//
// AWS requests per document of a batch sent files first (the billing run), with no retries: S3
// GetObject (ranged) 1; DynamoDB UpdateItem 1 (the file's event), a share of a group's
// TransactWriteItems (1/49), a share of the grants Queries at the report (one a client) and of
// the manifest's reads; the emails a report queues go through notify (PutItem 1 here; claim,
// suppression, sent there). A file that arrives after its row costs UpdateItem 2 (row, arrival),
// GetObject 1, TransactWriteItems 1 and the Query that asks whether the batch is complete.
//
// The logs hold document ids, ETags, types and counts: never a key, a client reference, a title or
// an address, which are personal data.
package main
