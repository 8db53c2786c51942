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

// errKeyTaken aborts a transaction whose idempotency record could not be
// inserted because the key already holds one; Transact settles it outside.
var errKeyTaken = errors.New("store: idempotency key taken")

// recordIdempotent inserts the key's record: the unique _id is the check, so
// the usual case costs one insert and no read. A duplicate aborts the
// transaction (its work is rolled back) for Transact to settle.
func (tx *Tx) recordIdempotent(c *IdempotencyClaim, reply Reply) error {
	doc := bson.M{
		"_id": idempotencyID(c.Caller, c.Key), "caller": c.Caller, "key": c.Key, "requestHash": c.RequestHash,
		"status": reply.Status, "body": reply.Body,
		"createdAt": ms(c.Now), "expireAt": ms(c.Now.Add(IdempotencyTTL)),
		// purgeAt drives the TTL index, which runs on the database's wall
		// clock; expiry itself is decided by expireAt on the functions' clock
		// (the emulator's may be anywhere).
		"purgeAt": ms(time.Now().Add(IdempotencyTTL)),
	}
	_, err := tx.col(colIdempotency).InsertOne(tx.ctx, doc)
	if IsDuplicate(err) {
		return errKeyTaken
	}
	if err != nil {
		return fmt.Errorf("store: idempotency record: %w", err)
	}
	return nil
}

// settleTakenKey reads the record that made an insert fail: unexpired, it is
// the outcome to replay (Replayed); expired by the functions' clock, it is
// removed (only if still expired) so the operation may run again (nil).
func (s *Store) settleTakenKey(ctx context.Context, c *IdempotencyClaim) error {
	id := idempotencyID(c.Caller, c.Key)
	var old idempotencyDoc
	err := s.col(colIdempotency).FindOne(ctx, bson.M{"_id": id}).Decode(&old)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil // purged meanwhile: run again
	}
	if err != nil {
		return fmt.Errorf("store: idempotency record: %w", err)
	}
	if c.Now.Before(old.ExpireAt) {
		return &Replayed{Record: old.record()}
	}
	if _, err := s.col(colIdempotency).DeleteOne(ctx, bson.M{"_id": id, "expireAt": old.ExpireAt}); err != nil {
		return fmt.Errorf("store: idempotency record: %w", err)
	}
	return nil
}

// RecordIdempotent stores a reply for a request whose operation wrote nothing
// (so no transaction of its own recorded it). A Replayed error carries the
// outcome stored before.
func (s *Store) RecordIdempotent(ctx context.Context, c *IdempotencyClaim, reply Reply) error {
	ctx = context.WithoutCancel(ctx)
	var err error
	for attempt := 0; attempt < conflictRetries; attempt++ {
		_, err = Transact(ctx, s, func(tx *Tx) (struct{}, error) {
			return struct{}{}, tx.recordIdempotent(c, reply)
		})
		if !errors.Is(err, errKeyTaken) {
			break
		}
		if err = s.settleTakenKey(ctx, c); err != nil {
			return err
		}
	}
	if err == nil {
		c.recorded, c.reply = true, reply
	}
	return err
}
