package store

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cloudmarket/shared/market"
)

// TestEveryQueryHasAnIndex runs every query function of the store against an
// engine that records what reaches it (filter and sort, per collection), and
// checks each query against the indexes map: some index must start with the
// query's equality fields, then its sort, then its range (equality–sort–range).
// A timer sweep must be equality fields plus one due-date range, all of them in
// the index, so rows it acted on are outside the range it scans; run on stored
// rows that are all acted on or not yet due, it must find none.
//
// The queries come from the code itself: which functions query is read from
// this package's source (any exported function that reaches a driver read or
// update), each must be exercised below, and what they send is recorded, not
// restated. With MONGODB_URI set, each recorded query is also explained on
// MongoDB: an index scan, no collection scan, and no document read for a sweep.
func TestEveryQueryHasAnIndex(t *testing.T) {
	s := open(t)
	rec := &queryRecorder{}
	s = &Store{client: s.client, db: recordingDB{IDatabase: s.db, rec: rec}, close: s.close}
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	seedSwept(t, s, now)
	seedViolations(t, s, now)

	exercises, queries := queryExercises(now), queryFunctions(t)
	for _, name := range queries {
		if _, ok := exercises[name]; !ok {
			t.Errorf("%s queries the database but is not exercised here: add it to queryExercises", name)
		}
	}
	// A new filter of a list query needs its combinations exercised below.
	for typ, varied := range map[reflect.Type][]string{
		reflect.TypeFor[ApplicationQuery](): {"Status", "AccountID", "AfterDue", "AfterID", "Limit"},
		reflect.TypeFor[ProductQuery]():     {"ProviderID", "Status", "VisibleOnly", "InReview", "AfterKey", "AfterID", "Limit"},
		reflect.TypeFor[EventQuery]():       {"ProviderID", "Subject", "Type", "After", "Limit"},
		reflect.TypeFor[RefundQuery]():      {"Status", "ProviderID", "BuyerAccount", "AfterID", "Limit"},
		reflect.TypeFor[NoticeQuery]():      {"Status", "ProviderID", "AfterAt", "AfterID", "Limit"},
		reflect.TypeFor[ProviderQuery]():    {"Status", "AccountID", "AfterID", "Limit"},
		reflect.TypeFor[OrderQuery]():       {"ProviderID", "BuyerAccount", "AfterID", "Limit"},
		reflect.TypeFor[ViolationQuery]():   {"ProviderID", "Status", "Oldest", "AfterID", "Limit"},
	} {
		for i := range typ.NumField() {
			if f := typ.Field(i).Name; !slices.Contains(varied, f) {
				t.Errorf("%s.%s is not varied in queryExercises", typ.Name(), f)
			}
		}
	}
	names := slices.Sorted(maps.Keys(exercises))
	for _, name := range names {
		ex := exercises[name]
		rec.start(name)
		got, err := ex.run(ctx, s)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if ex.kind == kindSweep && got != 0 {
			t.Errorf("%s found %d rows; every stored row is acted on or not due", name, got)
		}
	}
	rec.start("")

	for _, name := range names {
		ex := exercises[name]
		if !slices.Contains(queries, name) {
			t.Errorf("%s is exercised here but sends no query (any more): drop it from queryExercises", name)
		}
		qs := rec.byFunction[name]
		if len(qs) == 0 {
			t.Errorf("%s sent no query", name)
		}
		seen := map[string]bool{}
		for _, q := range qs {
			for _, sh := range q.shapes(t) {
				if seen[sh.String()] {
					continue
				}
				seen[sh.String()] = true
				idx, ok := servingIndex(sh)
				switch {
				case !ok:
					t.Errorf("%s: no index serves %s", name, sh)
				case ex.kind == kindSweep && (sh.rng == "" || len(sh.sort) > 0):
					t.Errorf("%s: a sweep is equality fields plus one due-date range, unsorted; got %s", name, sh)
				default:
					t.Logf("%-32s %-6s %-80s %s", name, ex.kind, sh, idx)
				}
			}
		}
	}
	if os.Getenv("MONGODB_URI") != "" {
		explainAll(t, s, exercises, rec)
	}
}

// Kinds of query function.
const (
	kindSweep = "sweep" // a deadline timer's query
	kindTimer = "timer" // another timer's query (the outbox, the refund timers): sorted, oldest first
	kindList  = "list"  // a list endpoint's query
	kindOther = "other" // an operation's read by _id or a unique key, count or small read, or a write
)

type exercise struct {
	kind string
	run  func(ctx context.Context, s *Store) (int, error) // how many rows a sweep found
}

