package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
)

// What the staff workspace's person page reads and does (support): find a person by surname prefix
// or exact address, see everything the table holds that serves them (account, requests, grants,
// emails, suppression, sessions, sign-in code), and the four fixes support makes.
//
// Name index. Names live on requests (the requester's) and on accounts (the holder's). The request
// item's two index slots are taken (queue, grant), so the entry sits on the requester's list item
// (REQUESTER#<email>) written in the same write that confirms the request, and on the account
// item written by Register: GSI1PK NAME#<first letter of the surname>, GSI1SK
// <surname>#<given names>#<email>, lower-cased. A prefix search is one Query with begins_with. The
// surname is the name's last word: "Anne van Dijk" is found under "dijk", not "van". Items written
// before the index existed carry no entry; exact email still finds them.

// nameIndex is the name-index key of a person's name (GSI1PK, GSI1SK); "" for a name with no word.
func nameIndex(name string, e access.Email) (string, string) {
	words := strings.Fields(strings.ToLower(name))
	if len(words) == 0 {
		return "", ""
	}
	surname := words[len(words)-1]
	r, _ := utf8.DecodeRuneInString(surname)
	return namePre + string(r), surname + "#" + strings.Join(words[:len(words)-1], " ") + "#" + string(e)
}

// PersonMatch is one person a name search found.
type PersonMatch struct {
	Email access.Email
	Name  string
}

// nameEntry reads a name-index entry: a requester list item (Name, Email) or an account (Account).
type nameEntry struct {
	Name    string
	Email   access.Email
	Account *Account
}

// FindPeople returns the people whose surname begins with prefix (any case; one word), one per
// address, in surname order, at most limit: one Query of the name index, read page by page.
func (s *Store) FindPeople(ctx context.Context, prefix string, limit int) ([]PersonMatch, error) {
	prefix = strings.ToLower(strings.TrimSpace(prefix))
	pk, _ := nameIndex(prefix, "")
	if pk == "" || strings.Contains(prefix, "#") {
		return nil, nil
	}
	in := &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(gsi1.name),
		KeyConditionExpression:    aws.String("GSI1PK = :pk AND begins_with(GSI1SK, :pre)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk), ":pre": str(prefix)},
	}
	seen := map[access.Email]bool{}
	var out []PersonMatch
	for len(out) < limit {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, wrap("find people", err)
		}
		for _, item := range page.Items {
			var e nameEntry
			if err := attributevalue.UnmarshalMap(item, &e); err != nil {
				return nil, wrap("find people", err)
			}
			if e.Account != nil {
				e.Name, e.Email = e.Account.Name, e.Account.Email
			}
			if e.Email == "" || seen[e.Email] || len(out) == limit {
				continue
			}
			seen[e.Email] = true
			out = append(out, PersonMatch{Email: e.Email, Name: e.Name})
		}
		if page.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
	return out, nil
}

// SentMail is one email to a person as the outbox keeps it (30 days after it was sent).
type SentMail struct {
	ID       MailID
	Template mail.Template
	Request  access.RequestID
	Status   string // queued, sent, parked, suppressed
	QueuedAt time.Time
	SentAt   time.Time
	Problem  string // the last failure, for a queued or parked one
}

// Person is what the table holds that serves one address, for the support page.
type Person struct {
	Email       access.Email
	Account     *Account // nil: not registered
	Requests    []access.Request
	Grants      []Grant
	Mail        []SentMail // newest first
	Suppression *Suppression
	Sessions    int  // sessions live now
	CodeLocked  bool // the live sign-in code has had all its attempts
	CodeLive    bool // a sign-in code is waiting to be used
}

// Known reports whether the table holds anything about the person at all.
func (p Person) Known() bool {
	return p.Account != nil || len(p.Requests) > 0 || len(p.Grants) > 0 || len(p.Mail) > 0 || p.Suppression != nil
}

// How much of a person the page shows.
const (
	personRequests = 50
	personMail     = 25
)

