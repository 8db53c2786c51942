package operation_test

import (
	"encoding/json"
	"testing"
	"time"

	"cloudmarket/shared/market"
	"cloudmarket/shared/operation"
	"cloudmarket/shared/store"
)

// applyQueued applies, as the consumer would, every message queued since
// index from; it returns the new end.
func (f *fixture) applyQueued(from int) int {
	f.t.Helper()
	msgs := f.queue.all()
	for _, q := range msgs[from:] {
		var m operation.PaymentMessage
		ok(f.t, json.Unmarshal(q.Value, &m))
		ok(f.t, f.svc.ApplyPayment(f.ctx, m))
	}
	return len(msgs)
}

// Placing an order opens its Native payment: code_url on the order,
// time_expire its expiresAt, attach naming the order.
func TestPlaceOrder_Prepay(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _ := f.onSale("100001", creditCode, "software", 10000)
	o, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 2)
	ok(t, err)
	if o.Payment.CodeURL != "weixin://wxpay/bizpayurl?pr="+o.OutTradeNo || f.order(o.ID).Payment.CodeURL != o.Payment.CodeURL {
		t.Fatalf("codeUrl: %q", o.Payment.CodeURL)
	}
	p := f.native.prepays
	if len(p) != 1 || p[0].OutTradeNo != o.OutTradeNo || p[0].AmountFen != 20000 || !p[0].ExpiresAt.Equal(o.ExpiresAt) || p[0].Attach != "order:"+o.ID {
		t.Fatalf("prepay: %+v", p)
	}
	// First asked about QueryAfter later, never past its window.
	wantTime(t, "checkAt", f.order(o.ID).Payment.CheckAt, sh(t, "2026-07-01 09:35"))
}

// A failed prepay leaves the order placed and payable: the timer prepays it
// again, with the same out_trade_no, until it has its code_url.
func TestPlaceOrder_PrepayRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _ := f.onSale("100001", creditCode, "software", 10000)
	f.native.set(func(n *fakeNative) { n.failures = 2 })
	o, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	ok(t, err)
	if o.Payment.CodeURL != "" || o.Status != market.OrderPendingPayment {
		t.Fatalf("failed prepay: %+v", o.Payment)
	}
	if rep := f.run(); rep.PaymentReport.Prepaid != 0 {
		t.Fatalf("retried before PrepayRetry: %+v", rep.PaymentReport)
	}
	f.setClock("2026-07-01 09:31:01")
	if rep := f.run(); rep.PaymentReport.Prepaid != 0 || rep.PaymentAPIError != 1 {
		t.Fatalf("second failure: %+v", rep.PaymentReport)
	}
	f.setClock("2026-07-01 09:32:02")
	if rep := f.run(); rep.PaymentReport.Prepaid != 1 {
		t.Fatalf("third try: %+v", rep.PaymentReport)
	}
	if got := f.order(o.ID); got.Payment.CodeURL == "" {
		t.Fatal("no codeUrl after the retry")
	}
	for _, p := range f.native.prepays {
		if p.OutTradeNo != o.OutTradeNo {
			t.Errorf("a retry used another out_trade_no: %s", p.OutTradeNo)
		}
	}
}

// A payment whose notification never came is found by the query and applied
// once, through the same path as a notification.
func TestReconciliation_FindsWithheldPayment(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _ := f.onSale("100001", creditCode, "software", 10000)
	o, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	ok(t, err)
	f.native.pay(o.OutTradeNo, "4200000000WITHHELD", sh(t, "2026-07-01 09:31"))

	f.setClock("2026-07-01 09:34")
	if rep := f.run(); rep.Queried != 0 {
		t.Fatalf("asked before QueryAfter: %+v", rep.PaymentReport)
	}
	f.setClock("2026-07-01 09:35:01")
	if rep := f.run(); rep.Queried != 1 || rep.FoundPaid != 1 {
		t.Fatalf("query: %+v", rep.PaymentReport)
	}
	f.applyQueued(0)
	got := f.order(o.ID)
	if got.Status != market.OrderInService || got.TransactionID != "4200000000WITHHELD" {
		t.Fatalf("order: %s %s", got.Status, got.TransactionID)
	}
	wantTime(t, "paidAt", got.PaidAt, sh(t, "2026-07-01 09:31"))
	// The notification arriving late (the same transaction as the query
	// found, attach and all), and the next timer runs, change nothing.
	ok(t, f.deliverPayment(operation.PaymentMessage{TransactionID: "4200000000WITHHELD", OutTradeNo: o.OutTradeNo, Attach: operation.OrderAttach(o.ID),
		AmountFen: int64(o.AmountFen), TradeState: "SUCCESS", SuccessTime: sh(t, "2026-07-01 09:31")}))
	if n := f.countEvents("payment.conflicting"); n != 0 {
		t.Errorf("the notification of the payment found by query was taken for a conflict")
	}
	f.setClock("2026-07-01 09:45")
	if rep := f.run(); rep.Queried != 0 {
		t.Errorf("a paid order was asked about: %+v", rep.PaymentReport)
	}
	if n := f.countEvents("order.paid"); n != 1 {
		t.Errorf("paid %d times", n)
	}
}

