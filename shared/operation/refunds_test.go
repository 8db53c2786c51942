package operation_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/operation"
	"cloudmarket/shared/store"
)

// The refund tests run on one calendar: an order of 300.00 CNY (fee 10%,
// platform mode) of a 30-day software plan, paid Wednesday 2026-07-01 09:30.
// Its review period runs through 2026-07-05 23:59:59.999 (R-RF1); a refund
// asked on 07-01 is answered by the end of 07-03 (2 working days).
const (
	orderFen = 30_000
	feeFen   = 3_000
	netFen   = 27_000
)

func fenOf(v int64) *money.Fen { x := money.Fen(v); return &x }

// refundShop is a deposited provider of account 100001 selling the 30-day
// software plan at 300.00 CNY, and one order of it paid at the clock.
func (f *fixture) refundShop() (*market.Product, *market.Provider, *market.Order) {
	f.t.Helper()
	prod, prov := f.onSale("100001", creditCode, "software", orderFen)
	return prod, prov, f.paidOrder(prod.ID, "4200000000202607010001")
}

var seller = providerActor("100001")

func (f *fixture) refund(id string) *market.Refund {
	f.t.Helper()
	r, err := f.st.Refund(f.ctx, id)
	ok(f.t, err)
	return r
}

// request asks for the quote's maximum as the buyer.
func (f *fixture) request(orderID string) *market.Refund {
	f.t.Helper()
	r, err := f.svc.RequestRefund(f.ctx, buyer, orderID, nil, "不好用")
	ok(f.t, err)
	return r
}

// inArbitration is a refund of the order the provider declined.
func (f *fixture) inArbitration(orderID string, amount *money.Fen) *market.Refund {
	f.t.Helper()
	r, err := f.svc.RequestRefund(f.ctx, buyer, orderID, amount, "功能与描述不符")
	ok(f.t, err)
	r, err = f.svc.RespondRefund(f.ctx, seller, r.ID, "decline", "已按描述交付")
	ok(f.t, err)
	if r.Status != market.RefundArbitrating {
		f.t.Fatalf("declined: %s", r.Status)
	}
	return r
}

// complete ends the review period of the orders paid on 07-01: the
// deadline timer completes them on 07-06 (R-RF1).
func (f *fixture) complete(at string) {
	f.t.Helper()
	f.setClock(at)
	_, err := f.svc.EnforceDeadlines(f.ctx)
	ok(f.t, err)
}

// settleOrder marks an order settled to its provider, as the settlement
// feature will.
func (f *fixture) settleOrder(orderID string) {
	f.t.Helper()
	_, err := store.Transact(f.ctx, f.st, func(tx *store.Tx) (struct{}, error) {
		o, err := tx.Order(orderID)
		if err != nil {
			return struct{}{}, err
		}
		o.SettledAt = f.clock.Now()
		return struct{}{}, tx.SaveOrder(o)
	})
	ok(f.t, err)
}

// refundMessage is the payment system's result of a refund, as its
// notification reads after verification.
func (f *fixture) refundMessage(r *market.Refund, status string) operation.RefundMessage {
	m := operation.RefundMessage{RefundID: "50300" + r.OutRefundNo, OutRefundNo: r.OutRefundNo, RefundStatus: status, AmountFen: int64(r.AmountFen)}
	if status == "SUCCESS" {
		m.SuccessTime = f.clock.Now()
	}
	return m
}

// refundResult is the notification's path: stored and queued
// (AcceptRefundResult), then applied by the payment-events consumer.
func (f *fixture) refundResult(r *market.Refund, status string) error {
	f.t.Helper()
	m := f.refundMessage(r, status)
	ok(f.t, f.svc.AcceptRefundResult(f.ctx, m))
	msgs := f.queue.all()
	last := msgs[len(msgs)-1]
	if last.Key != m.RefundID || last.Topic != operation.PaymentTopic || !strings.Contains(string(last.Value), `"kind":"refund"`) {
		f.t.Fatalf("queued %s %s %s", last.Topic, last.Key, last.Value)
	}
	return f.svc.ApplyPaymentEvent(f.ctx, last.Value)
}

// pay is a refund the platform pays, confirmed by the payment system.
func (f *fixture) paid(r *market.Refund) *market.Refund {
	f.t.Helper()
	ok(f.t, f.refundResult(f.refund(r.ID), "SUCCESS"))
	got := f.refund(r.ID)
	if got.Status != market.RefundPaid {
		f.t.Fatalf("refund %s is %s after SUCCESS", r.ID, got.Status)
	}
	return got
}

// wantSums checks the money of an order and its refunds: every refund's
// split sums to its amount; the paid ones sum to the order's refunded totals,
// which never pass the order's own split (R-FE1, R-RF7).
func (f *fixture) wantSums(orderID string) {
	f.t.Helper()
	o := f.order(orderID)
	rs, err := f.st.Refunds(f.ctx, store.RefundQuery{})
	ok(f.t, err)
	var amount, fee, net money.Fen
	for _, r := range rs {
		if r.OrderID != orderID {
			continue
		}
		if r.FeeReversed+r.NetReversed != r.AmountFen || r.FeeReversed < 0 || r.NetReversed < 0 {
			f.t.Errorf("refund %s: fee %d + net %d != amount %d", r.ID, r.FeeReversed, r.NetReversed, r.AmountFen)
		}
		if r.Status == market.RefundPaid {
			amount, fee, net = amount+r.AmountFen, fee+r.FeeReversed, net+r.NetReversed
		}
	}
	if amount != o.RefundedFen || fee != o.PlatformFeeRefunded || net != o.ProviderNetRefunded {
		f.t.Errorf("order %s: refunded %d/%d/%d, paid refunds sum to %d/%d/%d", orderID, o.RefundedFen, o.PlatformFeeRefunded, o.ProviderNetRefunded, amount, fee, net)
	}
	if o.RefundedFen > o.AmountFen || o.PlatformFeeRefunded > o.PlatformFee || o.ProviderNetRefunded > o.ProviderNet ||
		o.PlatformFeeRefunded+o.ProviderNetRefunded != o.RefundedFen {
		f.t.Errorf("order %s: refunded %d (fee %d, net %d) of %d (fee %d, net %d)", orderID, o.RefundedFen, o.PlatformFeeRefunded, o.ProviderNetRefunded, o.AmountFen, o.PlatformFee, o.ProviderNet)
	}
}

func (f *fixture) clawbacks(providerID string) []market.Clawback {
	f.t.Helper()
	c, err := f.st.Clawbacks(f.ctx, providerID)
	ok(f.t, err)
	return c
}

// refundDeductions are the provider's deposit deductions for refunds.
func (f *fixture) refundDeductions(providerID string) map[string]int64 {
	f.t.Helper()
	entries, err := f.st.DepositEntries(f.ctx, providerID)
	ok(f.t, err)
	out := map[string]int64{}
	for _, e := range entries {
		if e.RefundID != "" {
			out[e.RefundID] += -int64(e.AmountFen) + int64(e.OwedFen)
		}
	}
	return out
}

