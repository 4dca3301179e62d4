// Package passkey owns the portal's side of WebAuthn (github.com/go-webauthn/webauthn): the relying
// party (the portal: its host is the RP id, its origin the only origin), the two ceremonies, adding
// a passkey and signing in with one, and the mapping between the library's credential records and
// store.Passkey. It does no I/O: the functions keep each ceremony's session data in the table
// (store.StartCeremony) and take it back once (store.TakeCeremony), found by the hash of the
// challenge the browser's answer carries (ChallengeHash).
//
// Policy. Passkeys are discoverable credentials with user verification required, so signing in
// asks for no address: the authenticator offers the person's passkeys for this site, and the
// server learns who it is from the user handle only once the signature checks out (no account
// oracle). No attestation is asked for ("none"): the portal needs to know the same person holds
// the key, not who made it. A sign count that does not move on (when the authenticator keeps one;
// synced passkeys report 0 each time) is refused as a possibly copied key (ErrCopied).
package passkey
