// Package passkeytest is a software authenticator for tests: an ECDSA P-256 key per passkey,
// "none" attestation, a sign count, and a browser that answers at a given origin for a given
// relying party id, so tests can answer the portal's ceremonies as a phone would, or as a phishing
// site would.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Authenticator holds one passkey, made by Create.
type Authenticator struct {
	Origin string // where the browser says the page is
	RPID   string // the relying party id the authenticator signs for
	Key    *ecdsa.PrivateKey
	ID     []byte // the credential id
	Handle []byte // the user handle it was made for
	Count  uint32 // the sign count; 0 keeps none (as synced passkeys)
}

// New is an authenticator at origin for rpID, with no passkey yet.
func New(origin, rpID string) *Authenticator {
	return &Authenticator{Origin: origin, RPID: rpID, Count: 1}
}

var b64 = base64.RawURLEncoding

// options reads the publicKey options the server began a ceremony with.
type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		User      struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

func readOptions(raw []byte) (options, error) {
	var o options
	if err := json.Unmarshal(raw, &o); err != nil || o.PublicKey.Challenge == "" {
		return o, fmt.Errorf("passkeytest: options %s: %v", raw, err)
	}
	return o, nil
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

func (a *Authenticator) authData(flags byte, attested []byte) []byte {
	rp := sha256.Sum256([]byte(a.RPID))
	d := append(rp[:], flags)
	d = binary.BigEndian.AppendUint32(d, a.Count)
	return append(d, attested...)
}

// Create makes a new passkey for the options of an adding ceremony (the JSON the server began it
// with) and returns the browser's answer.
func (a *Authenticator) Create(raw []byte) ([]byte, error) {
	o, err := readOptions(raw)
	if err != nil {
		return nil, err
	}
	if a.Handle, err = b64.DecodeString(o.PublicKey.User.ID); err != nil {
		return nil, err
	}
	if a.Key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	a.ID = make([]byte, 16)
	_, _ = rand.Read(a.ID)
	pub, err := a.Key.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		return nil, err
	}
	cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: pub[1:33], -3: pub[33:65]})
	if err != nil {
		return nil, err
	}
	attested := make([]byte, 16) // AAGUID: none
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(a.ID)))
	attested = append(append(attested, a.ID...), cose...)
	obj, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(0x45, attested)}) // UP, UV, AT
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.ID), "rawId": b64.EncodeToString(a.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", o.PublicKey.Challenge)),
			"attestationObject": b64.EncodeToString(obj),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults": map[string]any{},
	})
}

// Get signs the options of a sign-in ceremony with the passkey, counting one use, and returns
// the browser's answer.
func (a *Authenticator) Get(raw []byte) ([]byte, error) {
	o, err := readOptions(raw)
	if err != nil {
		return nil, err
	}
	if a.Count != 0 {
		a.Count++
	}
	cd := a.clientData("webauthn.get", o.PublicKey.Challenge)
	ad := a.authData(0x05, nil) // UP, UV
	sum := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.Key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.ID), "rawId": b64.EncodeToString(a.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(ad),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(a.Handle),
		},
		"clientExtensionResults": map[string]any{},
	})
}
