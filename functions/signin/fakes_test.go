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
	codes    map[string]store.Code // by codeOf(address, browser)
	sessions map[string]store.Session
	limits   map[string]int // a limit's count per bucket, as the store's RATE# items
	queued   []mail.Message // verification emails queued
	writes   int            // state changes, so a test can say nothing changed
	calls    []string       // the store calls made, by method, in order (takeCalls)
}

func newMemStore(now func() time.Time) *memStore {
	return &memStore{now: now, accounts: map[access.Email]store.Account{}, codes: map[string]store.Code{},
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

func codeOf(e access.Email, browser string) string { return string(e) + "|" + browser }

// bucket is a limit's bucket that starts at start, as the store keys it.
func bucket(l store.Limit, start time.Time) string {
	return l.Kind + "|" + l.Key + "|" + l.Sub + "|" + start.String()
}

// count counts one against every limit, all or none, as the store's sliding windows do (the same
// arithmetic: store.Limit.Allowance); the first limit that allows none is the *LimitedError.
func (m *memStore) count(ls []store.Limit) error {
	if err := m.allows(ls); err != nil {
		return err
	}
	for _, l := range ls {
		m.limits[bucket(l, m.now().Truncate(l.Window))]++
	}
	return nil
}

// allows is count's check, counting nothing.
func (m *memStore) allows(ls []store.Limit) error {
	now := m.now()
	for _, l := range ls {
		start := now.Truncate(l.Window)
		if more, wait := l.Allowance(m.limits[bucket(l, start.Add(-l.Window))], m.limits[bucket(l, start)], now); more == 0 {
			return &store.LimitedError{Kind: l.Kind, RetryAfter: wait}
		}
	}
	return nil
}

func (m *memStore) Count(_ context.Context, ls ...store.Limit) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, "Count")
	return m.count(ls)
}

func (m *memStore) ResendVerification(_ context.Context, e access.Email, v mail.Message, l store.Limit) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, "ResendVerification")
	if err := m.allows([]store.Limit{l}); err != nil {
		return err
	}
	if a, ok := m.accounts[e]; !ok || a.Status != store.AccountUnverified {
		return store.ErrConflict
	}
	_ = m.count([]store.Limit{l})
	m.queued = append(m.queued, v)
	m.writes++
	return nil
}

// PutCode replaces the address's code for the browser (attempts start again), counted against the
// limits.
func (m *memStore) PutCode(_ context.Context, e access.Email, browser, hash string, ls ...store.Limit) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, "PutCode")
	if err := m.count(ls); err != nil {
		return err
	}
	now := m.now()
	m.codes[codeOf(e, browser)] = store.Code{Hash: hash, IssuedAt: now, ValidTo: now.Add(store.CodeTTL)}
	m.writes++
	return nil
}

func (m *memStore) TryCode(_ context.Context, e access.Email, browser string) (store.Code, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, "TryCode")
	c, ok := m.codes[codeOf(e, browser)]
	if !ok {
		return c, store.ErrNotFound
	}
	c.Attempts++
	m.codes[codeOf(e, browser)] = c
	return c, nil
}

// StartSession spends the code and starts the session if the code is the live, unused, unexpired
// one within its attempts and the account is active; otherwise ErrConflict and nothing changes.
func (m *memStore) StartSession(_ context.Context, browser, codeHash string, s store.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, "StartSession")
	c, ok := m.codes[codeOf(s.Email, browser)]
	_, exists := m.sessions[s.Hash]
	if !ok || c.Used || c.Hash != codeHash || !m.now().Before(c.ValidTo) || c.Attempts > store.CodeAttempts ||
		m.accounts[s.Email].Status != store.AccountActive || exists {
		return store.ErrConflict
	}
	c.Used = true
	m.codes[codeOf(s.Email, browser)] = c
	m.sessions[s.Hash] = s
	m.writes++
	return nil
}
