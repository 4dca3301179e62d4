package store

import (
	"context"
	"time"

	"github.com/council/cfp/shared/access"
)

// ForceStatus puts a request in a status directly, past the transitions table: test set-up only
// (a withdrawn request, a request moved on as scanning would move it).
func (s *Store) ForceStatus(ctx context.Context, id access.RequestID, to access.Status) error {
	_, err := s.change(ctx, id, "force status", func(r access.Request, _ []evidenceItem, now time.Time, _ *tx) (access.Request, []access.Event, error) {
		if to == access.Scanning {
			r.SubmittedAt = now
		}
		r.Status, r.UpdatedAt = to, now
		return r, nil, nil
	})
	return err
}