func countOf(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// The quote through the operation: the buyer, the product's provider and an
// operator read it; anyone else is refused (R-RF1, R-RF4).
func TestRefundQuote_R_RF1_R_RF4(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, _, o := f.refundShop()
	f.signedProvider("100002", otherOrg)
	for _, c := range []struct {
		name string
		who  market.Actor
		id   string
		code string
	}{
		{"its buyer", buyer, o.ID, ""},
		{"the product's provider", seller, o.ID, ""},
		{"risk", risk, o.ID, ""},
		{"another buyer", buyer2, o.ID, "UnauthorizedOperation"},
		{"another provider", providerActor("100002"), o.ID, "UnauthorizedOperation"},
		{"unknown order", buyer, "ord_01M8AP2Y8SCK8BWNJEDY9YE5W8", "ResourceNotFound.Order"},
	} {
		q, err := f.svc.RefundQuote(f.ctx, c.who, c.id)
		if c.code != "" {
			wantCode(t, err, c.code)
			continue
		}
		ok(t, err)
		if q.Order.ID != o.ID || !q.Quote.Refundable || q.Quote.Basis != market.BasisReviewPeriod || q.Quote.MaxRefundFen != orderFen {
			t.Errorf("%s: R-RF1 day 1: %+v", c.name, q.Quote)
		}
		wantTime(t, c.name+" reviewPeriodEndsAt", q.Quote.ReviewPeriodEndsAt, endOfDay(t, "2026-07-05"))
	}
	// R-RF1 the last millisecond of day 5 is still the whole amount; R-RF4
	// on day 6 six of thirty days are used: 240.00 CNY.
	f.setClock("2026-07-05 23:59:59.999")
	q, err := f.svc.RefundQuote(f.ctx, buyer, o.ID)
	ok(t, err)
	if q.Quote.Basis != market.BasisReviewPeriod || q.Quote.MaxRefundFen != orderFen {
		t.Errorf("R-RF1 last ms: %+v", q.Quote)
	}
	f.setClock("2026-07-06 00:00")
	q, err = f.svc.RefundQuote(f.ctx, buyer, o.ID)
	ok(t, err)
	if q.Quote.Basis != market.BasisProRata || q.Quote.MaxRefundFen != 24_000 || !strings.Contains(q.Quote.Explanation, "6 of 30 days") {
		t.Errorf("R-RF4 day 6: %+v", q.Quote)
	}
}

// A request's own refusals, each with its documented code, and nothing
// recorded for any of them (R-RF2, R-RF3).
func TestRequestRefund_Refusals_R_RF2(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _, o := f.refundShop()
	tc := content("software", "备份工具", 5_000)
	tc.Tool = true
	toolProd, err := f.svc.CreateProduct(f.ctx, seller, tc)
	ok(t, err)
	_, err = f.svc.SubmitProduct(f.ctx, seller, toolProd.ID)
	ok(t, err)
	_, err = f.svc.ReviewProduct(f.ctx, reviewer, toolProd.ID, "approve", "SEC-2", "")
	ok(t, err)
	tool := f.paidOrder(toolProd.ID, "4200000000202607010002")
	unpaid, err := f.svc.PlaceOrder(f.ctx, buyer, prod.ID, "std", 1)
	ok(t, err)
	f.signedProvider("100002", otherOrg)

	for _, c := range []struct {
		name, order, reason string
		who                 market.Actor
		amount              *money.Fen
		code                string
	}{
		{"reason required", o.ID, "  ", buyer, nil, "MissingParameter"},
		{"reason too long", o.ID, strings.Repeat("退", market.MaxRefundReasonLen+1), buyer, nil, "InvalidParameterValue.Reason"},
		{"amount 0", o.ID, "r", buyer, fenOf(0), "InvalidParameterValue.AmountFen"},
		{"negative amount", o.ID, "r", buyer, fenOf(-1), "InvalidParameterValue.AmountFen"},
		{"amount above the quote", o.ID, "r", buyer, fenOf(orderFen + 1), "InvalidParameterValue.AmountFen"},
		{"order not paid", unpaid.ID, "r", buyer, nil, "FailedOperation.OrderNotPaid"},
		{"R-RF2 tool product", tool.ID, "r", buyer, nil, "FailedOperation.NotRefundable"},
		{"someone else's order", o.ID, "r", buyer2, nil, "UnauthorizedOperation"},
		{"the product's provider", o.ID, "r", seller, nil, "UnauthorizedOperation"},
		{"another provider", o.ID, "r", providerActor("100002"), nil, "UnauthorizedOperation"},
		{"an operator", o.ID, "r", risk, nil, "UnauthorizedOperation"},
		{"unknown order", "ord_01M8AP2Y8SCK8BWNJEDY9YE5W8", "r", buyer, nil, "ResourceNotFound.Order"},
	} {
		_, err := f.svc.RequestRefund(f.ctx, c.who, c.order, c.amount, c.reason)
		t.Run(c.name, func(t *testing.T) { wantCode(t, err, c.code) })
	}
	if n := f.countEvents("refund.requested"); n != 0 {
		t.Fatalf("refusals recorded %d requests", n)
	}
	if rs, err := f.st.Refunds(f.ctx, store.RefundQuery{}); err != nil || len(rs) != 0 {
		t.Fatalf("refusals stored refunds: %v %v", rs, err)
	}
	if o := f.order(o.ID); o.OpenRefundID != "" {
		t.Fatalf("a refusal opened a refund: %+v", o)
	}
}

// The default amount is the quote; an amount up to it is taken as asked; one
// refund per order is open at a time; the provider is told and has 2 working
// days (R-RF3).
func TestRequestRefund_R_RF3(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, prov, o := f.refundShop()
	o2 := f.paidOrder(o.ProductID, "4200000000202607010002")

	r, err := f.svc.RequestRefund(f.ctx, buyer, o.ID, nil, "  不好用 ")
	ok(t, err)
	if r.Status != market.RefundRequested || r.Basis != market.BasisReviewPeriod || r.RequestedFen != orderFen || r.AmountFen != orderFen ||
		r.Reason != "不好用" || r.ProviderID != prov.ID || r.BuyerAccount != buyer.Account || r.OrderID != o.ID || r.Payer != "" || r.OutRefundNo != "" {
		t.Fatalf("default request: %+v", r)
	}
	if r.FeeReversed != feeFen || r.NetReversed != netFen || r.InvoiceAction != market.InvoiceProviderAndBuyer {
		t.Errorf("split %d/%d invoice %s", r.FeeReversed, r.NetReversed, r.InvoiceAction)
	}
	wantTime(t, "respondBy", r.RespondBy, endOfDay(t, "2026-07-03"))
	if got := f.order(o.ID); got.OpenRefundID != r.ID || got.Status != market.OrderInService || got.RefundedFen != 0 {
		t.Errorf("order: %+v", got)
	}
	if d := f.eventData(r.ID, "refund.requested"); d["orderId"] != o.ID || d["amountFen"] != int64(orderFen) || d["basis"] != "review_period" || d["reason"] != "不好用" {
		t.Errorf("event: %v", d)
	}
	if sms := f.message(contactPhone, "refund_requested"); joined(sms.Params) != "7月3日 23:59" {
		t.Errorf("provider SMS: %+v", sms)
	}
	_, err = f.svc.RequestRefund(f.ctx, buyer, o.ID, fenOf(100), "再来")
	wantCode(t, err, "FailedOperation.RefundInProgress")

	part, err := f.svc.RequestRefund(f.ctx, buyer, o2.ID, fenOf(12_345), "部分退款")
	ok(t, err)
	if part.RequestedFen != 12_345 || part.AmountFen != 12_345 || part.FeeReversed+part.NetReversed != 12_345 || part.FeeReversed != 1_235 {
		t.Errorf("partial request: %+v", part)
	}
	if len(f.refunds.all()) != 0 {
		t.Error("a request called the payment system")
	}
}

// 20 requests of the same order at once: exactly one opens a refund, the
// rest are told one is in progress.
func TestRequestRefund_ConcurrentOneWins(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, _, o := f.refundShop()
	var wg sync.WaitGroup
	errs := make([]error, 20)
	ids := make([]string, 20)
	for i := range errs {
		wg.Go(func() {
			r, err := f.svc.RequestRefund(f.ctx, buyer, o.ID, nil, fmt.Sprintf("第 %d 次", i))
			if err == nil {
				ids[i] = r.ID
			}
			errs[i] = err
		})
	}
	wg.Wait()
	won := ""
	for i, err := range errs {
		if err == nil {
			if won != "" {
				t.Fatalf("two requests won: %s and %s", won, ids[i])
			}
			won = ids[i]
			continue
		}
		wantCode(t, err, "FailedOperation.RefundInProgress")
	}
	if won == "" {
		t.Fatal("no request won")
	}
	rs, err := f.st.Refunds(f.ctx, store.RefundQuery{})
	ok(t, err)
	if len(rs) != 1 || rs[0].ID != won || f.order(o.ID).OpenRefundID != won || f.countEvents("refund.requested") != 1 {
		t.Fatalf("stored %d refunds; order's open refund %s; winner %s", len(rs), f.order(o.ID).OpenRefundID, won)
	}
}

// The provider answers (R-RF3): accepting before completion makes the
// platform pay through the payment system at once (R-RF7); declining needs a
// reason and sends the refund to the risk team.
func TestRespondRefund_R_RF3_R_RF7(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, _, o := f.refundShop()
	o2 := f.paidOrder(o.ProductID, "4200000000202607010002")
	f.signedProvider("100002", otherOrg)
	r := f.request(o.ID)
	for _, c := range []struct {
		name, id, decision, reason string
		who                        market.Actor
		code                       string
	}{
		{"decline without reason", r.ID, "decline", " ", seller, "MissingParameter"},
		{"no decision", r.ID, "", "", seller, "MissingParameter"},
		{"unknown decision", r.ID, "maybe", "", seller, "InvalidParameterValue.Decision"},
		{"reason too long", r.ID, "decline", strings.Repeat("x", market.MaxRefundReasonLen+1), seller, "InvalidParameterValue.Reason"},
		{"the buyer", r.ID, "accept", "", buyer, "UnauthorizedOperation"},
		{"another provider", r.ID, "accept", "", providerActor("100002"), "UnauthorizedOperation"},
		{"the risk team", r.ID, "accept", "", risk, "UnauthorizedOperation"},
		{"unknown refund", "rfd_01M8AP2Y8SCK8BWNJEDY9YE5W8", "accept", "", seller, "ResourceNotFound.Refund"},
	} {
		_, err := f.svc.RespondRefund(f.ctx, c.who, c.id, c.decision, c.reason)
		t.Run(c.name, func(t *testing.T) { wantCode(t, err, c.code) })
	}
	if got := f.refund(r.ID); got.Status != market.RefundRequested || got.Response != nil {
		t.Fatalf("refusals changed the refund: %+v", got)
	}

	f.setClock("2026-07-02 10:00")
	acc, err := f.svc.RespondRefund(f.ctx, seller, r.ID, "accept", "")
	ok(t, err)
	if acc.Status != market.RefundAccepted || acc.Payer != market.PayerPlatform || acc.OutRefundNo != "RF"+strings.TrimPrefix(r.ID, "rfd_") ||
		acc.Response == nil || acc.Response.Decision != "accept" || acc.Transfer.State != market.TransferSubmitted || acc.Transfer.Attempts != 1 {
		t.Fatalf("accepted: %+v", acc)
	}
	wantTime(t, "acceptedAt", acc.AcceptedAt, sh(t, "2026-07-02 10:00"))
	calls := f.refunds.all()
	if len(calls) != 1 || calls[0].OutRefundNo != acc.OutRefundNo || calls[0].RefundFen != orderFen || calls[0].TotalFen != orderFen ||
		calls[0].TransactionID != "4200000000202607010001" || calls[0].OutTradeNo != o.OutTradeNo || calls[0].Reason != "不好用" {
		t.Fatalf("R-RF7 calls to the payment system: %+v", calls)
	}
	if d := f.eventData(r.ID, "refund.accepted"); d["cause"] != "provider_accepted" || d["payer"] != "platform" || d["outRefundNo"] != acc.OutRefundNo {
		t.Errorf("event: %v", d)
	}
	_, err = f.svc.RespondRefund(f.ctx, seller, r.ID, "decline", "改主意")
	wantCode(t, err, "FailedOperation.RefundNotAwaitingResponse")

	d := f.request(o2.ID)
	dec, err := f.svc.RespondRefund(f.ctx, seller, d.ID, "decline", " 已按描述交付 ")
	ok(t, err)
	if dec.Status != market.RefundArbitrating || dec.ArbitrationCause != "declined" || dec.Response.Reason != "已按描述交付" || dec.Payer != "" {
		t.Fatalf("declined: %+v", dec)
	}
	if f.eventData(d.ID, "refund.declined")["reason"] != "已按描述交付" || f.eventData(d.ID, "refund.arbitrating")["cause"] != "declined" {
		t.Error("decline events")
	}
	if sms := f.message(riskPhone, "refund_arbitration"); len(sms.Params) != 0 {
		t.Errorf("risk SMS: %+v", sms)
	}
	if len(f.refunds.all()) != 1 {
		t.Error("a decline called the payment system")
	}
	if got := f.order(o2.ID); got.OpenRefundID != d.ID {
		t.Errorf("a refund in arbitration is still open: %+v", got)
	}
}

// The risk team rules (R-RF3..R-RF5): full refunds what the order has not had
// back, partial an amount up to that, deny nothing; a ruling is paid by the
// platform (R-RF7); only a refund in arbitration is ruled, and only once.
func TestArbitrateRefund_R_RF3_R_RF4_R_RF5(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, prov, o := f.refundShop()
	r := f.inArbitration(o.ID, fenOf(10_000))
	requested := f.request(f.paidOrder(o.ProductID, "4200000000202607010002").ID)
	for _, c := range []struct {
		name   string
		id     string
		who    market.Actor
		ruling market.Ruling
		code   string
	}{
		{"reason required", r.ID, risk, market.Ruling{Decision: "full"}, "MissingParameter"},
		{"no decision", r.ID, risk, market.Ruling{Reason: "x"}, "MissingParameter"},
		{"unknown decision", r.ID, risk, market.Ruling{Decision: "half", Reason: "x"}, "InvalidParameterValue.Decision"},
		{"full with an amount", r.ID, risk, market.Ruling{Decision: "full", AmountFen: fenOf(100), Reason: "x"}, "InvalidParameterValue.AmountFen"},
		{"partial without an amount", r.ID, risk, market.Ruling{Decision: "partial", Reason: "x"}, "MissingParameter"},
		{"partial 0", r.ID, risk, market.Ruling{Decision: "partial", AmountFen: fenOf(0), Reason: "x"}, "InvalidParameterValue.AmountFen"},
		{"partial above what was paid", r.ID, risk, market.Ruling{Decision: "partial", AmountFen: fenOf(orderFen + 1), Reason: "x"}, "InvalidParameterValue.AmountFen"},
		{"deny with an amount", r.ID, risk, market.Ruling{Decision: "deny", AmountFen: fenOf(1), Reason: "x"}, "InvalidParameterValue.Decision"},
		{"deny charging the deposit", r.ID, risk, market.Ruling{Decision: "deny", ChargeDeposit: true, Reason: "x"}, "InvalidParameterValue.Decision"},
		{"unknown provider fault", r.ID, risk, market.Ruling{Decision: "full", ProviderFault: "rude", Reason: "x"}, "InvalidParameterValue.ProviderFault"},
		{"the provider", r.ID, seller, market.Ruling{Decision: "full", Reason: "x"}, "UnauthorizedOperation"},
		{"the buyer", r.ID, buyer, market.Ruling{Decision: "full", Reason: "x"}, "UnauthorizedOperation"},
		{"not in arbitration", requested.ID, risk, market.Ruling{Decision: "full", Reason: "x"}, "FailedOperation.RefundNotInArbitration"},
		{"unknown refund", "rfd_01M8AP2Y8SCK8BWNJEDY9YE5W8", risk, market.Ruling{Decision: "full", Reason: "x"}, "ResourceNotFound.Refund"},
	} {
		_, err := f.svc.ArbitrateRefund(f.ctx, c.who, c.id, c.ruling)
		t.Run(c.name, func(t *testing.T) { wantCode(t, err, c.code) })
	}
	if f.countEvents("refund.ruled") != 0 || len(f.refunds.all()) != 0 {
		t.Fatal("a refused ruling was recorded or paid")
	}

	// R-RF3 full: the whole amount, whatever the buyer asked.
	f.setClock("2026-07-03 11:00")
	got, err := f.svc.ArbitrateRefund(f.ctx, risk, r.ID, market.Ruling{Decision: "full", Reason: "R-RF5 与描述不符", ProviderFault: "not_as_described"})
	ok(t, err)
	if got.Status != market.RefundAccepted || got.AmountFen != orderFen || got.RequestedFen != 10_000 || got.Payer != market.PayerPlatform ||
		got.Arbitration == nil || got.Arbitration.Decision != "full" || got.Arbitration.AmountFen != orderFen || got.Arbitration.Arbiter != risk.Account ||
		got.Arbitration.ProviderFault != "not_as_described" || got.FeeReversed != feeFen || got.NetReversed != netFen {
		t.Fatalf("full ruling: %+v %+v", got, got.Arbitration)
	}
	if calls := f.refunds.all(); len(calls) != 1 || calls[0].RefundFen != orderFen || calls[0].OutRefundNo != got.OutRefundNo {
		t.Fatalf("R-RF7 the platform pays the ruling: %+v", calls)
	}
	if d := f.eventData(r.ID, "refund.ruled"); d["decision"] != "full" || d["amountFen"] != int64(orderFen) || d["status"] != "accepted" || d["providerFault"] != "not_as_described" {
		t.Errorf("ruled: %v", d)
	}
	if d := f.eventData(r.ID, "refund.accepted"); d["cause"] != "ruling" || d["payer"] != "platform" {
		t.Errorf("accepted: %v", d)
	}
	if sms := f.message(contactPhone, "refund_ruled"); len(sms.Params) != 0 {
		t.Errorf("provider SMS: %+v", sms)
	}
	_, err = f.svc.ArbitrateRefund(f.ctx, risk, r.ID, market.Ruling{Decision: "full", Reason: "again"})
	wantCode(t, err, "FailedOperation.RefundNotInArbitration")
	if f.countEvents("refund.ruled") != 1 || len(f.refunds.all()) != 1 {
		t.Fatal("a second ruling changed something")
	}
	f.paid(got)
	f.wantSums(o.ID)
	if p := f.provider(prov.ID); p.Deposit.BalanceFen != p.Deposit.RequiredFen {
		t.Errorf("R-DP4 no deposit charge without chargeDeposit: %+v", p.Deposit)
	}
}

// Every provider fault of R-RF4/R-RF5 is accepted on a ruling; partial takes
// the amount; deny closes the refund and frees the order.
func TestArbitrateRefund_PartialDenyFaults_R_RF4_R_RF5(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, _, o := f.refundShop()
	for i, fault := range market.ProviderFaults {
		ord := f.paidOrder(o.ProductID, fmt.Sprintf("42000000002026070101%02d", i))
		r := f.inArbitration(ord.ID, nil)
		got, err := f.svc.ArbitrateRefund(f.ctx, risk, r.ID, market.Ruling{Decision: "partial", AmountFen: fenOf(int64(1000 + i)), Reason: "部分责任", ProviderFault: fault})
		ok(t, err)
		if got.Status != market.RefundAccepted || got.AmountFen != money.Fen(1000+i) || got.Arbitration.ProviderFault != fault ||
			got.FeeReversed+got.NetReversed != got.AmountFen {
			t.Errorf("%s: %+v", fault, got)
		}
	}

	r := f.inArbitration(o.ID, nil)
	denied, err := f.svc.ArbitrateRefund(f.ctx, risk, r.ID, market.Ruling{Decision: "deny", Reason: "已正常交付", ProviderFault: "late_service"})
	ok(t, err)
	if denied.Status != market.RefundDenied || denied.Payer != "" || denied.OutRefundNo != "" || denied.Arbitration.Decision != "deny" {
		t.Fatalf("denied: %+v", denied)
	}
	if got := f.order(o.ID); got.OpenRefundID != "" || got.RefundedFen != 0 || got.Status != market.OrderInService {
		t.Fatalf("order after a denial: %+v", got)
	}
	if d := f.eventData(r.ID, "refund.ruled"); d["status"] != "denied" || d["decision"] != "deny" {
		t.Errorf("ruled: %v", d)
	}
	if n := f.countEvents("refund.accepted"); n != len(market.ProviderFaults) {
		t.Errorf("%d refund.accepted events", n)
	}
	if calls := f.refunds.all(); len(calls) != len(market.ProviderFaults) {
		t.Errorf("%d calls to the payment system, want one per accepted ruling", len(calls))
	}
	// The order is free for a new request after a denial.
	again := f.request(o.ID)
	if again.AmountFen != orderFen {
		t.Errorf("new request: %+v", again)
	}
}

// After completion an accepted refund is the provider's to pay (R-RF7): it is
// told, the platform calls nothing, and the provider records its transfer.
func TestProviderPaysAfterCompletion_R_RF7(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, prov, o := f.refundShop()
	early := f.paidOrder(o.ProductID, "4200000000202607010002")
	platformPaid := f.request(early.ID)
	platformPaid, err := f.svc.RespondRefund(f.ctx, seller, platformPaid.ID, "accept", "")
	ok(t, err)
	f.complete("2026-07-06 10:00")
	if got := f.order(o.ID); got.Status != market.OrderCompleted {
		t.Fatalf("order not completed: %s", got.Status)
	}
	r := f.request(o.ID)
	if r.Basis != market.BasisProRata || r.AmountFen != 24_000 {
		t.Fatalf("R-RF4 day 6: %+v", r)
	}
	acc, err := f.svc.RespondRefund(f.ctx, seller, r.ID, "accept", "")
	ok(t, err)
	if acc.Status != market.RefundAccepted || acc.Payer != market.PayerProvider || acc.OutRefundNo != "" || acc.Transfer.State != "" {
		t.Fatalf("accepted after completion: %+v", acc)
	}
	if len(f.refunds.all()) != 1 { // only the early refund's
		t.Fatalf("the platform called the payment system for a provider-paid refund: %+v", f.refunds.all())
	}
	if sms := f.message(contactPhone, "refund_provider_to_pay"); len(sms.Params) != 0 {
		t.Errorf("provider SMS: %+v", sms)
	}
	paidAt := sh(t, "2026-07-06 09:55")
	for _, c := range []struct {
		name, id, ref string
		who           market.Actor
		at            time.Time
		code          string
	}{
		{"the buyer", r.ID, "BANK-1", buyer, paidAt, "UnauthorizedOperation"},
		{"the risk team", r.ID, "BANK-1", risk, paidAt, "UnauthorizedOperation"},
		{"no reference", r.ID, " ", seller, paidAt, "MissingParameter"},
		{"reference too long", r.ID, strings.Repeat("9", 65), seller, paidAt, "InvalidParameterValue.Reference"},
		{"no paidAt", r.ID, "BANK-1", seller, time.Time{}, "MissingParameter"},
		{"paidAt in the future", r.ID, "BANK-1", seller, sh(t, "2026-07-06 10:06"), "InvalidParameterValue.PaidAt"},
		{"a refund the platform pays", platformPaid.ID, "BANK-1", seller, paidAt, "FailedOperation.RefundNotProviderPaid"},
	} {
		_, err := f.svc.RecordProviderRefundPayment(f.ctx, c.who, c.id, c.ref, c.at)
		t.Run(c.name, func(t *testing.T) { wantCode(t, err, c.code) })
	}
	done, err := f.svc.RecordProviderRefundPayment(f.ctx, seller, r.ID, " BANK-1 ", paidAt)
	ok(t, err)
	if done.Status != market.RefundPaid || done.ProviderPaymentRef != "BANK-1" || done.ProviderShare != market.ShareProvider {
		t.Fatalf("paid by the provider: %+v", done)
	}
	wantTime(t, "paidAt", done.PaidAt, paidAt)
	if got := f.order(o.ID); got.ShownStatus() != market.OrderPartiallyRefunded || got.RefundedFen != 24_000 || got.OpenRefundID != "" {
		t.Errorf("order: %+v", got)
	}
	if d := f.eventData(r.ID, "refund.paid"); d["payer"] != "provider" || d["providerShare"] != "paid_by_provider" || d["reference"] != "BANK-1" ||
		d["platformFeeReversedFen"] != int64(2_400) || d["providerNetReversedFen"] != int64(21_600) {
		t.Errorf("paid: %v", d)
	}
	_, err = f.svc.RecordProviderRefundPayment(f.ctx, seller, r.ID, "BANK-2", paidAt)
	wantCode(t, err, "FailedOperation.RefundNotProviderPaid")
	if f.countEvents("refund.paid") != 1 || len(f.clawbacks(prov.ID)) != 0 || len(f.refundDeductions(prov.ID)) != 0 {
		t.Error("the provider's own payment was counted twice or recovered from it")
	}
	f.wantSums(o.ID)
}

// Who lists what: operators everything (filtered), a provider its own with
// its providerId, a buyer its own; oldest first.
func TestListRefunds(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, prov, o := f.refundShop()
	prod2, prov2 := f.onSale("100002", otherOrg, "software", 20_000)
	r1 := f.request(o.ID)
	f.clock.Advance(time.Second)
	o2, err := f.svc.PlaceOrder(f.ctx, buyer2, prod2.ID, "std", 1)
	ok(t, err)
	ok(t, f.payOrder(o2, 20_000, "4200000000202607010002"))
	r2, err := f.svc.RequestRefund(f.ctx, buyer2, o2.ID, nil, "r")
	ok(t, err)
	f.clock.Advance(time.Second)
	r3 := f.inArbitration(f.paidOrder(o.ProductID, "4200000000202607010003").ID, nil)
	ids := func(rs []*market.Refund) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return joined(out)
	}
	for _, c := range []struct {
		name string
		who  market.Actor
		q    store.RefundQuery
		want string
		code string
	}{
		{"finance: all, oldest first", finance, store.RefundQuery{}, joined([]string{r1.ID, r2.ID, r3.ID}), ""},
		{"risk: arbitrating", risk, store.RefundQuery{Status: "arbitrating"}, r3.ID, ""},
		{"reviewer: by provider", reviewer, store.RefundQuery{ProviderID: prov2.ID}, r2.ID, ""},
		{"provider: its own", seller, store.RefundQuery{ProviderID: prov.ID}, joined([]string{r1.ID, r3.ID}), ""},
		{"provider: its own requested", seller, store.RefundQuery{ProviderID: prov.ID, Status: "requested"}, r1.ID, ""},
		{"provider without providerId", seller, store.RefundQuery{}, "", "MissingParameter"},
		{"provider: another's", seller, store.RefundQuery{ProviderID: prov2.ID}, "", "UnauthorizedOperation"},
		{"buyer: its own", buyer, store.RefundQuery{}, joined([]string{r1.ID, r3.ID}), ""},
		{"other buyer: its own", buyer2, store.RefundQuery{}, r2.ID, ""},
		{"buyer naming a provider", buyer, store.RefundQuery{ProviderID: prov.ID}, "", "UnauthorizedOperation"},
		{"unknown status", finance, store.RefundQuery{Status: "open"}, "", "InvalidParameterValue.Status"},
	} {
		got, err := f.svc.ListRefunds(f.ctx, c.who, c.q)
		if c.code != "" {
			t.Run(c.name, func(t *testing.T) { wantCode(t, err, c.code) })
			continue
		}
		ok(t, err)
		if ids(got) != c.want {
			t.Errorf("%s: %s, want %s", c.name, ids(got), c.want)
		}
	}
	for _, c := range []struct {
		who  market.Actor
		code string
	}{{buyer, ""}, {seller, ""}, {risk, ""}, {buyer2, "UnauthorizedOperation"}, {providerActor("100002"), "UnauthorizedOperation"}} {
		got, err := f.svc.GetRefund(f.ctx, c.who, r1.ID)
		if c.code != "" {
			wantCode(t, err, c.code)
		} else if err != nil || got.ID != r1.ID {
			t.Errorf("get as %s: %v %v", c.who.Account, got, err)
		}
	}
	_, err = f.svc.GetRefund(f.ctx, buyer, "rfd_01M8AP2Y8SCK8BWNJEDY9YE5W8")
	wantCode(t, err, "ResourceNotFound.Refund")
}

