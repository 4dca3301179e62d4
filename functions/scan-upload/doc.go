// Command scan-upload checks each evidence upload and records the malware verdict. It is
// triggered by the uploads bucket's event notifications under evidence/: on ObjectCreated it
// checks the file's size, declared type, real type (magic bytes) and, for PDFs, active content and
// encryption (package scan), reading the object in bounded ranges; on ObjectTagging:Put it reads
// GuardDuty Malware Protection's verdict tag. It records the evidence status (package store),
// deletes refused files from the bucket, queues the email asking for a new upload, and moves a
// submitted request whose files are all clean on to review.
package main
