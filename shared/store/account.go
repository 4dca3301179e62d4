package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
)

// Accounts (ACCOUNT#<email> / ACCOUNT). A person registers with the invitation link of an approval
// email, which creates the account unverified; the verification link makes it active. There is no
// password (design decision 6): an active account signs in with a one-time code (session.go). The
// account does not hold grants: grants are keyed by the address, so activating the account makes
// every grant approved for that address usable.

// AccountStatus is where an account is in its life.
type AccountStatus string

const (
	AccountUnverified AccountStatus = "unverified"
	AccountActive     AccountStatus = "active"
)

// Account is a person who can sign in.
type Account struct {
	Email      access.Email
	Name       string
	Status     AccountStatus
	CreatedAt  time.Time
	VerifiedAt time.Time
}

type accountItem struct {
	PK, SK  string
	Kind    string // "account"
	Account Account
	Status  AccountStatus // duplicated from Account for conditions
}

func accountKey(e access.Email) key { return key{"ACCOUNT#" + string(e), "ACCOUNT"} }

// ErrLinkUsed: a single-use link was used already, or has expired, so it did nothing.
var ErrLinkUsed = errors.New("store: the link was already used or has expired")

// Account returns the account of an address (read consistently). ErrNotFound: there is none.
func (s *Store) Account(ctx context.Context, e access.Email) (Account, error) {
	it, err := get[accountItem](ctx, s, accountKey(e), "account")
	return it.Account, err
}

// Register uses an invitation: in one transaction it marks the invitation used, writes the account
// (unverified; an earlier unverified account of the address is replaced) and queues the verification
// email. ErrLinkUsed: the invitation was used or expired meanwhile. ErrConflict: the address already
// has an active account. Either way nothing was written.
func (s *Store) Register(ctx context.Context, invitationHash string, a Account, verification mail.Message) error {
	now := s.now()
	a.Status = AccountUnverified
	k := accountKey(a.Email)
	item, err := attributevalue.MarshalMap(accountItem{PK: k.PK, SK: k.SK, Kind: "account", Account: a, Status: a.Status})
	if err != nil {
		return wrap("register", err)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		s.useTokenUpdate(invitationHash, now),
		{Put: &types.Put{
			TableName: &s.table, Item: item,
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR #st = :unverified"),
			ExpressionAttributeNames:  map[string]string{"#st": "Status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":unverified": str(string(AccountUnverified))},
		}},
		s.mailPut(verification, now),
	}})
	if reasons := cancelReasons(err); reasons != nil {
		switch {
		case reasons[0] == "ConditionalCheckFailed":
			return ErrLinkUsed
		case reasons[1] == "ConditionalCheckFailed":
			return ErrConflict
		}
	}
	return wrap("register", err)
}

// Activate uses a verification link and makes the address's account active, in one transaction.
// ErrLinkUsed: the link was used or expired meanwhile. ErrNotFound: the address has no account.
func (s *Store) Activate(ctx context.Context, tokenHash string, e access.Email) error {
	now := s.now()
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		s.useTokenUpdate(tokenHash, now),
		{Update: &types.Update{
			TableName:                &s.table,
			Key:                      accountKey(e).av(),
			UpdateExpression:         aws.String("SET #st = :active, #a.#st = :active, #a.VerifiedAt = :now"),
			ConditionExpression:      aws.String("attribute_exists(PK)"),
			ExpressionAttributeNames: map[string]string{"#st": "Status", "#a": "Account"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":active": str(string(AccountActive)), ":now": str(now.UTC().Format(time.RFC3339Nano)),
			},
		}},
	}})
	if reasons := cancelReasons(err); reasons != nil {
		switch {
		case reasons[0] == "ConditionalCheckFailed":
			return ErrLinkUsed
		case reasons[1] == "ConditionalCheckFailed":
			return ErrNotFound
		}
	}
	return wrap("activate", err)
}

// ResendVerification queues a new verification email for an unverified account, counted against
// limit in the same write (someone who lost the first email asks to sign in and gets it again).
// ErrLimited: the limit is reached and nothing was queued. ErrConflict: the account is not unverified.
func (s *Store) ResendVerification(ctx context.Context, e access.Email, verification mail.Message, limit Limit) error {
	now := s.now()
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		s.limitUpdate(limit, now),
		{ConditionCheck: &types.ConditionCheck{
			TableName: &s.table, Key: accountKey(e).av(),
			ConditionExpression:       aws.String("#st = :unverified"),
			ExpressionAttributeNames:  map[string]string{"#st": "Status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":unverified": str(string(AccountUnverified))},
		}},
		s.mailPut(verification, now),
	}})
	if reasons := cancelReasons(err); reasons != nil {
		switch {
		case reasons[0] == "ConditionalCheckFailed":
			return ErrLimited
		case reasons[1] == "ConditionalCheckFailed":
			return ErrConflict
		}
	}
	return wrap("resend verification", err)
}
