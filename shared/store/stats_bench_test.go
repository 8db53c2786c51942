package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
)

// BenchmarkStatsFacts times the reads of one GET /v1/stats over 12 months
// with 1,000 and 10,000 paid orders (and a tenth as many decided
// applications) stored: every fact of the span is read, so the time grows with
// the orders of those months.
func BenchmarkStatsFacts(b *testing.B) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	from := now.AddDate(-1, 0, 0)
	for _, n := range []int{1000, 10_000} {
		ctx := context.Background()
		s, err := OpenMemory(ctx)
		if err != nil {
			b.Fatal(err)
		}
		var orders, apps []any
		for i := range n {
			paid := from.Add(time.Duration(i) * (365 * 24 * time.Hour / time.Duration(n)))
			orders = append(orders, bson.M{"_id": fmt.Sprintf("ord_%06d", i), "outTradeNo": fmt.Sprintf("CM%06d", i), "status": "completed",
				"paidAt": paid, "amountFen": int64(10_000 + i), "refundedFen": int64(i % 7 * 100)})
			if i%10 == 0 {
				apps = append(apps, bson.M{"_id": fmt.Sprintf("app_%06d", i), "status": "approved", "submittedAt": paid.Add(-72 * time.Hour),
					"reviewDueAt": paid.Add(72 * time.Hour), "decidedAt": paid})
			}
		}
		if _, err := s.col(colOrders).InsertMany(ctx, orders); err != nil {
			b.Fatal(err)
		}
		if _, err := s.col(colApplications).InsertMany(ctx, apps); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("orders=%d", n), func(b *testing.B) {
			for b.Loop() {
				f, err := s.StatsFacts(ctx, from)
				if err != nil || len(f.Paid) != n {
					b.Fatalf("%d paid orders read, %v", len(f.Paid), err)
				}
			}
		})
		_ = s.Close(ctx)
	}
}