// queryExercises calls every query function with each shape of query it can
// send: the list endpoints' optional filters in every combination their
// endpoints allow.
func queryExercises(now time.Time) map[string]exercise {
	sweep := func(f func(*Store, context.Context, time.Time, int) ([]string, error)) exercise {
		return exercise{kindSweep, func(ctx context.Context, s *Store) (int, error) {
			due, err := f(s, ctx, now, 200)
			return len(due), err
		}}
	}
	none := func(err error) (int, error) { return 0, err }
	tx := func(fn func(tx *Tx) error) func(context.Context, *Store) (int, error) {
		return func(ctx context.Context, s *Store) (int, error) {
			_, err := Transact(ctx, s, func(tx *Tx) (struct{}, error) { return struct{}{}, fn(tx) })
			return 0, err
		}
	}
	notFoundOK := func(err error) error {
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	}
	all := map[string]exercise{
		// Timers.
		"Store.OverdueApplications":           sweep((*Store).OverdueApplications),
		"Store.TopUpOverdueProviders":         sweep((*Store).TopUpOverdueProviders),
		"Store.ReturnOverdueProviders":        sweep((*Store).ReturnOverdueProviders),
		"Store.StartOverdueOrders":            sweep((*Store).StartOverdueOrders),
		"Store.ReviewEndedOrders":             sweep((*Store).ReviewEndedOrders),
		"Store.ExpiredUnpaidOrders":           sweep((*Store).ExpiredUnpaidOrders),
		"Store.PaymentCheckDueOrders":         sweep((*Store).PaymentCheckDueOrders),
		"Store.UnappliedPaymentNotifications": sweep((*Store).UnappliedPaymentNotifications),
		"Store.DeliverableNotifications": {kindTimer, func(ctx context.Context, s *Store) (int, error) {
			_, err := s.DeliverableNotifications(ctx, now, 200)
			return 0, err
		}},
		"Store.SilentRefunds": {kindTimer, func(ctx context.Context, s *Store) (int, error) {
			return none2(s.SilentRefunds(ctx, now, 200))
		}},
		"Store.DueTransfers": {kindTimer, func(ctx context.Context, s *Store) (int, error) {
			for _, state := range []string{market.TransferPending, market.TransferSubmitted} {
				if _, err := s.DueTransfers(ctx, state, now, 200); err != nil {
					return 0, err
				}
			}
			return 0, nil
		}},
		"Store.ExitingProviders": {kindTimer, func(ctx context.Context, s *Store) (int, error) {
			return none2(s.ExitingProviders(ctx, 200))
		}},
		"Store.UnrefundedOrders": {kindTimer, func(ctx context.Context, s *Store) (int, error) {
			for _, after := range []string{"", "ord_x"} {
				if _, err := s.UnrefundedOrders(ctx, "prv_1", after, 200); err != nil {
					return 0, err
				}
			}
			return 0, nil
		}},
		// List endpoints.
		"Store.Applications": {kindList, func(ctx context.Context, s *Store) (int, error) {
			// The reviewers' queue, and an applicant's own (GET /v1/applications as a provider).
			for _, status := range []string{"", "submitted"} {
				for _, account := range []string{"", "acct_1"} {
					for _, after := range []string{"", "app_x"} {
						if _, err := s.Applications(ctx, ApplicationQuery{Status: status, AccountID: account, AfterDue: now, AfterID: after, Limit: 21}); err != nil {
							return 0, err
						}
					}
				}
			}
			return 0, nil
		}},
		"Store.Products": {kindList, func(ctx context.Context, s *Store) (int, error) {
			// operation.ListProducts: operators and the owner filter by provider
			// and status (pending_review is the review queue); everyone else
			// sees what is on sale, of all providers or one.
			var qs []ProductQuery
			for _, prov := range []string{"", "prv_1"} {
				for _, status := range []string{"", "listed", "pending_review"} {
					qs = append(qs, ProductQuery{ProviderID: prov, Status: status, InReview: status == "pending_review"})
				}
				qs = append(qs, ProductQuery{ProviderID: prov, VisibleOnly: true})
			}
			for _, q := range qs {
				for _, after := range []string{"", "prd_x"} {
					q.AfterID, q.AfterKey, q.Limit = after, now, 21
					if _, err := s.Products(ctx, q); err != nil {
						return 0, err
					}
				}
			}
			return 0, nil
		}},
		"Store.Events": {kindList, func(ctx context.Context, s *Store) (int, error) {
			// GET /v1/events filters by provider and type (a provider must
			// name itself); the operations read a subject's trail.
			typ := string(market.EventDepositPaymentUnapplied)
			for _, q := range []EventQuery{{}, {ProviderID: "prv_1"}, {Type: typ}, {ProviderID: "prv_1", Type: typ}, {Subject: "app_1"}} {
				for _, after := range []string{"", "evt_x"} {
					q.After, q.Limit = after, 21
					if _, err := s.Events(ctx, q); err != nil {
						return 0, err
					}
				}
			}
			return 0, nil
		}},
		"Store.Refunds": {kindList, func(ctx context.Context, s *Store) (int, error) {
			// operation.ListRefunds: operators filter by status and provider,
			// a provider lists its own (by status too), a buyer its own.
			var qs []RefundQuery
			for _, status := range []string{"", string(market.RefundArbitrating)} {
				qs = append(qs, RefundQuery{Status: status}, RefundQuery{Status: status, ProviderID: "prv_1"}, RefundQuery{Status: status, BuyerAccount: "acct_9"})
			}
			for _, q := range qs {
				for _, after := range []string{"", "rfd_x"} {
					q.AfterID, q.Limit = after, 21
					if _, err := s.Refunds(ctx, q); err != nil {
						return 0, err
					}
				}
			}
			return 0, nil
		}},
		"Store.Notices": {kindList, func(ctx context.Context, s *Store) (int, error) {
			// GET /v1/deposit-notices: status (open, matched or any) and
			// provider, each optional; the cursor is (filedAt, id).
			for _, status := range []market.NoticeStatus{"", market.NoticeOpen, market.NoticeMatched} {
				for _, prov := range []string{"", "prv_1"} {
					for _, after := range []string{"", "ntc_x"} {
						q := NoticeQuery{Status: string(status), ProviderID: prov, AfterAt: now, AfterID: after, Limit: 21}
						if _, err := s.Notices(ctx, q); err != nil {
							return 0, err
						}
					}
				}
			}
			return 0, nil
		}},
		"Store.Clawbacks": {kindList, func(ctx context.Context, s *Store) (int, error) {
			return none2(s.Clawbacks(ctx, "prv_1"))
		}},
		"Store.DepositEntries": {kindList, func(ctx context.Context, s *Store) (int, error) {
			return none2(s.DepositEntries(ctx, "prv_1"))
		}},
		"Store.SentNotifications": {kindList, func(ctx context.Context, s *Store) (int, error) {
			return none2(s.SentNotifications(ctx, 100))
		}},
		"Store.DeadLetters": {kindList, func(ctx context.Context, s *Store) (int, error) {
			return none2(s.DeadLetters(ctx, 100))
		}},
		"Store.Providers": {kindList, func(ctx context.Context, s *Store) (int, error) {
			// GET /v1/providers: operators by status or not, a provider its own.
			for _, status := range []string{"", "active"} {
				for _, account := range []string{"", "acct_1"} {
					for _, after := range []string{"", "prv_x"} {
						if _, err := s.Providers(ctx, ProviderQuery{Status: status, AccountID: account, AfterID: after, Limit: 21}); err != nil {
							return 0, err
						}
					}
				}
			}
			return 0, nil
		}},
		"Store.Orders": {kindList, func(ctx context.Context, s *Store) (int, error) {
			// GET /v1/orders: operators all or one provider's, a provider its
			// own, a buyer its own.
			for _, q := range []OrderQuery{{}, {ProviderID: "prv_1"}, {BuyerAccount: "acct_9"}} {
				for _, after := range []string{"", "ord_x"} {
					q.AfterID, q.Limit = after, 21
					if _, err := s.Orders(ctx, q); err != nil {
						return 0, err
					}
				}
			}
			return 0, nil
		}},
		// The dashboard (GET /v1/stats): whole sets, no paging.
		"Store.StatsFacts": {kindList, func(ctx context.Context, s *Store) (int, error) {
			return none2(s.StatsFacts(ctx, now.AddDate(0, -12, 0)))
		}},
		"Store.WaitingApplications": {kindList, func(ctx context.Context, s *Store) (int, error) {
			return none2(s.WaitingApplications(ctx))
		}},
		"Store.DecidedApplications": {kindList, func(ctx context.Context, s *Store) (int, error) {
			return none2(s.DecidedApplications(ctx, now.AddDate(0, -12, 0)))
		}},
		"Store.PaidOrders": {kindList, func(ctx context.Context, s *Store) (int, error) {
			return none2(s.PaidOrders(ctx, now.AddDate(0, -12, 0)))
		}},
		"Store.ProviderDeposits": {kindList, func(ctx context.Context, s *Store) (int, error) {
			return none2(s.ProviderDeposits(ctx))
		}},
		// By key.
		"Store.Application": {kindOther, func(ctx context.Context, s *Store) (int, error) { return none2(s.Application(ctx, "app_1")) }},
		"Store.Provider":    {kindOther, func(ctx context.Context, s *Store) (int, error) { return none2(s.Provider(ctx, "prv_1")) }},
		"Store.Product":     {kindOther, func(ctx context.Context, s *Store) (int, error) { return none2(s.Product(ctx, "prd_1")) }},
		"Store.Order":       {kindOther, func(ctx context.Context, s *Store) (int, error) { return none2(s.Order(ctx, "ord_1")) }},
		"Store.Refund":      {kindOther, func(ctx context.Context, s *Store) (int, error) { return none2(s.Refund(ctx, "rfd_1")) }},
		"Store.PaymentNotification": {kindOther, func(ctx context.Context, s *Store) (int, error) {
			return none(notFoundOK(second(s.PaymentNotification(ctx, "tx_1"))))
		}},
		"Store.PaymentByReference": {kindOther, func(ctx context.Context, s *Store) (int, error) {
			return none(notFoundOK(second(s.PaymentByReference(ctx, "ref_1"))))
		}},
		"Store.LookupIdempotent": {kindOther, func(ctx context.Context, s *Store) (int, error) {
			return none(notFoundOK(second(s.LookupIdempotent(ctx, "1", "k", now))))
		}},
		"Store.ClaimNotification": {kindOther, func(ctx context.Context, s *Store) (int, error) {
			return none(second(s.ClaimNotification(ctx, "ntf_x", now)))
		}},
		"Store.MarkNotificationSent": {kindOther, func(ctx context.Context, s *Store) (int, error) {
			return none(s.MarkNotificationSent(ctx, "ntf_x", "test", now))
		}},
		"Store.MarkNotificationFailed": {kindOther, func(ctx context.Context, s *Store) (int, error) {
			return none(s.MarkNotificationFailed(ctx, market.Notification{ID: "ntf_x"}, "test"))
		}},
		// A key's first record is an insert, no query; the repeat reads the
		// stored record (Replayed), and a repeat after expiry replaces it.
		"Store.RecordIdempotent": {kindOther, func(ctx context.Context, s *Store) (int, error) {
			return none(recordThrice(now, func(at time.Time) error {
				return s.RecordIdempotent(ctx, &IdempotencyClaim{Caller: "1", Key: "k", RequestHash: "h", Now: at}, Reply{Status: 200})
			}))
		}},
		"Transact": {kindOther, func(ctx context.Context, s *Store) (int, error) {
			return none(recordThrice(now, func(at time.Time) error {
				c := &IdempotencyClaim{Caller: "1", Key: "k2", RequestHash: "h", Now: at, Render: func(any) (Reply, error) { return Reply{Status: 200}, nil }}
				_, err := Transact(WithIdempotency(ctx, c), s, func(*Tx) (int, error) { return 1, nil })
				return err
			}))
		}},
		"Tx.Application":       {kindOther, tx(func(tx *Tx) error { return second(tx.Application("app_1")) })},
		"Tx.SaveApplication":   {kindOther, tx(func(tx *Tx) error { return saveAfter(tx.Application("app_1"))(tx.SaveApplication) })},
		"Tx.Provider":          {kindOther, tx(func(tx *Tx) error { return second(tx.Provider("prv_1")) })},
		"Tx.SaveProvider":      {kindOther, tx(func(tx *Tx) error { return saveAfter(tx.Provider("prv_1"))(tx.SaveProvider) })},
		"Tx.ProviderByAccount": {kindOther, tx(func(tx *Tx) error { return second(tx.ProviderByAccount("acct_1")) })},
		"Tx.Organisation":      {kindOther, tx(func(tx *Tx) error { return second(tx.Organisation("71526726-X")) })},
		"Tx.SetOrganisation": {kindOther, func(ctx context.Context, s *Store) (int, error) {
			set := tx(func(tx *Tx) error { // inserts, then replaces
				if _, err := tx.Organisation("71526726-X"); err != nil {
					return err
				}
				return tx.SetOrganisation("71526726-X", OrganisationRef{Standing: market.OrganisationApplying}, now)
			})
			if _, err := set(ctx, s); err != nil {
				return 0, err
			}
			return set(ctx, s)
		}},
		"Tx.Product": {kindOther, tx(func(tx *Tx) error { return second(tx.Product("prd_1")) })},
		"Tx.SaveProduct": {kindOther, tx(func(tx *Tx) error {
			return saveAfter(tx.Product("prd_1"))(func(p *market.Product) error { return tx.SaveProduct(p, true) })
		})},
		"Tx.ApprovedProducts": {kindOther, tx(func(tx *Tx) error { return second(tx.ApprovedProducts("prv_1")) })},
		"Tx.SetStoreOpen": {kindOther, tx(func(tx *Tx) error {
			if err := tx.SetStoreOpen("prv_1", false); err != nil {
				return err
			}
			return tx.SetStoreOpen("prv_1", true)
		})},
		"Tx.Order":             {kindOther, tx(func(tx *Tx) error { return second(tx.Order("ord_1")) })},
		"Tx.SaveOrder":         {kindOther, tx(func(tx *Tx) error { return saveAfter(tx.Order("ord_1"))(tx.SaveOrder) })},
		"Tx.OrderByOutTradeNo": {kindOther, tx(func(tx *Tx) error { return notFoundOK(second(tx.OrderByOutTradeNo("out_1"))) })},
		"Tx.NextReceiptNo":     {kindOther, tx(func(tx *Tx) error { return second(tx.NextReceiptNo(2026)) })},
		"Tx.PaymentNotification": {kindOther, tx(func(tx *Tx) error {
			return notFoundOK(second(tx.PaymentNotification("tx_1")))
		})},
		"Tx.ClaimPaymentTransaction": {kindOther, func(ctx context.Context, s *Store) (int, error) {
			_, err := Transact(ctx, s, func(tx *Tx) (struct{}, error) { return struct{}{}, tx.ClaimPaymentTransaction("tx_1", "ord_1") })
			if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) { // the query ran all the same
				err = nil
			}
			return 0, err
		}},
		"Tx.RedrivePaymentNotification": {kindOther, func(ctx context.Context, s *Store) (int, error) {
			_, err := Transact(ctx, s, func(tx *Tx) (struct{}, error) {
				return struct{}{}, tx.RedrivePaymentNotification(market.PaymentNotification{ID: "tx_1", DriveAt: now, Redrives: 1})
			})
			if errors.Is(err, ErrConflict) {
				err = nil
			}
			return 0, err
		}},
		"Tx.FinishPaymentNotification": {kindOther, func(ctx context.Context, s *Store) (int, error) {
			_, err := Transact(ctx, s, func(tx *Tx) (struct{}, error) { return struct{}{}, tx.FinishPaymentNotification("tx_1", "applied", "") })
			if errors.Is(err, ErrConflict) { // nothing to finish: the query ran all the same
				err = nil
			}
			return 0, err
		}},
		"Tx.DepositEntries": {kindOther, tx(func(tx *Tx) error { return second(tx.DepositEntries("prv_1")) })},
		"Tx.Notice":         {kindOther, tx(func(tx *Tx) error { return second(tx.Notice("ntc_1")) })},
		"Tx.SaveNotice":     {kindOther, tx(func(tx *Tx) error { return saveAfter(tx.Notice("ntc_1"))(tx.SaveNotice) })},
		// Refunds.
		"Tx.Refund":     {kindOther, tx(func(tx *Tx) error { return second(tx.Refund("rfd_1")) })},
		"Tx.SaveRefund": {kindOther, tx(func(tx *Tx) error { return saveAfter(tx.Refund("rfd_1"))(tx.SaveRefund) })},
		"Tx.RefundByOutRefundNo": {kindOther, tx(func(tx *Tx) error {
			return notFoundOK(second(tx.RefundByOutRefundNo("rfdno_1")))
		})},
		"Tx.CountOpenRefunds":      {kindOther, tx(func(tx *Tx) error { return second(tx.CountOpenRefunds("prv_1")) })},
		"Tx.CountUnfinishedOrders": {kindOther, tx(func(tx *Tx) error { return second(tx.CountUnfinishedOrders("prv_1")) })},
		"Tx.UnfinishedOrders":      {kindOther, tx(func(tx *Tx) error { return second(tx.UnfinishedOrders("prv_1", 200)) })},
		"Tx.HasExitRefund":         {kindOther, tx(func(tx *Tx) error { return second(tx.HasExitRefund("ord_1")) })},
		"Tx.RefundNotification": {kindOther, tx(func(tx *Tx) error {
			return notFoundOK(second(tx.RefundNotification("wxrfd_1")))
		})},
		// Settlement.
		"Store.EachLedgerTxn": {kindList, func(ctx context.Context, s *Store) (int, error) {
			for _, prov := range []string{"", "prv_1"} {
				if err := s.EachLedgerTxn(ctx, prov, func(market.LedgerTxn) error { return nil }); err != nil {
					return 0, err
				}
			}
			return 0, nil
		}},
		"Store.EachStatementLine": {kindList, func(ctx context.Context, s *Store) (int, error) {
			return 0, s.EachStatementLine(ctx, "stm_1", func(market.StatementLine) error { return nil })
		}},
		"Store.Payouts": {kindList, func(ctx context.Context, s *Store) (int, error) {
			for _, prov := range []string{"", "prv_1"} {
				for _, status := range []string{"", market.PayoutPending} {
					for _, after := range []string{"", "pay_x"} {
						if _, err := s.Payouts(ctx, PayoutQuery{ProviderID: prov, Status: status, AfterID: after, Limit: 21}); err != nil {
							return 0, err
						}
					}
				}
			}
			return 0, nil
		}},
		"Store.ProviderIDs": {kindTimer, func(ctx context.Context, s *Store) (int, error) {
			for _, after := range []string{"", "prv_x"} {
				if _, err := s.ProviderIDs(ctx, after, 200); err != nil {
					return 0, err
				}
			}
			return 0, nil
		}},
		"Store.SettlementRun": {kindOther, func(ctx context.Context, s *Store) (int, error) {
			return none(notFoundOK(second(s.SettlementRun(ctx, "2026-10"))))
		}},
		"Store.Statement": {kindOther, func(ctx context.Context, s *Store) (int, error) {
			return none(notFoundOK(second(s.Statement(ctx, "stm_1"))))
		}},
		"Store.Statements": {kindList, func(ctx context.Context, s *Store) (int, error) {
			for _, before := range []string{"", "2026-10"} {
				if _, err := s.Statements(ctx, "prv_1", before, 21); err != nil {
					return 0, err
				}
			}
			return 0, nil
		}},
		"Tx.EachSettleableOrderIn": {kindTimer, tx(func(tx *Tx) error {
			return tx.EachSettleableOrderIn([]string{"prv_1", "prv_2"}, now, func(*market.Order) error { return nil })
		})},
		"Tx.MarkOrdersSettledIn": {kindOther, tx(func(tx *Tx) error {
			return second(tx.MarkOrdersSettledIn([]string{"prv_1", "prv_2"}, now, "2026-10", now))
		})},
		"Tx.UnsettledClawbacks":   {kindTimer, tx(func(tx *Tx) error { return second(tx.UnsettledClawbacks("prv_1", now)) })},
		"Tx.MarkClawbacksSettled": {kindOther, tx(func(tx *Tx) error { return tx.MarkClawbacksSettled("prv_1", now, "2026-10") })},
		"Tx.ReturnedPayouts":      {kindTimer, tx(func(tx *Tx) error { return second(tx.ReturnedPayouts("prv_1", now)) })},
		"Tx.MarkPayoutsReturned":  {kindOther, tx(func(tx *Tx) error { return tx.MarkPayoutsReturned("prv_1", now, "2026-10") })},
		"Tx.LastStatement":        {kindOther, tx(func(tx *Tx) error { return notFoundOK(second(tx.LastStatement("prv_1", "2026-10"))) })},
		"Tx.LaterSettlementRun":   {kindOther, tx(func(tx *Tx) error { return second(tx.LaterSettlementRun("2026-10")) })},
		"Tx.SettlementRun":        {kindOther, tx(func(tx *Tx) error { return notFoundOK(second(tx.SettlementRun("2026-10"))) })},
		"Tx.SaveSettlementRun": {kindOther, tx(func(tx *Tx) error {
			if err := tx.InsertSettlementRun(&SettlementRun{Period: "2026-09", Status: "running", StartedAt: now}); err != nil {
				return err
			}
			return saveAfter(tx.SettlementRun("2026-09"))(tx.SaveSettlementRun)
		})},
		"Tx.Statement": {kindOther, tx(func(tx *Tx) error { return notFoundOK(second(tx.Statement("stm_1"))) })},
		"Tx.SaveStatement": {kindOther, tx(func(tx *Tx) error {
			st := market.NewStatement("prv_1", market.FeePlatform, "2026-09", 0, now)
			if err := tx.InsertStatement(st); err != nil {
				return err
			}
			return saveAfter(tx.Statement(st.ID))(tx.SaveStatement)
		})},
		"Tx.Payout": {kindOther, tx(func(tx *Tx) error { return notFoundOK(second(tx.Payout("pay_1"))) })},
		"Tx.SavePayout": {kindOther, tx(func(tx *Tx) error {
			p := &market.Payout{ID: "pay_prv_1_2026-09", ProviderID: "prv_1", Status: market.PayoutPending, CreatedAt: now}
			if err := tx.InsertPayout(p); err != nil {
				return err
			}
			return saveAfter(tx.Payout(p.ID))(tx.SavePayout)
		})},
		"Tx.FinishRefundNotification": {kindOther, func(ctx context.Context, s *Store) (int, error) {
			_, err := Transact(ctx, s, func(tx *Tx) (struct{}, error) { return struct{}{}, tx.FinishRefundNotification("wxrfd_1", "applied") })
			if errors.Is(err, ErrConflict) { // nothing to finish: the query ran all the same
				err = nil
			}
			return 0, err
		}},
	}
	maps.Copy(all, violationExercises(now))
	return all
}

