package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsoncodec"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cloudmarket/shared/ids"
	"cloudmarket/shared/market"
)

type eventDoc struct {
	ID         string    `bson:"_id"`
	Type       string    `bson:"type"`
	At         time.Time `bson:"at"`
	Actor      string    `bson:"actor"`
	Subject    string    `bson:"subject"`
	ProviderID string    `bson:"providerId,omitempty"`
	Data       bson.Raw  `bson:"data,omitempty"`
	Shape      string    `bson:"shape,omitempty"` // the payload type, for event types with two
}

type notificationDoc struct {
	ID        string     `bson:"_id"`
	EventID   string     `bson:"eventId"`
	Channel   string     `bson:"channel"`
	To        string     `bson:"to"`
	Template  string     `bson:"template"`
	Params    []string   `bson:"params"`
	Status    string     `bson:"status"`
	Attempts  int        `bson:"attempts"`
	LastError string     `bson:"lastError,omitempty"`
	CreatedAt time.Time  `bson:"createdAt"`
	SentAt    *time.Time `bson:"sentAt,omitempty"`
	Via       string     `bson:"via,omitempty"`
	LeaseEnds *time.Time `bson:"leaseEnds,omitempty"`
}

// Record appends an event and its notifications to this transaction. It
// returns the event with its ID and time set.
func (tx *Tx) Record(e market.Event, notes ...market.Notification) (market.Event, error) {
	if err := market.CheckEvent(e); err != nil {
		return market.Event{}, fmt.Errorf("store: record event: %w", err)
	}
	e.ID = ids.New(ids.Event, e.At)
	e.At = ms(e.At)
	doc := eventDoc{ID: e.ID, Type: string(e.Type), At: e.At, Actor: e.Actor, Subject: e.Subject, ProviderID: e.ProviderID, Shape: market.PayloadShape(e.Data)}
	if e.Data != nil {
		raw, err := bson.MarshalWithRegistry(payloads, e.Data)
		if err != nil {
			return market.Event{}, fmt.Errorf("store: event %s data: %w", e.Type, err)
		}
		doc.Data = raw
	}
	if _, err := tx.col(colEvents).InsertOne(tx.ctx, doc); err != nil {
		return market.Event{}, fmt.Errorf("store: record event: %w", err)
	}
	for _, n := range notes {
		nd := notificationDoc{
			ID: ids.New(ids.Notice, e.At), EventID: e.ID, Channel: n.Channel, To: n.To,
			Template: n.Template, Params: n.Params, Status: string(market.NotificationPending), CreatedAt: e.At,
		}
		if _, err := tx.col(colNotifications).InsertOne(tx.ctx, nd); err != nil {
			return market.Event{}, fmt.Errorf("store: queue notification: %w", err)
		}
	}
	return e, nil
}

// payloads encodes event data by the payload types' json names, so the
// stored data and the API use one vocabulary (the domain has no bson tags).
var payloads = func() *bsoncodec.Registry {
	r := bson.NewRegistry()
	sc, err := bsoncodec.NewStructCodec(bsoncodec.JSONFallbackStructTagParser)
	if err != nil {
		panic(err)
	}
	r.RegisterKindEncoder(reflect.Struct, sc)
	r.RegisterKindDecoder(reflect.Struct, sc)
	return r
}()

func (d eventDoc) event() (market.Event, error) {
	e := market.Event{ID: d.ID, Type: market.EventType(d.Type), At: d.At.UTC(), Actor: d.Actor, Subject: d.Subject, ProviderID: d.ProviderID}
	payload, err := market.NewPayload(e.Type, d.Shape)
	if err != nil {
		return market.Event{}, fmt.Errorf("store: event %s: %w", d.ID, err)
	}
	if payload == nil {
		return e, nil
	}
	if len(d.Data) > 0 {
		if err := bson.UnmarshalWithRegistry(payloads, d.Data, payload); err != nil {
			return market.Event{}, fmt.Errorf("store: event %s data: %w", d.ID, err)
		}
	}
	e.Data = reflect.ValueOf(payload).Elem().Interface()
	return e, nil
}

func (d notificationDoc) notification() market.Notification {
	return market.Notification{
		ID: d.ID, EventID: d.EventID, Channel: d.Channel, To: d.To, Template: d.Template, Params: d.Params,
		Status: market.NotificationStatus(d.Status), Attempts: d.Attempts, LastError: d.LastError, CreatedAt: d.CreatedAt.UTC(),
		SentAt: timeOrZero(d.SentAt), Via: d.Via,
	}
}

// EventQuery filters the audit trail.
type EventQuery struct {
	ProviderID string
	Subject    string
	Type       string // e.g. deposit.payment_unapplied: finance's list of what to look at
	After      string // event ID: only events after it
	Limit      int
}

