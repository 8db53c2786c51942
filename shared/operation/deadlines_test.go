package operation_test

import (
	"strings"
	"sync"
	"testing"

	"cloudmarket/shared/market"
	"cloudmarket/shared/operation"
)

// run fires the deadline timer once.
func (f *fixture) run() operation.DeadlineReport {
	f.t.Helper()
	rep, err := f.svc.EnforceDeadlines(f.ctx)
	ok(f.t, err)
	return rep
}

// R-ON1: a review past its 7 working days is flagged to the reviewers once;
// the alert is retried by the next run if the SMS gateway was down.
func TestEnforceDeadlines_ReviewOverdue_R_ON1(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-09-29 10:00")
	late := f.apply("100001", creditCode)
	decided := f.apply("100002", otherOrg)
	f.approve(decided)

	f.setClock("2026-10-14 23:00") // the last day of the review window
	if rep := f.run(); rep != (operation.DeadlineReport{}) {
		t.Fatalf("R-ON1 flagged inside the window: %+v", rep)
	}
	f.setClock("2026-10-15 00:00:01")
	f.sender.failures = 1
	if rep := f.run(); rep.ReviewsOverdue != 1 || rep.NotificationsFail != 1 || rep.NotificationsSent != 0 {
		t.Fatalf("R-ON1 first run past the deadline: %+v", rep)
	}
	a, err := f.svc.GetApplication(f.ctx, reviewer, late.ID)
	ok(t, err)
	wantTime(t, "overdueFlaggedAt", a.OverdueFlaggedAt, sh(t, "2026-10-15 00:00:01"))
	if a.Status != market.ApplicationSubmitted {
		t.Errorf("flagging decided the application: %s", a.Status)
	}
	if d := f.eventData(late.ID, "application.review_overdue"); d == nil {
		t.Error("no event")
	}
	if f.eventActor(late.ID, "application.review_overdue") != "system:enforce-deadlines" {
		t.Error("the timer is not the event's actor")
	}

	f.setClock("2026-10-15 00:01:01")
	if rep := f.run(); rep.ReviewsOverdue != 0 || rep.NotificationsSent != 1 {
		t.Fatalf("R-ON1 second run: %+v", rep)
	}
	if sms := f.message(reviewerPhone, "review_overdue"); !strings.Contains(joined(sms.Params), late.ID) {
		t.Errorf("reviewer alert: %+v", sms)
	}
	if rep := f.run(); rep != (operation.DeadlineReport{}) {
		t.Fatalf("R-ON1 third run did something: %+v", rep)
	}
	if n := f.countEvents("application.review_overdue"); n != 1 {
		t.Fatalf("%d review_overdue events", n)
	}
}

