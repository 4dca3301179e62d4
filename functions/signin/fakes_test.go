package main

import (
	"context"
	"sync"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

// memStore keeps accounts, codes, sessions, rate limits and queued verification emails in memory,
// and answers as shared/store does: the same errors for the same failed conditions, and nothing
// changed when any fails. That the real store keeps these promises against DynamoDB is
// shared/store's tests' to show.
type memStore struct {
	mu       sync.Mutex
	now      func() time.Time
	accounts map[access.Email]store.Account
	codes    map[access.Email]store.Code
	sessions map[string]store.Session
	limits   map[string]int // a limit's count per window, as the store's RATE# items
	queued   []mail.Message // verification emails queued
	writes   int            // state changes, so a test can say nothing changed
	calls    []string       // the store calls made, by method, in order (takeCalls)
}

func newMemStore(now func() time.Time) *memStore {
	return &memStore{now: now, accounts: map[access.Email]store.Account{}, codes: map[access.Email]store.Code{},
		sessions: map[string]store.Session{}, limits: map[string]int{}}
}

// takeCalls returns the store calls made since the last takeCalls: what a stranger could time, so
// the oracle tests compare them between addresses.
func (m *memStore) takeCalls() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.calls
	m.calls = nil
	return c
}

func (m *memStore) changes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writes
}

func (m *memStore) mailQueued() []mail.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]mail.Message(nil), m.queued...)
}

func (m *memStore) Account(_ context.Context, e access.Email) (store.Account, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, "Account")
	a, ok := m.accounts[e]
	if !ok {
		return a, store.ErrNotFound
	}
	return a, nil
}

// limitKey is the window a limit counts in now, as the store keys it.
func (m *memStore) limitKey(l store.Limit) string {
	return l.Kind + "|" + l.Key + "|" + m.now().Truncate(l.Window).String()
}

// within is the store's condition on counting one against a limit.
func (m *memStore) within(l store.Limit) error {
	if m.limits[m.limitKey(l)] >= l.Max {
		return store.ErrLimited
	}
	return nil
}

func (m *memStore) ResendVerification(_ context.Context, e access.Email, v mail.Message, l store.Limit) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, "ResendVerification")
	if err := m.within(l); err != nil {
		return err
	}
	if a, ok := m.accounts[e]; !ok || a.Status != store.AccountUnverified {
		return store.ErrConflict
	}
	m.limits[m.limitKey(l)]++
	m.queued = append(m.queued, v)
	m.writes++
	return nil
}

// PutCode replaces the address's code (attempts start again), counted against the limit.
func (m *memStore) PutCode(_ context.Context, e access.Email, hash string, l store.Limit) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, "PutCode")
	if err := m.within(l); err != nil {
		return err
	}
	m.limits[m.limitKey(l)]++
	now := m.now()
	m.codes[e] = store.Code{Hash: hash, IssuedAt: now, ValidTo: now.Add(store.CodeTTL)}
	m.writes++
	return nil
}

func (m *memStore) TryCode(_ context.Context, e access.Email) (store.Code, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, "TryCode")
	c, ok := m.codes[e]
	if !ok {
		return c, store.ErrNotFound
	}
	c.Attempts++
	m.codes[e] = c
	return c, nil
}

// StartSession spends the code and starts the session if the code is the live, unused, unexpired
// one within its attempts and the account is active; otherwise ErrConflict and nothing changes.
func (m *memStore) StartSession(_ context.Context, codeHash string, s store.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, "StartSession")
	c, ok := m.codes[s.Email]
	_, exists := m.sessions[s.Hash]
	if !ok || c.Used || c.Hash != codeHash || !m.now().Before(c.ValidTo) || c.Attempts > store.CodeAttempts ||
		m.accounts[s.Email].Status != store.AccountActive || exists {
		return store.ErrConflict
	}
	c.Used = true
	m.codes[s.Email] = c
	m.sessions[s.Hash] = s
	m.writes++
	return nil
}
