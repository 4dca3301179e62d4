package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

// memStore keeps accounts, links, codes, sessions, rate limits, suppressions, grants, documents and
// audit events in memory, and answers as shared/store does: the same errors for the same failed
// conditions, checked in the order of the store's transaction items (the first that fails names the
// error), and nothing changed when any fails. Every test of this package runs over it; that the real
// store keeps these promises against DynamoDB is shared/store's tests' to show.
type memStore struct {
	mu         sync.Mutex
	now        func() time.Time
	tokens     map[string]store.Token
	accounts   map[access.Email]store.Account
	codes      map[access.Email]store.Code
	sessions   map[string]store.Session
	suppressed map[access.Email]store.Suppression
	grants     []store.Grant
	documents  []store.Document
	cursors    map[string]memCursor // the cursors handed out: any other is the store's ErrBadCursor
	audits     []store.AuditEvent
	queued     []mail.Message // verification emails queued
	writes     int            // state changes, so a test can say nothing changed
	reads      map[string]int // the signed-in reads and audit writes asked for, by method (each one DynamoDB request in the store)
	failAudit  error          // what Audit answers instead of writing, when set
}

// memCursor is where a handed-out cursor continues, and the list it belongs to.
type memCursor struct {
	ref  string
	t    store.DocumentType
	from int
}

func newMemStore(now func() time.Time) *memStore {
	return &memStore{now: now, tokens: map[string]store.Token{}, accounts: map[access.Email]store.Account{},
		codes: map[access.Email]store.Code{}, sessions: map[string]store.Session{}, suppressed: map[access.Email]store.Suppression{}, cursors: map[string]memCursor{}, reads: map[string]int{}}
}

// PutToken stores a minted link token, as the notifier does when it sends the email.
func (m *memStore) PutToken(_ context.Context, t store.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.tokens[t.Hash]; ok {
		return errors.New("memstore: token exists")
	}
	m.tokens[t.Hash] = t
	return nil
}

func (m *memStore) Token(_ context.Context, hash string, p mail.Purpose) (store.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[hash]
	if !ok || t.Purpose != p {
		return store.Token{}, store.ErrNotFound
	}
	return t, nil
}

func (m *memStore) Account(_ context.Context, e access.Email) (store.Account, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.accounts[e]
	if !ok {
		return a, store.ErrNotFound
	}
	return a, nil
}

// usable is the store's condition on spending a single-use link: it exists, is unused and unexpired.
func (m *memStore) usable(hash string) error {
	t, ok := m.tokens[hash]
	if !ok || !t.UsedAt.IsZero() || !m.now().Before(t.ExpiresAt) {
		return store.ErrLinkUsed
	}
	return nil
}

func (m *memStore) use(hash string) {
	t := m.tokens[hash]
	t.UsedAt = m.now()
	m.tokens[hash] = t
}

// first is the error of the first failed condition, as the store's transactions answer.
func first(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (m *memStore) Register(_ context.Context, hash string, a store.Account, v mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var active error
	if old, ok := m.accounts[a.Email]; ok && old.Status != store.AccountUnverified {
		active = store.ErrConflict
	}
	if err := first(m.usable(hash), active); err != nil {
		return err
	}
	m.use(hash)
	a.Status = store.AccountUnverified
	m.accounts[a.Email] = a
	m.queued = append(m.queued, v)
	m.writes++
	return nil
}

func (m *memStore) Activate(_ context.Context, hash string, e access.Email) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.accounts[e]
	var missing error
	if !ok {
		missing = store.ErrNotFound
	}
	if err := first(m.usable(hash), missing); err != nil {
		return err
	}
	m.use(hash)
	a.Status, a.VerifiedAt = store.AccountActive, m.now()
	m.accounts[e] = a
	m.writes++
	return nil
}

// startSession stores a session for an active account as functions/signin starts one, and
// returns its token.
func (m *memStore) startSession(e access.Email) secret.Secret {
	m.mu.Lock()
	defer m.mu.Unlock()
	tok, now := secret.New(), m.now()
	m.sessions[tok.Hash()] = store.Session{Hash: tok.Hash(), Email: e, Name: m.accounts[e].Name, CreatedAt: now, LastSeen: now}
	return tok
}

func (m *memStore) Session(_ context.Context, hash string) (store.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads["Session"]++
	s, ok := m.sessions[hash]
	now := m.now()
	if !ok || !now.Before(s.LastSeen.Add(store.SessionIdle)) || !now.Before(s.EndsAt()) {
		return store.Session{}, store.ErrNotFound
	}
	s.LastSeen = now
	m.sessions[hash] = s
	return s, nil
}

func (m *memStore) EndSession(_ context.Context, hash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, hash)
	m.writes++
	return nil
}

// Suppress records a bounce or complaint for an address, as the bounce handler does.
func (m *memStore) Suppress(_ context.Context, e access.Email, why store.Suppression) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.suppressed[access.NormaliseEmail(string(e))] = why
	return nil
}

func (m *memStore) Suppressed(_ context.Context, e access.Email) (store.Suppression, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads["Suppressed"]++
	why, ok := m.suppressed[access.NormaliseEmail(string(e))]
	return why, ok, nil
}

// addGrant records a grant as approval leaves it: the requester's address and name, the client,
// starting now.
func (m *memStore) addGrant(g store.Grant) access.RequestID {
	m.mu.Lock()
	defer m.mu.Unlock()
	if g.RequestID == "" {
		g.RequestID = access.NewRequestID()
	}
	if g.Start.IsZero() {
		g.Start = m.now()
	}
	g.Email = access.NormaliseEmail(string(g.Email))
	m.grants = append(m.grants, g)
	return g.RequestID
}

