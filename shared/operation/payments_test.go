package operation_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"cloudmarket/shared/market"
	"cloudmarket/shared/operation"
)

func notification(t *testing.T, m operation.PaymentMessage, signature string) (http.Header, []byte) {
	t.Helper()
	body, err := json.Marshal(m)
	ok(t, err)
	h := http.Header{}
	h.Set("Wechatpay-Signature", signature)
	return h, body
}

// The notification endpoint verifies, stores once and queues; refused
// notifications leave nothing behind.
func TestReceivePayment(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	m := operation.PaymentMessage{TransactionID: "4200000000RECV", OutTradeNo: "CMX", AmountFen: 1000, TradeState: "SUCCESS", SuccessTime: f.clock.Now()}

	h, body := notification(t, m, "forged")
	wantCode(t, f.svc.ReceivePayment(f.ctx, h, body), "AuthFailure.Signature")
	h, _ = notification(t, m, "valid")
	wantCode(t, f.svc.ReceivePayment(f.ctx, h, []byte("{not json")), "InvalidParameterValue.Resource")
	if st, _ := f.paymentStatus(m.TransactionID); st != "" || len(f.queue.all()) != 0 {
		t.Fatalf("a refused notification was stored (%q) or queued (%d)", st, len(f.queue.all()))
	}

	h, body = notification(t, m, "valid")
	ok(t, f.svc.ReceivePayment(f.ctx, h, body))
	if st, _ := f.paymentStatus(m.TransactionID); st != "received" {
		t.Fatalf("stored as %q", st)
	}
	q := f.queue.all()
	if len(q) != 1 || q[0].Topic != operation.PaymentTopic || q[0].Key != m.TransactionID {
		t.Fatalf("queued: %+v", q)
	}
	var got operation.PaymentMessage
	ok(t, json.Unmarshal(q[0].Value, &got))
	if got.TransactionID != m.TransactionID || got.AmountFen != 1000 || got.OutTradeNo != "CMX" || !got.SuccessTime.Equal(m.SuccessTime) {
		t.Errorf("queued message: %+v", got)
	}
	// The payment system retries anything but success: the same notification
	// is queued again (the consumer applies each transaction once).
	ok(t, f.svc.ReceivePayment(f.ctx, h, body))
	if n := len(f.queue.all()); n != 2 {
		t.Errorf("repeat queued %d times in all", n)
	}
}

func TestAcceptPayment(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	wantCode(t, f.svc.AcceptPayment(f.ctx, operation.PaymentMessage{AmountFen: 1, TradeState: "SUCCESS"}), "InvalidParameterValue")

	// The queue is down: the error is not a fault (a 500), so the payment system
	// delivers again; the stored notification is queued then.
	f.queue.err = errors.New("broker unreachable")
	m := operation.PaymentMessage{TransactionID: "4200000000DOWN", OutTradeNo: "CMX", AmountFen: 1, TradeState: "SUCCESS", SuccessTime: f.clock.Now()}
	err := f.svc.AcceptPayment(f.ctx, m)
	if _, isFault := faultOf(err); err == nil || isFault {
		t.Fatalf("queue down: %v", err)
	}
	f.queue.err = nil
	ok(t, f.svc.AcceptPayment(f.ctx, m))
	if q := f.queue.all(); len(q) != 1 {
		t.Fatalf("queued %d", len(q))
	}
}

// Each category is fulfilled on payment (R-CAT1); the review period runs from
// the purchase day through the 5th day (R-RF1, ops until confirmation) and
// work must start within 2 working days (R-SV2).
func TestApplyPayment_FulfilsByCategory_R_CAT1_R_RF1_R_SV2(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	f.depositedProvider("100001", creditCode, "software", "image", "api", "ops", "miniprogram")
	own := providerActor("100001")
	for i, c := range []struct {
		category  string
		status    market.OrderStatus
		reviewEnd string // "" for none yet
		check     func(o *market.Order) bool
	}{
		{"software", market.OrderInService, "2026-07-05", func(o *market.Order) bool { return len(o.RedemptionCode) == 19 && o.LaunchRef == "" }},
		{"image", market.OrderInService, "2026-07-05", func(o *market.Order) bool { return strings.HasPrefix(o.LaunchRef, "launch-") && o.RedemptionCode == "" }},
		{"api", market.OrderInService, "2026-07-05", func(o *market.Order) bool { return strings.HasPrefix(o.APIKeyRef, "apikey-") }},
		{"ops", market.OrderPaid, "", func(o *market.Order) bool { return o.RedemptionCode == "" && o.StartedAt.IsZero() }},
		{"miniprogram", market.OrderPaid, "2026-07-05", func(o *market.Order) bool { return o.StartedAt.IsZero() }},
	} {
		prod := f.listed(own, c.category, 10_000)
		tx := fmt.Sprintf("42000000002026070100%02d", i)
		o := f.paidOrder(prod.ID, tx)
		name := "R-CAT1 " + c.category
		if o.Status != c.status || o.TransactionID != tx || !c.check(o) {
			t.Errorf("%s: %+v", name, o)
		}
		wantTime(t, name+" paidAt", o.PaidAt, sh(t, "2026-07-01 09:30"))
		wantTime(t, name+" R-SV2 startDueAt", o.StartDueAt, endOfDay(t, "2026-07-03"))
		if c.reviewEnd == "" {
			if !o.ReviewPeriodEndsAt.IsZero() {
				t.Errorf("%s: review period ends %v before confirmation", name, o.ReviewPeriodEndsAt)
			}
		} else {
			wantTime(t, name+" R-RF1 reviewPeriodEndsAt", o.ReviewPeriodEndsAt, endOfDay(t, c.reviewEnd))
		}
		if o.Status == market.OrderInService {
			wantTime(t, name+" delivered on payment", o.StartedAt, o.PaidAt)
		}
		if st, outcome := f.paymentStatus(tx); st != "applied" || outcome != "applied" {
			t.Errorf("%s: notification %s/%s", name, st, outcome)
		}
		if d := f.eventData(o.ID, "order.paid"); d["transactionId"] != tx {
			t.Errorf("%s: order.paid %v", name, d)
		}
	}
}