// A provider silent past respondBy (the end of the 2nd working day) sends the
// refund to the risk team, once, however often the timer runs.
func TestRefundSweep_SilenceGoesToArbitration(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, _, o := f.refundShop()
	silent := f.request(o.ID)
	answered := f.request(f.paidOrder(o.ProductID, "4200000000202607010002").ID)
	_, err := f.svc.RespondRefund(f.ctx, seller, answered.ID, "accept", "")
	ok(t, err)

	f.setClock("2026-07-03 23:59:59.999")
	rep, err := f.svc.EnforceDeadlines(f.ctx)
	ok(t, err)
	if rep.RefundsEscalated != 0 || f.refund(silent.ID).Status != market.RefundRequested {
		t.Fatalf("escalated on respondBy itself: %+v", rep)
	}
	f.setClock("2026-07-04 00:00")
	for run := range 2 {
		rep, err := f.svc.EnforceDeadlines(f.ctx)
		ok(t, err)
		if want := 1 - run; rep.RefundsEscalated != want {
			t.Fatalf("run %d escalated %d, want %d", run, rep.RefundsEscalated, want)
		}
	}
	got := f.refund(silent.ID)
	if got.Status != market.RefundArbitrating || got.ArbitrationCause != "no_response" || got.Response != nil {
		t.Fatalf("silent: %+v", got)
	}
	wantTime(t, "arbitratingAt", got.ArbitratingAt, sh(t, "2026-07-04 00:00"))
	if f.countEvents("refund.arbitrating") != 1 || countOf(f.sent(riskPhone), "refund_arbitration") != 1 {
		t.Errorf("events %s; risk SMS %v", joined(f.eventTypes("")), f.sent(riskPhone))
	}
	if f.eventActor(silent.ID, "refund.arbitrating") != market.System("enforce-deadlines").Account {
		t.Error("the escalation is not the timer's")
	}
	if f.refund(answered.ID).Status != market.RefundAccepted {
		t.Error("an answered refund was escalated")
	}
	// It is ruled like a declined one.
	_, err = f.svc.ArbitrateRefund(f.ctx, risk, silent.ID, market.Ruling{Decision: "full", Reason: "R-VI6 服务商失联", ProviderFault: "unreachable"})
	ok(t, err)
}

