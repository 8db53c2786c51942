package store

import (
	"context"
	"errors"
	"os"
	"reflect"
	"testing"
	"time"

	"cloudmarket/shared/market"
	"cloudmarket/shared/orgcode"
)

// open returns the store under test: the embedded engine, or the MongoDB named
// by MONGODB_URI (a fresh database per test), so one suite covers both.
func open(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	var s *Store
	var err error
	if uri := os.Getenv("MONGODB_URI"); uri != "" {
		s, err = Connect(ctx, uri, "cloudmarket_test_"+time.Now().Format("150405.000000"))
		if err == nil {
			t.Cleanup(func() { _ = s.db.Drop(ctx) })
		}
	} else {
		s, err = OpenMemory(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(ctx) })
	return s
}

func sampleApplication(id string, due time.Time) *market.Application {
	code, _ := orgcode.Parse("9144030071526726XG")
	return &market.Application{
		ID: id, AccountID: "1", CompanyName: "示例", CompanyType: "private", OrgCode: code,
		Categories: []market.Category{market.CategorySoftware}, Status: market.ApplicationSubmitted,
		SubmittedAt: due.Add(-240 * time.Hour), ReviewDueAt: due, Contact: market.Contact{Name: "a", Phone: "+8613800000000", Email: "a@b.cn"},
	}
}

