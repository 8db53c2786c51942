package store

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/256dpi/lungo"
	"github.com/256dpi/lungo/bsonkit"
	"github.com/256dpi/lungo/mongokit"
	"go.mongodb.org/mongo-driver/bson"

	"cloudmarket/shared/market"
)

// BenchmarkTimerSweepNothingDue times the store side of one enforce-deadlines
// run — its deadline queries (the penalty lift too) and the outbox read — when nothing is due,
// with 1,000 and with 100,000 documents in each collection it reads (rows long
// acted on, rows not due yet, rows in other states), and prints the ratio.
//
// On MongoDB (MONGODB_URI set) each query scans only the due part of its index,
// so the ratio should stay near 1. The embedded engine has no query planner:
// every query filters the whole collection (and a sorted one sorts it first),
// so there the sweep grows with the collection.
func BenchmarkTimerSweepNothingDue(b *testing.B) {
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	perSweep := map[int]time.Duration{}
	sizes := []int{1000, 100_000}
	for _, n := range sizes {
		s, done := openSweepStore(b, nothingDue(n, now)) // once: b.Run may call its function more than once
		b.Run(fmt.Sprintf("docs=%d", n), func(b *testing.B) {
			ctx := context.Background()
			queries := []struct {
				name string
				run  func() (int, error)
			}{
				{"applications", func() (int, error) { return count(s.OverdueApplications(ctx, now, 200)) }},
				{"top-up", func() (int, error) { return count(s.TopUpOverdueProviders(ctx, now, 200)) }},
				{"return", func() (int, error) { return count(s.ReturnOverdueProviders(ctx, now, 200)) }},
				{"start", func() (int, error) { return count(s.StartOverdueOrders(ctx, now, 200)) }},
				{"complete", func() (int, error) { return count(s.ReviewEndedOrders(ctx, now, 200)) }},
				{"unpaid", func() (int, error) { return count(s.ExpiredUnpaidOrders(ctx, now, 200)) }},
				{"lift", func() (int, error) { return count(s.LiftDueProviders(ctx, now, 200)) }},
				{"outbox", func() (int, error) { return count(s.DeliverableNotifications(ctx, now, 200)) }},
			}
			each := make([]time.Duration, len(queries))
			runs := 0
			b.ResetTimer()
			for b.Loop() {
				for i, q := range queries {
					start := time.Now()
					found, err := q.run()
					each[i] += time.Since(start)
					if err != nil || found != 0 {
						b.Fatalf("%s: %d found, %v", q.name, found, err)
					}
				}
				runs++
			}
			var total time.Duration
			for i, q := range queries {
				b.ReportMetric(float64(each[i].Microseconds())/float64(runs)/1000, "ms/"+q.name)
				total += each[i]
			}
			perSweep[n] = total / time.Duration(runs)
			b.ReportMetric(float64(perSweep[n].Microseconds())/1000, "ms/sweep")
			if first := perSweep[sizes[0]]; n != sizes[0] && first > 0 {
				b.ReportMetric(float64(perSweep[n])/float64(first), "x-sweep-at-1k")
			}
		})
		done() // free this size's documents before the next
	}
	if small, large := perSweep[sizes[0]], perSweep[sizes[1]]; small > 0 && large > 0 {
		b.Logf("one sweep, nothing due: %v at %d documents a collection, %v at %d: %.1f×",
			small.Round(time.Microsecond), sizes[0], large.Round(time.Microsecond), sizes[1], float64(large)/float64(small))
	}
}

func count[T any](list []T, err error) (int, error) { return len(list), err }