// R-RF1 counts natural days, R-SV2 working days: paid on 2026-09-30, the
// review period ends on 10-4, inside the National Day holiday, and work is due
// to start by 10-9 (10-8 and 10-9 are the first working days after it).
func TestApplyPayment_DeadlinesAcrossNationalDay_R_RF1_R_SV2(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-09-30 10:00")
	soft, _ := f.onSale("100001", creditCode, "software", 10_000)
	o := f.paidOrder(soft.ID, "4200000000202609300001")
	wantTime(t, "R-RF1 reviewPeriodEndsAt", o.ReviewPeriodEndsAt, endOfDay(t, "2026-10-04"))
	wantTime(t, "R-SV2 startDueAt", o.StartDueAt, endOfDay(t, "2026-10-09"))
	// The purchase day counts from Shanghai midnight, even late at night UTC.
	f.setClock("2026-09-30 23:59:59")
	late := f.paidOrder(soft.ID, "4200000000202609300002")
	wantTime(t, "R-RF1 bought at 23:59:59", late.ReviewPeriodEndsAt, endOfDay(t, "2026-10-04"))
}

// A payment is applied once: a redelivered message changes nothing.
func TestApplyPayment_Redelivery(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _ := f.onSale("100001", creditCode, "software", 10_000)
	o, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	ok(t, err)
	m := operation.PaymentMessage{TransactionID: "4200000000TWICE", OutTradeNo: o.OutTradeNo, AmountFen: 10_000, TradeState: "SUCCESS", SuccessTime: f.clock.Now()}
	ok(t, f.deliverPayment(m))
	first := f.order(o.ID)
	f.setClock("2026-07-01 09:31")
	for range 2 {
		ok(t, f.deliverPayment(m))          // stored again and requeued
		ok(t, f.svc.ApplyPayment(f.ctx, m)) // the queue redelivers
	}
	again := f.order(o.ID)
	if again.RedemptionCode != first.RedemptionCode || !again.PaidAt.Equal(first.PaidAt) || again.Status != market.OrderInService {
		t.Fatalf("the redelivery changed the order: %+v", again)
	}
	if n := f.countEvents("order.paid"); n != 1 {
		t.Fatalf("%d order.paid events", n)
	}
}

// A wrong amount, or money for an order not waiting for it, is recorded for
// finance, not applied; the queue moves on.
func TestApplyPayment_MismatchAndUnexpected(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _ := f.onSale("100001", creditCode, "software", 1000)
	o, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	ok(t, err)

	ok(t, f.payOrder(o, 999, "4200000000SHORT"))
	if got := f.order(o.ID); got.Status != market.OrderPendingPayment || got.TransactionID != "" {
		t.Fatalf("a mismatched amount marked the order: %+v", got)
	}
	if st, outcome := f.paymentStatus("4200000000SHORT"); st != "applied" || outcome != "mismatch" {
		t.Errorf("notification %s/%s", st, outcome)
	}
	if sms := f.message(financePhone, "payment_needs_review"); !strings.Contains(joined(sms.Params), "4200000000SHORT") || !strings.Contains(joined(sms.Params), "mismatch") {
		t.Errorf("finance alert: %+v", sms)
	}
	if d := f.eventData(o.ID, "payment.mismatch"); d["amountFen"] != int64(999) || d["orderAmountFen"] != int64(1000) {
		t.Errorf("event: %v", d)
	}

	ok(t, f.payOrder(o, 1000, "4200000000GOOD"))
	ok(t, f.payOrder(o, 1000, "4200000000SECOND")) // paid twice: finance refunds the second
	if got := f.order(o.ID); got.Status != market.OrderInService || got.TransactionID != "4200000000GOOD" {
		t.Fatalf("order: %+v", got)
	}
	if _, outcome := f.paymentStatus("4200000000SECOND"); outcome != "unexpected" {
		t.Errorf("second payment: %s", outcome)
	}
	if n := len(f.sent(financePhone)); n != 2 {
		t.Errorf("%d finance alerts", n)
	}
}

