package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
)

// Staff review: every decision is one TransactWriteItems holding the conditional update of the request
// item and the emails it causes, so a decision and its email happen together or not at all. The
// update is conditioned on the status the decision starts from and on the item's Version as read, so
// two reviewers deciding at once get one success and one ErrConflict.

// Link lifetimes of the emails a decision sends.
const (
	reviewInvitationTTL = 14 * 24 * time.Hour // the registration link of an approval email
	reviewMoreInfoTTL   = 14 * 24 * time.Hour // the upload link of a "more information" email
)

// History kinds (access.Note.Kind) that review writes.
const (
	NoteSecurityCheck = "security_check"
	NoteDecision      = "decision"
	NoteAccessEnded   = "access_ended"
)

// Approval is what a reviewer records to approve a request.
type Approval struct {
	By              access.Email
	ClientReference string // the council's reference for the client, already checked against its format
	AccessEndsOn    string // YYYY-MM-DD, "" for no end date
}

// Approve makes the request the access grant (design decision 4): Decision and status approved, out
// of the review queue (GSI1 review keys replaced) and into the grant indexes (GSI1 person, GSI2 client).
// The requester is emailed in the same write: "client added" when the address has an active account,
// otherwise the approval with a registration link (an invitation token bound to the request, 14 days).
// ErrConflict: the request is not ready for review (decided, withdrawn, expired, or someone else won).
func (s *Store) Approve(ctx context.Context, id access.RequestID, a Approval) error {
	if a.ClientReference == "" || a.By == "" {
		return errors.New("store: approve: a client reference and a reviewer are required")
	}
	return s.review(ctx, id, []access.Status{access.ReadyForReview}, func(r access.Request, now time.Time) (reviewChange, error) {
		d := access.Decision{Outcome: access.Approved, By: a.By, At: now, ClientReference: a.ClientReference, AccessEndsOn: a.AccessEndsOn}
		text := "Approved. Client reference " + a.ClientReference
		if a.AccessEndsOn != "" {
			text += "; access ends on " + a.AccessEndsOn
		}
		hasAccount, err := s.reviewHasAccount(ctx, r.Requester.Email)
		if err != nil {
			return reviewChange{}, err
		}
		ref := map[string]string{"Reference": string(r.ID)}
		msg := mail.New(r.Requester.Email, mail.Approved, ref).WithLink(mail.Invitation, string(r.ID), reviewInvitationTTL)
		if hasAccount {
			msg = mail.New(r.Requester.Email, mail.ApprovedAccount, ref)
		}
		return reviewChange{
			to: access.Approved, decision: &d,
			note: access.Note{Kind: NoteDecision, By: a.By, At: now, Text: text},
			set: map[string]string{
				"GSI1PK": personPK(r.Requester.Email), "GSI1SK": grantPersonSK(a.ClientReference, r.ID),
				"GSI2PK": clientPK(a.ClientReference), "GSI2SK": grantClientSK(r.ID),
			},
			// The account read is part of the condition: if an account is activated or goes between
			// the read and the write, the write fails and is made again with the right email.
			account: &reviewAccount{email: r.Requester.Email, exists: hasAccount},
			mail:    []mail.Message{msg},
		}, nil
	})
}

// Reject refuses a request that is ready for review or waiting for more information, emailing the
// reason to the requester. ErrConflict: it is in neither state.
func (s *Store) Reject(ctx context.Context, id access.RequestID, by access.Email, reason string) error {
	if reason == "" || by == "" {
		return errors.New("store: reject: a reason and a reviewer are required")
	}
	return s.review(ctx, id, []access.Status{access.ReadyForReview, access.MoreInfoRequested}, func(r access.Request, now time.Time) (reviewChange, error) {
		return reviewChange{
			to:       access.Rejected,
			decision: &access.Decision{Outcome: access.Rejected, By: by, At: now, Reason: reason},
			note:     access.Note{Kind: NoteDecision, By: by, At: now, Text: "Rejected: " + reason},
			remove:   []string{"GSI1PK", "GSI1SK"},
			mail:     []mail.Message{mail.New(r.Requester.Email, mail.RequestRejected, map[string]string{"Reference": string(r.ID), "Reason": reason})},
		}, nil
	})
}