// The refund API fails twice (5xx): the timer retries after 1 and then 2
// minutes, always with the same out_refund_no; the third call is taken and
// the money goes back once.
func TestRefundTransfer_TwoAPIErrorsThenPaid(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, _, o := f.refundShop()
	r := f.request(o.ID)
	f.refunds.set(func(x *fakeRefunds) { x.failures = 2 })
	acc, err := f.svc.RespondRefund(f.ctx, seller, r.ID, "accept", "")
	ok(t, err)
	if acc.Status != market.RefundAccepted || acc.Transfer.State != market.TransferPending || acc.Transfer.Attempts != 1 ||
		!strings.Contains(acc.Transfer.LastError, "SYSTEM_ERROR") {
		t.Fatalf("after the first error: %+v", acc.Transfer)
	}
	wantTime(t, "first retry", acc.Transfer.NextAttemptAt, sh(t, "2026-07-01 09:31"))

	f.setClock("2026-07-01 09:30:59.999")
	rep, err := f.svc.EnforceDeadlines(f.ctx)
	ok(t, err)
	if rep.RefundsSubmitted != 0 {
		t.Fatalf("retried before the backoff: %+v", rep)
	}
	f.setClock("2026-07-01 09:31")
	rep, err = f.svc.EnforceDeadlines(f.ctx)
	ok(t, err)
	if got := f.refund(r.ID).Transfer; rep.RefundsSubmitted != 1 || got.Attempts != 2 || got.State != market.TransferPending {
		t.Fatalf("second attempt: %+v %+v", rep, got)
	}
	wantTime(t, "second retry", f.refund(r.ID).Transfer.NextAttemptAt, sh(t, "2026-07-01 09:33"))
	f.setClock("2026-07-01 09:33")
	_, err = f.svc.EnforceDeadlines(f.ctx)
	ok(t, err)
	got := f.refund(r.ID)
	if got.Transfer.State != market.TransferSubmitted || got.Transfer.Attempts != 3 || got.Transfer.LastError != "" || got.Transfer.RefundID == "" {
		t.Fatalf("third attempt: %+v", got.Transfer)
	}
	calls := f.refunds.all()
	if len(calls) != 3 {
		t.Fatalf("%d calls", len(calls))
	}
	for _, c := range calls {
		if c.OutRefundNo != acc.OutRefundNo || c.RefundFen != orderFen {
			t.Errorf("a retry changed the request: %+v", c)
		}
	}
	if n := f.countEvents("refund.transfer_retry"); n != 2 {
		t.Errorf("%d retry events", n)
	}
	// Submitted: the timer leaves it to the result until reconciliation is due.
	f.setClock("2026-07-01 09:40")
	rep, err = f.svc.EnforceDeadlines(f.ctx)
	ok(t, err)
	if rep.RefundsSubmitted != 0 || rep.RefundsReconciled != 0 || len(f.refunds.all()) != 3 {
		t.Fatalf("touched a submitted refund: %+v", rep)
	}
	f.paid(got)
	if o := f.order(o.ID); o.Status != market.OrderRefunded || o.RefundedFen != orderFen {
		t.Errorf("order: %+v", o)
	}
	f.wantSums(o.ID)
}