// A payment for an unknown order is recorded for finance (payment.unapplied)
// and the consumer moves on: CKafka has no dead-letter topic to keep it. A
// deposit payment for no provider is recorded for finance. A payment not
// (yet) successful is ignored.
func TestApplyPayment_UnappliedAndIgnored(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	p := f.signedProvider("100001", creditCode)

	ok(t, f.deliverPayment(operation.PaymentMessage{TransactionID: "4200000000NOORDER", OutTradeNo: "CMNOSUCHORDER", AmountFen: 1000, TradeState: "SUCCESS", SuccessTime: f.clock.Now()}))
	if st, _ := f.paymentStatus("4200000000NOORDER"); st != "unapplied" {
		t.Errorf("unknown order: stored as %s", st)
	}
	if f.countEvents("payment.unapplied") != 1 || countOf(f.sent(financePhone), "payment_unapplied") != 1 {
		t.Errorf("finance was not told of the unapplied payment: %v", f.sent(financePhone))
	}
	// Money that arrived for no provider is never dropped: recorded for finance.
	ok(t, f.deliverPayment(operation.PaymentMessage{TransactionID: "4200000000NOPROV", Attach: "deposit:prv_01M8AP2Y8SCK8BWNJEDY9YE5W8", AmountFen: 1000, TradeState: "SUCCESS", SuccessTime: f.clock.Now()}))
	if st, outcome := f.paymentStatus("4200000000NOPROV"); st != "applied" || outcome != "deposit_unapplied" {
		t.Errorf("unknown provider: %s/%s", st, outcome)
	}
	if f.countEvents("deposit.payment_unapplied") != 1 {
		t.Error("finance was not shown the unapplied deposit payment")
	}

	ok(t, f.deliverPayment(operation.PaymentMessage{TransactionID: "4200000000CLOSED", Attach: "deposit:" + p.ID, AmountFen: 500_000, TradeState: "CLOSED", SuccessTime: f.clock.Now()}))
	if st, outcome := f.paymentStatus("4200000000CLOSED"); st != "ignored" || outcome != "trade state CLOSED" {
		t.Errorf("closed trade: %s/%s", st, outcome)
	}
	if f.provider(p.ID).Deposit.BalanceFen != 0 {
		t.Error("a closed trade paid the deposit")
	}
}

// R-DP2: a deposit paid through the payment system (attach
// "deposit:{providerId}") is recorded like a transfer, with a receipt, once.
func TestApplyPayment_Deposit_R_DP2(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	p := f.signedProvider("100001", creditCode)
	m := operation.PaymentMessage{TransactionID: "4200000000DEP1", Attach: "deposit:" + p.ID, AmountFen: 500_000, TradeState: "SUCCESS", SuccessTime: f.clock.Now()}
	ok(t, f.deliverPayment(m))
	ok(t, f.svc.ApplyPayment(f.ctx, m)) // redelivered
	led, err := f.svc.DepositLedger(f.ctx, finance, p.ID)
	ok(t, err)
	if len(led.Entries) != 1 || led.Provider.Deposit.Status() != market.DepositHeld {
		t.Fatalf("ledger: %d entries, %s", len(led.Entries), led.Provider.Deposit.Status())
	}
	e := led.Entries[0]
	if e.Channel != "tenpay" || e.Reference != "4200000000DEP1" || e.ReceiptNo != "SJ2026000001" || e.Actor != "system:apply-payment" {
		t.Errorf("entry: %+v", e)
	}
	if st, outcome := f.paymentStatus(m.TransactionID); st != "applied" || outcome != "deposit" {
		t.Errorf("notification %s/%s", st, outcome)
	}
	f.message(contactPhone, "deposit_received")
}

