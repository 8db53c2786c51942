// Package store keeps the marketplace's documents in MongoDB. It is written once
// against lungo.IClient: the embedded lungo engine (a file under .data/, or memory
// in tests) locally, the real driver when MONGODB_URI is set (DESIGN.md).
package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cloudmarket/shared/journal"
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
	return openEngine(ctx, lungo.NewMemoryStore(), func() error { return nil })
}

// OpenFile opens the embedded engine on a journal directory (shared/journal):
// each commit appends its changes there and is on disk before it returns.
// One process at a time may hold it; Close releases it.
func OpenFile(ctx context.Context, path string) (*Store, error) {
	if info, err := os.Stat(path); err == nil && !info.IsDir() {
		return nil, fmt.Errorf("store: %s is a single-file store of an earlier version; move it away (a journal directory goes there now)", path)
	}
	j, err := journal.Open(path, journal.Options{})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return openEngine(ctx, j, j.Close)
}

func openEngine(ctx context.Context, backing lungo.Store, release func() error) (*Store, error) {
	client, engine, err := lungo.Open(ctx, lungo.Options{
		Store: backing, ExpireInterval: time.Minute,
		// Nothing here reads the oplog, yet the engine copies it on every
		// write: keep it short. The journal reads the entries since its last
		// commit and falls back to comparing collections when a commit
		// outgrows this.
		MinOplogSize: 64, MaxOplogSize: 64, MinOplogAge: time.Second, MaxOplogAge: time.Second,
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("store: open embedded engine: %w", err), release())
	}
	closeAll := func(context.Context) error { engine.Close(); return release() }
	s := &Store{client: client, db: client.Database("cloudmarket"), close: closeAll}
	if err := s.ensureIndexes(ctx); err != nil {
		return nil, errors.Join(err, closeAll(ctx))
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

// ensureIndexes creates the declared indexes that are missing, so a cold
// start on an existing store writes nothing.
func (s *Store) ensureIndexes(ctx context.Context) error {
	for col, models := range indexes {
		cur, err := s.col(col).Indexes().List(ctx)
		if err != nil {
			return fmt.Errorf("store: indexes of %s: %w", col, err)
		}
		var specs []struct {
			Name string `bson:"name"`
		}
		if err := cur.All(ctx, &specs); err != nil {
			return fmt.Errorf("store: indexes of %s: %w", col, err)
		}
		have := map[string]bool{}
		for _, spec := range specs {
			have[spec.Name] = true
		}
		missing := slices.DeleteFunc(slices.Clone(models), func(m mongo.IndexModel) bool { return have[indexName(m)] })
		if len(missing) == 0 {
			continue
		}
		if _, err := s.col(col).Indexes().CreateMany(ctx, missing); err != nil {
			return fmt.Errorf("store: indexes of %s: %w", col, err)
		}
	}
	return nil
}

// indexName is the name MongoDB and lungo give an index that has none:
// "status_1_reviewDueAt_1".
func indexName(m mongo.IndexModel) string {
	if m.Options != nil && m.Options.Name != nil {
		return *m.Options.Name
	}
	keys, _ := m.Keys.(bson.D)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s_%v", k.Key, k.Value))
	}
	return strings.Join(parts, "_")
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
