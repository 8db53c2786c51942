// Package store keeps the marketplace's documents in MongoDB. It is written once
// against lungo.IClient: the embedded lungo engine (a file under .data/, or memory
// in tests) locally, the real driver when MONGODB_URI is set (DESIGN.md).
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// Collection names.
const (
	colApplications  = "applications"
	colProviders     = "providers"
	colOrganisations = "organisations"
	colEvents        = "events"
	colNotifications = "notifications"
	colIdempotency   = "idempotency"
	colEntries       = "deposit_entries"
	colCounters      = "counters"
	colChanges       = "provider_changes"
	colProducts      = "products"
	colOrders        = "orders"
	colPayments      = "payment_notifications"
	colDeadLetters   = "dead_letters"
)

// Store is the database handle shared by every operation of a function.
type Store struct {
	client lungo.IClient
	db     lungo.IDatabase
	close  func(context.Context) error
}

// OpenMemory opens an empty in-memory engine (tests).
func OpenMemory(ctx context.Context) (*Store, error) {
	return openEngine(ctx, lungo.NewMemoryStore())
}

// OpenFile opens the embedded engine on a single file, creating its folder.
// Data written before survives a restart.
func OpenFile(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return openEngine(ctx, lungo.NewFileStore(path, 0o644))
}

func openEngine(ctx context.Context, backing lungo.Store) (*Store, error) {
	client, engine, err := lungo.Open(ctx, lungo.Options{Store: backing, ExpireInterval: time.Minute})
	if err != nil {
		return nil, fmt.Errorf("store: open embedded engine: %w", err)
	}
	s := &Store{client: client, db: client.Database("cloudmarket"), close: func(context.Context) error { engine.Close(); return nil }}
	if err := s.ensureIndexes(ctx); err != nil {
		engine.Close()
		return nil, err
	}
	return s, nil
}

// Connect opens a real MongoDB deployment (a replica set: transactions need one).
func Connect(ctx context.Context, uri, database string) (*Store, error) {
	client, err := lungo.Connect(ctx, options.Client().ApplyURI(uri))
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	s := &Store{client: client, db: client.Database(database), close: client.Disconnect}
	if err := s.ensureIndexes(ctx); err != nil {
		_ = client.Disconnect(ctx)
		return nil, err
	}
	return s, nil
}

// Close releases the engine or connection.
func (s *Store) Close(ctx context.Context) error { return s.close(ctx) }

func (s *Store) col(name string) lungo.ICollection { return s.db.Collection(name) }

// indexes declares every index a timer or list query relies on, plus the
// uniqueness rules. Creating an existing index is a no-op, so every cold start
// may run it.
var indexes = map[string][]mongo.IndexModel{
	colApplications: {
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "reviewDueAt", Value: 1}, {Key: "_id", Value: 1}}}, // review queue, overdue sweep
		{Keys: bson.D{{Key: "reviewDueAt", Value: 1}, {Key: "_id", Value: 1}}},                            // queue without status filter
		{Keys: bson.D{{Key: "accountId", Value: 1}}},
	},
	colProviders: {
		{Keys: bson.D{{Key: "accountId", Value: 1}}},
		{Keys: bson.D{{Key: "applicationId", Value: 1}}, Options: options.Index().SetUnique(true)},
		{Keys: bson.D{{Key: "deposit.topUpDueAt", Value: 1}, {Key: "deposit.storeClosed", Value: 1}}}, // R-DP5 sweep
		{Keys: bson.D{{Key: "deposit.returnDueAt", Value: 1}}},                                        // R-DP6 sweep
	},
	colEntries: {
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "_id", Value: 1}}},
		// The same transfer reference records once (R-DP2), even concurrently.
		{Keys: bson.D{{Key: "reference", Value: 1}}, Options: options.Index().SetUnique(true).SetPartialFilterExpression(bson.M{"kind": "payment"})},
	},
	colProducts: {
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "status", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "visible", Value: 1}, {Key: "_id", Value: 1}}},                                  // what buyers browse
		{Keys: bson.D{{Key: "inReview", Value: 1}, {Key: "submittedAt", Value: 1}, {Key: "_id", Value: 1}}}, // review queue
	},
	colOrders: {
		{Keys: bson.D{{Key: "outTradeNo", Value: 1}}, Options: options.Index().SetUnique(true)},
		{Keys: bson.D{{Key: "redemptionCode", Value: 1}}, Options: options.Index().SetUnique(true).SetPartialFilterExpression(bson.M{"redemptionCode": bson.M{"$exists": true}})},
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "startDueAt", Value: 1}}},         // R-SV2 sweep
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "reviewPeriodEndsAt", Value: 1}}}, // completion sweep
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "expiresAt", Value: 1}}},          // unpaid expiry sweep
		{Keys: bson.D{{Key: "buyerAccount", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "status", Value: 1}}},
	},
	colDeadLetters: {
		{Keys: bson.D{{Key: "at", Value: 1}}},
	},
	colChanges: {
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "_id", Value: 1}}},
	},
	colEvents: {
		{Keys: bson.D{{Key: "providerId", Value: 1}, {Key: "_id", Value: 1}}},
		{Keys: bson.D{{Key: "subject", Value: 1}, {Key: "_id", Value: 1}}},
	},
	colNotifications: {
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "createdAt", Value: 1}}}, // outbox sweep
	},
	colIdempotency: {
		{Keys: bson.D{{Key: "expireAt", Value: 1}}, Options: options.Index().SetExpireAfterSeconds(0)},
	},
}

func (s *Store) ensureIndexes(ctx context.Context) error {
	for col, models := range indexes {
		if _, err := s.col(col).Indexes().CreateMany(ctx, models); err != nil {
			return fmt.Errorf("store: indexes of %s: %w", col, err)
		}
	}
	return nil
}

// ErrNotFound is returned when a document does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict means a concurrent writer changed a document first; the
// operation may be retried.
var ErrConflict = errors.New("store: concurrent update")

// IsDuplicate tells whether err is a unique-index violation, on either engine.
func IsDuplicate(err error) bool {
	return mongo.IsDuplicateKeyError(err) || lungo.IsUniquenessError(err)
}

// ms truncates to the stored precision, so what is read back equals what was
// written.
func ms(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Millisecond)
}

func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	m := ms(t)
	return &m
}