// Fifty deposit payments through the queue at once, ten of them delivered
// twice at the same time: the balance is the sum of the entries, one entry per
// transaction.
func TestApplyPayment_ConcurrentDepositPayments(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	p := f.signedProvider("100001", creditCode)
	const n = 50
	msgs := make([]operation.PaymentMessage, n)
	for i := range msgs {
		msgs[i] = operation.PaymentMessage{TransactionID: fmt.Sprintf("42000000%020d", i), Attach: "deposit:" + p.ID, AmountFen: 10_000, TradeState: "SUCCESS", SuccessTime: f.clock.Now()}
		ok(t, f.svc.AcceptPayment(f.ctx, msgs[i]))
	}
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	for i, m := range msgs {
		deliveries := 1
		if i < 10 {
			deliveries = 2
		}
		for range deliveries {
			wg.Add(1)
			go func() { defer wg.Done(); errs <- f.svc.ApplyPayment(f.ctx, m) }()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		ok(t, err)
	}
	l := f.wantLedgerMatches(p.ID)
	if l.Kinds["payment"] != n || l.BalanceFen != n*10_000 || len(l.Receipts) != n {
		t.Fatalf("ledger: %+v", l)
	}
	for _, m := range msgs {
		if st, _ := f.paymentStatus(m.TransactionID); st != "applied" {
			t.Fatalf("%s: %s", m.TransactionID, st)
		}
	}
	if f.countEvents("deposit.held") != 1 {
		t.Errorf("%d deposit.held events", f.countEvents("deposit.held"))
	}
}

// Fifty orders paid at once: each applied once, each its own redemption code.
func TestApplyPayment_ConcurrentOrders(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _ := f.onSale("100001", creditCode, "software", 500)
	const n = 50
	msgs := make([]operation.PaymentMessage, n)
	orderIDs := make([]string, n)
	for i := range msgs {
		o, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
		ok(t, err)
		orderIDs[i] = o.ID
		msgs[i] = operation.PaymentMessage{TransactionID: fmt.Sprintf("42000001%020d", i), OutTradeNo: o.OutTradeNo, AmountFen: 500, TradeState: "SUCCESS", SuccessTime: f.clock.Now()}
		ok(t, f.svc.AcceptPayment(f.ctx, msgs[i]))
	}
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for _, m := range msgs {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- f.svc.ApplyPayment(f.ctx, m) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		ok(t, err)
	}
	codes := map[string]bool{}
	for _, id := range orderIDs {
		o := f.order(id)
		if o.Status != market.OrderInService || o.RedemptionCode == "" {
			t.Fatalf("order %s: %s", id, o.Status)
		}
		codes[o.RedemptionCode] = true
	}
	if len(codes) != n || f.countEvents("order.paid") != n {
		t.Fatalf("%d codes, %d order.paid events", len(codes), f.countEvents("order.paid"))
	}
}

// A second notification of a transaction_id that claims another amount is
// recorded and finance told, once; if the wrong one came first, the right one
// still pays the order, once.
func TestConflictingNotification_WrongFirst(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _ := f.onSale("100001", creditCode, "software", 10000)
	o, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	ok(t, err)

	ok(t, f.payOrder(o, 1, "4200000000CONFLICT")) // the wrong amount
	if f.order(o.ID).Status != market.OrderPendingPayment || f.countEvents("payment.mismatch") != 1 {
		t.Fatalf("wrong amount: %s", f.order(o.ID).Status)
	}
	for range 2 { // the right one, delivered twice
		ok(t, f.payOrder(o, int64(o.AmountFen), "4200000000CONFLICT"))
	}
	got := f.order(o.ID)
	if got.Status == market.OrderPendingPayment || got.TransactionID != "4200000000CONFLICT" {
		t.Fatalf("the matching notification did not pay: %s", got.Status)
	}
	if n := f.countEvents("order.paid"); n != 1 {
		t.Errorf("paid %d times", n)
	}
	f.run() // finance's SMS leaves with the timer's outbox run
	if f.countEvents("payment.conflicting") != 1 || countOf(f.sent(financePhone), "payment_conflicting") != 1 {
		t.Errorf("conflict recorded %d times, finance told %v", f.countEvents("payment.conflicting"), f.sent(financePhone))
	}
}

// The right one first: the order is paid; a conflicting one naming another
// order waiting for the same amount pays nothing (one transaction, one order).
func TestConflictingNotification_OneOrderPerTransaction(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _ := f.onSale("100001", creditCode, "software", 10000)
	a, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	ok(t, err)
	b, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	ok(t, err)
	ok(t, f.payOrder(a, int64(a.AmountFen), "4200000000ONCE"))
	ok(t, f.payOrder(b, int64(b.AmountFen), "4200000000ONCE"))
	if f.order(a.ID).TransactionID != "4200000000ONCE" || f.order(b.ID).Status != market.OrderPendingPayment {
		t.Fatalf("a: %s, b: %s", f.order(a.ID).Status, f.order(b.ID).Status)
	}
	if f.countEvents("payment.conflicting") != 1 || f.countEvents("order.paid") != 1 {
		t.Errorf("conflicting %d, paid %d", f.countEvents("payment.conflicting"), f.countEvents("order.paid"))
	}
}