// A refund the payment system refuses for good (4xx) fails at once and
// finance is told; the order is free again.
func TestRefundTransfer_RefusedFails(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, _, o := f.refundShop()
	r := f.request(o.ID)
	f.refunds.set(func(x *fakeRefunds) { x.refuse = errors.New("refund refused: HTTP 403 NOT_ENOUGH") })
	got, err := f.svc.RespondRefund(f.ctx, seller, r.ID, "accept", "")
	ok(t, err)
	if got.Status != market.RefundFailed || got.Transfer.State != market.TransferFailed || !strings.Contains(got.FailureReason, "NOT_ENOUGH") {
		t.Fatalf("refused: %+v", got)
	}
	if sms := f.message(financePhone, "refund_failed"); len(sms.Params) != 0 {
		t.Errorf("finance SMS: %+v", sms)
	}
	if o := f.order(o.ID); o.OpenRefundID != "" || o.RefundedFen != 0 {
		t.Errorf("order: %+v", o)
	}
	rep, err := f.svc.EnforceDeadlines(f.ctx)
	ok(t, err)
	if rep.RefundsSubmitted != 0 || len(f.refunds.all()) != 1 {
		t.Errorf("a refused refund was retried: %+v", rep)
	}
}

// The payment system answers SUCCESS at once: paid without a notification;
// the notification that follows changes nothing.
func TestRefundTransfer_ImmediateSuccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, _, o := f.refundShop()
	r := f.request(o.ID)
	f.refunds.set(func(x *fakeRefunds) { x.answer = "SUCCESS" })
	got, err := f.svc.RespondRefund(f.ctx, seller, r.ID, "accept", "")
	ok(t, err)
	if got.Status != market.RefundPaid || got.Transfer.State != market.TransferSucceeded || got.ProviderShare != market.ShareWithheld {
		t.Fatalf("paid at once: %+v", got)
	}
	ok(t, f.refundResult(got, "SUCCESS"))
	if f.countEvents("refund.paid") != 1 || f.order(o.ID).RefundedFen != orderFen {
		t.Fatal("paid twice")
	}
	f.wantSums(o.ID)
}

