package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// Tx is one operation's transaction: everything written through it, the audit
// events, the notification outbox and the idempotency record, commits together
// or not at all. Its body must have no effect outside the database: on MongoDB
// it is retried after a write conflict.
type Tx struct {
	ctx      lungo.ISessionContext
	s        *Store
	versions map[string]int64 // version of each document read, for conditional writes
}

// Transact runs fn in one transaction and returns its result. When ctx carries
// an idempotency claim (WithIdempotency) the claim's response is recorded in
// the same transaction.
func Transact[T any](ctx context.Context, s *Store, fn func(tx *Tx) (T, error)) (T, error) {
	claim := ClaimFrom(ctx)
	if claim != nil && (claim.recorded || claim.Render == nil) {
		claim = nil // already recorded, or the endpoint records it itself
	}
	var out T
	var reply Reply
	once := func() error {
		return s.client.UseSession(ctx, func(sc lungo.ISessionContext) error {
			_, err := sc.WithTransaction(sc, func(tc lungo.ISessionContext) (any, error) {
				tx := &Tx{ctx: tc, s: s, versions: map[string]int64{}}
				res, err := fn(tx)
				if err != nil {
					return nil, err
				}
				if claim != nil {
					if reply, err = claim.Render(res); err != nil {
						return nil, err
					}
					if err := tx.recordIdempotent(claim, reply); err != nil {
						return nil, err
					}
				}
				out = res
				return nil, nil
			})
			return err
		})
	}
	var err error
	for attempt := 0; attempt < conflictRetries; attempt++ {
		err = once()
		if errors.Is(err, errKeyTaken) && claim != nil {
			// The key holds a record: read it outside the aborted transaction
			// (MongoDB refuses reads in a transaction after a failed write).
			// Unexpired, the first outcome stands; expired, it is removed and
			// the operation runs again.
			err = s.settleTakenKey(ctx, claim)
			if err == nil {
				continue
			}
		}
		if !errors.Is(err, ErrConflict) {
			break
		}
	}
	if err != nil {
		var zero T
		return zero, err
	}
	if claim != nil {
		claim.recorded, claim.reply = true, reply
	}
	return out, nil
}

// conflictRetries bounds how often an operation is re-run after a concurrent
// writer changed one of its documents first (the body must be safe to re-run:
// it only touches the database).
const conflictRetries = 5

// Context is the transaction's context, for calls that need one.
func (tx *Tx) Context() context.Context { return tx.ctx }

func (tx *Tx) col(name string) lungo.ICollection { return tx.s.col(name) }

// load reads one document by id and remembers its version.
func (tx *Tx) load(col, id string, into any) error {
	return tx.loadBy(col, bson.M{"_id": id}, into)
}

// loadBy reads the document matching filter and remembers its version, so a
// later replace can check nobody changed it.
func (tx *Tx) loadBy(col string, filter bson.M, into any, opts ...*options.FindOneOptions) error {
	raw, err := tx.col(col).FindOne(tx.ctx, filter, opts...).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: read %s %v: %w", col, filter, err)
	}
	id, _ := raw.Lookup("_id").StringValueOK()
	if v, ok := raw.Lookup("version").AsInt64OK(); ok {
		tx.versions[col+"/"+id] = v
	}
	return bson.Unmarshal(raw, into)
}

// insert writes a new document at version 1.
func (tx *Tx) insert(col string, doc bson.D) error {
	doc = setField(doc, "version", int64(1))
	if _, err := tx.col(col).InsertOne(tx.ctx, doc); err != nil {
		return fmt.Errorf("store: insert into %s: %w", col, err)
	}
	return nil
}

// replace writes a document read earlier in this transaction, only if nobody
// changed it since (version check), and bumps its version.
func (tx *Tx) replace(col, id string, doc bson.D) error {
	v, ok := tx.versions[col+"/"+id]
	if !ok {
		return fmt.Errorf("store: replace %s %s that was not read in this transaction", col, id)
	}
	doc = setField(setField(doc, "_id", id), "version", v+1)
	res, err := tx.col(col).ReplaceOne(tx.ctx, bson.M{"_id": id, "version": v}, doc)
	if err != nil {
		return fmt.Errorf("store: write %s %s: %w", col, id, err)
	}
	if res.MatchedCount == 0 {
		return ErrConflict
	}
	tx.versions[col+"/"+id] = v + 1
	return nil
}