// RequestInformation asks the requester for more: the request leaves the review queue, opens a new
// evidence round, and the requester gets the message with a link to upload more files (14 days).
// When they submit again it goes through scanning to ready_for_review, the same request.
// ErrConflict: the request is not ready for review.
func (s *Store) RequestInformation(ctx context.Context, id access.RequestID, by access.Email, message string) error {
	if message == "" || by == "" {
		return errors.New("store: request information: a message and a reviewer are required")
	}
	return s.review(ctx, id, []access.Status{access.ReadyForReview}, func(r access.Request, now time.Time) (reviewChange, error) {
		msg := mail.New(r.Requester.Email, mail.MoreInformation, map[string]string{"Reference": string(r.ID), "Message": message}).
			WithLink(mail.MoreInfo, string(r.ID), reviewMoreInfoTTL)
		return reviewChange{
			to:       access.MoreInfoRequested,
			decision: &access.Decision{Outcome: access.MoreInfoRequested, By: by, At: now, Reason: message},
			note:     access.Note{Kind: NoteDecision, By: by, At: now, Text: "More information requested: " + message},
			round:    r.Round + 1,
			remove:   []string{"GSI1PK", "GSI1SK"},
			mail:     []mail.Message{msg},
		}, nil
	})
}

// RecordSecurityCheck adds a security check (for example a telephone call) to the request's history.
// It decides nothing. ErrConflict: the request is no longer being reviewed.
func (s *Store) RecordSecurityCheck(ctx context.Context, id access.RequestID, by access.Email, note string) error {
	if note == "" || by == "" {
		return errors.New("store: security check: a note and a reviewer are required")
	}
	return s.review(ctx, id, []access.Status{access.ReadyForReview, access.MoreInfoRequested}, func(r access.Request, now time.Time) (reviewChange, error) {
		return reviewChange{note: access.Note{Kind: NoteSecurityCheck, By: by, At: now, Text: note}}, nil
	})
}

// EndAccess ends an approved request's grant at once: the grant keys leave both indexes, so no reader
// finds it any more, the decision records who ended it, when and why, and the grantee is emailed.
// ErrConflict: the request is not approved, or its access has already ended.
func (s *Store) EndAccess(ctx context.Context, id access.RequestID, by access.Email, reason string) error {
	if reason == "" || by == "" {
		return errors.New("store: end access: a reason and a reviewer are required")
	}
	return s.review(ctx, id, []access.Status{access.Approved}, func(r access.Request, now time.Time) (reviewChange, error) {
		if r.Decision == nil || !r.Decision.EndedAt.IsZero() {
			return reviewChange{}, ErrConflict
		}
		d := *r.Decision
		d.EndedAt, d.EndedBy, d.EndReason = now, by, reason
		return reviewChange{
			to: access.Approved, decision: &d,
			note:   access.Note{Kind: NoteAccessEnded, By: by, At: now, Text: "Access ended: " + reason},
			remove: []string{"GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"},
			// Only a live grant carries GSI2PK: ending twice at once cannot both succeed.
			condition: "attribute_exists(GSI2PK)",
			mail:      []mail.Message{mail.New(r.Requester.Email, mail.AccessEnded, map[string]string{"Reference": string(r.ID), "Reason": reason})},
		}, nil
	})
}

// reviewChange is what one review action does to a request item.
type reviewChange struct {
	to        access.Status    // new status ("" keeps it)
	decision  *access.Decision // replaces the decision when not nil
	note      access.Note      // appended to the history
	round     int              // new evidence round (0 keeps it)
	set       map[string]string
	remove    []string
	condition string // extra condition on the request item
	account   *reviewAccount
	mail      []mail.Message
}

// reviewAccount makes a write depend on whether an address has an active account.
type reviewAccount struct {
	email  access.Email
	exists bool
}

// reviewAttempts bounds the retries when the item changed between the read and the write but is
// still in a state the action allows (another reviewer's security note, say).
const reviewAttempts = 3

