package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"

	"cloudmarket/shared/ids"
	"cloudmarket/shared/market"
)

// benchOrder is the order a keyed POST /v1/orders writes.
func benchOrder(now time.Time) *market.Order {
	id := ids.New(ids.Order, now)
	return &market.Order{ID: id, OutTradeNo: "CM" + id[4:], BuyerAccount: "300001", ProviderID: "prv_1", ProductID: "prd_1",
		ProductName: "云数据库备份", Category: market.CategorySoftware, Plan: market.Plan{ID: "std", Name: "标准版", PriceFen: 1000, Period: "month", DurationDays: 30},
		Quantity: 1, AmountFen: 1000, Fee: market.FeeRule{Mode: market.FeePlatform, RateBps: 1000}, PlatformFee: 100, ProviderNet: 900,
		Status: market.OrderPendingPayment, CreatedAt: now, ExpiresAt: now.Add(2 * time.Hour)}
}

// BenchmarkKeyedWrite compares one keyed write through the store (order,
// event and idempotency record in one Transact, as POST /v1/orders with an
// Idempotency-Key does) with the bare lungo transaction inserting the same
// three documents, on a memory store already holding 10k orders. Target: the
// keyed write within 1.3× the bare one.
func BenchmarkKeyedWrite(b *testing.B) {
	ctx := context.Background()
	prefill := func(b *testing.B) *Store {
		s, err := OpenMemory(ctx)
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now()
		for i := 0; i < 10_000; i += 500 {
			_, err := Transact(ctx, s, func(tx *Tx) (int, error) {
				for j := 0; j < 500; j++ {
					if err := tx.InsertOrder(benchOrder(now)); err != nil {
						return 0, err
					}
				}
				return 0, nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		return s
	}
	var keyed, bare float64
	b.Run("store-keyed", func(b *testing.B) {
		s := prefill(b)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			now := time.Now()
			claim := &IdempotencyClaim{Caller: "300001", Key: fmt.Sprintf("k-%d", i), RequestHash: "h", Now: now,
				Render: func(any) (Reply, error) { return Reply{Status: 201, Body: []byte(`{}`)}, nil }}
			_, err := Transact(WithIdempotency(ctx, claim), s, func(tx *Tx) (int, error) {
				o := benchOrder(now)
				if err := tx.InsertOrder(o); err != nil {
					return 0, err
				}
				_, err := tx.Record(market.Event{Type: market.EventOrderCreated, At: now, Actor: "300001", Subject: o.ID, ProviderID: o.ProviderID,
					Data: market.OrderCreatedData{ProductID: o.ProductID, PlanID: "std", Quantity: 1, AmountFen: 1000, PlatformFeeFen: 100, ProviderNetFen: 900, FeeMode: market.FeePlatform}})
				return 0, err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		keyed = float64(b.Elapsed().Microseconds()) / float64(b.N)
		b.ReportMetric(keyed, "µs/write")
	})
	b.Run("bare-lungo", func(b *testing.B) {
		s := prefill(b)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			now := time.Now()
			o := benchOrder(now)
			err := s.client.UseSession(ctx, func(sc lungo.ISessionContext) error {
				_, err := sc.WithTransaction(sc, func(tc lungo.ISessionContext) (any, error) {
					doc := orderToDoc(o)
					doc["version"] = int64(1)
					if _, err := s.col(colOrders).InsertOne(tc, doc); err != nil {
						return nil, err
					}
					ev := bson.M{"_id": ids.New(ids.Event, now), "type": "order.created", "at": now, "actor": "300001", "subject": o.ID, "providerId": o.ProviderID,
						"data": bson.M{"productId": o.ProductID, "planId": "std", "quantity": 1, "amountFen": int64(1000), "platformFeeFen": int64(100), "providerNetFen": int64(900), "feeMode": "platform"}}
					if _, err := s.col(colEvents).InsertOne(tc, ev); err != nil {
						return nil, err
					}
					_, err := s.col(colIdempotency).InsertOne(tc, bson.M{"_id": fmt.Sprintf("k-%d", i), "caller": "300001", "key": fmt.Sprintf("k-%d", i), "requestHash": "h",
						"status": 201, "body": []byte(`{}`), "createdAt": now, "expireAt": now.Add(IdempotencyTTL), "purgeAt": now.Add(IdempotencyTTL)})
					return nil, err
				})
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		bare = float64(b.Elapsed().Microseconds()) / float64(b.N)
		b.ReportMetric(bare, "µs/write")
	})
	if keyed > 0 && bare > 0 {
		fmt.Printf("keyed write %.0f µs, bare transaction %.0f µs at 10k orders: %.2f× (target ≤ 1.3×)\n", keyed, bare, keyed/bare)
	}
}
