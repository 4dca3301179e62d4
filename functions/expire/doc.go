// Command expire ends the requests left unfinished and deletes what they leave behind. On a
// schedule it finds, through the staff queue's index (never a Scan), each request that has waited
// on its requester (for their files, or for the more information a reviewer asked for), or been
// stuck in its checks, for longer than REQUEST_EXPIRY; shared/access decides again whether it
// expires, and the store writes the expired request, the requester's email and the deletion of its
// link tokens in one conditional write. Then, for each expired request whose files are still
// there, a run claims it and deletes every version of its uploads and of the copies made of them,
// any link minted since, and marks its evidence items deleted (their facts stay as the record).
//
// It is its own function so that its role alone may delete versions of evidence files (least
// privilege: the functions that serve people can add at most a delete marker). Every step is safe
// to repeat and to run twice at once: a request that moved on is not expired, an overlapping run
// loses the write or the claim, and a failed or throttled call leaves the work to the next run.
package main