// A result that never arrives: after 10 minutes the timer asks the payment
// system; still processing → asked again 10 minutes later; success → paid;
// a refund it never took is submitted again with the same out_refund_no.
func TestRefundReconciliation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, _, o := f.refundShop()
	r, err := f.svc.RespondRefund(f.ctx, seller, f.request(o.ID).ID, "accept", "")
	ok(t, err)
	f.setClock("2026-07-01 09:39:59")
	rep, err := f.svc.EnforceDeadlines(f.ctx)
	ok(t, err)
	if rep.RefundsReconciled != 0 || f.refunds.queried() != 0 {
		t.Fatalf("queried early: %+v", rep)
	}
	f.setClock("2026-07-01 09:40")
	rep, err = f.svc.EnforceDeadlines(f.ctx)
	ok(t, err)
	if rep.RefundsReconciled != 0 || f.refunds.queried() != 1 || f.refund(r.ID).Status != market.RefundAccepted {
		t.Fatalf("processing: %+v", rep)
	}
	wantTime(t, "next query", f.refund(r.ID).Transfer.NextAttemptAt, sh(t, "2026-07-01 09:50"))
	f.refunds.settle(r.OutRefundNo, "SUCCESS")
	f.setClock("2026-07-01 09:50")
	rep, err = f.svc.EnforceDeadlines(f.ctx)
	ok(t, err)
	if rep.RefundsReconciled != 1 || f.refund(r.ID).Status != market.RefundPaid {
		t.Fatalf("reconciled: %+v %+v", rep, f.refund(r.ID))
	}
	if f.eventActor(r.ID, "refund.paid") != market.System("reconcile-refunds").Account {
		t.Error("paid by whom?")
	}
	// The notification arrives late: nothing changes.
	ok(t, f.refundResult(f.refund(r.ID), "SUCCESS"))
	if f.countEvents("refund.paid") != 1 {
		t.Fatal("paid twice")
	}

	// Taken by nobody: the query says unknown, so it is submitted again.
	r2, err := f.svc.RespondRefund(f.ctx, seller, f.request(f.paidOrder(o.ProductID, "4200000000202607010002").ID).ID, "accept", "")
	ok(t, err)
	f.refunds.set(func(x *fakeRefunds) { delete(x.states, r2.OutRefundNo) })
	f.setClock("2026-07-01 10:01")
	_, err = f.svc.EnforceDeadlines(f.ctx) // query: unknown → pending
	ok(t, err)
	if got := f.refund(r2.ID).Transfer; got.State != market.TransferPending {
		t.Fatalf("unknown refund: %+v", got)
	}
	_, err = f.svc.EnforceDeadlines(f.ctx) // submitted again
	ok(t, err)
	calls := f.refunds.all()
	if last := calls[len(calls)-1]; last.OutRefundNo != r2.OutRefundNo || f.refund(r2.ID).Transfer.State != market.TransferSubmitted {
		t.Fatalf("resubmission: %+v %+v", last, f.refund(r2.ID).Transfer)
	}
}

// SUCCESS is applied exactly once per refund however often and however
// concurrently it is delivered; ABNORMAL and CLOSED fail the refund and tell
// finance; a result naming no refund is dead-lettered.
func TestRefundResults(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, _, o := f.refundShop()
	r, err := f.svc.RespondRefund(f.ctx, seller, f.request(o.ID).ID, "accept", "")
	ok(t, err)

	for range 2 {
		ok(t, f.refundResult(r, "SUCCESS"))
	}
	// And twice more at once, straight to the consumer.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = f.svc.ApplyRefundResult(f.ctx, f.refundMessage(r, "SUCCESS")) })
	}
	wg.Wait()
	for _, err := range errs {
		ok(t, err)
	}
	got := f.refund(r.ID)
	if got.Status != market.RefundPaid || got.Transfer.State != market.TransferSucceeded || got.Transfer.RefundID != "50300"+r.OutRefundNo {
		t.Fatalf("paid: %+v", got)
	}
	wantTime(t, "paidAt", got.PaidAt, sh(t, "2026-07-01 09:30"))
	if n := f.countEvents("refund.paid"); n != 1 {
		t.Fatalf("refund.paid %d times", n)
	}
	if got := f.order(o.ID); got.RefundedFen != orderFen || got.Status != market.OrderRefunded || got.OpenRefundID != "" {
		t.Fatalf("order: %+v", got)
	}
	if d := f.eventData(r.ID, "refund.paid"); d["orderStatus"] != "refunded" || d["providerShare"] != "withheld_from_settlement" || d["reference"] != "50300"+r.OutRefundNo {
		t.Errorf("paid: %v", d)
	}
	f.wantSums(o.ID)
	// A later ABNORMAL for a paid refund changes nothing.
	ok(t, f.svc.ApplyRefundResult(f.ctx, operation.RefundMessage{RefundID: "50399", OutRefundNo: r.OutRefundNo, RefundStatus: "ABNORMAL"}))
	if f.refund(r.ID).Status != market.RefundPaid || f.countEvents("refund.failed") != 0 {
		t.Fatal("a paid refund failed afterwards")
	}

	for i, status := range []string{"ABNORMAL", "CLOSED"} {
		ord := f.paidOrder(o.ProductID, fmt.Sprintf("420000000020260701100%d", i))
		r, err := f.svc.RespondRefund(f.ctx, seller, f.request(ord.ID).ID, "accept", "")
		ok(t, err)
		ok(t, f.refundResult(r, status))
		ok(t, f.refundResult(r, status)) // redelivered
		got := f.refund(r.ID)
		if got.Status != market.RefundFailed || got.FailureReason != "REFUND."+status || got.Transfer.State != market.TransferFailed {
			t.Errorf("%s: %+v", status, got)
		}
		if got := f.order(ord.ID); got.OpenRefundID != "" || got.RefundedFen != 0 || got.Status != market.OrderInService {
			t.Errorf("%s order: %+v", status, got)
		}
		// A SUCCESS after the failure is not applied: finance handles it.
		ok(t, f.svc.ApplyRefundResult(f.ctx, operation.RefundMessage{RefundID: "50398" + status, OutRefundNo: r.OutRefundNo, RefundStatus: "SUCCESS"}))
		if f.refund(r.ID).Status != market.RefundFailed {
			t.Errorf("%s then SUCCESS: %s", status, f.refund(r.ID).Status)
		}
		// The buyer may ask again.
		f.request(ord.ID)
	}
	if n := countOf(f.sent(financePhone), "refund_failed"); n != 2 {
		t.Errorf("finance told %d times: %v", n, f.sent(financePhone))
	}
	if n := f.countEvents("refund.failed"); n != 2 {
		t.Errorf("%d refund.failed events", n)
	}
	err = f.svc.ApplyRefundResult(f.ctx, operation.RefundMessage{RefundID: "50397", OutRefundNo: "RFNOSUCH", RefundStatus: "SUCCESS"})
	if !operation.IsPermanent(err) {
		t.Errorf("unknown out_refund_no: %v", err)
	}
	wantCode(t, f.svc.AcceptRefundResult(f.ctx, operation.RefundMessage{OutRefundNo: "RF1", RefundStatus: "SUCCESS"}), "InvalidParameterValue")
}

