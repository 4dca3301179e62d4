package store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
)

// Passkeys (WebAuthn credentials). A person's passkeys live in their account's partition
// (ACCOUNT#<email> / PASSKEY#<id>), so listing them is one consistent Query and a removed one is
// gone at once. ACCOUNT#<email> / PASSKEYS holds the person's user handle (a random value the
// authenticator keeps with each passkey, never the address) and how many passkeys they have, so
// the limit holds in the write that adds one. PASSKEY#USER#<handle> / USER answers "whose handle is
// this?" at sign-in, where the authenticator names the handle and the credential and nothing else.
//
// Each ceremony (adding a passkey, signing in with one) keeps its challenge and the library's
// session data in PASSKEY#CEREMONY#<hash of challenge> / CEREMONY until the browser answers, and
// the answer takes it (read and delete in one request): a challenge works once, whatever the
// outcome, and an answer replayed later finds nothing.
//
// A credential id is the authenticator's, up to 1023 bytes: the key holds the base64url SHA-256
// of it (PasskeyID), which also fits a URL. Credential ids are looked up only within the person
// the user handle names, so one person's authenticator cannot shadow another's passkey by
// reusing its id.

// CeremonyTTL is how long the browser has to answer a challenge.
const CeremonyTTL = 5 * time.Minute

// PasskeyID names a passkey: the base64url SHA-256 of its credential id.
type PasskeyID string

// PasskeyIDOf is the id of the passkey whose credential id is credentialID.
func PasskeyIDOf(credentialID []byte) PasskeyID {
	sum := sha256.Sum256(credentialID)
	return PasskeyID(base64.RawURLEncoding.EncodeToString(sum[:]))
}

// Passkey is one of a person's passkeys as stored: what verifying its signatures needs (public
// key, sign count, flags) and what the person sees (name, when added and last used).
type Passkey struct {
	CredentialID      []byte
	Email             access.Email
	Name              string
	PublicKey         []byte // COSE
	SignCount         uint32
	Flags             byte // WebAuthn credential flags: user present, verified, backup eligible, backed up
	Transports        []string
	AAGUID            []byte
	AttestationType   string
	AttestationFormat string
	CreatedAt         time.Time
	LastUsedAt        time.Time // zero until first used
}

// ID is the passkey's id.
func (p Passkey) ID() PasskeyID { return PasskeyIDOf(p.CredentialID) }

type passkeyItem struct {
	PK, SK  string
	Kind    string // "passkey"
	Passkey Passkey
}

// passkeysItem is a person's handle and passkey count.
type passkeysItem struct {
	PK, SK string
	Kind   string // "passkeys"
	Handle []byte
	Count  int
}

type handleItem struct {
	PK, SK string
	Kind   string // "passkey-user"
	Email  access.Email
}

// PasskeyUser returns a person's user handle and how many passkeys they have. ErrNotFound: they
// have never added one.
func (s *Store) PasskeyUser(ctx context.Context, e access.Email) ([]byte, int, error) {
	it, err := get[passkeysItem](ctx, s, passkeysKey(e), "passkey user")
	return it.Handle, it.Count, err
}

// HandleOwner returns whose user handle handle is. ErrNotFound: nobody's.
func (s *Store) HandleOwner(ctx context.Context, handle []byte) (access.Email, error) {
	if len(handle) == 0 || len(handle) > 64 {
		return "", ErrNotFound
	}
	it, err := get[handleItem](ctx, s, handleKey(handle), "handle owner")
	return it.Email, err
}

// Passkeys returns a person's passkeys, oldest first (one consistent Query).
func (s *Store) Passkeys(ctx context.Context, e access.Email) ([]Passkey, error) {
	var keys []Passkey
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :pre)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(accountKey(e).PK), ":pre": str(passkeyPre),
		},
		ConsistentRead: aws.Bool(true),
	}
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, wrap("passkeys", err)
		}
		var items []passkeyItem
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
			return nil, wrap("passkeys", err)
		}
		for _, it := range items {
			keys = append(keys, it.restore())
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	sortPasskeys(keys)
	return keys, nil
}

