// Command account serves the people who use the portal: registration from an approval email's
// invitation, address verification, sessions once started (functions/signin starts them), and the
// signed-in reads (the person's clients, a client's documents, who has access, audited downloads).
//
// Registration. POST /account/register takes the invitation token the notifier minted when it sent
// the approval email; the token's recipient is the invited address, so nobody chooses which address
// they register. One transaction uses the invitation (single use), writes the account unverified and
// queues the verification email; POST /account/verify with that email's token activates it. A link
// used twice, expired, or unknown gets its own clear answer (409, 410, 404).
//
// Sign-in is functions/signin's (asking for a code, typing it, and their pages): a function of
// its own so that a flood of sign-in attempts meets its own reserved concurrency and cannot take
// the instances the document lists run on. This function verifies no code and holds no code key.
//
// Sessions. A 256-bit random token in the session cookie (web.SetSessionCookie: __Host-, Secure,
// HttpOnly, SameSite=Strict, Path=/; INSECURE_COOKIES=true, set only by the local stack, drops
// Secure and the prefix for plain HTTP). The table holds its hash. Each signed-in request reads and
// slides the session in one conditional write (store.Session): idle 30 minutes, absolute 12 hours.
// DELETE /session deletes it. Every signed-in answer is Cache-Control: no-store (shared/web).
//
// Authorisation happens on every read, at request time, from the grant (design decision 9): a
// person sees a client only while they hold an active grant for it (not ended, not past its end
// date). An unknown client, an unknown document and a client they have no grant for are the same
// 404. No session, or one that has ended, is 401.
//
// Cost of a document list: the budget is three DynamoDB reads, the session (one conditional
// UpdateItem that also slides it), the grant (one Query, store.GrantFor) and one page (one Query on
// GSI1, or GSI2 with a type filter). Audit adds one PutItem, so a list is four DynamoDB requests in
// all. That fourth cannot be folded into the others while the cookie is an opaque token: the audit
// event names the person and the grant, which are known only after the session and grant reads, and
// DynamoDB has no request that both reads a page and writes an item. shared/store's
// BenchmarkDocumentList reports reads and writes separately.
//
// Audit. Every document list and every download writes an audit event (who, client, document,
// grant, time, source IP, user agent; store.AuditEvent) before anything is shown: when the event
// cannot be written the answer is 503 and nothing is shown.
//
// Who has access. GET /clients/{clientReference}/grantees lists the active grants of a client (name,
// relationship, since, end date), only to a signed-in person who holds an active grant with the
// relationship "self" for that client; anyone else gets 404. It is a route of its own rather than a
// field of /me so that /me stays one query whatever the number of clients.
//
// Pages. The same function serves the person's pages (pages.go, pages.templ; GOV.UK patterns,
// working without JavaScript), over the same code as the JSON routes: /register from the approval
// email's link, then "check your email"; /verify from the verification email, whose GET only shows
// a button and whose POST confirms; /clients, one row per
// client; /clients/{ref}, the documents newest first with a type filter, pages and links to the
// audited download route; /clients/{ref}/access, who has access, for the client themself; and
// POST /sign-out. The clients page links to two pages of submit-request, which owns requests: the
// person's own requests (/requests) and a new request for another client (/request/relationship),
// whose details that function fills in from the session, never from the link. Each page costs the
// DynamoDB requests of the API call it matches (infra/local/load counts both). Every form carries
// an anti-forgery field bound to a cookie (page.Visits, shared with functions/signin); a link that is unknown, used or expired
// answers a page in plain words with the next step, never a problem document.
//
// Same origin. The portal's pages and this API are one site (the API under /api), so the portal's
// calls are same-origin and the AWS stack declares no CORS preflight. Every answer still carries
// Access-Control-Allow-Origin for the portal's origin only, with Access-Control-Allow-Credentials
// (web.AllowPortal), for the local stack's API without the prefix (:3000), whose gateway answers
// preflights for the portal. State-changing routes check Origin and the JSON content type
// themselves (web.CheckBrowser), so CORS is not what protects them.
//
// Passkeys (passkey.go, passkey_pages.go). A signed-in person adds passkeys (shared/passkey): the
// name is checked and a ceremony begun (POST /passkeys/registration, at most 20 an hour a person),
// and the browser's answer (POST /passkeys) takes that ceremony once, only if it is the same
// person's, and keeps the passkey with its email in one write (store.AddPasskey, at most
// access.MaxPasskeys). GET /passkeys lists them; DELETE /passkeys/{id} removes one, emailing the
// person; another person's passkey is 404 as an unknown one. The Passkeys page (/account/passkeys)
// does the same: adding through passkey.js (it needs JavaScript, and says so without it), removing
// through a plain form. Signing in with a passkey is functions/signin's.
package main
