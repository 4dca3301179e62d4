// Package store owns the single DynamoDB table: its schema, the key of every entity (keys.go), and
// every read and write the functions make. It persists and decides nothing: a change of a request
// is its shared/access method applied to the request as read, written with the emails its events
// ask for in one transaction (tx.go) conditioned on the version read. Nothing outside this package
// builds a key or an expression. Test stores and seeding live in infra/local/storetest.
//
// All keys are strings. Every index is sparse: an item is in it only while it has the index's keys,
// so "awaiting review", "queued email" and "active grant" are index memberships set and removed in
// the same write as the state change. No request path uses Scan.
//
//	entity              PK                     SK                    GSI1PK / GSI1SK                          GSI2PK / GSI2SK                      serves
//	------------------  ---------------------  --------------------  ---------------------------------------  -----------------------------------  ------------------------------------------
//	access request      REQ#<id>               REQ                   REVIEW / <readyAt>#<id>                   -                                    request by id; requests awaiting review (status stored once, at the top); a draft has a TTL, as do its files
//	  awaiting requester (same item)           REQ                   WAITING#<status> / <since>#<id>          -                                    the staff queue: more information requested, awaiting upload; with scanning, requests due to expire (expire.go)
//	  expired, purging  (same item)            REQ                   PURGE / <due>#<id>                       -                                    expired requests whose files and links are still to be deleted; <due> is a run's claim (expire.go)
//	  sent, undecided   (same item)            REQ                   (as above)                               CLIENT#<ref> / REQ#<createdAt>#<id>  a client reference's open requests, beside its grants (the reference the requester gave)
//	  once approved     (same item: the grant) REQ                   PERSON#<email> / CLIENT#<ref>#REQ#<id>    CLIENT#<ref> / GRANT#<id>            grants of a person; grantees of a client
//	request by reference REQ#REF#<reference>   REF                   -                                        -                                    a request by its short reference (CFP-7K3M-9Q2X), for staff look-ups
//	evidence file       REQ#<id>               EVID#<evidenceId>     -                                        -                                    evidence of a request (Scan: checks + verdict per object version, ScanVersion; Round -1 = replaced)
//	document            DOC#<id>               DOC                   CLIENT#<ref> / DOC#<date>#<at>#<id>      CLIENT#<ref>#TYPE#<t> / (same SK)    document by id; client's documents, newest first, by type
//	  once hidden       (same item)            DOC                   CLIENT#<ref>#HIDDEN / (same SK)          -                                    a client's replaced and withdrawn documents, for the staff client page only
//	account             ACCOUNT#<email>        ACCOUNT               NAME#<s> / <surname>#<given>#<email>      -                                    account by email; the holder's name entry (s: first letter of the surname)
//	sign-in code        ACCOUNT#<email>        CODE#<browser hash>   -                                        -                                    the live code of an address for the browser that asked (TTL)
//	passkey             ACCOUNT#<email>        PASSKEY#<id>          -                                        -                                    a person's passkeys (id: base64url SHA-256 of the credential id)
//	passkey user        ACCOUNT#<email>        PASSKEYS              -                                        -                                    a person's WebAuthn user handle and number of passkeys
//	passkey handle      PASSKEY#USER#<handle>  USER                  -                                        -                                    whose handle it is, at passkey sign-in
//	passkey ceremony    PASSKEY#CEREMONY#<hash of challenge>  CEREMONY  -                                   -                                    a challenge awaiting its answer, taken once (TTL)
//	session             SESSION#<hash>         SESSION               SESSIONS#<email> / <created>#<hash>      -                                    session by token hash (TTL); a person's sessions ("sign out everywhere")
//	staff session       STAFF#<hash>           SESSION               -                                        -                                    staff session by token hash (TTL)
//	staff sign-in       STAFF#<hash of state>  SIGNIN                -                                        -                                    an OIDC sign-in under way: PKCE verifier, nonce (TTL)
//	link token          TOKEN#<hash>           TOKEN                 INVITE#<request> / <issued>#<hash>        TOKENS#<requestId> / TOKEN#<hash>    review, invitation, verification links (TTL); a request's current invitations (GSI1, sparse: removed once replaced); a request's links (GSI2: status, more information, invitation), deleted when it expires
//	queued email        MAIL#<id>              MAIL                  OUTBOX / <dueAt>#<id>                    MAILTO#<email> / <queuedAt>#<id>     outbox items due (sparse: removed once sent or parked); the emails to a person, newest first
//	new-document notice NOTICE#<email>         NOTICE                NOTICE / <firstAt>#<email>               -                                    pending notification per person (documents from inbound/; a batch's report emails its grantees itself)
//	audit event         AUDIT#CLIENT#<ref>     <at>#<id>             AUDIT#SUBJECT#<email> / <at>#<id>        AUDIT#PERSON#<email> / <at>#<id>     audit of a client, by a person (actor), about a person (subject); SK BETWEEN for dates
//	  with no client    AUDIT#EVENT#<id>       <at>#<id>             (as above)                               (as above)                           a staff look at a person: found by actor and subject only
//	request by address  REQUESTER#<email>      REQ#<at>#<id>         NAME#<s> / <surname>#<given>#<email>      -                                    the confirmed requests of an address, newest first ("I lost my link"); the requester's name entry (staff search by surname prefix)
//	rate counter        RATE#<kind>#<hash>     [<sub hash>#]<bucket> -                                        -                                    sliding-window limits per address, source, browser, or all (limit.go; TTL)
//	idempotency key     ONCE#<hash>            ONCE                  -                                        -                                    the request a create's Idempotency-Key made (TTL)
//	batch               BATCH#<system>/<batch>  BATCH                BATCHOPEN / <deadline>#<system>/<batch>   -                                    batch by id; open batches whose time (or report's claim, ReportBy) is up (sparse: removed once reported)
//	batch group count   BATCH#<system>/<batch>  DONE#<first line>    -                                        -                                    rows done by one group published together (added to the batch's Done)
//	batch file or row   BATCH#<system>/<batch>  FILE#<name>|LINE#<n>  -                                        -                                    a file and its manifest row; a batch's rows for its report
//	suppressed address  SUPPRESS#<email>       SUPPRESS              -                                        -                                    bounced or complained addresses
//
// A batch's file published in place keeps its key under batches/ and its S3 Version in the document.
// A replaced or withdrawn document keeps its item (the audit trail); its GSI1 partition moves to
// CLIENT#<ref>#HIDDEN and its GSI2 keys go, so no portal list shows it (only the staff client page,
// HiddenDocuments, reads it), and PublishedDocument answers ErrNotFound for it (DocumentRecord
// still reads it).
//
// Email addresses in keys are lower-cased. Secrets never appear: tokens and codes are stored as
// hashes, and a link's token is minted by the notifier at the moment the email is sent, so no
// plaintext secret rests in the table, not even in the outbox.
package store
