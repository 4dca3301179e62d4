// Package mail owns what the system says by email: the templates (plain text and HTML, no financial
// detail, no attachments, links shown in full), the queued Message that the outbox holds, and sending
// through SES. A message that needs a secret link names the link's purpose instead of carrying it:
// the notifier mints the token at the moment of sending, so no plaintext secret rests in the table.
package mail