func (it passkeyItem) restore() Passkey { return it.Passkey }

func sortPasskeys(keys []Passkey) {
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j].CreatedAt.Before(keys[j-1].CreatedAt); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}

// Passkey returns one of a person's passkeys. ErrNotFound: they have none with that id.
func (s *Store) Passkey(ctx context.Context, e access.Email, id PasskeyID) (Passkey, error) {
	it, err := get[passkeyItem](ctx, s, passkeyKey(e, id), "passkey")
	return it.restore(), err
}

// AddPasskey keeps a new passkey of p.Email's under the user handle handle and queues the email
// that tells them, in one transaction that also checks the account is active. first says the
// person has no handle yet: this write gives them handle. ErrLimited: they have max passkeys
// already. ErrConflict: the handle changed meanwhile (another first passkey won), the
// credential is theirs already, or the account is not active. Nothing is written on any error.
func (s *Store) AddPasskey(ctx context.Context, p Passkey, handle []byte, first bool, max int, added mail.Message) error {
	now := s.now()
	k := passkeyKey(p.Email, p.ID())
	item, err := attributevalue.MarshalMap(passkeyItem{PK: k.PK, SK: k.SK, Kind: "passkey", Passkey: p})
	if err != nil {
		return wrap("add passkey", err)
	}
	t := s.tx()
	if first {
		pk, hk := passkeysKey(p.Email), handleKey(handle)
		user, err := attributevalue.MarshalMap(passkeysItem{PK: pk.PK, SK: pk.SK, Kind: "passkeys", Handle: handle, Count: 1})
		if err != nil {
			return wrap("add passkey", err)
		}
		owner, err := attributevalue.MarshalMap(handleItem{PK: hk.PK, SK: hk.SK, Kind: "passkey-user", Email: p.Email})
		if err != nil {
			return wrap("add passkey", err)
		}
		t.put(user, cond{expr: "attribute_not_exists(PK)"}, ErrConflict).put(owner, cond{expr: "attribute_not_exists(PK)"}, ErrConflict)
	} else {
		t.update(passkeysKey(p.Email), "ADD #n :one", cond{
			expr:   "attribute_exists(PK) AND #h = :h AND #n < :max",
			names:  map[string]string{"#n": "Count", "#h": "Handle"},
			values: map[string]types.AttributeValue{":one": num("1"), ":h": &types.AttributeValueMemberB{Value: handle}, ":max": num(strconv.Itoa(max))},
		}, ErrLimited)
	}
	t.put(item, cond{expr: "attribute_not_exists(PK)"}, ErrConflict).check(accountKey(p.Email), cond{
		expr:   "#st = :active",
		names:  map[string]string{"#st": "Status"},
		values: map[string]types.AttributeValue{":active": str(string(AccountActive))},
	}, ErrConflict).mail(added, now)
	return s.run(ctx, t, "add passkey")
}

// RemovePasskey deletes one of a person's passkeys and queues the email that tells them, in one
// transaction: from then on it signs nobody in. ErrNotFound: they have no such passkey.
func (s *Store) RemovePasskey(ctx context.Context, e access.Email, id PasskeyID, removed mail.Message) error {
	now := s.now()
	t := s.tx().del(passkeyKey(e, id), cond{expr: "attribute_exists(PK)"}, ErrNotFound).
		update(passkeysKey(e), "ADD #n :less", cond{
			expr:   "attribute_exists(PK)",
			names:  map[string]string{"#n": "Count"},
			values: map[string]types.AttributeValue{":less": num("-1")},
		}, ErrNotFound).mail(removed, now)
	return s.run(ctx, t, "remove passkey")
}

