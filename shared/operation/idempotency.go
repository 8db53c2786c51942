package operation

import (
	"context"
	"errors"

	"cloudmarket/shared/store"
)

// What the HTTP layer needs of the store, named here so that it depends on
// the operations and never on the store. The types are the store's own: an
// alias costs nothing and cannot drift.
type (
	// IdempotencyClaim travels in the context of a request with an
	// Idempotency-Key; the operation's transaction records the reply.
	IdempotencyClaim = store.IdempotencyClaim
	// IdempotencyRecord is a key's first outcome.
	IdempotencyRecord = store.IdempotencyRecord
	// StoredReply is an outcome as stored: status and body bytes.
	StoredReply = store.Reply

	ApplicationQuery = store.ApplicationQuery
	ProductQuery     = store.ProductQuery
	EventQuery       = store.EventQuery
)

// WithIdempotency attaches a claim to ctx; ClaimFrom reads it back.
func WithIdempotency(ctx context.Context, c *IdempotencyClaim) context.Context {
	return store.WithIdempotency(ctx, c)
}

// ClaimFrom returns the claim attached to ctx, or nil.
func ClaimFrom(ctx context.Context) *IdempotencyClaim { return store.ClaimFrom(ctx) }

// Replay tells whether err means the key already held an outcome (the
// operation's work was rolled back), and returns that outcome.
func Replay(err error) (IdempotencyRecord, bool) {
	var r *store.Replayed
	if errors.As(err, &r) {
		return r.Record, true
	}
	return IdempotencyRecord{}, false
}

// LookupIdempotent returns a key's unexpired outcome; false when there is none.
func (s *Service) LookupIdempotent(ctx context.Context, caller, key string) (IdempotencyRecord, bool, error) {
	rec, err := s.Store.LookupIdempotent(ctx, caller, key, s.Clock.Now())
	if errors.Is(err, store.ErrNotFound) {
		return IdempotencyRecord{}, false, nil
	}
	return rec, err == nil, err
}

// RecordIdempotent stores the reply of an operation that wrote nothing.
func (s *Service) RecordIdempotent(ctx context.Context, c *IdempotencyClaim, reply StoredReply) error {
	return s.Store.RecordIdempotent(ctx, c, reply)
}