func none2[T any](_ T, err error) (int, error) { return 0, err }

// recordThrice records an idempotency key, records it again (which must be
// refused as a replay) and records it once more after it expired.
func recordThrice(now time.Time, record func(at time.Time) error) error {
	if err := record(now); err != nil {
		return err
	}
	var replayed *Replayed
	if err := record(now); !errors.As(err, &replayed) {
		return fmt.Errorf("repeat: want Replayed, got %v", err)
	}
	return record(now.Add(IdempotencyTTL))
}

func second[T any](_ T, err error) error { return err }

// saveAfter saves what a load returned.
func saveAfter[T any](v T, err error) func(func(T) error) error {
	return func(save func(T) error) error {
		if err != nil {
			return err
		}
		return save(v)
	}
}

// seedSwept stores, for every sweep, rows it acted on long ago and rows not yet
// due, and the documents the by-key exercises read.
func seedSwept(t *testing.T, s *Store, now time.Time) {
	t.Helper()
	ctx := context.Background()
	past, future := now.Add(-30*24*time.Hour), now.Add(30*24*time.Hour)
	flagged := sampleApplication("app_1", past)
	flagged.OverdueFlaggedAt = past.Add(time.Minute)
	notDue := sampleApplication("app_2", future)
	decided := sampleApplication("app_3", past)
	decided.Status = market.ApplicationApproved

	closed := &market.Provider{ID: "prv_1", AccountID: "acct_1", ApplicationID: "app_3", Status: market.ProviderActive,
		Deposit: market.Deposit{RequiredFen: 500000, BalanceFen: 100000, TopUpDueAt: past, StoreClosed: true}}
	returnFlagged := &market.Provider{ID: "prv_2", ApplicationID: "app_4", Status: market.ProviderExiting,
		Deposit: market.Deposit{RequiredFen: 500000, BalanceFen: 500000, ReturnDueAt: past, ReturnOverdueAt: past.Add(time.Minute)}}
	returned := &market.Provider{ID: "prv_3", ApplicationID: "app_5", Status: market.ProviderExited,
		Deposit: market.Deposit{RequiredFen: 500000, ReturnDueAt: past, ReturnedAt: past.Add(time.Hour)}}
	topUpNotDue := &market.Provider{ID: "prv_4", ApplicationID: "app_6", Status: market.ProviderActive,
		Deposit: market.Deposit{RequiredFen: 500000, BalanceFen: 100000, TopUpDueAt: future}}

	order := func(id string, status market.OrderStatus) *market.Order {
		return &market.Order{ID: id, OutTradeNo: "out_" + id, ProviderID: "prv_1", Category: market.CategorySoftware, Status: status, CreatedAt: past}
	}
	startFlagged := order("ord_1", market.OrderPaid)
	startFlagged.StartDueAt, startFlagged.StartOverdueAt = past, past.Add(time.Minute)
	unpaid := order("ord_2", market.OrderPendingPayment)
	unpaid.ExpiresAt, unpaid.Payment.CheckAt = future, future
	inService := order("ord_3", market.OrderInService)
	inService.StartedAt, inService.ReviewPeriodEndsAt = past, future
	completed := order("ord_4", market.OrderCompleted)
	completed.StartDueAt, completed.ReviewPeriodEndsAt, completed.ExpiresAt = past, past, past

	product := &market.Product{ID: "prd_1", ProviderID: "prv_1", Status: market.ProductListed, CreatedAt: past, UpdatedAt: past}
	refund := &market.Refund{ID: "rfd_1", OrderID: "ord_4", ProviderID: "prv_1", BuyerAccount: "acct_9", Status: market.RefundDenied,
		Basis: market.BasisReviewPeriod, RequestedAt: past, UpdatedAt: past}
	notice := &market.DepositNotice{ID: "ntc_1", ProviderID: "prv_1", AmountFen: 400000, Channel: "bank_transfer", Reference: "ref_1",
		PaidAt: past, Status: market.NoticeOpen, FiledAt: past}

	_, err := Transact(ctx, s, func(tx *Tx) (struct{}, error) {
		for _, a := range []*market.Application{flagged, notDue, decided} {
			if err := tx.InsertApplication(a); err != nil {
				return struct{}{}, err
			}
		}
		for _, p := range []*market.Provider{closed, returnFlagged, returned, topUpNotDue} {
			if err := tx.InsertProvider(p); err != nil {
				return struct{}{}, err
			}
		}
		for _, o := range []*market.Order{startFlagged, unpaid, inService, completed} {
			if err := tx.InsertOrder(o); err != nil {
				return struct{}{}, err
			}
		}
		if err := tx.InsertRefund(refund); err != nil {
			return struct{}{}, err
		}
		if err := tx.InsertNotice(notice); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, tx.InsertProduct(product, true)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Payment notifications: one applied long ago, one received and not due
	// for a re-drive yet.
	for i, n := range []market.PaymentNotification{
		{TransactionID: "4200000000SWEPT1", ReceivedAt: past, DriveAt: past},
		{TransactionID: "4200000000SWEPT2", ReceivedAt: now, DriveAt: future},
	} {
		if _, err := s.StorePaymentNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, err := Transact(ctx, s, func(tx *Tx) (struct{}, error) {
				return struct{}{}, tx.FinishPaymentNotification(n.TransactionID, market.NotificationApplied, "applied")
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	lease := now.Add(time.Minute)
	for _, n := range []bson.M{
		{"_id": "ntf_1", "status": market.NotificationSent, "createdAt": past},
		{"_id": "ntf_2", "status": market.NotificationSending, "createdAt": past, "leaseEnds": lease}, // claimed, lease running
	} {
		if _, err := s.col(colNotifications).InsertOne(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
}

// queryFunctions lists the exported functions of this package that reach a
// driver call taking a filter, read from the source.
func queryFunctions(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	driver := map[string]bool{"Find": true, "FindOne": true, "FindOneAndUpdate": true, "FindOneAndReplace": true, "FindOneAndDelete": true,
		"UpdateOne": true, "UpdateMany": true, "UpdateByID": true, "ReplaceOne": true, "DeleteOne": true, "DeleteMany": true,
		"CountDocuments": true, "Distinct": true, "Aggregate": true, "Watch": true, "BulkWrite": true}
	byName := map[string][]string{} // plain name → qualified names
	calls := map[string][]string{}  // qualified name → plain names it calls
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			name := fd.Name.Name
			if fd.Recv != nil {
				typ := fd.Recv.List[0].Type
				if star, ok := typ.(*ast.StarExpr); ok {
					typ = star.X
				}
				if id, ok := typ.(*ast.Ident); ok {
					name = id.Name + "." + name
				}
			}
			byName[fd.Name.Name] = append(byName[fd.Name.Name], name)
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					switch fn := call.Fun.(type) {
					case *ast.SelectorExpr:
						if driver[fn.Sel.Name] {
							calls[name] = append(calls[name], "\x00driver")
						}
						calls[name] = append(calls[name], fn.Sel.Name)
					case *ast.Ident:
						calls[name] = append(calls[name], fn.Name)
					case *ast.IndexExpr:
						if id, ok := fn.X.(*ast.Ident); ok {
							calls[name] = append(calls[name], id.Name)
						}
					}
				}
				return true
			})
		}
	}
	queries := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for name, callees := range calls {
			if queries[name] {
				continue
			}
			for _, c := range callees {
				hit := c == "\x00driver"
				for _, q := range byName[c] {
					hit = hit || queries[q]
				}
				if hit {
					queries[name], changed = true, true
					break
				}
			}
		}
	}
	var out []string
	for name := range queries {
		plain := name[strings.LastIndexByte(name, '.')+1:]
		recv, _, isMethod := strings.Cut(name, ".")
		if token.IsExported(plain) && (!isMethod || token.IsExported(recv)) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// queryRecorder keeps what each exercised function sent to the engine.
type queryRecorder struct {
	mu         sync.Mutex
	current    string
	byFunction map[string][]recordedQuery
}

type recordedQuery struct {
	col    string
	op     string
	filter any
	sort   any
}

func (r *queryRecorder) start(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.current = name
}

func (r *queryRecorder) add(col, op string, filter, sort any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.current == "" {
		return
	}
	if r.byFunction == nil {
		r.byFunction = map[string][]recordedQuery{}
	}
	r.byFunction[r.current] = append(r.byFunction[r.current], recordedQuery{col: col, op: op, filter: filter, sort: sort})
}

type recordingDB struct {
	lungo.IDatabase
	rec *queryRecorder
}

func (d recordingDB) Collection(name string, opts ...*options.CollectionOptions) lungo.ICollection {
	return recordingCollection{ICollection: d.IDatabase.Collection(name, opts...), name: name, rec: d.rec}
}

type recordingCollection struct {
	lungo.ICollection
	name string
	rec  *queryRecorder
}

func (c recordingCollection) Find(ctx context.Context, filter any, opts ...*options.FindOptions) (lungo.ICursor, error) {
	c.rec.add(c.name, "find", filter, options.MergeFindOptions(opts...).Sort)
	return c.ICollection.Find(ctx, filter, opts...)
}

func (c recordingCollection) FindOne(ctx context.Context, filter any, opts ...*options.FindOneOptions) lungo.ISingleResult {
	c.rec.add(c.name, "findOne", filter, options.MergeFindOneOptions(opts...).Sort)
	return c.ICollection.FindOne(ctx, filter, opts...)
}

func (c recordingCollection) FindOneAndUpdate(ctx context.Context, filter, update any, opts ...*options.FindOneAndUpdateOptions) lungo.ISingleResult {
	c.rec.add(c.name, "findOneAndUpdate", filter, options.MergeFindOneAndUpdateOptions(opts...).Sort)
	return c.ICollection.FindOneAndUpdate(ctx, filter, update, opts...)
}

func (c recordingCollection) FindOneAndReplace(ctx context.Context, filter, repl any, opts ...*options.FindOneAndReplaceOptions) lungo.ISingleResult {
	c.rec.add(c.name, "findOneAndReplace", filter, options.MergeFindOneAndReplaceOptions(opts...).Sort)
	return c.ICollection.FindOneAndReplace(ctx, filter, repl, opts...)
}

func (c recordingCollection) FindOneAndDelete(ctx context.Context, filter any, opts ...*options.FindOneAndDeleteOptions) lungo.ISingleResult {
	c.rec.add(c.name, "findOneAndDelete", filter, options.MergeFindOneAndDeleteOptions(opts...).Sort)
	return c.ICollection.FindOneAndDelete(ctx, filter, opts...)
}

func (c recordingCollection) UpdateOne(ctx context.Context, filter, update any, opts ...*options.UpdateOptions) (*mongo.UpdateResult, error) {
	c.rec.add(c.name, "updateOne", filter, nil)
	return c.ICollection.UpdateOne(ctx, filter, update, opts...)
}

func (c recordingCollection) UpdateMany(ctx context.Context, filter, update any, opts ...*options.UpdateOptions) (*mongo.UpdateResult, error) {
	c.rec.add(c.name, "updateMany", filter, nil)
	return c.ICollection.UpdateMany(ctx, filter, update, opts...)
}

func (c recordingCollection) UpdateByID(ctx context.Context, id, update any, opts ...*options.UpdateOptions) (*mongo.UpdateResult, error) {
	c.rec.add(c.name, "updateOne", bson.M{"_id": id}, nil)
	return c.ICollection.UpdateByID(ctx, id, update, opts...)
}

func (c recordingCollection) ReplaceOne(ctx context.Context, filter, repl any, opts ...*options.ReplaceOptions) (*mongo.UpdateResult, error) {
	c.rec.add(c.name, "replaceOne", filter, nil)
	return c.ICollection.ReplaceOne(ctx, filter, repl, opts...)
}

func (c recordingCollection) DeleteOne(ctx context.Context, filter any, opts ...*options.DeleteOptions) (*mongo.DeleteResult, error) {
	c.rec.add(c.name, "deleteOne", filter, nil)
	return c.ICollection.DeleteOne(ctx, filter, opts...)
}

func (c recordingCollection) DeleteMany(ctx context.Context, filter any, opts ...*options.DeleteOptions) (*mongo.DeleteResult, error) {
	c.rec.add(c.name, "deleteMany", filter, nil)
	return c.ICollection.DeleteMany(ctx, filter, opts...)
}

func (c recordingCollection) CountDocuments(ctx context.Context, filter any, opts ...*options.CountOptions) (int64, error) {
	c.rec.add(c.name, "count", filter, nil)
	return c.ICollection.CountDocuments(ctx, filter, opts...)
}

// A query's shape: what an index must serve.
type queryShape struct {
	col  string
	eq   []string // fields matched exactly (sorted)
	rng  string   // the field with a range, if any
	sort []string
	vals map[string]any // equality values, for partial indexes
}

func (q queryShape) String() string {
	s := q.col + " {" + strings.Join(q.eq, ", ")
	if q.rng != "" {
		if len(q.eq) > 0 {
			s += ", "
		}
		s += q.rng + ": range"
	}
	s += "}"
	if len(q.sort) > 0 {
		s += " sort " + strings.Join(q.sort, ", ")
	}
	return s
}

// shapes splits a recorded query into what an index must serve: one shape,
// or one per branch of an $or.
func (q recordedQuery) shapes(t *testing.T) []queryShape {
	t.Helper()
	filter := asM(q.filter)
	var sortKeys []string
	if q.sort != nil {
		raw, err := bson.Marshal(q.sort)
		if err != nil {
			t.Fatalf("%s: sort %v: %v", q.col, q.sort, err)
		}
		var d bson.D
		if err := bson.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		for _, e := range d {
			sortKeys = append(sortKeys, e.Key)
		}
	}
	branches := []bson.M{{}}
	if or, ok := filter["$or"]; ok {
		branches = nil
		for _, b := range or.(bson.A) {
			branches = append(branches, asM(b))
		}
	}
	var out []queryShape
	for _, b := range branches {
		sh := queryShape{col: q.col, sort: sortKeys, vals: map[string]any{}}
		for _, m := range []bson.M{filter, b} {
			for k, v := range m {
				if k == "$or" {
					continue
				}
				if strings.HasPrefix(k, "$") {
					t.Errorf("%s: operator %s is not checked here", q.col, k)
					continue
				}
				if ops, ok := v.(bson.M); ok {
					for op, arg := range ops {
						switch {
						case op == "$lt" || op == "$lte" || op == "$gt" || op == "$gte":
							if sh.rng != "" && sh.rng != k {
								t.Errorf("%s: two ranges (%s, %s): no index serves both", q.col, sh.rng, k)
							}
							sh.rng = k
						case op == "$in" && len(asA(arg)) < 200, op == "$exists" && arg == false:
							// Point bounds, so equality: a short $in list is
							// scanned value by value and, under a sort, the
							// runs are merged in index order (SORT_MERGE);
							// $exists: false is the null point, checked on
							// the fetched document.
							sh.eq = append(sh.eq, k)
						default:
							t.Errorf("%s: %s on %s is not checked here", q.col, op, k)
						}
					}
					continue
				}
				sh.eq = append(sh.eq, k)
				sh.vals[k] = v
			}
		}
		sort.Strings(sh.eq)
		out = append(out, sh)
	}
	return out
}

// servingIndex names the declared index (or _id's) that serves a shape:
// its keys start with the equality fields (a partial index's filter counts as
// matched), then the sort, then the range — the range may also lead the sort.
func servingIndex(q queryShape) (string, bool) {
	if slices.Contains(q.eq, "_id") {
		return "_id", true // unique: one document at most
	}
	candidates := append([]mongo.IndexModel{{Keys: bson.D{{Key: "_id", Value: 1}}}}, indexes[q.col]...)
	for _, idx := range candidates {
		var keys []string
		for _, e := range idx.Keys.(bson.D) {
			keys = append(keys, e.Key)
		}
		eq := slices.Clone(q.eq)
		if idx.Options != nil && idx.Options.PartialFilterExpression != nil {
			for k, v := range asM(idx.Options.PartialFilterExpression) {
				if i := slices.Index(eq, k); i >= 0 && reflect.DeepEqual(q.vals[k], v) {
					eq = slices.Delete(eq, i, i+1)
				}
			}
		}
		if len(keys) < len(eq) {
			continue
		}
		if lead := slices.Sorted(slices.Values(keys[:len(eq)])); !slices.Equal(lead, eq) {
			continue
		}
		rest := keys[len(eq):]
		var sortRest []string
		for _, k := range q.sort {
			if !slices.Contains(eq, k) {
				sortRest = append(sortRest, k)
			}
		}
		if len(rest) < len(sortRest) || !slices.Equal(rest[:len(sortRest)], sortRest) {
			continue
		}
		switch {
		case q.rng == "":
		case len(sortRest) > 0 && sortRest[0] == q.rng:
		case len(sortRest) == 0 && len(rest) > 0 && rest[0] == q.rng:
		case len(sortRest) > 0 && slices.Contains(rest[len(sortRest):], q.rng):
		default:
			continue
		}
		var b strings.Builder
		b.WriteString("(" + strings.Join(keys, ", ") + ")")
		if idx.Options != nil && idx.Options.PartialFilterExpression != nil {
			fmt.Fprintf(&b, " partial %v", idx.Options.PartialFilterExpression)
		}
		return b.String(), true
	}
	return "", false
}

func asA(v any) bson.A {
	a, _ := v.(bson.A)
	return a
}

func asM(v any) bson.M {
	switch x := v.(type) {
	case bson.M:
		return x
	case map[string]any:
		return x
	}
	raw, err := bson.Marshal(v)
	if err != nil {
		panic(err)
	}
	var m bson.M
	if err := bson.Unmarshal(raw, &m); err != nil {
		panic(err)
	}
	return m
}

// explainAll asks MongoDB how it runs each recorded query: with an index,
// and, for a sweep over rows all acted on or not due, without reading a
// document.
func explainAll(t *testing.T, s *Store, exercises map[string]exercise, rec *queryRecorder) {
	ctx := context.Background()
	for name, qs := range rec.byFunction {
		for _, q := range qs {
			cmd := bson.D{{Key: "find", Value: q.col}, {Key: "filter", Value: q.filter}}
			if q.sort != nil {
				cmd = append(cmd, bson.E{Key: "sort", Value: q.sort})
			}
			var res bson.M
			if err := s.db.RunCommand(ctx, bson.D{{Key: "explain", Value: cmd}, {Key: "verbosity", Value: "executionStats"}}).Decode(&res); err != nil {
				t.Errorf("%s: explain %s: %v", name, q.col, err)
				continue
			}
			planner, _ := res["queryPlanner"].(bson.M)
			stages := planStages(planner["winningPlan"])
			indexed := slices.ContainsFunc(stages, func(s string) bool {
				return strings.Contains(s, "IXSCAN") || s == "IDHACK" || strings.HasPrefix(s, "EXPRESS")
			})
			if !indexed || slices.Contains(stages, "COLLSCAN") {
				t.Errorf("%s: %s %v runs as %v", name, q.col, q.filter, stages)
			}
			if exercises[name].kind == kindSweep {
				stats, _ := res["executionStats"].(bson.M)
				if n := number(stats["totalDocsExamined"]); n != 0 {
					t.Errorf("%s: read %d documents with nothing due", name, n)
				}
			}
		}
	}
}

func planStages(v any) []string {
	var out []string
	switch x := v.(type) {
	case bson.M:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "stage" {
				out = append(out, s)
			}
			out = append(out, planStages(e)...)
		}
	case bson.A:
		for _, e := range x {
			out = append(out, planStages(e)...)
		}
	}
	return out
}

func number(v any) int64 {
	switch n := v.(type) {
	case int32:
		return int64(n)
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return -1
}
