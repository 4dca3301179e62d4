package main

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

// memStore keeps accounts, links, codes, sessions, grants, documents and audit events in memory,
// with the store's answers (the errors its conditions give) for the cases the pages meet. The page
// tests run over it; the JSON API's tests run over DynamoDB Local.
type memStore struct {
	mu        sync.Mutex
	now       func() time.Time
	tokens    map[string]store.Token
	accounts  map[access.Email]store.Account
	codes     map[access.Email]store.Code
	sessions  map[string]store.Session
	grants    []store.Grant
	documents []store.Document
	audits    []store.AuditEvent
	queued    []mail.Message // verification emails queued
	writes    int            // state changes, so a test can say nothing changed
}

func newMemStore(now func() time.Time) *memStore {
	return &memStore{now: now, tokens: map[string]store.Token{}, accounts: map[access.Email]store.Account{},
		codes: map[access.Email]store.Code{}, sessions: map[string]store.Session{}}
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

// use spends a single-use link, as the store's transactions do.
func (m *memStore) use(hash string) error {
	t, ok := m.tokens[hash]
	if !ok || !t.UsedAt.IsZero() || !m.now().Before(t.ExpiresAt) {
		return store.ErrLinkUsed
	}
	t.UsedAt = m.now()
	m.tokens[hash] = t
	return nil
}

func (m *memStore) Register(_ context.Context, hash string, a store.Account, v mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.accounts[a.Email]; ok && old.Status == store.AccountActive {
		return store.ErrConflict
	}
	if err := m.use(hash); err != nil {
		return err
	}
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
	if !ok {
		return store.ErrNotFound
	}
	if err := m.use(hash); err != nil {
		return err
	}
	a.Status, a.VerifiedAt = store.AccountActive, m.now()
	m.accounts[e] = a
	m.writes++
	return nil
}

func (m *memStore) ResendVerification(_ context.Context, e access.Email, v mail.Message, _ store.Limit) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.accounts[e].Status != store.AccountUnverified {
		return store.ErrConflict
	}
	m.queued = append(m.queued, v)
	m.writes++
	return nil
}

func (m *memStore) PutCode(_ context.Context, e access.Email, hash string, _ store.Limit) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.codes[e] = store.Code{Hash: hash, IssuedAt: now, ValidTo: now.Add(store.CodeTTL)}
	m.writes++
	return nil
}

func (m *memStore) TryCode(_ context.Context, e access.Email) (store.Code, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.codes[e]
	if !ok {
		return c, store.ErrNotFound
	}
	c.Attempts++
	m.codes[e] = c
	return c, nil
}

func (m *memStore) StartSession(_ context.Context, codeHash string, s store.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.codes[s.Email]
	if c.Used || c.Hash != codeHash || m.accounts[s.Email].Status != store.AccountActive {
		return store.ErrConflict
	}
	c.Used = true
	m.codes[s.Email] = c
	m.sessions[s.Hash] = s
	m.writes++
	return nil
}

func (m *memStore) Session(_ context.Context, hash string) (store.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
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

func (m *memStore) GrantsOf(_ context.Context, e access.Email) ([]store.Grant, error) {
	return m.grantsWhere(func(g store.Grant) bool { return g.Email == e }), nil
}

func (m *memStore) GrantFor(_ context.Context, e access.Email, ref string) ([]store.Grant, error) {
	return m.grantsWhere(func(g store.Grant) bool { return g.Email == e && g.ClientReference == ref }), nil
}

func (m *memStore) GranteesOf(_ context.Context, ref string) ([]store.Grant, error) {
	return m.grantsWhere(func(g store.Grant) bool { return g.ClientReference == ref }), nil
}

func (m *memStore) grantsWhere(f func(store.Grant) bool) []store.Grant {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Grant
	for _, g := range m.grants {
		if f(g) && !g.Ended {
			out = append(out, g)
		}
	}
	return out
}

// Documents pages newest first; its cursor is the index of the next page's first document, made
// for one client and type as the store's are.
func (m *memStore) Documents(_ context.Context, ref string, t store.DocumentType, cursor string, limit int) (store.DocumentPage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var all []store.Document
	for _, d := range m.documents {
		if d.ClientReference == ref && (t == "" || d.Type == t) {
			all = append(all, d)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].DocumentDate > all[j].DocumentDate })
	from := 0
	if cursor != "" {
		prefix := ref + "-" + string(t) + "-"
		n, err := strconv.Atoi(cursor[min(len(prefix), len(cursor)):])
		if len(cursor) <= len(prefix) || cursor[:len(prefix)] != prefix || err != nil || n < 0 || n > len(all) {
			return store.DocumentPage{}, store.ErrBadCursor
		}
		from = n
	}
	to := min(from+limit, len(all))
	p := store.DocumentPage{Documents: all[from:to]}
	if to < len(all) {
		p.Next = ref + "-" + string(t) + "-" + strconv.Itoa(to)
	}
	return p, nil
}

func (m *memStore) PublishedDocument(_ context.Context, id store.DocumentID) (store.Document, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range m.documents {
		if d.ID == id {
			return d, nil
		}
	}
	return store.Document{}, store.ErrNotFound
}

func (m *memStore) Suppressed(context.Context, access.Email) (store.Suppression, bool, error) {
	return store.Suppression{}, false, nil
}

func (m *memStore) Audit(_ context.Context, e store.AuditEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.audits = append(m.audits, e)
	return nil
}

func (m *memStore) changes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writes
}

// pages is a handler over a memStore, with a clock tests can move.
type pages struct {
	h    Handler
	s    *memStore
	mail *fakeMailer
	at   time.Time
}

func newPages() *pages {
	p := &pages{mail: &fakeMailer{}, at: time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return p.at }
	p.s = newMemStore(clock)
	p.h = Handler{
		Accounts: p.s, Sessions: p.s, Portal: p.s, Mailer: p.mail, Files: fakeFiles{},
		Origin: origin, Bases: mail.Bases{Portal: origin},
		Brand: brand.Sample(), Insecure: true,
		Now: clock, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
	return p
}