// openSweepStore opens a store holding docs (collection → documents): a fresh
// database on the MongoDB named by MONGODB_URI, or else the embedded engine in
// memory. The embedded engine copies a collection on every insert, so there the
// documents go straight into the catalog it opens with; the declared indexes
// are then built over them as on any start. done drops and closes it.
func openSweepStore(b testing.TB, docs map[string][]any) (s *Store, done func()) {
	b.Helper()
	ctx := context.Background()
	if uri := os.Getenv("MONGODB_URI"); uri != "" {
		s, err := Connect(ctx, uri, "cloudmarket_bench_"+time.Now().Format("150405.000000"))
		if err != nil {
			b.Fatal(err)
		}
		done := func() { _ = s.db.Drop(ctx); _ = s.Close(ctx) }
		for col, list := range docs {
			for len(list) > 0 {
				batch := list[:min(len(list), 10_000)]
				list = list[len(batch):]
				if _, err := s.col(col).InsertMany(ctx, batch); err != nil {
					done()
					b.Fatal(err)
				}
			}
		}
		return s, done
	}
	catalog := lungo.NewCatalog()
	for col, list := range docs {
		c := mongokit.NewCollection(true)
		for _, d := range list {
			doc, err := bsonkit.Transform(d)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.Insert(doc); err != nil {
				b.Fatal(err)
			}
		}
		catalog.Namespaces[lungo.Handle{"cloudmarket", col}] = c
	}
	mem := lungo.NewMemoryStore()
	if err := mem.Store(catalog); err != nil {
		b.Fatal(err)
	}
	s, err := openEngine(ctx, mem, func() error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	return s, func() { _ = s.Close(ctx) }
}

// nothingDue makes n applications, providers, orders and notifications
// as a market that has run a while: most decided, completed or sent, some
// acted on long ago (flagged, closed, returned), some due later.
func nothingDue(n int, now time.Time) map[string][]any {
	past, future := now.Add(-30*24*time.Hour), now.Add(30*24*time.Hour)
	var apps, provs, orders, notes []any
	for i := range n {
		id := fmt.Sprintf("%07d", i)
		a := sampleApplication("app_"+id, past)
		switch i % 10 {
		case 0:
			a.OverdueFlaggedAt = past.Add(time.Minute)
		case 1:
			a.ReviewDueAt = future
		default:
			a.Status, a.Decision, a.DecidedAt = market.ApplicationApproved, "approved", past
		}
		apps = append(apps, versioned(applicationToDoc(a)))

		p := &market.Provider{ID: "prv_" + id, AccountID: "acct_" + id, ApplicationID: "app_" + id, CompanyName: "示例", Status: market.ProviderActive,
			Categories: []market.Category{market.CategorySoftware}, Contact: market.Contact{Name: "a", Phone: "+8613800000000", Email: "a@b.cn"},
			Deposit: market.Deposit{RequiredFen: 500000, BalanceFen: 500000, EverHeld: true}, CreatedAt: past}
		switch i % 20 {
		case 0:
			p.Deposit.BalanceFen, p.Deposit.TopUpDueAt, p.Deposit.StoreClosed = 100000, past, true
		case 1:
			p.Deposit.BalanceFen, p.Deposit.TopUpDueAt = 100000, future
		case 2:
			p.Status, p.Deposit.ReturnDueAt, p.Deposit.ReturnOverdueAt = market.ProviderExiting, past, past.Add(time.Minute)
		case 3:
			p.Status, p.Deposit.ReturnDueAt, p.Deposit.ReturnedAt, p.Deposit.BalanceFen = market.ProviderExited, past, past.Add(time.Hour), 0
		}
		provs = append(provs, versioned(providerToDoc(p)))

		o := &market.Order{ID: "ord_" + id, OutTradeNo: "out_" + id, BuyerAccount: "buyer_" + id, ProviderID: "prv_" + id, ProductID: "prd_1",
			ProductName: "镜像", Category: market.CategoryImage, Quantity: 1, AmountFen: 10000, Status: market.OrderCompleted,
			CreatedAt: past, ExpiresAt: past, PaidAt: past, StartDueAt: past, StartedAt: past, ReviewPeriodEndsAt: past, CompletedAt: past}
		switch i % 20 {
		case 0:
			o.Status, o.StartedAt, o.StartOverdueAt, o.CompletedAt = market.OrderPaid, time.Time{}, past.Add(time.Minute), time.Time{}
		case 1:
			o.Status, o.ExpiresAt, o.PaidAt, o.StartDueAt, o.StartedAt, o.ReviewPeriodEndsAt, o.CompletedAt =
				market.OrderPendingPayment, future, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
		case 2, 3:
			o.Status, o.ReviewPeriodEndsAt, o.CompletedAt = market.OrderInService, future, time.Time{}
		}
		orders = append(orders, versioned(orderToDoc(o)))

		notes = append(notes, toM(notificationDoc{ID: "ntf_" + id, EventID: "evt_" + id, Channel: "sms", To: "+8613800000000",
			Template: "store_closed_deposit", Params: []string{"示例", "3000.00"}, Status: string(market.NotificationSent), Attempts: 1, CreatedAt: past, SentAt: &past, Via: "outbox"}))
	}
	return map[string][]any{colApplications: apps, colProviders: provs, colOrders: orders, colNotifications: notes}
}

func versioned(doc bson.M) bson.M {
	doc["version"] = int64(1)
	return doc
}
