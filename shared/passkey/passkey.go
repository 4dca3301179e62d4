package passkey

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
)

// HandleSize is the length of a user handle: random, and never the address (the authenticator
// keeps it and may show it to anyone who holds the device).
const HandleSize = 32

// ErrCopied: the passkey's sign count did not move on, so two copies of it may exist.
var ErrCopied = errors.New("passkey: the sign count did not move on")

// ErrRefused: the answer does not verify (another origin or RP id, a wrong signature, another
// person's passkey, a passkey not known): one error for all, the caller answers alike.
var ErrRefused = errors.New("passkey: the answer was refused")

// RP is the relying party: the portal.
type RP struct{ w *webauthn.WebAuthn }

// New is the relying party of the portal at portalURL, named service in the authenticator's prompts.
func New(portalURL, service string) (*RP, error) {
	u, err := url.Parse(portalURL)
	if err != nil || u.Hostname() == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("passkey: the portal URL %q has no host", portalURL)
	}
	timeout := webauthn.TimeoutConfig{Enforce: true, Timeout: store.CeremonyTTL, TimeoutUVD: store.CeremonyTTL}
	w, err := webauthn.New(&webauthn.Config{
		RPID:                  u.Hostname(),
		RPDisplayName:         service,
		RPOrigins:             []string{u.Scheme + "://" + u.Host},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementRequired,
			UserVerification: protocol.VerificationRequired,
		},
		Timeouts: webauthn.TimeoutsConfig{Login: timeout, Registration: timeout},
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	return &RP{w: w}, nil
}

// MustNew is New for a function's start: a portal URL with no host is a deployment error.
func MustNew(portalURL, service string) *RP {
	rp, err := New(portalURL, service)
	if err != nil {
		panic(err)
	}
	return rp
}

// User is a person as a WebAuthn user: their handle, address, name and passkeys.
type User struct {
	Handle []byte
	Email  access.Email
	Name   string
	Keys   []store.Passkey
}

func (u User) WebAuthnID() []byte          { return u.Handle }
func (u User) WebAuthnName() string        { return string(u.Email) }
func (u User) WebAuthnDisplayName() string { return u.Name }
func (u User) WebAuthnCredentials() []webauthn.Credential {
	creds := make([]webauthn.Credential, len(u.Keys))
	for i, k := range u.Keys {
		creds[i] = credentialOf(k)
	}
	return creds
}

func credentialOf(k store.Passkey) webauthn.Credential {
	transports := make([]protocol.AuthenticatorTransport, len(k.Transports))
	for i, t := range k.Transports {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID: k.CredentialID, PublicKey: k.PublicKey, AttestationType: k.AttestationType, AttestationFormat: k.AttestationFormat,
		Transport: transports, Flags: webauthn.CredentialFlagsFromMsgpByte(k.Flags),
		Authenticator: webauthn.Authenticator{AAGUID: k.AAGUID, SignCount: k.SignCount},
	}
}

// Begun is a ceremony begun: the options for the browser (JSON, as navigator.credentials takes
// them once its binary fields are decoded from base64url), and what the server keeps until the
// answer: the hash of the challenge and the library's session data.
type Begun struct {
	Options       json.RawMessage
	ChallengeHash string
	Data          []byte
}

func begun(options any, s *webauthn.SessionData) (Begun, error) {
	o, err := json.Marshal(options)
	if err != nil {
		return Begun{}, err
	}
	d, err := json.Marshal(s)
	if err != nil {
		return Begun{}, err
	}
	return Begun{Options: o, ChallengeHash: hashOf(s.Challenge), Data: d}, nil
}

func hashOf(challenge string) string {
	sum := sha256.Sum256([]byte(challenge))
	return hex.EncodeToString(sum[:])
}

// BeginAdding begins adding a passkey for u; the authenticator is told not to make a second one
// where u already has one.
func (rp *RP) BeginAdding(u User) (Begun, error) {
	existing := webauthn.Credentials(u.WebAuthnCredentials()).CredentialDescriptors()
	creation, s, err := rp.w.BeginRegistration(u, webauthn.WithExclusions(existing))
	if err != nil {
		return Begun{}, fmt.Errorf("passkey: begin adding: %w", err)
	}
	return begun(creation, s)
}