// Person reads everything the person page shows of an address: the account, the newest requests,
// the grants, the newest emails, the suppression, the sessions and the sign-in code (one read
// each; no Scan).
func (s *Store) Person(ctx context.Context, e access.Email) (Person, error) {
	e = access.NormaliseEmail(string(e))
	p := Person{Email: e}
	a, err := s.Account(ctx, e)
	switch {
	case err == nil:
		p.Account = &a
	case !errors.Is(err, ErrNotFound):
		return p, err
	}
	if p.Requests, err = s.RequestsOf(ctx, e, personRequests); err != nil {
		return p, err
	}
	if p.Grants, err = s.GrantsOf(ctx, e); err != nil {
		return p, err
	}
	if p.Mail, err = s.MailTo(ctx, e, personMail); err != nil {
		return p, err
	}
	if sup, ok, err := s.Suppressed(ctx, e); err != nil {
		return p, err
	} else if ok {
		p.Suppression = &sup
	}
	if p.Sessions, err = s.liveSessions(ctx, e); err != nil {
		return p, err
	}
	codes, err := s.codesOf(ctx, e)
	if err != nil {
		return p, err
	}
	for _, code := range codes {
		if code.UsedAt == 0 && code.ValidTo > s.now().Unix() {
			p.CodeLive = p.CodeLive || code.Attempts < CodeAttempts
			p.CodeLocked = p.CodeLocked || code.Attempts >= CodeAttempts
		}
	}
	return p, nil
}

// codesOf is every sign-in code item of an address (one Query of its partition): the items whose
// SK begins with the code item's, so that a code per address and browser is found as one per address is.
func (s *Store) codesOf(ctx context.Context, e access.Email) ([]codeItem, error) {
	k := codeKey(e, "") // every browser's code: SK begins "CODE#"
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :code)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(k.PK), ":code": str(k.SK)},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return nil, wrap("codes of", err)
	}
	var items []codeItem
	return items, wrap("codes of", attributevalue.UnmarshalListOfMaps(out.Items, &items))
}

// MailTo is up to limit of the emails to an address, newest first (one Query of GSI2): what the
// outbox keeps, which is each email until 30 days after it was sent.
func (s *Store) MailTo(ctx context.Context, e access.Email, limit int) ([]SentMail, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(gsi2.name),
		KeyConditionExpression:    aws.String("GSI2PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(mailToPK(e))},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(max(limit, 1))),
	})
	if err != nil {
		return nil, wrap("mail to", err)
	}
	var items []mailItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return nil, wrap("mail to", err)
	}
	sent := make([]SentMail, len(items))
	for i, it := range items {
		queued, _ := time.Parse(stampLayout, it.QueuedAt)
		at, _ := time.Parse(stampLayout, it.SentAt)
		sent[i] = SentMail{ID: MailID(it.Message.ID), Template: it.Message.Template, Request: it.Message.Request,
			Status: it.Status, QueuedAt: queued, SentAt: at, Problem: it.LastError}
	}
	return sent, nil
}

// sessionsOf returns the keys of a person's session items that the index holds, live or not yet
// removed by TTL, and how many of them are live now.
func (s *Store) sessionsOf(ctx context.Context, e access.Email) ([]key, int, error) {
	in := &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(gsi1.name),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(sessionsPK(e))},
	}
	now := s.now()
	var keys []key
	live := 0
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, 0, wrap("sessions of", err)
		}
		for _, item := range page.Items {
			var it sessionItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return nil, 0, wrap("sessions of", err)
			}
			// Rebuilt through its constructor: a session's key, whatever the index held.
			keys = append(keys, sessionKey(strings.TrimPrefix(it.PK, sessionKey("").PK)))
			if it.LastSeen > now.Add(-SessionIdle).Unix() && it.CreatedAt > now.Add(-SessionMax).Unix() {
				live++
			}
		}
		if page.LastEvaluatedKey == nil {
			return keys, live, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

func (s *Store) liveSessions(ctx context.Context, e access.Email) (int, error) {
	_, n, err := s.sessionsOf(ctx, e)
	return n, err
}

// EndSessionsOf signs a person out everywhere: every session of the address is deleted, so no
// cookie of theirs opens anything from now on. It returns how many were live. The index is read
// eventually consistently, so a session started in the same second may survive; support sees the
// count afterwards and can do it again.
func (s *Store) EndSessionsOf(ctx context.Context, e access.Email) (int, error) {
	keys, live, err := s.sessionsOf(ctx, access.NormaliseEmail(string(e)))
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: k.av()}); err != nil {
			return 0, wrap("end sessions of", err)
		}
	}
	return live, nil
}