// Events lists events oldest first.
func (s *Store) Events(ctx context.Context, q EventQuery) ([]market.Event, error) {
	filter := bson.M{}
	if q.ProviderID != "" {
		filter["providerId"] = q.ProviderID
	}
	if q.Subject != "" {
		filter["subject"] = q.Subject
	}
	if q.Type != "" {
		filter["type"] = q.Type
	}
	if q.After != "" {
		filter["_id"] = bson.M{"$gt": q.After}
	}
	var docs []eventDoc
	if err := s.find(ctx, colEvents, filter, bson.D{{Key: "_id", Value: 1}}, q.Limit, &docs); err != nil {
		return nil, err
	}
	out := make([]market.Event, len(docs))
	for i, d := range docs {
		e, err := d.event()
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// NotificationLease is how long a deliverer owns a claimed notification; a
// deliverer that crashed mid-send gives it back to the next sweep after this.
const NotificationLease = 2 * time.Minute

// DeliverableNotifications lists notifications waiting for delivery, oldest
// first: pending ones and claimed ones whose deliverer's lease ran out.
func (s *Store) DeliverableNotifications(ctx context.Context, now time.Time, limit int) ([]market.Notification, error) {
	return s.notifications(ctx, bson.M{"$or": bson.A{
		bson.M{"status": market.NotificationPending},
		bson.M{"status": market.NotificationSending, "leaseEnds": bson.M{"$lt": ms(now)}},
	}}, limit)
}

// SentNotifications lists delivered notifications, oldest first (the local
// outbox view).
func (s *Store) SentNotifications(ctx context.Context, limit int) ([]market.Notification, error) {
	return s.notifications(ctx, bson.M{"status": market.NotificationSent}, limit)
}

func (s *Store) notifications(ctx context.Context, filter bson.M, limit int) ([]market.Notification, error) {
	var docs []notificationDoc
	if err := s.find(ctx, colNotifications, filter, bson.D{{Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}, limit, &docs); err != nil {
		return nil, err
	}
	out := make([]market.Notification, len(docs))
	for i, d := range docs {
		out[i] = d.notification()
	}
	return out, nil
}

// ClaimNotification takes a notification for delivery; false means another
// deliverer has it (or it is done), so one message is not sent twice.
func (s *Store) ClaimNotification(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := s.col(colNotifications).UpdateOne(ctx,
		bson.M{"_id": id, "$or": bson.A{
			bson.M{"status": market.NotificationPending},
			bson.M{"status": market.NotificationSending, "leaseEnds": bson.M{"$lt": ms(now)}},
		}},
		bson.M{"$set": bson.M{"status": market.NotificationSending, "leaseEnds": ms(now.Add(NotificationLease))}})
	if err != nil {
		return false, fmt.Errorf("store: claim notification: %w", err)
	}
	return res.ModifiedCount == 1, nil
}

// MarkNotificationSent records the delivery of a claimed notification.
func (s *Store) MarkNotificationSent(ctx context.Context, id, via string, at time.Time) error {
	_, err := s.col(colNotifications).UpdateOne(ctx,
		bson.M{"_id": id, "status": market.NotificationSending},
		bson.M{"$set": bson.M{"status": market.NotificationSent, "sentAt": ms(at), "via": via}, "$unset": bson.M{"leaseEnds": ""}, "$inc": bson.M{"attempts": 1}})
	if err != nil {
		return fmt.Errorf("store: mark notification: %w", err)
	}
	return nil
}

// MarkNotificationFailed counts a failed attempt and gives the notification
// back; after MaxNotificationAttempts it is given up (status failed) and stays
// visible for staff.
func (s *Store) MarkNotificationFailed(ctx context.Context, n market.Notification, reason string) error {
	status := market.NotificationPending
	if n.Attempts+1 >= market.MaxNotificationAttempts {
		status = market.NotificationFailed
	}
	_, err := s.col(colNotifications).UpdateOne(ctx,
		bson.M{"_id": n.ID, "status": market.NotificationSending},
		bson.M{"$set": bson.M{"status": status, "lastError": reason}, "$unset": bson.M{"leaseEnds": ""}, "$inc": bson.M{"attempts": 1}})
	if err != nil {
		return fmt.Errorf("store: mark notification: %w", err)
	}
	return nil
}

// readOne reads one document by id outside a transaction.
func (s *Store) readOne(ctx context.Context, col, id string, into any) error {
	err := s.col(col).FindOne(ctx, bson.M{"_id": id}).Decode(into)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: read %s %s: %w", col, id, err)
	}
	return nil
}

// ids lists the IDs of the documents matching filter.
func (s *Store) ids(ctx context.Context, col string, filter bson.M, sort bson.D, limit int) ([]string, error) {
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := s.find(ctx, col, filter, sort, limit, &docs); err != nil {
		return nil, err
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out, nil
}

// find runs a filtered, sorted, limited query into out.
// listAfter lists a collection in ID order (IDs sort by creation time) after
// a cursor, matching the fields given a value (an empty value filters nothing),
// each document read back through conv: the shape every paged list shares.
func listAfter[D, T any](ctx context.Context, s *Store, col string, match map[string]string, afterID string, limit int, conv func(D) T) ([]T, error) {
	filter := bson.M{}
	for field, v := range match {
		if v != "" {
			filter[field] = v
		}
	}
	if afterID != "" {
		filter["_id"] = bson.M{"$gt": afterID}
	}
	var docs []D
	if err := s.find(ctx, col, filter, bson.D{{Key: "_id", Value: 1}}, limit, &docs); err != nil {
		return nil, err
	}
	out := make([]T, len(docs))
	for i, d := range docs {
		out[i] = conv(d)
	}
	return out, nil
}

func (s *Store) find(ctx context.Context, col string, filter bson.M, sort bson.D, limit int, out any) error {
	opts := options.Find().SetSort(sort)
	if limit > 0 {
		opts.SetLimit(int64(limit))
	}
	cur, err := s.col(col).Find(ctx, filter, opts)
	if err != nil {
		return fmt.Errorf("store: query %s: %w", col, err)
	}
	if err := cur.All(ctx, out); err != nil {
		return fmt.Errorf("store: read %s: %w", col, err)
	}
	return nil
}
