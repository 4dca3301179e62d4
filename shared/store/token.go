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
	"github.com/council/cfp/shared/mail"
)

// Token is a link token as stored: only its hash, what it is for, and what it is bound to.
type Token struct {
	Hash      string
	Purpose   mail.Purpose
	Subject   string       // the request id or address it was issued for
	Email     access.Email // who it was sent to
	IssuedAt  time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero while unused (single-use purposes)
	// ReplacedAt is when support sent a newer link instead (ReissueInvitation): from then the
	// token works no more. Zero while it is the current one.
	ReplacedAt time.Time
}

type tokenItem struct {
	PK, SK    string
	GSI1PK    string `dynamodbav:",omitempty"` // INVITE#<request>: an invitation's, so a newer one can replace it
	GSI1SK    string `dynamodbav:",omitempty"`
	GSI2PK    string `dynamodbav:",omitempty"` // the request it was issued for (requestBound)
	GSI2SK    string `dynamodbav:",omitempty"`
	Purpose   mail.Purpose
	Subject   string
	Email     access.Email
	IssuedAt  time.Time
	ValidTo   int64     // unix seconds: compared in conditions
	UsedAt    time.Time `dynamodbav:",omitempty"`
	Replaced  string    `dynamodbav:",omitempty"` // stamp of ReplacedAt
	ExpiresAt int64     // TTL: removed a day after it stops working
}

// requestBound are the purposes whose token's Subject is a request id: such a token is indexed
// under its request, and deleted when the request expires.
var requestBound = map[mail.Purpose]bool{mail.Status: true, mail.MoreInfo: true, mail.Invitation: true}

// PutToken stores a newly minted token.
func (s *Store) PutToken(ctx context.Context, t Token) error {
	k := tokenKey(t.Hash)
	it := tokenItem{
		PK: k.PK, SK: k.SK, Purpose: t.Purpose, Subject: t.Subject, Email: t.Email,
		IssuedAt: t.IssuedAt, ValidTo: t.ExpiresAt.Unix(), ExpiresAt: t.ExpiresAt.Add(24 * time.Hour).Unix(),
	}
	if t.Purpose == mail.Invitation {
		it.GSI1PK, it.GSI1SK = invitationsPK(t.Subject), stamp(t.IssuedAt)+"#"+t.Hash
	}
	if requestBound[t.Purpose] && t.Subject != "" {
		it.GSI2PK, it.GSI2SK = requestTokensPK(access.RequestID(t.Subject)), k.PK
	}
	item, err := attributevalue.MarshalMap(it)
	if err != nil {
		return wrap("put token", err)
	}
	// omitempty does not omit a zero time.Time; an unused token must have no UsedAt at all, or
	// useTokenUpdate's attribute_not_exists(UsedAt) refuses it.
	delete(item, "UsedAt")
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	return wrap("put token", err)
}

// Token returns the token with that hash, for that purpose. A token of another purpose is
// ErrNotFound, like an unknown one. Expiry is the caller's to judge (a 410 page needs to know).
func (s *Store) Token(ctx context.Context, hash string, p mail.Purpose) (Token, error) {
	it, err := get[tokenItem](ctx, s, tokenKey(hash), "token")
	if err != nil {
		return Token{}, err
	}
	if it.Purpose != p {
		return Token{}, ErrNotFound
	}
	replaced, _ := time.Parse(stampLayout, it.Replaced)
	return Token{Hash: hash, Purpose: it.Purpose, Subject: it.Subject, Email: it.Email, IssuedAt: it.IssuedAt, ExpiresAt: time.Unix(it.ValidTo, 0), UsedAt: it.UsedAt, ReplacedAt: replaced}, nil
}

// useTokenUpdate marks a single-use token used, failing if it was used or has expired; callers put
// it in the same transaction as what the token does.
func (t *tx) useToken(hash string, now time.Time) *tx {
	return t.update(tokenKey(hash), "SET UsedAt = :at", cond{
		expr:   "attribute_exists(PK) AND attribute_not_exists(UsedAt) AND ValidTo > :now",
		values: map[string]types.AttributeValue{":at": str(stamp(now)), ":now": unix(now)},
	}, ErrLinkUsed)
}

func unix(t time.Time) types.AttributeValue { return num(strconv.FormatInt(t.Unix(), 10)) }