// review reads the request, checks that its status is one of from, and writes the change conditioned
// on the status and the version it read. A write that lost to another is retried on a fresh read
// while the status still allows the action; otherwise it is ErrConflict.
func (s *Store) review(ctx context.Context, id access.RequestID, from []access.Status, change func(access.Request, time.Time) (reviewChange, error)) error {
	for attempt := 0; attempt < reviewAttempts; attempt++ {
		it, err := s.reviewRead(ctx, id)
		if err != nil {
			return err
		}
		if !reviewStatusIn(it.Status, from) {
			return ErrConflict
		}
		now := s.now().UTC()
		c, err := change(it.Request, now)
		if err != nil {
			return err
		}
		items, err := s.reviewWrite(it, c, now)
		if err != nil {
			return wrap("review", err)
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if cancelReasons(err) == nil {
			return wrap("review", err)
		}
		// A failed condition, or another transaction on the same item at the same moment (which
		// DynamoDB cancels as TransactionConflict rather than letting both through): read again.
		// The fresh read then shows the other reviewer's decision, or lets a note go in.
		again := false
		for _, code := range cancelReasons(err) {
			again = again || code == "ConditionalCheckFailed" || code == "TransactionConflict"
		}
		if !again {
			return wrap("review", err) // throttled or failed: the caller says "try again"
		}
	}
	return ErrConflict
}

func reviewStatusIn(s access.Status, list []access.Status) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// reviewWrite builds the transaction: the request update first, then the account check, then the emails.
func (s *Store) reviewWrite(it requestItem, c reviewChange, now time.Time) ([]types.TransactWriteItem, error) {
	notes, err := attributevalue.Marshal(append(append([]access.Note{}, it.Request.Notes...), c.note))
	if err != nil {
		return nil, err
	}
	names := map[string]string{"#st": "Status", "#r": "Request"}
	values := map[string]types.AttributeValue{
		":from": str(string(it.Status)), ":v": num(strconv.Itoa(it.Version)), ":one": num("1"),
		":now": str(now.Format(time.RFC3339Nano)), ":notes": notes,
	}
	set := "SET #r.UpdatedAt = :now, #r.Notes = :notes"
	if c.to != "" {
		set += ", #st = :to, #r.#st = :to"
		values[":to"] = str(string(c.to))
	}
	if c.decision != nil {
		d, err := attributevalue.Marshal(*c.decision)
		if err != nil {
			return nil, err
		}
		set += ", #r.Decision = :decision"
		values[":decision"] = d
	}
	if c.round != 0 {
		set += ", #r.Round = :round"
		values[":round"] = num(strconv.Itoa(c.round))
	}
	for _, name := range []string{"GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"} {
		if v, ok := c.set[name]; ok {
			set += ", " + name + " = :" + name
			values[":"+name] = str(v)
		}
	}
	expr := set
	for i, name := range c.remove {
		if i == 0 {
			expr += " REMOVE "
		} else {
			expr += ", "
		}
		expr += name
	}
	cond := "#st = :from AND Version = :v"
	if c.condition != "" {
		cond += " AND " + c.condition
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName:                 &s.table,
		Key:                       requestKey(it.Request.ID).av(),
		UpdateExpression:          aws.String(expr + " ADD Version :one"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}}}
	if a := c.account; a != nil {
		check := "attribute_not_exists(PK) OR #st <> :active"
		if a.exists {
			check = "#st = :active"
		}
		items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: &s.table, Key: accountKey(a.email).av(), ConditionExpression: aws.String(check),
			ExpressionAttributeNames:  map[string]string{"#st": "Status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":active": str(string(AccountActive))},
		}})
	}
	for _, m := range c.mail {
		items = append(items, s.mailPut(m, now))
	}
	return items, nil
}

// reviewHasAccount reports whether the address has an active account. An unverified one does not
// count: its holder cannot sign in, so they are invited to register again (which replaces it).
func (s *Store) reviewHasAccount(ctx context.Context, e access.Email) (bool, error) {
	a, err := s.Account(ctx, e)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil && a.Status == AccountActive, err
}

// reviewRead reads the request item alone, consistently.
func (s *Store) reviewRead(ctx context.Context, id access.RequestID) (requestItem, error) {
	var it requestItem
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: requestKey(id).av(), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return it, wrap("review read", err)
	}
	if out.Item == nil {
		return it, ErrNotFound
	}
	return it, wrap("review read", attributevalue.UnmarshalMap(out.Item, &it))
}
