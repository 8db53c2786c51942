package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cloudmarket/shared/ids"
)

// Event is one entry of the audit trail: a state change, who made it, when.
type Event struct {
	ID         string
	Type       string // dotted, e.g. "application.submitted"
	At         time.Time
	Actor      string // account ID, or "system:<timer>"
	Subject    string // the ID of the resource that changed
	ProviderID string // the provider it concerns, when there is one
	Data       map[string]any
}

// Notification is one message in the outbox, written with the change that
// caused it and delivered after commit (and retried by the timer).
type Notification struct {
	ID        string
	EventID   string
	Channel   string // "sms" or "email"
	To        string
	Template  string
	Params    []string
	Status    string // pending, sending, sent, failed
	Attempts  int
	LastError string
	CreatedAt time.Time
	SentAt    time.Time
	Via       string // the sender that delivered it ("outbox", "tencentcloud-sms", …)
}

// Notification statuses.
const (
	NotificationPending = "pending"
	NotificationSending = "sending" // claimed by a deliverer until leaseUntil
	NotificationSent    = "sent"
	NotificationFailed  = "failed" // gave up after MaxAttempts
)

// MaxNotificationAttempts before a notification is marked failed.
const MaxNotificationAttempts = 10

type eventDoc struct {
	ID         string         `bson:"_id"`
	Type       string         `bson:"type"`
	At         time.Time      `bson:"at"`
	Actor      string         `bson:"actor"`
	Subject    string         `bson:"subject"`
	ProviderID string         `bson:"providerId,omitempty"`
	Data       map[string]any `bson:"data,omitempty"`
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
func (tx *Tx) Record(e Event, notes ...Notification) (Event, error) {
	e.ID = ids.New(ids.Event, e.At)
	e.At = ms(e.At)
	doc := eventDoc{ID: e.ID, Type: e.Type, At: e.At, Actor: e.Actor, Subject: e.Subject, ProviderID: e.ProviderID, Data: e.Data}
	if _, err := tx.col(colEvents).InsertOne(tx.ctx, doc); err != nil {
		return Event{}, fmt.Errorf("store: record event: %w", err)
	}
	for _, n := range notes {
		nd := notificationDoc{
			ID: ids.New(ids.Notice, e.At), EventID: e.ID, Channel: n.Channel, To: n.To,
			Template: n.Template, Params: n.Params, Status: NotificationPending, CreatedAt: e.At,
		}
		if _, err := tx.col(colNotifications).InsertOne(tx.ctx, nd); err != nil {
			return Event{}, fmt.Errorf("store: queue notification: %w", err)
		}
	}
	return e, nil
}

func (d eventDoc) event() Event {
	data, _ := plain(d.Data).(map[string]any)
	return Event{ID: d.ID, Type: d.Type, At: d.At.UTC(), Actor: d.Actor, Subject: d.Subject, ProviderID: d.ProviderID, Data: data}
}

// plain turns decoded BSON values back into ordinary Go values (times,
// slices, maps), so readers of Event.Data never see driver types.
func plain(v any) any {
	switch x := v.(type) {
	case primitive.DateTime:
		return x.Time().UTC()
	case primitive.A:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case primitive.D:
		out := make(map[string]any, len(x))
		for _, e := range x {
			out[e.Key] = plain(e.Value)
		}
		return out
	case primitive.M:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	}
	return v
}

func (d notificationDoc) notification() Notification {
	return Notification{
		ID: d.ID, EventID: d.EventID, Channel: d.Channel, To: d.To, Template: d.Template, Params: d.Params,
		Status: d.Status, Attempts: d.Attempts, LastError: d.LastError, CreatedAt: d.CreatedAt.UTC(),
		SentAt: timeOrZero(d.SentAt), Via: d.Via,
	}
}

// EventQuery filters the audit trail.
type EventQuery struct {
	ProviderID string
	Subject    string
	After      string // event ID: only events after it
	Limit      int
}

// Events lists events oldest first.
func (s *Store) Events(ctx context.Context, q EventQuery) ([]Event, error) {
	filter := bson.M{}
	if q.ProviderID != "" {
		filter["providerId"] = q.ProviderID
	}
	if q.Subject != "" {
		filter["subject"] = q.Subject
	}
	if q.After != "" {
		filter["_id"] = bson.M{"$gt": q.After}
	}
	var docs []eventDoc
	if err := s.find(ctx, colEvents, filter, bson.D{{Key: "_id", Value: 1}}, q.Limit, &docs); err != nil {
		return nil, err
	}
	out := make([]Event, len(docs))
	for i, d := range docs {
		out[i] = d.event()
	}
	return out, nil
}

// NotificationLease is how long a deliverer owns a claimed notification; a
// deliverer that crashed mid-send gives it back to the next sweep after this.
const NotificationLease = 2 * time.Minute

// DeliverableNotifications lists notifications waiting for delivery, oldest
// first: pending ones and claimed ones whose deliverer's lease ran out.
func (s *Store) DeliverableNotifications(ctx context.Context, now time.Time, limit int) ([]Notification, error) {
	return s.notifications(ctx, bson.M{"$or": bson.A{
		bson.M{"status": NotificationPending},
		bson.M{"status": NotificationSending, "leaseEnds": bson.M{"$lt": ms(now)}},
	}}, limit)
}

// SentNotifications lists delivered notifications, oldest first (the local
// outbox view).
func (s *Store) SentNotifications(ctx context.Context, limit int) ([]Notification, error) {
	return s.notifications(ctx, bson.M{"status": NotificationSent}, limit)
}

func (s *Store) notifications(ctx context.Context, filter bson.M, limit int) ([]Notification, error) {
	var docs []notificationDoc
	if err := s.find(ctx, colNotifications, filter, bson.D{{Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}, limit, &docs); err != nil {
		return nil, err
	}
	out := make([]Notification, len(docs))
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
			bson.M{"status": NotificationPending},
			bson.M{"status": NotificationSending, "leaseEnds": bson.M{"$lt": ms(now)}},
		}},
		bson.M{"$set": bson.M{"status": NotificationSending, "leaseEnds": ms(now.Add(NotificationLease))}})
	if err != nil {
		return false, fmt.Errorf("store: claim notification: %w", err)
	}
	return res.ModifiedCount == 1, nil
}

// MarkNotificationSent records the delivery of a claimed notification.
func (s *Store) MarkNotificationSent(ctx context.Context, id, via string, at time.Time) error {
	_, err := s.col(colNotifications).UpdateOne(ctx,
		bson.M{"_id": id, "status": NotificationSending},
		bson.M{"$set": bson.M{"status": NotificationSent, "sentAt": ms(at), "via": via}, "$unset": bson.M{"leaseEnds": ""}, "$inc": bson.M{"attempts": 1}})
	if err != nil {
		return fmt.Errorf("store: mark notification: %w", err)
	}
	return nil
}

// MarkNotificationFailed counts a failed attempt and gives the notification
// back; after MaxNotificationAttempts it is given up (status failed) and stays
// visible for staff.
func (s *Store) MarkNotificationFailed(ctx context.Context, n Notification, reason string) error {
	status := NotificationPending
	if n.Attempts+1 >= MaxNotificationAttempts {
		status = NotificationFailed
	}
	_, err := s.col(colNotifications).UpdateOne(ctx,
		bson.M{"_id": n.ID, "status": NotificationSending},
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