// SignInWithPasskey records a verified use of p (its new sign count and flags, the time) and
// starts the session, in one transaction that also checks the passkey is still there, its sign
// count has moved on (an authenticator that keeps no count reports 0 every time; any other must
// count up, or the passkey may have been copied) and the account is active. ErrConflict: any of
// those no longer holds; nothing was written.
func (s *Store) SignInWithPasskey(ctx context.Context, p Passkey, sess Session) error {
	now := s.now()
	countCond := "#p.SignCount < :n"
	if p.SignCount == 0 {
		countCond = "#p.SignCount = :n"
	}
	item, err := sessionItemOf(sess)
	if err != nil {
		return wrap("sign in with passkey", err)
	}
	t := s.tx().update(passkeyKey(p.Email, p.ID()), "SET #p.SignCount = :n, #p.#f = :f, #p.LastUsedAt = :now", cond{
		expr:   "attribute_exists(PK) AND " + countCond,
		names:  map[string]string{"#p": "Passkey", "#f": "Flags"},
		values: map[string]types.AttributeValue{":n": num(strconv.FormatUint(uint64(p.SignCount), 10)), ":f": num(strconv.Itoa(int(p.Flags))), ":now": str(now.UTC().Format(time.RFC3339Nano))},
	}, ErrConflict).check(accountKey(sess.Email), cond{
		expr:   "#st = :active",
		names:  map[string]string{"#st": "Status"},
		values: map[string]types.AttributeValue{":active": str(string(AccountActive))},
	}, ErrConflict).put(item, cond{expr: "attribute_not_exists(PK)"}, ErrConflict)
	return s.run(ctx, t, "sign in with passkey")
}

// CeremonyKind says what a ceremony is for: an answer to one kind never completes the other.
type CeremonyKind string

const (
	AddingPasskey        CeremonyKind = "add"
	SigningInWithPasskey CeremonyKind = "sign-in"
)

// Ceremony is a WebAuthn ceremony under way: its challenge's session data, and for adding a
// passkey, whose it will be, under which handle and name.
type Ceremony struct {
	Kind      CeremonyKind
	Email     access.Email `dynamodbav:",omitempty"`
	Handle    []byte       `dynamodbav:",omitempty"`
	First     bool         `dynamodbav:",omitempty"` // the handle is new: the passkey will be the person's first
	Name      string       `dynamodbav:",omitempty"`
	Data      []byte       // the library's session data (JSON): challenge, user, expiry
	StartedAt time.Time
}

type ceremonyItem struct {
	PK, SK    string
	Kind      string // "ceremony"
	Ceremony  Ceremony
	ExpiresAt int64 // TTL
}

// StartCeremony keeps a ceremony under the hash of its challenge, counted against limits in the
// same write. ErrLimited: a limit is reached and nothing was written.
func (s *Store) StartCeremony(ctx context.Context, challengeHash string, c Ceremony, limits ...Limit) error {
	now := s.now()
	k := ceremonyKey(challengeHash)
	item, err := attributevalue.MarshalMap(ceremonyItem{PK: k.PK, SK: k.SK, Kind: "ceremony", Ceremony: c,
		ExpiresAt: c.StartedAt.Add(CeremonyTTL + time.Hour).Unix()})
	if err != nil {
		return wrap("start ceremony", err)
	}
	t, err := s.limited(ctx, now, limits...)
	if err != nil {
		return err
	}
	return s.run(ctx, t.put(item, cond{expr: "attribute_not_exists(PK)"}, ErrConflict), "start ceremony")
}

// TakeCeremony returns the ceremony whose challenge has that hash and deletes it, in one request,
// so a challenge is answered once. ErrNotFound: unknown, already taken, or older than CeremonyTTL.
func (s *Store) TakeCeremony(ctx context.Context, challengeHash string) (Ceremony, error) {
	out, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: ceremonyKey(challengeHash).av(),
		ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		return Ceremony{}, wrap("take ceremony", err)
	}
	if len(out.Attributes) == 0 {
		return Ceremony{}, ErrNotFound
	}
	var it ceremonyItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return Ceremony{}, wrap("take ceremony", err)
	}
	if !s.now().Before(it.Ceremony.StartedAt.Add(CeremonyTTL)) {
		return Ceremony{}, ErrNotFound
	}
	return it.Ceremony, nil
}
