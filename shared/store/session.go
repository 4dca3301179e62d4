package store

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
)

// Sign-in codes (ACCOUNT#<email> / CODE#<browser>) and sessions (SESSION#<hash> / SESSION).
//
// A code is bound to the browser that asked for it: <browser> is the hash of a random value that
// browser holds in an HttpOnly cookie (functions/signin). An address has at most one live code per
// asking browser, and asking again from that browser replaces it; a stranger asking for codes
// for the address makes codes of their own, which neither replace the person's nor share its
// attempts, and a guess made without the browser's value reaches no code at all. How many
// browsers may ask is the callers' limits' to bound. The table holds only the code's
// hash bound to the address under a key the table does not hold (secret.Key, HMAC-SHA-256), so a
// copy of the table is not a million hashes away from a live six-digit code, and a code sent to one
// address hashes differently for any other. Which hash is stored is the caller's: functions/account
// also stores a stand-in code for an address without an active account, so that attempts at every
// address are counted alike. Every attempt
// is counted in the code item before the code is compared, so the attempt limit holds even against
// attempts made at the same moment.
//
// A session is a random token in the person's cookie; the table holds its hash, so a copy of the
// table signs nobody in. It lasts while it is used (idle expiry, sliding) up to an absolute limit;
// signing out deletes it. DynamoDB TTL removes the item after the absolute limit.

// The sign-in and session policy (design decision 6).
const (
	CodeTTL      = 10 * time.Minute // a code works for this long after it is sent
	CodeAttempts = 5                // attempts per code; the next one is refused even with the right code
	SessionIdle  = 30 * time.Minute // a session unused for this long has ended
	SessionMax   = 12 * time.Hour   // a session ends this long after sign-in, however busy
)

// Code is an address's live sign-in code as stored.
type Code struct {
	Hash     string // secret.Key.HashWith(code, address)
	IssuedAt time.Time
	ValidTo  time.Time
	Attempts int // attempts made, this one included
	Used     bool
}

type codeItem struct {
	PK, SK    string
	Kind      string // "code"
	Hash      string
	IssuedAt  int64
	ValidTo   int64 // unix seconds: compared in conditions
	Attempts  int
	UsedAt    int64 `dynamodbav:",omitempty"`
	ExpiresAt int64 // TTL
}

// PutCode makes hash the address's live code for the asking browser (replacing any earlier one of
// that browser, attempts reset), valid for CodeTTL, counted against the limits in the same write
// (one read of the limits, one transaction). ErrLimited (a *LimitedError): a limit is reached;
// nothing was written.
func (s *Store) PutCode(ctx context.Context, e access.Email, browser, hash string, limits ...Limit) error {
	now := s.now()
	k := codeKey(e, browser)
	item, err := attributevalue.MarshalMap(codeItem{
		PK: k.PK, SK: k.SK, Kind: "code", Hash: hash, IssuedAt: now.Unix(),
		ValidTo: now.Add(CodeTTL).Unix(), ExpiresAt: now.Add(CodeTTL + time.Hour).Unix(),
	})
	if err != nil {
		return wrap("put code", err)
	}
	t, err := s.limited(ctx, now, limits...)
	if err != nil {
		return err
	}
	return s.run(ctx, t.put(item, cond{}, nil), "put code")
}

// TryCode counts one attempt at the address's live code for the browser and returns the code as it
// now is (one conditional write). Comparing is the caller's: Attempts above CodeAttempts means
// refuse. ErrNotFound: the address has no code for that browser.
func (s *Store) TryCode(ctx context.Context, e access.Email, browser string) (Code, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       codeKey(e, browser).av(),
		UpdateExpression:          aws.String("ADD Attempts :one"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": num("1")},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if conditionFailed(err) {
		return Code{}, ErrNotFound
	}
	if err != nil {
		return Code{}, wrap("try code", err)
	}
	var it codeItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return Code{}, wrap("try code", err)
	}
	return Code{Hash: it.Hash, IssuedAt: time.Unix(it.IssuedAt, 0), ValidTo: time.Unix(it.ValidTo, 0), Attempts: it.Attempts, Used: it.UsedAt != 0}, nil
}

// Session is a signed-in person's session. The name travels with it so that a signed-in request
// needs no account read.
type Session struct {
	Hash      string // of the token in the cookie
	Email     access.Email
	Name      string
	CreatedAt time.Time
	LastSeen  time.Time
}

// EndsAt is when the session ends if it keeps being used.
func (s Session) EndsAt() time.Time { return s.CreatedAt.Add(SessionMax) }

