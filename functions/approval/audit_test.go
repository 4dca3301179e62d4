package main

import (
	"context"

	"github.com/council/cfp/shared/store"
)

// fakeTrail is the audit trail in memory; with err set, every write fails.
type fakeTrail struct {
	events []store.AuditEvent
	err    error
}

func (f *fakeTrail) Audit(_ context.Context, e store.AuditEvent) error {
	if f.err != nil {
		return f.err
	}
	f.events = append(f.events, e)
	return nil
}
