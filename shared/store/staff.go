package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/staff"
)

// Staff sign-ins (STAFF#<hash of state> / SIGNIN) and staff sessions (STAFF#<hash> / SESSION).
//
// A sign-in under way is kept until the identity provider sends the browser back, and taken (read
// and deleted in one request) by the callback, so a replayed callback finds nothing. A staff session
// is a citizen session's twin with staff.SessionIdle and staff.SessionMax; the table holds the
// token's hash only.

type staffSignInItem struct {
	PK, SK    string
	Kind      string // "staff-sign-in"
	SignIn    staff.SignIn
	ExpiresAt int64 // TTL
}

// StartStaffSignIn keeps a sign-in under way, keyed by the hash of its state.
func (s *Store) StartStaffSignIn(ctx context.Context, stateHash string, in staff.SignIn) error {
	k := staffSignInKey(stateHash)
	item, err := attributevalue.MarshalMap(staffSignInItem{PK: k.PK, SK: k.SK, Kind: "staff-sign-in", SignIn: in,
		ExpiresAt: in.StartedAt.Add(staff.SignInWithin + time.Hour).Unix()})
	if err != nil {
		return wrap("start staff sign-in", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item,
		ConditionExpression: aws.String("attribute_not_exists(PK)")})
	return wrap("start staff sign-in", err)
}

// TakeStaffSignIn returns the sign-in whose state has that hash and deletes it, in one request.
// ErrNotFound: unknown, already taken, or begun more than staff.SignInWithin ago.
func (s *Store) TakeStaffSignIn(ctx context.Context, stateHash string) (staff.SignIn, error) {
	out, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: staffSignInKey(stateHash).av(),
		ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		return staff.SignIn{}, wrap("take staff sign-in", err)
	}
	if len(out.Attributes) == 0 {
		return staff.SignIn{}, ErrNotFound
	}
	var it staffSignInItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return staff.SignIn{}, wrap("take staff sign-in", err)
	}
	if !s.now().Before(it.SignIn.StartedAt.Add(staff.SignInWithin)) {
		return staff.SignIn{}, ErrNotFound
	}
	return it.SignIn, nil
}

type staffSessionItem struct {
	PK, SK    string
	Kind      string // "staff-session"
	Person    staff.Person
	CreatedAt int64 // unix seconds: compared in conditions
	LastSeen  int64
	ExpiresAt int64 // TTL
}

// StartStaffSession writes a new staff session.
func (s *Store) StartStaffSession(ctx context.Context, sess staff.Session) error {
	k := staffSessionKey(sess.Hash)
	item, err := attributevalue.MarshalMap(staffSessionItem{PK: k.PK, SK: k.SK, Kind: "staff-session", Person: sess.Person,
		CreatedAt: sess.CreatedAt.Unix(), LastSeen: sess.LastSeen.Unix(), ExpiresAt: sess.CreatedAt.Add(staff.SessionMax + time.Hour).Unix()})
	if err != nil {
		return wrap("start staff session", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item,
		ConditionExpression: aws.String("attribute_not_exists(PK)")})
	return wrap("start staff session", err)
}

// StaffSession returns the live staff session whose token has that hash and slides its idle expiry,
// in one conditional write. ErrNotFound: unknown, idle too long or too old (one answer for all).
func (s *Store) StaffSession(ctx context.Context, hash string) (staff.Session, error) {
	var it staffSessionItem
	if err := s.slide(ctx, staffSessionKey(hash), staff.SessionIdle, staff.SessionMax, &it, "staff session"); err != nil {
		return staff.Session{}, err
	}
	return staff.Session{Hash: hash, Person: it.Person, CreatedAt: time.Unix(it.CreatedAt, 0), LastSeen: time.Unix(it.LastSeen, 0)}, nil
}

// EndStaffSession deletes a staff session (sign-out). Deleting one that is not there is no error:
// the outcome, no session, is the same.
func (s *Store) EndStaffSession(ctx context.Context, hash string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: staffSessionKey(hash).av()})
	return wrap("end staff session", err)
}