// R-DP5: a deposit still short after its 7 working days closes the store, once;
// its products leave the shelves. Making the deposit whole reopens it.
func TestEnforceDeadlines_TopUpOverdueClosesStore_R_DP5(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	prod, p := f.onSale("100001", creditCode, "software", 100_000)
	f.deduct(p.ID, 120_000, "R-VI5 未按时开始服务") // top-up due 2026-10-16

	f.setClock("2026-10-16 23:00")
	if rep := f.run(); rep.StoresClosed != 0 || !f.visible(prod.ID) {
		t.Fatalf("R-DP5 closed on the last day of the top-up window: %+v", rep)
	}
	f.setClock("2026-10-17 00:00:30")
	if rep := f.run(); rep.StoresClosed != 1 || rep.NotificationsSent != 1 {
		t.Fatalf("R-DP5 top-up overdue closes the store: %+v", rep)
	}
	closed := f.provider(p.ID)
	if v := closed.Store.View(f.clock.Now()); v.Status != market.StoreClosed || v.Reason != market.ReasonDepositShort || !closed.Deposit.StoreClosed {
		t.Fatalf("store: %+v", v)
	}
	if f.visible(prod.ID) {
		t.Error("R-DP5 the product of a closed store is on sale")
	}
	_, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	wantCode(t, err, "FailedOperation.ProductNotOnSale")
	if own, err := f.svc.GetProduct(f.ctx, providerActor("100001"), prod.ID); err != nil || own.Status != market.ProductListed || own.OnSale() {
		t.Errorf("the owner still sees its listed product, off sale: %+v %v", own, err)
	}
	if sms := f.message(contactPhone, "store_closed_deposit"); !strings.Contains(joined(sms.Params), "1200.00 CNY") {
		t.Errorf("provider SMS: %+v", sms)
	}
	if d := f.eventData(p.ID, "store.closed"); d["reason"] != market.ReasonDepositShort || d["shortfallFen"] != int64(120_000) {
		t.Errorf("store.closed: %v", d)
	}
	if rep := f.run(); rep != (operation.DeadlineReport{}) {
		t.Fatalf("R-DP5 second run: %+v", rep)
	}

	// A partial top-up leaves it closed; the payment that makes it whole
	// reopens it and the products come back.
	f.setClock("2026-10-19 10:00")
	f.pay(p.ID, 100_000, "WIRE-TOP-1")
	if f.visible(prod.ID) {
		t.Fatal("reopened while still short")
	}
	whole := f.pay(p.ID, 20_000, "WIRE-TOP-2").Provider
	if v := whole.Store.View(f.clock.Now()); v.Status != market.StoreOpen || !whole.Deposit.TopUpDueAt.IsZero() || whole.Deposit.StoreClosed {
		t.Fatalf("R-DP5 after the top-up: %+v %+v", v, whole.Deposit)
	}
	if !f.visible(prod.ID) {
		t.Error("R-DP5 the products did not come back with the store")
	}
	f.message(contactPhone, "store_reopened")
	f.eventData(p.ID, "store.reopened")
	f.setClock("2026-11-30 10:00")
	if rep := f.run(); rep.StoresClosed != 0 {
		t.Fatalf("closed again after the top-up: %+v", rep)
	}
	// What the provider was told, operation by operation (the last payment's
	// two messages share its instant, so their order is not asserted).
	got := f.sent(contactPhone)
	if len(got) != 8 || joined(got[:6]) != "application_approved deposit_received product_listed deposit_deducted_short store_closed_deposit deposit_received" ||
		!strings.Contains(joined(got[6:]), "store_reopened") || !strings.Contains(joined(got[6:]), "deposit_received") {
		t.Errorf("what the provider was told: %v", got)
	}
}

// R-DP5: topped up in time, the store stays open.
func TestEnforceDeadlines_TopUpInTime_R_DP5(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.depositedProvider("100001", creditCode)
	f.deduct(p.ID, 120_000, "赔付")
	f.setClock("2026-10-16 18:00")
	f.pay(p.ID, 120_000, "WIRE-TOP")
	f.setClock("2026-10-17 00:00:30")
	if rep := f.run(); rep.StoresClosed != 0 {
		t.Fatalf("closed a store topped up in time: %+v", rep)
	}
	if f.countEvents("store.reopened") != 0 {
		t.Error("reopened a store that never closed")
	}
}

// The reasons a store is closed are kept apart: the top-up lifts the
// shortfall's closure (R-DP5), not the exit's (R-EX2).
func TestTopUpDoesNotReopenAnExitingStore_R_DP5_R_EX2(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	prod, p := f.onSale("100001", creditCode, "software", 100_000)
	f.deduct(p.ID, 120_000, "赔付")
	f.setClock("2026-10-17 00:00:30")
	f.run()
	_, err := f.svc.RequestExit(f.ctx, providerActor("100001"), p.ID, "业务调整")
	ok(t, err)
	after := f.pay(p.ID, 120_000, "WIRE-TOP").Provider
	if v := after.Store.View(f.clock.Now()); v.Status != market.StoreClosed || v.Reason != market.ReasonExit {
		t.Fatalf("store: %+v", v)
	}
	if f.visible(prod.ID) {
		t.Error("R-EX2 the top-up put an exiting provider's product back on sale")
	}
}