type sessionItem struct {
	PK, SK    string
	GSI1PK    string // SESSIONS#<email>: a person's sessions, for "sign out everywhere"
	GSI1SK    string
	Kind      string // "session"
	Email     access.Email
	Name      string
	CreatedAt int64 // unix seconds: compared in conditions
	LastSeen  int64
	ExpiresAt int64 // TTL
}

// StartSession uses the browser's code with hash codeHash and creates the session, in one
// transaction that also checks the code is still the live, unused, unexpired one within its
// attempts, and that the account is active, recording the sign-in on the account
// (Account.LastSignIn, for support). ErrConflict: any of those no longer holds; nothing was
// written.
func (s *Store) StartSession(ctx context.Context, browser, codeHash string, sess Session) error {
	now := s.now()
	item, err := sessionItemOf(sess)
	if err != nil {
		return wrap("start session", err)
	}
	t := s.tx().update(codeKey(sess.Email, browser), "SET UsedAt = :now", cond{
		expr:   "attribute_exists(PK) AND attribute_not_exists(UsedAt) AND #h = :hash AND ValidTo > :now AND Attempts <= :max",
		names:  map[string]string{"#h": "Hash"},
		values: map[string]types.AttributeValue{":now": unix(now), ":hash": str(codeHash), ":max": num(strconv.Itoa(CodeAttempts))},
	}, ErrConflict).update(accountKey(sess.Email), "SET #a.LastSignIn = :at", cond{
		expr:   "#st = :active",
		names:  map[string]string{"#st": "Status", "#a": "Account"},
		values: map[string]types.AttributeValue{":active": str(string(AccountActive)), ":at": str(now.UTC().Format(time.RFC3339Nano))},
	}, ErrConflict).put(item, cond{expr: "attribute_not_exists(PK)"}, ErrConflict)
	return s.run(ctx, t, "start session")
}

// sessionItemOf is the item of a new session, however the person signed in (a code, a passkey).
func sessionItemOf(sess Session) (map[string]types.AttributeValue, error) {
	k := sessionKey(sess.Hash)
	return attributevalue.MarshalMap(sessionItem{
		PK: k.PK, SK: k.SK, GSI1PK: sessionsPK(sess.Email), GSI1SK: stamp(sess.CreatedAt) + "#" + sess.Hash,
		Kind: "session", Email: sess.Email, Name: sess.Name,
		CreatedAt: sess.CreatedAt.Unix(), LastSeen: sess.LastSeen.Unix(),
		ExpiresAt: sess.CreatedAt.Add(SessionMax + time.Hour).Unix(),
	})
}

// Session returns the live session whose token has that hash, and slides its idle expiry, in one
// conditional write: every signed-in request costs this one DynamoDB request to know who is asking.
// ErrNotFound: unknown, signed out, idle for SessionIdle, or older than SessionMax (one answer for all).
func (s *Store) Session(ctx context.Context, hash string) (Session, error) {
	var it sessionItem
	if err := s.slide(ctx, sessionKey(hash), SessionIdle, SessionMax, &it, "session"); err != nil {
		return Session{}, err
	}
	return Session{Hash: hash, Email: it.Email, Name: it.Name, CreatedAt: time.Unix(it.CreatedAt, 0), LastSeen: time.Unix(it.LastSeen, 0)}, nil
}

// slide reads a session item into item and moves its LastSeen to now, in one conditional write
// that finds nothing (ErrNotFound) once the session has been idle longer than idle or has lived
// longer than max: citizens' and staff sessions expire by the same rule with their own limits.
func (s *Store) slide(ctx context.Context, k key, idle, max time.Duration, item any, what string) error {
	now := s.now()
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 k.av(),
		UpdateExpression:    aws.String("SET LastSeen = :now"),
		ConditionExpression: aws.String("attribute_exists(PK) AND LastSeen > :idle AND CreatedAt > :oldest"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": unix(now), ":idle": unix(now.Add(-idle)), ":oldest": unix(now.Add(-max)),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if conditionFailed(err) {
		return ErrNotFound
	}
	if err != nil {
		return wrap(what, err)
	}
	return wrap(what, attributevalue.UnmarshalMap(out.Attributes, item))
}

// EndSession signs a session out: the item is deleted, so its token works nowhere from now on.
// Ending a session that is already gone is not an error.
func (s *Store) EndSession(ctx context.Context, hash string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: sessionKey(hash).av()})
	return wrap("end session", err)
}
