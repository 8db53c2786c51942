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