// R-DP6: a return not made within its 15 working days is flagged to finance,
// once.
func TestEnforceDeadlines_ReturnOverdue_R_DP6(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	p := f.depositedProvider("100001", creditCode)
	_, err := f.svc.RequestExit(f.ctx, providerActor("100001"), p.ID, "业务调整")
	ok(t, err)
	f.setClock("2026-10-21 10:00")
	_, err = f.svc.ReceiptReturned(f.ctx, finance, p.ID) // due 2026-11-11
	ok(t, err)

	f.setClock("2026-11-11 23:00")
	if rep := f.run(); rep.ReturnsOverdue != 0 {
		t.Fatalf("R-DP6 flagged on the due day: %+v", rep)
	}
	f.setClock("2026-11-12 08:00")
	if rep := f.run(); rep.ReturnsOverdue != 1 {
		t.Fatalf("R-DP6 overdue return: %+v", rep)
	}
	if sms := f.message(financePhone, "deposit_return_overdue"); !strings.Contains(joined(sms.Params), p.ID) {
		t.Errorf("finance alert: %+v", sms)
	}
	wantTime(t, "returnOverdueAt", f.provider(p.ID).Deposit.ReturnOverdueAt, sh(t, "2026-11-12 08:00"))
	if rep := f.run(); rep != (operation.DeadlineReport{}) {
		t.Fatalf("R-DP6 second run: %+v", rep)
	}
	_, err = f.svc.ReturnDeposit(f.ctx, finance, p.ID, "WIRE-BACK")
	ok(t, err)
	if n := f.countEvents("deposit.return_overdue"); n != 1 {
		t.Errorf("%d return_overdue events", n)
	}
}

// R-SV2: a paid order the provider did not start within 2 working days is
// flagged once to the risk team; the penalty (R-VI5) is the team's decision.
func TestEnforceDeadlines_LateStart_R_SV2(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _ := f.onSale("100001", creditCode, "ops", 50_000)
	late := f.paidOrder(prod.ID, "4200000000LATE")
	onTime := f.paidOrder(prod.ID, "4200000000ONTIME")
	for _, o := range []*market.Order{late, onTime} {
		_, err := f.svc.SubmitRequirements(f.ctx, buyer, o.ID, "迁移数据库")
		ok(t, err)
	}
	noForm := f.paidOrder(prod.ID, "4200000000NOFORM") // waits for the buyer's form: the buyer's delay
	f.setClock("2026-07-03 17:00")
	_, err := f.svc.StartOrder(f.ctx, providerActor("100001"), onTime.ID)
	ok(t, err)

	f.setClock("2026-07-03 23:00")
	if rep := f.run(); rep.StartsOverdue != 0 {
		t.Fatalf("R-SV2 flagged on the due day: %+v", rep)
	}
	f.setClock("2026-07-04 00:00:01")
	if rep := f.run(); rep.StartsOverdue != 2 { // the late one, and the one waiting for its form (recorded only)
		t.Fatalf("R-SV2 late start: %+v", rep)
	}
	o := f.order(late.ID)
	if o.Status != market.OrderPaid {
		t.Errorf("flagging changed the order's status: %s", o.Status)
	}
	wantTime(t, "startOverdueAt", o.StartOverdueAt, sh(t, "2026-07-04 00:00:01"))
	if sms := f.message(riskPhone, "order_start_overdue"); !strings.Contains(joined(sms.Params), late.ID) {
		t.Errorf("risk alert: %+v", sms)
	}
	// R-VI5: proposed, never applied by the system.
	proposed, err := f.svc.ListViolations(f.ctx, risk, operation.ViolationQuery{Status: "proposed", Limit: 10})
	ok(t, err)
	if len(proposed) != 1 || proposed[0].Type != "dishonest_behaviour" || proposed[0].SourceRef != late.ID || proposed[0].Status != market.ViolationProposed {
		t.Fatalf("R-SV2 proposal: %+v", proposed)
	}
	if p := f.provider(late.ProviderID); !p.CanPublish(f.clock.Now()) || !p.StoreOpen(f.clock.Now()) {
		t.Errorf("a proposal restricted the provider: %+v", p.Store)
	}
	// The buyer's form comes on Monday: 2 working days run from it (R-SV2 "not
	// the buyer's fault"), and only then is a late start the provider's.
	f.setClock("2026-07-06 10:00")
	withForm, err := f.svc.SubmitRequirements(f.ctx, buyer, noForm.ID, "巡检主库")
	ok(t, err)
	wantTime(t, "R-SV2 from a late form", withForm.StartDueAt, endOfDay(t, "2026-07-08"))
	f.setClock("2026-07-09 00:00:01")
	if rep := f.run(); rep.StartsOverdue != 1 {
		t.Fatalf("R-SV2 late after the form: %+v", rep)
	}
	proposed, err = f.svc.ListViolations(f.ctx, risk, operation.ViolationQuery{Status: "proposed", Limit: 10})
	ok(t, err)
	if len(proposed) != 2 || proposed[1].SourceRef != noForm.ID {
		t.Fatalf("R-SV2 proposal after the form: %+v", proposed)
	}
	if rep := f.run(); rep != (operation.DeadlineReport{}) {
		t.Fatalf("R-SV2 second run: %+v", rep)
	}
	// The provider still starts it: late, but served.
	_, err = f.svc.StartOrder(f.ctx, providerActor("100001"), late.ID)
	ok(t, err)
}