func TestTransactionRollsBackEverything(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	boom := errors.New("boom")
	_, err := Transact(ctx, s, func(tx *Tx) (int, error) {
		if err := tx.InsertApplication(sampleApplication("app_1", time.Now())); err != nil {
			return 0, err
		}
		if _, err := tx.Record(market.Event{Type: market.EventApplicationSubmitted, At: time.Now(), Subject: "app_1", Data: market.ApplicationSubmittedData{CompanyName: "示例"}}, market.Notification{Channel: "sms", To: "+8613800000000", Template: "review_overdue"}); err != nil {
			return 0, err
		}
		return 0, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if _, err := s.Application(ctx, "app_1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("application survived a rollback: %v", err)
	}
	evs, _ := s.Events(ctx, EventQuery{Subject: "app_1"})
	pending, _ := s.DeliverableNotifications(ctx, time.Now(), 10)
	if len(evs) != 0 || len(pending) != 0 {
		t.Fatalf("events %d, notifications %d after rollback", len(evs), len(pending))
	}
}

func TestRoundTripAndVersionedWrite(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	due := time.Date(2026, 10, 14, 15, 59, 59, 999_000_000, time.UTC)
	a := sampleApplication("app_2", due)
	if _, err := Transact(ctx, s, func(tx *Tx) (struct{}, error) { return struct{}{}, tx.InsertApplication(a) }); err != nil {
		t.Fatal(err)
	}
	got, err := s.Application(ctx, "app_2")
	if err != nil || !got.ReviewDueAt.Equal(due) || got.OrgCode != a.OrgCode || got.Contact != a.Contact {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	// Saving without reading first is refused: the version check needs a read.
	_, err = Transact(ctx, s, func(tx *Tx) (struct{}, error) { return struct{}{}, tx.SaveApplication(a) })
	if err == nil {
		t.Fatal("blind write accepted")
	}
	_, err = Transact(ctx, s, func(tx *Tx) (struct{}, error) {
		b, err := tx.Application("app_2")
		if err != nil {
			return struct{}{}, err
		}
		b.Status = market.ApplicationRejected
		if err := tx.SaveApplication(b); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, tx.SaveApplication(b) // a second save in one tx follows the new version
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Application(ctx, "app_2"); got.Status != market.ApplicationRejected {
		t.Fatalf("status %s", got.Status)
	}
}

func TestOrganisationFirstWriteIsUnique(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	set := func() error {
		_, err := Transact(ctx, s, func(tx *Tx) (struct{}, error) {
			return struct{}{}, tx.SetOrganisation("71526726-X", OrganisationRef{Standing: market.OrganisationApplying}, time.Now())
		})
		return err
	}
	if err := set(); err != nil {
		t.Fatal(err)
	}
	// A writer that did not see the first one (it did not read) collides.
	if err := set(); !IsDuplicate(err) {
		t.Fatalf("second blind insert: %v", err)
	}
}

func TestIdempotencyRecordsExpire(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	c := &IdempotencyClaim{Caller: "1", Key: "k", RequestHash: "h1", Now: now}
	if err := s.RecordIdempotent(ctx, c, Reply{Status: 201, Body: []byte(`{"a":1}`)}); err != nil {
		t.Fatal(err)
	}
	rec, err := s.LookupIdempotent(ctx, "1", "k", now.Add(24*time.Hour))
	if err != nil || rec.RequestHash != "h1" || string(rec.Reply.Body) != `{"a":1}` || rec.Reply.Status != 201 {
		t.Fatalf("kept 24 h: %+v %v", rec, err)
	}
	if _, err := s.LookupIdempotent(ctx, "2", "k", now); !errors.Is(err, ErrNotFound) {
		t.Fatal("keys are per caller")
	}
	later := now.Add(IdempotencyTTL)
	if _, err := s.LookupIdempotent(ctx, "1", "k", later); !errors.Is(err, ErrNotFound) {
		t.Fatal("expired key still answered")
	}
	// An expired key may be used again.
	c2 := &IdempotencyClaim{Caller: "1", Key: "k", RequestHash: "h2", Now: later}
	if err := s.RecordIdempotent(ctx, c2, Reply{Status: 200}); err != nil {
		t.Fatal(err)
	}
}

func TestQueueQueriesAndIndexes(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	base := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for i, id := range []string{"app_c", "app_a", "app_b"} {
		a := sampleApplication(id, base.Add(time.Duration(i%2)*time.Hour))
		if _, err := Transact(ctx, s, func(tx *Tx) (struct{}, error) { return struct{}{}, tx.InsertApplication(a) }); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := s.Applications(ctx, ApplicationQuery{Status: "submitted"})
	if len(all) != 3 || all[0].ID != "app_b" || all[1].ID != "app_c" || all[2].ID != "app_a" {
		t.Fatalf("order: %v %v %v", all[0].ID, all[1].ID, all[2].ID)
	}
	page, _ := s.Applications(ctx, ApplicationQuery{AfterDue: all[0].ReviewDueAt, AfterID: all[0].ID, Limit: 1})
	if len(page) != 1 || page[0].ID != "app_c" {
		t.Fatalf("page after app_b: %v", page)
	}
	overdue, _ := s.OverdueApplications(ctx, base.Add(30*time.Minute), 10)
	if len(overdue) != 2 {
		t.Fatalf("overdue %d, want 2", len(overdue))
	}
	for col := range indexes {
		cur, err := s.col(col).Indexes().List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var specs []map[string]any
		if err := cur.All(ctx, &specs); err != nil || len(specs) < len(indexes[col]) {
			t.Errorf("%s: %d indexes declared, %d found (%v)", col, len(indexes[col]), len(specs), err)
		}
	}
}

func TestNotificationClaimedOnce(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	now := time.Now()
	if _, err := Transact(ctx, s, func(tx *Tx) (market.Event, error) {
		return tx.Record(market.Event{Type: market.EventProviderExited, At: now, Subject: "s"}, market.Notification{Channel: "sms", To: "+8613800000000", Template: "review_overdue"})
	}); err != nil {
		t.Fatal(err)
	}
	list, _ := s.DeliverableNotifications(ctx, now, 10)
	if len(list) != 1 {
		t.Fatalf("%d deliverable", len(list))
	}
	id := list[0].ID
	if ok, _ := s.ClaimNotification(ctx, id, now); !ok {
		t.Fatal("first claim refused")
	}
	if ok, _ := s.ClaimNotification(ctx, id, now); ok {
		t.Fatal("second deliverer got the same notification")
	}
	// A deliverer that died: after the lease the notification is deliverable again.
	after := now.Add(NotificationLease + time.Second)
	if list, _ := s.DeliverableNotifications(ctx, after, 10); len(list) != 1 {
		t.Fatal("abandoned claim not released")
	}
	if ok, _ := s.ClaimNotification(ctx, id, after); !ok {
		t.Fatal("reclaim after lease refused")
	}
	if err := s.MarkNotificationSent(ctx, id, "test", after); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.DeliverableNotifications(ctx, after.Add(time.Hour), 10); len(list) != 0 {
		t.Fatal("sent notification still deliverable")
	}
}

// A keyed write inserts its record first; a repeat inside the TTL rolls its
// own work back and replays the first outcome; once expired by the functions'
// clock (not the database's) the key runs again.
func TestIdempotencyInsertFirstReplayThenExpiry(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 10, 8, 10, 0, 0, 0, time.UTC)
	write := func(at time.Time, id string, status int) error {
		claim := &IdempotencyClaim{Caller: "300001", Key: "k-1", RequestHash: "h", Now: at,
			Render: func(any) (Reply, error) { return Reply{Status: status, Body: []byte(id)}, nil }}
		_, err := Transact(WithIdempotency(ctx, claim), s, func(tx *Tx) (int, error) {
			return 0, tx.InsertApplication(sampleApplication(id, at))
		})
		return err
	}
	if err := write(now, "app_1", 201); err != nil {
		t.Fatal(err)
	}
	var r *Replayed
	if err := write(now.Add(30*time.Second), "app_2", 200); !errors.As(err, &r) || string(r.Record.Reply.Body) != "app_1" || r.Record.Reply.Status != 201 {
		t.Fatalf("repeat: %v", err)
	}
	if _, err := s.Application(ctx, "app_2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the repeat's work was kept: %v", err)
	}
	if err := write(now.Add(IdempotencyTTL+time.Second), "app_3", 201); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if rec, err := s.LookupIdempotent(ctx, "300001", "k-1", now.Add(IdempotencyTTL+2*time.Second)); err != nil || string(rec.Reply.Body) != "app_3" {
		t.Fatalf("after expiry the key holds %q, %v", rec.Reply.Body, err)
	}
}

// TestOrderRoundTrip reads back an order as it was stored, with every field
// that a stored order leaves out when empty both empty and set.
func TestOrderRoundTrip(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	at := time.Date(2026, 10, 8, 2, 0, 0, 0, time.UTC)
	bare := &market.Order{ID: "ord_bare", OutTradeNo: "CM1", BuyerAccount: "300001", ProviderID: "prv_1", ProductID: "prd_1", ProductName: "p",
		Category: market.CategorySoftware, Quantity: 1, AmountFen: 10_000, Fee: market.FeeRule{Mode: market.FeePlatform, RateBps: market.PlatformFeeRate},
		PlatformFee: 1_000, ProviderNet: 9_000, Status: market.OrderCompleted, CreatedAt: at, PaidAt: at, CompletedAt: at.Add(time.Hour)}
	full := *bare
	full.ID, full.OutTradeNo, full.Tool = "ord_full", "CM2", true
	full.Plan = market.Plan{ID: "pln_1", Name: "年付", PriceFen: 10_000, Period: "year", DurationDays: 365}
	full.Invoicing = []market.Invoice{{Issuer: "a", Recipient: "b", Subject: "c", AmountFen: 1_000}}
	full.StartedAt, full.RefundedFen, full.PlatformFeeRefunded, full.ProviderNetRefunded = at.Add(time.Minute), 300, 30, 270
	for _, o := range []*market.Order{bare, &full} {
		if _, err := Transact(ctx, s, func(tx *Tx) (struct{}, error) { return struct{}{}, tx.InsertOrder(o) }); err != nil {
			t.Fatal(err)
		}
		got, err := s.Order(ctx, o.ID)
		if err != nil || !reflect.DeepEqual(got, o) {
			t.Fatalf("round trip of %s:\n got %+v %v\nwant %+v", o.ID, got, err, o)
		}
	}
}
