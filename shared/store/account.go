package store

import (
	"context"
	"errors"
	"time"

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
	LastSignIn time.Time // the latest session started (zero: never); StartSession records it
}

// accountItem is an account as stored; its status is stored once, at the top of the item.
type accountItem struct {
	PK, SK  string
	GSI1PK  string `dynamodbav:",omitempty"` // the holder's name entry (person.go)
	GSI1SK  string `dynamodbav:",omitempty"`
	Kind    string // "account"
	Account Account
	Status  AccountStatus
}

func (it *accountItem) restore() { it.Account.Status = it.Status }

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
	it := accountItem{PK: k.PK, SK: k.SK, Kind: "account", Account: a, Status: a.Status}
	it.GSI1PK, it.GSI1SK = nameIndex(a.Name, a.Email)
	item, err := marshalItem(it, "Account")
	if err != nil {
		return wrap("register", err)
	}
	t := s.tx().useToken(invitationHash, now).put(item, cond{
		expr:   "attribute_not_exists(PK) OR #st = :unverified",
		names:  map[string]string{"#st": "Status"},
		values: map[string]types.AttributeValue{":unverified": str(string(AccountUnverified))},
	}, ErrConflict).mail(verification, now)
	return s.run(ctx, t, "register")
}

// Activate uses a verification link and makes the address's account active, in one transaction.
// ErrLinkUsed: the link was used or expired meanwhile. ErrNotFound: the address has no account.
func (s *Store) Activate(ctx context.Context, tokenHash string, e access.Email) error {
	now := s.now()
	t := s.tx().useToken(tokenHash, now).update(accountKey(e), "SET #st = :active, #a.VerifiedAt = :now", cond{
		expr:   "attribute_exists(PK)",
		names:  map[string]string{"#st": "Status", "#a": "Account"},
		values: map[string]types.AttributeValue{":active": str(string(AccountActive)), ":now": str(now.UTC().Format(time.RFC3339Nano))},
	}, ErrNotFound)
	return s.run(ctx, t, "activate")
}

// ResendVerification queues a new verification email for an unverified account, counted against
// limit in the same write (someone who lost the first email asks to sign in and gets it again).
// ErrLimited: the limit is reached and nothing was queued. ErrConflict: the account is not unverified.
func (s *Store) ResendVerification(ctx context.Context, e access.Email, verification mail.Message, limit Limit) error {
	now := s.now()
	t, err := s.limited(ctx, now, limit)
	if err != nil {
		return err
	}
	t.check(accountKey(e), cond{
		expr:   "#st = :unverified",
		names:  map[string]string{"#st": "Status"},
		values: map[string]types.AttributeValue{":unverified": str(string(AccountUnverified))},
	}, ErrConflict).mail(verification, now)
	return s.run(ctx, t, "resend verification")
}