// R-RF1: an order in service completes when its review period ends; an ops
// order waits for the buyer, and a service never started does not complete.
func TestEnforceDeadlines_CompletesOrders_R_RF1(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	f.depositedProvider("100001", creditCode, "software", "ops", "miniprogram")
	own := providerActor("100001")
	soft := f.paidOrder(f.listed(own, "software", 1000).ID, "4200000000SOFT")
	ops := f.paidOrder(f.listed(own, "ops", 1000).ID, "4200000000OPS")
	mini := f.paidOrder(f.listed(own, "miniprogram", 1000).ID, "4200000000MINI")
	f.setClock("2026-07-02 09:00")
	_, err := f.svc.StartOrder(f.ctx, own, ops.ID)
	ok(t, err)

	f.setClock("2026-07-05 23:59:59")
	if rep := f.run(); rep.OrdersCompleted != 0 {
		t.Fatalf("R-RF1 completed inside the review period: %+v", rep)
	}
	f.setClock("2026-07-06 00:00:01")
	if rep := f.run(); rep.OrdersCompleted != 1 {
		t.Fatalf("R-RF1 completion: %+v", rep)
	}
	done := f.order(soft.ID)
	if done.Status != market.OrderCompleted {
		t.Fatalf("software order: %s", done.Status)
	}
	wantTime(t, "completedAt", done.CompletedAt, sh(t, "2026-07-06 00:00:01"))
	if got := f.order(ops.ID).Status; got != market.OrderInService {
		t.Errorf("R-RF1 an ops order completes on confirmation only: %s", got)
	}
	if got := f.order(mini.ID).Status; got != market.OrderPaid {
		t.Errorf("a service never started completed: %s", got)
	}
	if rep := f.run(); rep.OrdersCompleted != 0 {
		t.Fatalf("second run: %+v", rep)
	}
}

// An order left unpaid lapses after its 2-hour payment window; money that
// arrives later is recorded for finance, not applied.
func TestEnforceDeadlines_CancelsUnpaidOrders(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 10:00")
	prod, _ := f.onSale("100001", creditCode, "software", 1000)
	o, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	ok(t, err)
	f.setClock("2026-07-01 12:00")
	if rep := f.run(); rep.OrdersCancelled != 0 {
		t.Fatalf("cancelled at the end of the window: %+v", rep)
	}
	f.setClock("2026-07-01 12:00:01")
	if rep := f.run(); rep.OrdersCancelled != 1 {
		t.Fatalf("expiry: %+v", rep)
	}
	got := f.order(o.ID)
	if got.Status != market.OrderCancelled {
		t.Fatalf("order: %s", got.Status)
	}
	wantTime(t, "cancelledAt", got.CancelledAt, sh(t, "2026-07-01 12:00:01"))
	if d := f.eventData(o.ID, "order.cancelled"); d["reason"] != "payment_window_passed" {
		t.Errorf("event: %v", d)
	}
	if rep := f.run(); rep.OrdersCancelled != 0 {
		t.Fatalf("second run: %+v", rep)
	}
	// A payment that still arrives is refunded in full at once, through the
	// refund API, and finance is told; the order is never served.
	ok(t, f.payOrder(o, 1000, "4200000000LATE"))
	got = f.order(o.ID)
	if _, outcome := f.paymentStatus("4200000000LATE"); outcome != "refunded_after_lapse" || got.OpenRefundID == "" || got.StartedAt.After(got.CreatedAt) {
		t.Fatalf("late payment: %s, order %s, refund %q", outcome, got.Status, got.OpenRefundID)
	}
	if calls := f.refunds.all(); len(calls) != 1 || calls[0].RefundFen != 1000 || calls[0].TransactionID != "4200000000LATE" {
		t.Fatalf("refund API calls: %+v", calls)
	}
	if f.countEvents("payment.after_lapse") != 1 {
		t.Error("no payment.after_lapse event")
	}
	f.message(financePhone, "payment_after_lapse_refunded")
	ok(t, f.payOrder(o, 1000, "4200000000LATE")) // redelivered: refunded once
	if n := len(f.refunds.all()); n != 1 {
		t.Errorf("refund API called %d times", n)
	}
}

