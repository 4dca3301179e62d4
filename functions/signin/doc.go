// Command signin starts sessions: POST /api/session asks for a one-time code, POST
// /api/session/verify types it, and the pages /sign-in (the address) and /sign-in/code do the same
// without JavaScript. It is a function of its own, split from functions/account, so that a flood
// of sign-in attempts has its own reserved concurrency (infra/cdk) and cannot take the instances
// the signed-in document lists run on; it alone reads the code key. Once a session exists,
// functions/account serves it (reads, slides and ends it). The forms' anti-forgery field and the
// cookie that carries the address between the two pages are page.Visits, shared with account's
// registration pages.
//
// Sign-in codes. POST /session always answers 202, and never sooner than SignInFloor, so neither the
// answer nor its timing says whether the address has an account. For an active account it stores a
// fresh code's hash (bound to the address and to the asking browser) under the limits, and sends the code
// straight through SES from here rather than through the outbox: the code is wanted within seconds,
// and going through the outbox would put it in the table in plaintext until the notifier ran. So the
// code exists only in this invocation's memory and in the email. For an unverified account it queues
// the verification email again instead (its own limit, reached no sooner than the codes'), which is
// the way back for someone who lost it.
// POST /session/verify counts the attempt before comparing (in constant time), so the sixth attempt
// at a code is refused with 429 even when it is right; a wrong, expired, used or other address's code
// is 401, one answer for all. Success starts the session in the same transaction that spends the code.
//
// Code key. The stored hash is HMAC-SHA-256 under a key (secret.Key) read once per instance, on
// first need (shared/vault, which keeps the cold start free of the call), from the Secrets Manager
// secret SIGNIN_CODE_KEY_SECRET names, never from the table: six
// digits are a million hashes away from anyone holding the table and a plain hash, but not from
// someone without the key. The AWS stack generates the secret; the local stack writes a random one
// on its first start.
//
// Browser binding. Asking for a code sets a random value in an HttpOnly, SameSite=Strict cookie
// (limits.go); the code item is keyed by its hash (store: ACCOUNT#<address> / CODE#<hash>). A guess
// without that value reaches no code, so a stranger can neither replace a person's code (theirs is
// another item) nor use up its attempts, and the per-address cap counts per asking browser: a
// stranger asking for codes for someone's address does not stop that person signing in.
//
// Limits (limits.go, sliding windows in shared/store): codes and attempts per source (web.Source:
// an IPv4 address or an IPv6 /64), overall, and codes per address and browser. The source's and the
// overall limits answer 429 with Retry-After, alike for every address; the per-address one is
// silent (202), as it depends on the address. Attempts are counted before anything about the
// address is read.
//
// No account oracle. Every address that asks for a code gets a code item, under the same hourly
// limit: an active account a real one, any other address (no account, or one not yet verified) a
// stand-in whose hash is of a random 256-bit value under the key, which no typed code matches. So
// POST /session/verify (and the code page's POST) does the same for every address, whether or not
// it has an account: the same store call (TryCode: count the attempt), 401 for attempts one to
// five, 429 from the sixth until a new code is asked for, and nothing answers differently until a
// code is right, which only the person reading the address's email can make it. The price: an
// address someone typed sits in the table (ACCOUNT#<address>/CODE, no name, no code) until its TTL,
// an hour and ten minutes.
//
// Passkeys (passkey.go). POST /session/passkey/options gives a challenge that names nobody (at
// most 600 an hour a source address); POST /session/passkey takes that challenge once and, when
// the answer verifies for a passkey of the person its user handle names (shared/passkey), starts
// the same session a code does, in one write that also checks the passkey is still there, its
// sign count moved on and the account is active. Every refusal is the same 401. The sign-in page
// shows "Sign in with a passkey" only where passkey.js runs and the browser has WebAuthn.
package main