// FinishAdding verifies the browser's answer to the ceremony whose session data is data, for u,
// and returns the new passkey (named name, added at now). ErrRefused: it does not verify.
func (rp *RP) FinishAdding(u User, data, answer []byte, name string, now time.Time) (store.Passkey, error) {
	var s webauthn.SessionData
	if err := json.Unmarshal(data, &s); err != nil {
		return store.Passkey{}, fmt.Errorf("passkey: session data: %w", err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
	if err != nil {
		return store.Passkey{}, ErrRefused
	}
	c, err := rp.w.CreateCredential(u, s, parsed)
	if err != nil {
		return store.Passkey{}, ErrRefused
	}
	transports := make([]string, len(c.Transport))
	for i, t := range c.Transport {
		transports[i] = string(t)
	}
	return store.Passkey{
		CredentialID: c.ID, Email: u.Email, Name: name, PublicKey: c.PublicKey, SignCount: c.Authenticator.SignCount,
		Flags: c.Flags.MsgpByte(), Transports: transports, AAGUID: c.Authenticator.AAGUID,
		AttestationType: c.AttestationType, AttestationFormat: c.AttestationFormat, CreatedAt: now,
	}, nil
}

// BeginSignIn begins signing in with a passkey: no address is asked for, so the options name no
// credential and say nothing about who has one.
func (rp *RP) BeginSignIn() (Begun, error) {
	assertion, s, err := rp.w.BeginDiscoverableLogin()
	if err != nil {
		return Begun{}, fmt.Errorf("passkey: begin sign-in: %w", err)
	}
	return begun(assertion, s)
}

// Finder finds the person whose user handle the answer names, with the passkey whose credential
// id it names (Keys holds at most that one); store.ErrNotFound when there is none.
type Finder func(handle []byte, id store.PasskeyID) (User, error)

// FinishSignIn verifies the browser's answer to the sign-in ceremony whose session data is data,
// and returns whose passkey signed it and the passkey as it is after this use (its new sign count
// and flags). ErrRefused: it does not verify, or names nobody's passkey. ErrCopied: the sign count
// did not move on.
func (rp *RP) FinishSignIn(data, answer []byte, find Finder) (User, store.Passkey, error) {
	var s webauthn.SessionData
	if err := json.Unmarshal(data, &s); err != nil {
		return User{}, store.Passkey{}, fmt.Errorf("passkey: session data: %w", err)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil {
		return User{}, store.Passkey{}, ErrRefused
	}
	var (
		who     User
		findErr error
	)
	handler := func(rawID, handle []byte) (webauthn.User, error) {
		who, findErr = find(handle, store.PasskeyIDOf(rawID))
		return who, findErr
	}
	_, c, err := rp.w.ValidatePasskeyLogin(handler, s, parsed)
	switch {
	case findErr != nil && !errors.Is(findErr, store.ErrNotFound):
		return User{}, store.Passkey{}, findErr // the store failed: try again, not "refused"
	case err != nil || len(who.Keys) != 1:
		return User{}, store.Passkey{}, ErrRefused
	case c.Authenticator.CloneWarning:
		return User{}, store.Passkey{}, ErrCopied
	}
	p := who.Keys[0]
	p.SignCount, p.Flags = c.Authenticator.SignCount, c.Flags.MsgpByte()
	return who, p, nil
}

// ChallengeHash is the hash of the challenge a browser's answer (to either ceremony) says it
// signed, under which its ceremony was kept. Nothing in the answer is verified yet: the ceremony
// found by it is then verified against the whole answer.
func ChallengeHash(answer []byte) (string, error) {
	var a struct {
		Response struct {
			ClientDataJSON string `json:"clientDataJSON"`
		} `json:"response"`
	}
	if err := json.Unmarshal(answer, &a); err != nil {
		return "", ErrRefused
	}
	raw, err := base64.RawURLEncoding.DecodeString(trimPad(a.Response.ClientDataJSON))
	if err != nil {
		return "", ErrRefused
	}
	var cd struct {
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(raw, &cd); err != nil || cd.Challenge == "" {
		return "", ErrRefused
	}
	return hashOf(cd.Challenge), nil
}

func trimPad(s string) string {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return s
}

// NewHandle is a new random user handle.
func NewHandle() []byte {
	b := make([]byte, HandleSize)
	_, _ = rand.Read(b)
	return b
}