// Timers may run twice, concurrently or late (DESIGN.md): two simultaneous
// runs act on each deadline once between them, and a third does nothing.
func TestEnforceDeadlines_ConcurrentRunsActOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-10-08 09:00")
	f.apply("100001", orgCodeOf(t, "B0000001"))                      // review overdue
	prod, p := f.onSale("100002", creditCode, "ops", 1000)           // its store will close (R-DP5)
	late := f.paidOrder(prod.ID, "4200000000CONC")                   // start overdue (R-SV2)
	unpaid, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1) // will lapse
	ok(t, err)
	_, err = f.svc.SubmitRequirements(f.ctx, buyer, late.ID, "巡检") // starts the R-SV2 clock of ops
	ok(t, err)
	f.deduct(p.ID, 1000, "赔付")
	exiting := f.depositedProvider("100003", otherOrg)
	_, err = f.svc.RequestExit(f.ctx, providerActor("100003"), exiting.ID, "业务调整")
	ok(t, err)
	_, err = f.svc.ReceiptReturned(f.ctx, finance, exiting.ID) // due back in 15 working days
	ok(t, err)
	sentBefore := len(f.sender.all())

	f.setClock("2026-12-01 09:00")
	reps := make([]operation.DeadlineReport, 2)
	var wg sync.WaitGroup
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := f.svc.EnforceDeadlines(f.ctx)
			if err != nil {
				t.Error(err)
			}
			reps[i] = rep
		}()
	}
	wg.Wait()
	sum := operation.DeadlineReport{
		ReviewsOverdue: reps[0].ReviewsOverdue + reps[1].ReviewsOverdue, StoresClosed: reps[0].StoresClosed + reps[1].StoresClosed,
		ReturnsOverdue: reps[0].ReturnsOverdue + reps[1].ReturnsOverdue, StartsOverdue: reps[0].StartsOverdue + reps[1].StartsOverdue,
		OrdersCompleted: reps[0].OrdersCompleted + reps[1].OrdersCompleted, OrdersCancelled: reps[0].OrdersCancelled + reps[1].OrdersCancelled,
		NotificationsSent: reps[0].NotificationsSent + reps[1].NotificationsSent, NotificationsFail: reps[0].NotificationsFail + reps[1].NotificationsFail,
	}
	// One SMS each: review (reviewer), closure (provider), late start and
	// its proposed violation (risk), overdue return (finance).
	want := operation.DeadlineReport{ReviewsOverdue: 1, StoresClosed: 1, ReturnsOverdue: 1, StartsOverdue: 1, OrdersCancelled: 1, NotificationsSent: 5}
	if sum != want {
		t.Fatalf("two runs did %+v, want %+v", sum, want)
	}
	if n := len(f.sender.all()) - sentBefore; n != 5 {
		t.Fatalf("%d messages sent", n)
	}
	if rep := f.run(); rep != (operation.DeadlineReport{}) {
		t.Fatalf("third run: %+v", rep)
	}
	// store.closed: one by the exit (R-EX2), one by the timer (R-DP5).
	for typ, n := range map[string]int{"application.review_overdue": 1, "store.closed": 2, "order.start_overdue": 1, "order.cancelled": 1, "deposit.return_overdue": 1} {
		if got := f.countEvents(typ); got != n {
			t.Errorf("%d %s events", got, typ)
		}
	}
	if f.order(late.ID).StartOverdueAt.IsZero() || f.order(unpaid.ID).Status != market.OrderCancelled {
		t.Error("orders not marked")
	}
}