// Before an order lapses it is closed at the payment system; while the
// close fails it is not cancelled; a payment found at the last query is
// applied instead of cancelling.
func TestLapse_ClosedAtThePaymentSystem(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 10:00")
	prod, _ := f.onSale("100001", creditCode, "software", 1000)
	a, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	ok(t, err)
	b, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	ok(t, err)

	f.setClock("2026-07-01 11:59")
	f.native.pay(b.OutTradeNo, "4200000000LASTMIN", f.clock.Now())
	f.setClock("2026-07-01 12:00:01")
	f.native.set(func(n *fakeNative) { n.down = map[string]bool{a.OutTradeNo: true} })
	rep := f.run()
	if rep.OrdersCancelled != 0 || rep.FoundPaid == 0 {
		t.Fatalf("first run: cancelled %d, %+v", rep.OrdersCancelled, rep.PaymentReport)
	}
	if got := f.order(a.ID); got.Status != market.OrderPendingPayment {
		t.Fatalf("cancelled without closing: %s", got.Status)
	}
	f.applyQueued(0)
	f.native.set(func(n *fakeNative) { n.down = nil })
	if got := f.order(b.ID); got.Status != market.OrderInService {
		t.Fatalf("paid at the last minute: %s", got.Status)
	}
	f.setClock("2026-07-01 12:01")
	if rep := f.run(); rep.OrdersCancelled != 1 || rep.ClosedAtLapse != 1 {
		t.Fatalf("second run: cancelled %d, %+v", rep.OrdersCancelled, rep.PaymentReport)
	}
	if got := f.order(a.ID); got.Status != market.OrderCancelled || got.Payment.ClosedAt.IsZero() {
		t.Fatalf("a: %s closed %v", got.Status, got.Payment.ClosedAt)
	}
	if c := f.native.closed; len(c) != 1 || c[0] != a.OutTradeNo {
		t.Errorf("closed: %v", c)
	}
}

// A stored notification the consumer never applied (CKafka skipped it after
// its retries) is produced again by the timer; after MaxRedrives finance is
// told once, and it still applies when the consumer gets it.
func TestRedrive_UnappliedNotification(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _ := f.onSale("100001", creditCode, "software", 10000)
	o, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	ok(t, err)
	m := operation.PaymentMessage{TransactionID: "4200000000SKIPPED", OutTradeNo: o.OutTradeNo, AmountFen: int64(o.AmountFen), TradeState: "SUCCESS", SuccessTime: f.clock.Now()}
	ok(t, f.svc.AcceptPayment(f.ctx, m))                    // queued, then skipped by the trigger
	f.native.set(func(n *fakeNative) { n.failures = 1000 }) // keep the query out of it

	if rep := f.run(); rep.Redriven != 0 {
		t.Fatalf("re-driven at once: %+v", rep.PaymentReport)
	}
	at := sh(t, "2026-07-01 09:30")
	for i := 1; i <= market.MaxRedrives; i++ {
		at = at.Add(market.RedriveAfter + time.Second)
		f.clock.Set(at)
		if rep := f.run(); rep.Redriven != 1 || rep.RecordedUnpaid != 0 {
			t.Fatalf("re-drive %d: %+v", i, rep.PaymentReport)
		}
	}
	if n := len(f.queue.all()); n != 1+market.MaxRedrives {
		t.Fatalf("produced %d times", n)
	}
	at = at.Add(market.RedriveAfter + time.Second)
	f.clock.Set(at)
	if rep := f.run(); rep.Redriven != 1 || rep.RecordedUnpaid != 1 {
		t.Fatalf("after MaxRedrives: %+v", rep.PaymentReport)
	}
	f.message(financePhone, "payment_unapplied")
	f.clock.Set(at.Add(market.RedriveAfter + time.Second)) // now hourly
	if rep := f.run(); rep.Redriven != 0 {
		t.Fatalf("re-driven faster than RedriveSlowly: %+v", rep.PaymentReport)
	}
	f.applyQueued(len(f.queue.all()) - 1)
	if got := f.order(o.ID); got.Status != market.OrderInService {
		t.Fatalf("the re-driven payment did not apply: %s", got.Status)
	}
	if st, _ := f.paymentStatus(m.TransactionID); st != "applied" || f.countEvents("payment.unapplied") != 1 || f.countEvents("order.paid") != 1 {
		t.Errorf("status %s, unapplied %d, paid %d", st, f.countEvents("payment.unapplied"), f.countEvents("order.paid"))
	}
}

// The prepay is made for the order as it is about to be stored; if the plan's
// price changed in between, nothing is stored (the prepaid out_trade_no could
// not be prepaid again with another amount) and the buyer orders again.
func TestPlaceOrder_ProductChangedDuringPrepay(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _ := f.onSale("100001", creditCode, "software", 10000)
	f.native.set(func(n *fakeNative) {
		n.onPrepay = func() {
			_, err := store.Transact(f.ctx, f.st, func(tx *store.Tx) (struct{}, error) {
				p, err := tx.Product(prod.ID)
				if err != nil {
					return struct{}{}, err
				}
				p.Listed.Plans[0].PriceFen = 20000
				return struct{}{}, tx.SaveProduct(p, true)
			})
			ok(t, err)
		}
	})
	_, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	wantCode(t, err, "FailedOperation.ProductChanged")
	if n := f.countEvents("order.created"); n != 0 {
		t.Fatalf("%d orders stored", n)
	}
	f.native.set(func(n *fakeNative) { n.onPrepay = nil })
	o, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	ok(t, err)
	if o.AmountFen != 20000 || o.Payment.CodeURL == "" {
		t.Fatalf("ordered again: %d %q", o.AmountFen, o.Payment.CodeURL)
	}
}
