// Package batch owns the rules of a batch: the PDFs and the manifest.csv a sending system drops
// under batches/<system>/<batch>/ of the documents bucket. It reads the manifest and refuses it row
// by row with a reason (never the whole batch for one bad row), says what each row's action asks
// for, names every outcome a row or file can have, and writes the reconciliation report and its
// counts. It does no I/O: publish-document reads and writes, shared/store persists a batch's state.
package batch
