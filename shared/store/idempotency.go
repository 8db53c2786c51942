package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
)

// IdempotencyTTL is how long a key is kept (API.md: at least 24 hours).
const IdempotencyTTL = 48 * time.Hour

// Reply is a stored response.
type Reply struct {
	Status int
	Body   []byte
}

// IdempotencyRecord is a key's first outcome.
type IdempotencyRecord struct {
	RequestHash string
	Reply       Reply
	CreatedAt   time.Time
}

// IdempotencyClaim travels in the context of a request that carries an
// Idempotency-Key: the transaction that does the work also records the reply,
// rendered from the operation's result by Render.
type IdempotencyClaim struct {
	Caller, Key, RequestHash string
	Now                      time.Time
	// Render turns the operation's result into the reply; set by the endpoint
	// before it runs the operation.
	Render   func(result any) (Reply, error)
	recorded bool
	reply    Reply
}

// Recorded returns the reply a transaction stored for this claim, if any, so
// the live response and every replay are the same bytes.
func (c *IdempotencyClaim) Recorded() (Reply, bool) { return c.reply, c.recorded }

type claimKey struct{}

// WithIdempotency attaches a claim to ctx.
func WithIdempotency(ctx context.Context, c *IdempotencyClaim) context.Context {
	return context.WithValue(ctx, claimKey{}, c)
}

// ClaimFrom returns the claim attached to ctx, or nil.
func ClaimFrom(ctx context.Context) *IdempotencyClaim {
	c, _ := ctx.Value(claimKey{}).(*IdempotencyClaim)
	return c
}

func idempotencyID(caller, key string) string {
	sum := sha256.Sum256([]byte(caller + "\x00" + key))
	return hex.EncodeToString(sum[:])
}

type idempotencyDoc struct {
	Caller      string    `bson:"caller"`
	Key         string    `bson:"key"`
	RequestHash string    `bson:"requestHash"`
	Status      int       `bson:"status"`
	Body        []byte    `bson:"body"`
	CreatedAt   time.Time `bson:"createdAt"`
	ExpireAt    time.Time `bson:"expireAt"`
}

// LookupIdempotent returns the stored outcome of a key, or ErrNotFound. A
// record expired by the functions' clock counts as absent.
func (s *Store) LookupIdempotent(ctx context.Context, caller, key string, now time.Time) (IdempotencyRecord, error) {
	var d idempotencyDoc
	err := s.col(colIdempotency).FindOne(ctx, bson.M{"_id": idempotencyID(caller, key)}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) || (err == nil && !now.Before(d.ExpireAt)) {
		return IdempotencyRecord{}, ErrNotFound
	}
	if err != nil {
		return IdempotencyRecord{}, fmt.Errorf("store: idempotency lookup: %w", err)
	}
	return d.record(), nil
}

func (d idempotencyDoc) record() IdempotencyRecord {
	return IdempotencyRecord{RequestHash: d.RequestHash, Reply: Reply{Status: d.Status, Body: d.Body}, CreatedAt: d.CreatedAt}
}

// Replayed aborts a transaction whose Idempotency-Key already holds an
// unexpired outcome: the request was made before (or by a concurrent twin),
// so its work is rolled back and the first outcome stands.
type Replayed struct{ Record IdempotencyRecord }

func (r *Replayed) Error() string { return "store: idempotency key already used" }

// recordIdempotent inserts the key's record first: the unique _id is the
// check, so the usual case costs one insert and no read. Only on a duplicate
// is the old record read; expired (by the functions' clock, which the
// emulator may move) it is replaced, otherwise the transaction is aborted with
// Replayed.
func (tx *Tx) recordIdempotent(c *IdempotencyClaim, reply Reply) error {
	id := idempotencyID(c.Caller, c.Key)
	doc := bson.M{
		"_id": id, "caller": c.Caller, "key": c.Key, "requestHash": c.RequestHash,
		"status": reply.Status, "body": reply.Body,
		"createdAt": ms(c.Now), "expireAt": ms(c.Now.Add(IdempotencyTTL)),
		// purgeAt drives the TTL index, which runs on the database's wall
		// clock; expiry itself is decided by expireAt on the functions' clock.
		"purgeAt": ms(time.Now().Add(IdempotencyTTL)),
	}
	_, err := tx.col(colIdempotency).InsertOne(tx.ctx, doc)
	if err == nil {
		return nil
	}
	if !IsDuplicate(err) {
		return fmt.Errorf("store: idempotency record: %w", err)
	}
	var old idempotencyDoc
	if err := tx.col(colIdempotency).FindOne(tx.ctx, bson.M{"_id": id}).Decode(&old); err != nil {
		return fmt.Errorf("store: idempotency record: %w", err)
	}
	if c.Now.Before(old.ExpireAt) {
		return &Replayed{Record: old.record()}
	}
	if _, err := tx.col(colIdempotency).ReplaceOne(tx.ctx, bson.M{"_id": id}, doc); err != nil {
		return fmt.Errorf("store: idempotency record: %w", err)
	}
	return nil
}

// RecordIdempotent stores a reply for a request whose operation wrote nothing
// (so no transaction of its own recorded it). A Replayed error carries the
// outcome stored before.
func (s *Store) RecordIdempotent(ctx context.Context, c *IdempotencyClaim, reply Reply) error {
	_, err := Transact(context.WithoutCancel(ctx), s, func(tx *Tx) (struct{}, error) {
		return struct{}{}, tx.recordIdempotent(c, reply)
	})
	if err == nil {
		c.recorded, c.reply = true, reply
	}
	return err
}