// ClearSuppression takes an address off the suppression list, so the notifier sends to it again.
// ErrNotFound: it was not suppressed.
func (s *Store) ClearSuppression(ctx context.Context, e access.Email) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table, Key: suppressKey(access.NormaliseEmail(string(e))).av(),
		ConditionExpression: aws.String("attribute_exists(PK)"),
	})
	if conditionFailed(err) {
		return ErrNotFound
	}
	return wrap("clear suppression", err)
}

// signInLimitKinds are the per-address rate-limit kinds of signing in (functions/signin's
// kindAddress and kindVerify): unlocking clears their counters, every browser's.
var signInLimitKinds = []string{"signin", "signin-verify"}

// UnlockSignIn lets a person who made too many attempts at a code, or asked for too many codes,
// sign in again at once: their live code (and its attempt count) and their per-address counters
// are deleted, so the next "send me a code" starts afresh. Deleting what is not there is no error.
func (s *Store) UnlockSignIn(ctx context.Context, e access.Email) error {
	e = access.NormaliseEmail(string(e))
	codes, err := s.codesOf(ctx, e)
	if err != nil {
		return wrap("unlock sign-in", err)
	}
	var keys []key
	for _, c := range codes {
		keys = append(keys, key{c.PK, c.SK})
	}
	for _, kind := range signInLimitKinds {
		out, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 &s.table,
			KeyConditionExpression:    aws.String("PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(rateKey(kind, Limit{Key: string(e)}.hash(), "").PK)},
		})
		if err != nil {
			return wrap("unlock sign-in", err)
		}
		for _, item := range out.Items {
			var k key
			if err := attributevalue.UnmarshalMap(item, &k); err != nil {
				return wrap("unlock sign-in", err)
			}
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: k.av()}); err != nil {
			return wrap("unlock sign-in", err)
		}
	}
	return nil
}

// ReissueInvitation sends the requester of an approved request who has not registered a new
// invitation (access.Request.InviteAgain) and kills every invitation link sent for it before, in
// one transaction conditioned on the request as read and on there still being no account.
// ErrConflict: the request does not allow it (ended, not approved, registered) or changed
// meanwhile; nothing was written. ErrNotFound: no such request. The old links answer "replaced".
func (s *Store) ReissueInvitation(ctx context.Context, id access.RequestID) error {
	now := s.now()
	it, err := get[requestItem](ctx, s, requestKey(id), "reissue invitation")
	if err != nil {
		return err
	}
	_, err = s.Account(ctx, it.Request.Requester.Email)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	events, illegal := it.Request.InviteAgain(err == nil)
	if illegal != nil {
		return ErrConflict
	}
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(gsi1.name),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(invitationsPK(string(id)))},
	})
	if err != nil {
		return wrap("reissue invitation", err)
	}
	t := s.tx().check(requestKey(id), cond{expr: "Version = :v", values: map[string]types.AttributeValue{":v": num(strconv.Itoa(it.Version))}}, ErrConflict).
		check(accountKey(it.Request.Requester.Email), cond{expr: "attribute_not_exists(PK)"}, ErrConflict)
	for _, item := range out.Items {
		var it key
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return wrap("reissue invitation", err)
		}
		k := tokenKey(strings.TrimPrefix(it.PK, tokenKey("").PK)) // a token's key, whatever the index held
		// ValidTo 0 makes useToken refuse it; its index entry goes, so the next reissue skips it.
		t.update(k, "SET ValidTo = :zero, Replaced = :at REMOVE GSI1PK, GSI1SK", cond{
			expr:   "attribute_exists(PK)",
			values: map[string]types.AttributeValue{":zero": num("0"), ":at": str(stamp(now))},
		}, ErrConflict)
	}
	return s.run(ctx, t.events(events, now), "reissue invitation")
}
