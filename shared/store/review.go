package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
)

// Staff review. Each action is the request's own method (shared/access) applied to the request as
// read, written in one transaction with the emails its events ask for, conditioned on the version
// read (change): two reviewers deciding at once get one success and one ErrConflict. A decision
// the request's status does not allow is ErrConflict; an incomplete one is access.ErrIncomplete.

// Approve makes the request the access grant (design decision 4) and tells the requester. Whether
// they have an active account decides the email; the account's state is a condition of the write,
// so if it changes between the read and the write, the write is made again with the right email.
func (s *Store) Approve(ctx context.Context, id access.RequestID, a access.Approval) error {
	return errOf(s.change(ctx, id, "approve", func(r access.Request, _ []evidenceItem, now time.Time, t *tx) (access.Request, []access.Event, error) {
		has, err := s.hasAccount(ctx, r.Requester.Email)
		if err != nil {
			return r, nil, err
		}
		a.HasAccount = has
		check := "attribute_not_exists(PK) OR #st <> :active"
		if has {
			check = "#st = :active"
		}
		t.check(accountKey(r.Requester.Email), cond{expr: check, names: map[string]string{"#st": "Status"},
			values: map[string]types.AttributeValue{":active": str(string(AccountActive))}}, ErrConflict)
		return r.Approve(a, now)
	}))
}

// Reject refuses a request that is ready for review or waiting for more information.
func (s *Store) Reject(ctx context.Context, id access.RequestID, by access.Email, reason string) error {
	return errOf(s.change(ctx, id, "reject", func(r access.Request, _ []evidenceItem, now time.Time, _ *tx) (access.Request, []access.Event, error) {
		return r.Reject(by, reason, now)
	}))
}

// RequestInformation asks the requester for more (a new evidence round).
func (s *Store) RequestInformation(ctx context.Context, id access.RequestID, by access.Email, message string) error {
	return errOf(s.change(ctx, id, "request information", func(r access.Request, _ []evidenceItem, now time.Time, _ *tx) (access.Request, []access.Event, error) {
		return r.RequestInformation(by, message, now)
	}))
}

// RecordSecurityCheck adds a security check to the history of a request under review.
func (s *Store) RecordSecurityCheck(ctx context.Context, id access.RequestID, by access.Email, note string) error {
	return errOf(s.change(ctx, id, "security check", func(r access.Request, _ []evidenceItem, now time.Time, _ *tx) (access.Request, []access.Event, error) {
		return r.RecordSecurityCheck(by, note, now)
	}))
}

// EndAccess ends an approved request's grant at once: the grant keys leave both indexes, so no
// reader finds it any more.
func (s *Store) EndAccess(ctx context.Context, id access.RequestID, by access.Email, reason string) error {
	return errOf(s.change(ctx, id, "end access", func(r access.Request, _ []evidenceItem, now time.Time, _ *tx) (access.Request, []access.Event, error) {
		return r.EndAccess(by, reason, now)
	}))
}

// ChangeEndDate sets or removes the date a live grant's access ends: one conditional write.
func (s *Store) ChangeEndDate(ctx context.Context, id access.RequestID, by access.Email, endsOn string) error {
	return errOf(s.change(ctx, id, "change end date", func(r access.Request, _ []evidenceItem, now time.Time, _ *tx) (access.Request, []access.Event, error) {
		return r.ChangeEndDate(by, endsOn, now)
	}))
}

// errOf drops the request changed: a reviewer's action answers only whether it was recorded.
func errOf(_ access.Request, err error) error { return err }

// hasAccount reports whether the address has an active account. An unverified one does not
// count: its holder cannot sign in, so they are invited to register again (which replaces it).
func (s *Store) hasAccount(ctx context.Context, e access.Email) (bool, error) {
	a, err := s.Account(ctx, e)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil && a.Status == AccountActive, err
}