// R-RF7: a platform refund of an order already settled is recovered from the
// provider: by a clawback on its next statement, or from its deposit when the
// ruling says chargeDeposit (R-DP4) — never both, never twice. Partial
// refunds reverse the fee and the net in proportion and their totals never
// pass the order's own split.
func TestSettledOrderRefunds_Clawback_Deposit_R_RF7_R_DP4(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, prov, o := f.refundShop()
	f.complete("2026-07-06 10:00")
	f.settleOrder(o.ID)

	// A partial ruling of 100.01 CNY: a clawback of its net share.
	r := f.inArbitration(o.ID, nil)
	rule := market.Ruling{Decision: "partial", AmountFen: fenOf(10_001), Reason: "部分未交付", ProviderFault: "cannot_deliver"}
	r, err := f.svc.ArbitrateRefund(f.ctx, risk, r.ID, rule)
	ok(t, err)
	_, err = f.svc.ArbitrateRefund(f.ctx, risk, r.ID, rule)
	wantCode(t, err, "FailedOperation.RefundNotInArbitration")
	if r.Payer != market.PayerPlatform || r.FeeReversed != 1_000 || r.NetReversed != 9_001 {
		t.Fatalf("R-RF7 the platform pays a ruling after completion: %+v", r)
	}
	for range 2 {
		ok(t, f.refundResult(r, "SUCCESS"))
	}
	r = f.refund(r.ID)
	if r.Status != market.RefundPaid || r.ProviderShare != market.ShareClawback {
		t.Fatalf("paid: %+v", r)
	}
	cl := f.clawbacks(prov.ID)
	if len(cl) != 1 || cl[0].RefundID != r.ID || cl[0].OrderID != o.ID || cl[0].AmountFen != r.NetReversed || cl[0].SettledIn != "" {
		t.Fatalf("clawbacks: %+v", cl)
	}
	if len(f.refundDeductions(prov.ID)) != 0 {
		t.Fatal("a clawback refund also charged the deposit")
	}
	f.wantSums(o.ID)

	// Then the rest, charged to the deposit: no clawback for it.
	r2 := f.inArbitration(o.ID, nil)
	r2, err = f.svc.ArbitrateRefund(f.ctx, risk, r2.ID, market.Ruling{Decision: "full", Reason: "R-RF5 质量造成损失", ProviderFault: "quality_loss", ChargeDeposit: true})
	ok(t, err)
	if r2.AmountFen != orderFen-10_001 {
		t.Fatalf("full after a partial refunds the rest: %+v", r2)
	}
	for range 2 {
		ok(t, f.refundResult(r2, "SUCCESS"))
	}
	r2 = f.refund(r2.ID)
	if r2.Status != market.RefundPaid || r2.ProviderShare != market.ShareDeposit {
		t.Fatalf("paid: %+v", r2)
	}
	if cl := f.clawbacks(prov.ID); len(cl) != 1 {
		t.Fatalf("R-DP4 a deposit-charged refund also clawed back: %+v", cl)
	}
	ded := f.refundDeductions(prov.ID)
	if len(ded) != 1 || ded[r2.ID] != int64(r2.NetReversed) {
		t.Fatalf("deposit deductions: %v, want %d for %s", ded, r2.NetReversed, r2.ID)
	}
	p := f.provider(prov.ID)
	if p.Deposit.BalanceFen != p.Deposit.RequiredFen-r2.NetReversed {
		t.Errorf("deposit: %+v", p.Deposit)
	}
	f.wantLedgerMatches(prov.ID)
	if d := f.eventData(r2.ID, "refund.paid"); d["providerShare"] != "deposit" {
		t.Errorf("paid: %v", d)
	}
	if n := f.countEvents("deposit.deducted"); n != 1 {
		t.Errorf("%d deductions", n)
	}
	// The order is whole: the two refunds reverse exactly its fee and net.
	got := f.order(o.ID)
	if got.Status != market.OrderRefunded || got.RefundedFen != orderFen || got.PlatformFeeRefunded != feeFen || got.ProviderNetRefunded != netFen {
		t.Fatalf("order: %+v", got)
	}
	f.wantSums(o.ID)
	_, err = f.svc.RequestRefund(f.ctx, buyer, o.ID, nil, "再退")
	wantCode(t, err, "FailedOperation.NotRefundable")
}

// A platform refund of an order not settled yet is withheld from its
// settlement: no clawback and no deposit charge, even when the ruling says
// chargeDeposit (never both).
func TestUnsettledOrderRefund_Withheld_R_RF7(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, prov, o := f.refundShop()
	f.complete("2026-07-06 10:00")
	r := f.inArbitration(o.ID, nil)
	r, err := f.svc.ArbitrateRefund(f.ctx, risk, r.ID, market.Ruling{Decision: "partial", AmountFen: fenOf(7), Reason: "x", ChargeDeposit: true})
	ok(t, err)
	r = f.paid(r)
	if r.ProviderShare != market.ShareWithheld || len(f.clawbacks(prov.ID)) != 0 || len(f.refundDeductions(prov.ID)) != 0 {
		t.Fatalf("withheld: %+v", r)
	}
	if r.FeeReversed != 1 || r.NetReversed != 6 {
		t.Errorf("7 fen split %d/%d", r.FeeReversed, r.NetReversed)
	}
	f.wantSums(o.ID)
}

// Many small partial refunds: each split sums to its amount; the running
// totals stay within the order's fee and net, and end exactly on them.
func TestPartialRefundSums_R_FE1(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	prod, _ := f.onSale("100001", creditCode, "software", 10_007)
	o := f.paidOrder(prod.ID, "4200000000202607010001")
	left := int64(10_007)
	for i, amount := range []int64{1, 3, 7, 999, 4_444, 5} {
		r, err := f.svc.RequestRefund(f.ctx, buyer, o.ID, fenOf(amount), fmt.Sprintf("第 %d 次", i))
		ok(t, err)
		r, err = f.svc.RespondRefund(f.ctx, seller, r.ID, "accept", "")
		ok(t, err)
		f.paid(r)
		f.wantSums(o.ID)
		left -= amount
	}
	r, err := f.svc.RequestRefund(f.ctx, buyer, o.ID, nil, "余额")
	ok(t, err)
	if int64(r.AmountFen) != left {
		t.Fatalf("the rest: %d, want %d", r.AmountFen, left)
	}
	r, err = f.svc.RespondRefund(f.ctx, seller, r.ID, "accept", "")
	ok(t, err)
	f.paid(r)
	f.wantSums(o.ID)
	got := f.order(o.ID)
	if got.PlatformFeeRefunded != got.PlatformFee || got.ProviderNetRefunded != got.ProviderNet || got.Status != market.OrderRefunded {
		t.Fatalf("whole: %+v", got)
	}
}

// R-EX2: an exit refunds every paid order not completed, in full: an open
// request becomes the full refund, the others get one; a completed order is
// left alone. R-DP6: the refunds and the unfinished orders block the deposit
// return until they are paid; then it goes ahead.
func TestExitRefunds_R_EX2_R_DP6(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, prov, done := f.refundShop()
	f.complete("2026-07-06 10:00") // done is completed
	f.setClock("2026-07-07 10:00")
	a := f.paidOrder(done.ProductID, "4200000000202607070001")
	b := f.paidOrder(done.ProductID, "4200000000202607070002")
	open, err := f.svc.RequestRefund(f.ctx, buyer, b.ID, fenOf(100), "先退一点")
	ok(t, err)

	f.setClock("2026-07-08 10:00")
	ex, err := f.svc.RequestExit(f.ctx, seller, prov.ID, "业务调整")
	ok(t, err)
	if codes := blockerCodes(ex.Blockers); codes != "OpenDispute UnfinishedOrder ReceiptNotReturned" {
		t.Fatalf("blockers: %s", codes)
	}
	rs, err := f.st.Refunds(f.ctx, store.RefundQuery{ProviderID: prov.ID})
	ok(t, err)
	if len(rs) != 2 {
		t.Fatalf("%d refunds", len(rs))
	}
	byOrder := map[string]*market.Refund{}
	for _, r := range rs {
		byOrder[r.OrderID] = r
		if r.Status != market.RefundAccepted || r.Payer != market.PayerPlatform || r.Basis != market.BasisReviewPeriod ||
			r.AmountFen != orderFen || !strings.HasPrefix(r.Reason, market.ReasonProviderExit) || r.Transfer.State != market.TransferSubmitted {
			t.Errorf("exit refund: %+v", r)
		}
		f.wantSums(r.OrderID)
	}
	if byOrder[b.ID] == nil || byOrder[b.ID].ID != open.ID || byOrder[a.ID] == nil || byOrder[done.ID] != nil {
		t.Fatalf("refunds by order: %v", byOrder)
	}
	if len(f.refunds.all()) != 2 || f.countEvents("refund.accepted") != 2 {
		t.Fatalf("calls %+v", f.refunds.all())
	}

	rr, err := f.svc.ReceiptReturned(f.ctx, finance, prov.ID)
	ok(t, err)
	if codes := blockerCodes(rr.Blockers); codes != "OpenDispute UnfinishedOrder" || !rr.Provider.Deposit.ReturnDueAt.IsZero() {
		t.Fatalf("receipt with refunds open: %s", codes)
	}
	f.paid(byOrder[a.ID])
	led, err := f.svc.DepositLedger(f.ctx, finance, prov.ID)
	ok(t, err)
	if codes := blockerCodes(led.Blockers); codes != "OpenDispute UnfinishedOrder" {
		t.Fatalf("one refund paid: %s", codes)
	}
	f.paid(byOrder[b.ID])
	for _, id := range []string{a.ID, b.ID} {
		if got := f.order(id); got.Status != market.OrderRefunded || got.RefundedFen != orderFen {
			t.Errorf("order %s: %+v", id, got)
		}
	}
	if f.order(done.ID).Status != market.OrderCompleted {
		t.Error("a completed order was refunded at exit")
	}
	rr, err = f.svc.ReceiptReturned(f.ctx, finance, prov.ID)
	ok(t, err)
	if len(rr.Blockers) != 0 || rr.Provider.Deposit.ReturnDueAt.IsZero() {
		t.Fatalf("R-DP6 all paid: %+v", rr.Blockers)
	}
	_, err = f.svc.ReturnDeposit(f.ctx, finance, prov.ID, "WIRE-BACK-1")
	ok(t, err)
}