// EndAccess ends a grant at once, as a reviewer does: no reader finds it any more.
func (m *memStore) EndAccess(_ context.Context, id access.RequestID, _ access.Email, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, g := range m.grants {
		if g.RequestID == id && !g.Ended {
			m.grants[i].Ended = true
			return nil
		}
	}
	return store.ErrNotFound
}

func (m *memStore) GrantsOf(_ context.Context, e access.Email) ([]store.Grant, error) {
	return m.grantsWhere("GrantsOf", func(g store.Grant) bool { return g.Email == e }), nil
}

func (m *memStore) GrantFor(_ context.Context, e access.Email, ref string) ([]store.Grant, error) {
	return m.grantsWhere("GrantFor", func(g store.Grant) bool { return g.Email == e && g.ClientReference == ref }), nil
}

func (m *memStore) GranteesOf(_ context.Context, ref string) ([]store.Grant, error) {
	return m.grantsWhere("GranteesOf", func(g store.Grant) bool { return g.ClientReference == ref }), nil
}

// grantsWhere leaves ended grants out, as the store's indexes do.
func (m *memStore) grantsWhere(op string, f func(store.Grant) bool) []store.Grant {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads[op]++
	var out []store.Grant
	for _, g := range m.grants {
		if f(g) && !g.Ended {
			out = append(out, g)
		}
	}
	return out
}

// publish adds documents as publishing leaves them.
func (m *memStore) publish(docs ...store.Document) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.documents = append(m.documents, docs...)
}

// Documents pages a client's current documents newest first (by date, then publication, then id,
// as the store's sort key orders them). A cursor is good only for the list it was made for; one
// this store did not hand out, or handed out for another client or type, is ErrBadCursor.
func (m *memStore) Documents(_ context.Context, ref string, t store.DocumentType, cursor string, limit int) (store.DocumentPage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads["Documents"]++
	limit = min(max(limit, 1), store.MaxPage)
	var all []store.Document
	for _, d := range m.documents {
		if d.ClientReference == ref && (t == "" || d.Type == t) && d.Current() {
			all = append(all, d)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.DocumentDate != b.DocumentDate {
			return a.DocumentDate > b.DocumentDate
		}
		if !a.PublishedAt.Equal(b.PublishedAt) {
			return a.PublishedAt.After(b.PublishedAt)
		}
		return a.ID > b.ID
	})
	from := 0
	if cursor != "" {
		c, ok := m.cursors[cursor]
		if !ok || c.ref != ref || c.t != t {
			return store.DocumentPage{}, store.ErrBadCursor
		}
		from = min(c.from, len(all))
	}
	to := min(from+limit, len(all))
	p := store.DocumentPage{Documents: all[from:to]}
	if to < len(all) {
		p.Next = fmt.Sprintf("mem-cursor-%08d", len(m.cursors)+1)
		m.cursors[p.Next] = memCursor{ref: ref, t: t, from: to}
	}
	return p, nil
}

func (m *memStore) PublishedDocument(_ context.Context, id store.DocumentID) (store.Document, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads["PublishedDocument"]++
	for _, d := range m.documents {
		if d.ID == id && d.Current() {
			return d, nil
		}
	}
	return store.Document{}, store.ErrNotFound
}

// Audit records an event, filling in a missing id and time as the store does.
func (m *memStore) Audit(_ context.Context, e store.AuditEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads["Audit"]++
	if m.failAudit != nil {
		return m.failAudit
	}
	if e.ID == "" {
		e.ID = access.NewID("a")
	}
	if e.At.IsZero() {
		e.At = m.now()
	}
	e.At = e.At.UTC()
	m.audits = append(m.audits, e)
	return nil
}

// AuditOfClient and AuditOfPerson read the audit trail back, newest first, as the store does.
func (m *memStore) AuditOfClient(_ context.Context, ref string, limit int) ([]store.AuditEvent, error) {
	return m.auditWhere(func(e store.AuditEvent) bool { return e.ClientReference == ref }, limit), nil
}

func (m *memStore) AuditOfPerson(_ context.Context, who access.Email, limit int) ([]store.AuditEvent, error) {
	return m.auditWhere(func(e store.AuditEvent) bool { return e.Email == who }, limit), nil
}

func (m *memStore) auditWhere(f func(store.AuditEvent) bool, limit int) []store.AuditEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.AuditEvent
	for i := len(m.audits) - 1; i >= 0 && len(out) < max(limit, 1); i-- {
		if f(m.audits[i]) {
			out = append(out, m.audits[i])
		}
	}
	return out
}

// mailQueued is what the store's outbox holds: the verification emails queued so far.
func (m *memStore) mailQueued() []mail.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]mail.Message(nil), m.queued...)
}

// readsSince returns the reads made since the last call, and starts counting again.
func (m *memStore) readsSince() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.reads
	m.reads = map[string]int{}
	return r
}

func (m *memStore) changes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writes
}

// pages is a handler over a memStore, with a clock tests can move.
type pages struct {
	h  Handler
	s  *memStore
	at time.Time
}

func newPages() *pages {
	p := &pages{at: time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return p.at }
	p.s = newMemStore(clock)
	p.h = newHandler(p.s, clock)
	p.h.Brand, p.h.Insecure = brand.Sample(), true
	return p
}
