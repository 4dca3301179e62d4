// Package mail owns what the system says by email: the queued Message that the outbox holds (typed
// values from the domain's events, never a secret or a financial figure), the words of each email
// (plain Go for the text part, page.templ for the HTML part: no financial detail, no attachments,
// links shown in full), each signed with the council's brand (its and the service's names, and how
// to contact the Client Finance team; no logo, nothing that tracks), and the links' URLs. A message
// that needs a secret link names the link's purpose instead of carrying it: the notifier mints the
// token and renders the email at the moment of sending, so no plaintext secret rests in the table.
package mail
