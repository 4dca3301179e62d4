package main

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

// table is an in-memory Outbox, Notices and Feedback that keeps the store's conditions: an email is
// claimed by one run only, and only the run holding the claim retries, parks or suppresses it; a
// notice becomes an email only if no document arrived since it was read. shared/store's own tests
// show the store keeps them (against DynamoDB Local). It answers as a cancelled request would once
// the run's context has ended.
type table struct {
	mu         sync.Mutex
	now        func() time.Time
	mail       map[string]*queuedMail
	notices    map[access.Email]store.Notice
	tokens     map[string]store.Token
	suppressed map[access.Email]store.Suppression
}

type queuedMail struct {
	msg      mail.Message
	attempts int
	due      time.Time // the claim: a run holds it while this is the DueAt it claimed with
	status   string    // queued, sent, parked, suppressed
}

func newTable(now func() time.Time) *table {
	return &table{now: now, mail: map[string]*queuedMail{}, notices: map[access.Email]store.Notice{},
		tokens: map[string]store.Token{}, suppressed: map[access.Email]store.Suppression{}}
}

func (t *table) lock(ctx context.Context) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t.mu.Lock()
	return t.mu.Unlock, nil
}

func (t *table) DueMail(ctx context.Context, limit int) ([]store.Queued, error) {
	unlock, err := t.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var due []store.Queued
	for _, m := range t.mail {
		if m.status == "queued" && !m.due.After(t.now()) {
			due = append(due, store.Queued{Message: m.msg, Attempts: m.attempts, DueAt: m.due})
		}
	}
	slices.SortFunc(due, func(a, b store.Queued) int {
		return cmp.Or(a.DueAt.Compare(b.DueAt), cmp.Compare(a.ID, b.ID))
	})
	return due[:min(len(due), limit)], nil
}

// held returns the email if q's claim on it still holds.
func (t *table) held(q store.Queued) (*queuedMail, error) {
	m := t.mail[q.ID]
	if m == nil || m.status != "queued" || !m.due.Equal(q.DueAt) {
		return nil, store.ErrConflict
	}
	return m, nil
}

func (t *table) ClaimMail(ctx context.Context, q *store.Queued, lease time.Duration) error {
	unlock, err := t.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	m, err := t.held(*q)
	if err != nil {
		return err
	}
	m.attempts++
	m.due = t.now().Add(lease)
	q.Attempts, q.DueAt = m.attempts, m.due
	return nil
}

func (t *table) MailSent(ctx context.Context, q store.Queued, _ string) error {
	unlock, err := t.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	t.mail[q.ID].status = "sent" // unconditional, as in the store: the email has gone
	return nil
}

func (t *table) MailRetry(ctx context.Context, q store.Queued, next time.Time, _ string) error {
	unlock, err := t.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	m, err := t.held(q)
	if err != nil {
		return err
	}
	m.due = next
	return nil
}

func (t *table) MailParked(ctx context.Context, q store.Queued, _ string) error {
	return t.end(ctx, q, "parked")
}

func (t *table) MailSuppressed(ctx context.Context, q store.Queued) error {
	return t.end(ctx, q, "suppressed")
}

func (t *table) end(ctx context.Context, q store.Queued, status string) error {
	unlock, err := t.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	m, err := t.held(q)
	if err != nil {
		return err
	}
	m.status = status
	return nil
}

func (t *table) PutToken(ctx context.Context, tok store.Token) error {
	unlock, err := t.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if _, ok := t.tokens[tok.Hash]; ok {
		return errors.New("a token with that hash exists")
	}
	t.tokens[tok.Hash] = tok
	return nil
}

func (t *table) Suppressed(ctx context.Context, e access.Email) (store.Suppression, bool, error) {
	unlock, err := t.lock(ctx)
	if err != nil {
		return store.Suppression{}, false, err
	}
	defer unlock()
	why, ok := t.suppressed[access.NormaliseEmail(string(e))]
	return why, ok, nil
}

func (t *table) Suppress(ctx context.Context, e access.Email, why store.Suppression) error {
	unlock, err := t.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	t.suppressed[access.NormaliseEmail(string(e))] = why
	return nil
}

func (t *table) DueNotices(ctx context.Context, quiet, maxDelay time.Duration, limit int) ([]store.Notice, error) {
	unlock, err := t.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	now := t.now()
	var due []store.Notice
	for _, n := range t.notices {
		if !n.LastAt.After(now.Add(-quiet)) || !n.FirstAt.After(now.Add(-maxDelay)) {
			due = append(due, n)
		}
	}
	slices.SortFunc(due, func(a, b store.Notice) int {
		return cmp.Or(a.FirstAt.Compare(b.FirstAt), cmp.Compare(a.Email, b.Email))
	})
	return due[:min(len(due), limit)], nil
}

func (t *table) SendNotice(ctx context.Context, n store.Notice) (store.MailID, error) {
	unlock, err := t.lock(ctx)
	if err != nil {
		return "", err
	}
	defer unlock()
	id := "n-" + string(n.Email) + "-" + n.FirstAt.Format(time.RFC3339Nano)
	cur, ok := t.notices[n.Email]
	if !ok || cur.Count != n.Count || !cur.FirstAt.Equal(n.FirstAt) || t.mail[id] != nil {
		return "", store.ErrConflict
	}
	delete(t.notices, n.Email)
	t.queue(mail.Message{ID: id, To: n.Email, Template: mail.NewDocuments})
	return store.MailID(id), nil
}

// What the tests arrange and read, as other functions and the store's own readers would.

// QueueMail queues emails, each once.
func (t *table) QueueMail(msgs ...mail.Message) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range msgs {
		if t.mail[m.ID] == nil {
			t.queue(m)
		}
	}
}

func (t *table) queue(m mail.Message) {
	t.mail[m.ID] = &queuedMail{msg: m, due: t.now(), status: "queued"}
}

// publish adds a document to each recipient's notice, as publish-document does.
func (t *table) publish(to ...access.Email) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, e := range to {
		e = access.NormaliseEmail(string(e))
		n, ok := t.notices[e]
		if !ok {
			n = store.Notice{Email: e, FirstAt: now}
		}
		n.Count++
		n.LastAt = now
		t.notices[e] = n
	}
}

// MailStatus returns an email's status and attempts.
func (t *table) MailStatus(id string) (string, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if m := t.mail[id]; m != nil {
		return m.status, m.attempts
	}
	return "", 0
}

// Token returns the token stored under hash, for that purpose.
func (t *table) Token(hash string, p mail.Purpose) (store.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tok, ok := t.tokens[hash]
	if !ok || tok.Purpose != p {
		return store.Token{}, store.ErrNotFound
	}
	return tok, nil
}

// Backlog counts the pending notices and the emails still in the outbox.
func (t *table) Backlog() (notices, queued int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range t.mail {
		if m.status == "queued" {
			queued++
		}
	}
	return len(t.notices), queued
}