// A ruling that charges the deposit of a provider whose deposit is already
// due back (its exit was cleared before the buyer asked): the payment system
// paid the buyer, so the refund must be recorded paid; the provider's share
// is clawed back instead, once (R-RF7, never both).
func TestChargeDepositWhileReturning_R_DP4_R_DP6(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	_, prov, o := f.refundShop()
	f.complete("2026-07-06 10:00")
	f.settleOrder(o.ID)
	_, err := f.svc.RequestExit(f.ctx, seller, prov.ID, "业务调整")
	ok(t, err)
	rr, err := f.svc.ReceiptReturned(f.ctx, finance, prov.ID)
	ok(t, err)
	if len(rr.Blockers) != 0 {
		t.Fatalf("blockers: %s", blockerCodes(rr.Blockers))
	}
	r := f.inArbitration(o.ID, nil)
	r, err = f.svc.ArbitrateRefund(f.ctx, risk, r.ID, market.Ruling{Decision: "partial", AmountFen: fenOf(5_000), Reason: "未交付", ChargeDeposit: true})
	ok(t, err)
	_, err = f.svc.ReturnDeposit(f.ctx, finance, prov.ID, "WIRE-BACK-1")
	wantCode(t, err, "FailedOperation.DepositReturnBlocked")
	for range 2 {
		ok(t, f.refundResult(r, "SUCCESS"))
	}
	r = f.refund(r.ID)
	if r.Status != market.RefundPaid || r.ProviderShare != market.ShareClawback {
		t.Fatalf("paid: %+v", r)
	}
	if cl := f.clawbacks(prov.ID); len(cl) != 1 || cl[0].AmountFen != r.NetReversed || len(f.refundDeductions(prov.ID)) != 0 {
		t.Fatalf("clawbacks %+v; deductions %v", cl, f.refundDeductions(prov.ID))
	}
	if d := f.eventData(r.ID, "refund.paid"); d["providerShare"] != "clawback" {
		t.Errorf("paid: %v", d)
	}
	f.wantSums(o.ID)
	_, err = f.svc.ReturnDeposit(f.ctx, finance, prov.ID, "WIRE-BACK-1")
	ok(t, err)
}

// An exit refunds at most ExitBatch orders in its own transaction; the refund
// sweep refunds the rest of an exiting (or expelled) provider's unfinished
// orders and takes over refunds asked since, once however often it runs. An
// order whose exit refund failed is finance's: not refunded again (R-EX2).
func TestExitRefundSweep_R_EX2(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	f.svc.Config.ExitBatch = 2
	_, prov, done := f.refundShop()
	prod2, prov2 := f.onSale("100002", otherOrg, "software", 20_000)
	f.complete("2026-07-06 10:00")
	f.setClock("2026-07-07 10:00")
	var orders []*market.Order
	for i := range 5 {
		orders = append(orders, f.paidOrder(done.ProductID, fmt.Sprintf("42000000002026070700%02d", i)))
	}
	expelledOrder := f.paidOrder(prod2.ID, "4200000000202607070099")

	f.setClock("2026-07-08 10:00")
	_, err := f.svc.RequestExit(f.ctx, seller, prov.ID, "业务调整")
	ok(t, err)
	exitRefunds := func() map[string][]*market.Refund {
		rs, err := f.st.Refunds(f.ctx, store.RefundQuery{})
		ok(t, err)
		out := map[string][]*market.Refund{}
		for _, r := range rs {
			out[r.OrderID] = append(out[r.OrderID], r)
		}
		return out
	}
	first := exitRefunds()
	if len(first) != 2 {
		t.Fatalf("the exit refunded %d orders, want ExitBatch 2", len(first))
	}
	// One exit refund fails; a buyer asks a small refund of an order not
	// reached yet; the other provider is expelled (as the penalty feature will).
	var failed, asked string
	for _, rs := range first {
		if failed == "" {
			failed = rs[0].OrderID
			ok(t, f.refundResult(rs[0], "ABNORMAL"))
		}
	}
	for _, o := range orders {
		if first[o.ID] == nil && asked == "" {
			asked = o.ID
			_, err := f.svc.RequestRefund(f.ctx, buyer, o.ID, fenOf(100), "先退一点")
			ok(t, err)
		}
	}
	f.change(prov2.ID, func(p *market.Provider) { p.Status = market.ProviderExpelled })

	f.setClock("2026-07-08 10:01")
	var wg sync.WaitGroup
	reps := make([]operation.DeadlineReport, 2)
	for i := range reps {
		wg.Go(func() {
			var err error
			reps[i], err = f.svc.EnforceDeadlines(f.ctx)
			ok(t, err)
		})
	}
	wg.Wait()
	again, err := f.svc.EnforceDeadlines(f.ctx)
	ok(t, err)
	// 2 not reached, the asked one taken over, and the expelled provider's.
	if got := reps[0].ExitRefunds + reps[1].ExitRefunds; got != 4 || again.ExitRefunds != 0 {
		t.Fatalf("swept %d + %d then %d, want 4 then 0", reps[0].ExitRefunds, reps[1].ExitRefunds, again.ExitRefunds)
	}
	all := exitRefunds()
	for _, o := range append(orders, expelledOrder) {
		rs := all[o.ID]
		if o.ID == failed {
			if len(rs) != 1 || rs[0].Status != market.RefundFailed {
				t.Errorf("the failed exit refund's order was refunded again: %+v", rs)
			}
			continue
		}
		if len(rs) != 1 || rs[0].Status != market.RefundAccepted || !rs[0].ForExit || rs[0].AmountFen != o.AmountFen ||
			rs[0].Payer != market.PayerPlatform || rs[0].Transfer.State != market.TransferSubmitted {
			t.Errorf("order %s: %+v", o.ID, rs)
		}
		if o.ID == asked && !strings.HasPrefix(rs[0].Reason, market.ReasonProviderExit+": ") {
			t.Errorf("the asked refund was not taken over: %+v", rs[0])
		}
	}
	if all[done.ID] != nil {
		t.Error("a completed order was refunded")
	}
	if n := f.countEvents("refund.accepted"); n != 6 {
		t.Errorf("%d refund.accepted events, want 6", n)
	}
	calls := map[string]int{}
	for _, c := range f.refunds.all() {
		calls[c.OutRefundNo]++
	}
	if len(calls) != 6 {
		t.Errorf("%d refunds asked of the payment system, want 6", len(calls))
	}
	for no, n := range calls {
		if n != 1 { // two runs at once each submitted what the other claimed
			t.Errorf("%s asked %d times", no, n)
		}
	}
	for _, rs := range all {
		if rs[0].Status == market.RefundAccepted {
			f.paid(rs[0])
		}
	}
	rep, err := f.svc.EnforceDeadlines(f.ctx)
	ok(t, err)
	if rep.ExitRefunds != 0 {
		t.Errorf("swept after everything was paid: %+v", rep)
	}
	for _, o := range append(orders, expelledOrder) {
		if got := f.order(o.ID); o.ID != failed && got.Status != market.OrderRefunded {
			t.Errorf("order %s: %s", o.ID, got.Status)
		}
	}
}
