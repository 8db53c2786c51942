package market

import (
	"math/rand"
	"testing"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/money"
	"cloudmarket/shared/workday"
)

func sh(y int, m time.Month, d, h, mi, s, ms int) time.Time {
	return time.Date(y, m, d, h, mi, s, ms*int(time.Millisecond), workday.Shanghai)
}

// paidOrder is an order of 300.00 CNY paid at paidAt, fee 10%.
func paidOrder(cat Category, tool bool, period string, days, qty int, policy string, paidAt time.Time) *Order {
	prod := &Product{ID: "prd_1", Status: ProductListed, StoreOpen: true, Listed: &ProductContent{Category: cat, Name: "p", Tool: tool,
		RefundPolicy: RefundPolicy{AfterReviewPeriod: policy},
		Plans:        []Plan{{ID: "std", Name: "std", PriceFen: 30000, Period: period, DurationDays: days}}}}
	prov := &Provider{ID: "prv_1", Status: ProviderActive, CooperationMode: "platform", Deposit: Deposit{EverHeld: true}}
	o, err := NewOrder("ord_1", "CM1", "buyer", prod, prov, "std", qty, 2000, paidAt.Add(-time.Minute))
	if err != nil {
		panic(err)
	}
	o.ApplyPayment("tx1", o.AmountFen, paidAt, workday.New(), Fulfilment{RedemptionCode: "R", LaunchRef: "L", APIKeyRef: "K"})
	return o
}

// Every cell of the quote: category × tool × plan period × policy × moment
// (R-RF1, R-RF2, R-RF4, R-RF6), including the 5-day boundary at
// 23:59:59.999 Asia/Shanghai.
func TestRefundQuote_R_RF1_R_RF2_R_RF4_R_RF6(t *testing.T) {
	t.Parallel()
	paid := sh(2026, 7, 1, 10, 0, 0, 0)
	lastMs := sh(2026, 7, 5, 23, 59, 59, 999)
	after := lastMs.Add(time.Millisecond) // 7-6 00:00:00.000: day 6
	type cell struct {
		name   string
		cat    Category
		tool   bool
		period string
		days   int
		qty    int
		policy string
		now    time.Time
		basis  RefundBasis
		max    money.Fen
		ends   bool // reviewPeriodEndsAt shown
	}
	cells := []cell{}
	for _, cat := range []Category{CategoryImage, CategorySoftware, CategoryAPI, CategoryMiniProgram} {
		cells = append(cells,
			cell{string(cat) + " day 1", cat, false, "month", 30, 1, "", paid, BasisReviewPeriod, 30000, true},
			cell{string(cat) + " last ms of day 5", cat, false, "month", 30, 1, "", lastMs, BasisReviewPeriod, 30000, true},
			// day 6 of 30: 6 used, 24 unused → 300 × 24/30 = 240.00
			cell{string(cat) + " day 6 month pro rata default", cat, false, "month", 30, 1, "", after, BasisProRata, 24000, true},
			cell{string(cat) + " day 6 year pro rata", cat, false, "year", 365, 1, "", after, BasisProRata, money.Portion(30000, 359, 365), true},
			cell{string(cat) + " day 6 month policy none", cat, false, "month", 30, 1, AfterReviewNone, after, BasisNotRefundable, 0, true},
			cell{string(cat) + " day 6 once default none", cat, false, "once", 0, 1, "", after, BasisNotRefundable, 0, true},
			cell{string(cat) + " day 6 once policy pro rata", cat, false, "once", 60, 1, AfterReviewProRata, after, BasisProRata, money.Portion(30000, 54, 60), true},
			cell{string(cat) + " day 6 once pro rata without days", cat, false, "once", 0, 1, AfterReviewProRata, after, BasisNotRefundable, 0, true},
			// quantity 2 of a 30-day plan runs 60 days: 54 unused of 60 → 600 × 54/60
			cell{string(cat) + " quantity 2 runs 60 days", cat, false, "month", 30, 2, "", after, BasisProRata, 54000, true},
			cell{string(cat) + " plan used up", cat, false, "month", 30, 1, "", sh(2026, 7, 30, 12, 0, 0, 0), BasisNotRefundable, 0, true},
			cell{string(cat) + " tool day 1", cat, true, "month", 30, 1, "", paid, BasisNotRefundable, 0, false},
			cell{string(cat) + " tool day 6 pro rata policy", cat, true, "month", 30, 1, AfterReviewProRata, after, BasisNotRefundable, 0, false},
		)
	}
	cells = append(cells,
		cell{"ops unconfirmed long after", CategoryOps, false, "once", 0, 1, "", sh(2026, 9, 1, 0, 0, 0, 0), BasisReviewPeriod, 30000, false},
		cell{"ops month unconfirmed", CategoryOps, false, "month", 30, 1, "", after, BasisReviewPeriod, 30000, false},
		cell{"ops tool", CategoryOps, true, "once", 0, 1, "", paid, BasisNotRefundable, 0, false},
	)
	for _, c := range cells {
		o := paidOrder(c.cat, c.tool, c.period, c.days, c.qty, c.policy, paid)
		q := o.Quote(c.now)
		if q.Basis != c.basis || q.MaxRefundFen != c.max || q.Refundable != (c.max > 0) {
			t.Errorf("%s: %+v, want %s %d", c.name, q, c.basis, c.max)
		}
		if q.ReviewPeriodEndsAt.IsZero() == c.ends {
			t.Errorf("%s: reviewPeriodEndsAt %v, shown %v", c.name, q.ReviewPeriodEndsAt, c.ends)
		}
		if q.Explanation == "" {
			t.Errorf("%s: no explanation", c.name)
		}
	}
}

func TestRefundQuoteOpsAfterConfirmation_R_RF6(t *testing.T) {
	t.Parallel()
	paid := sh(2026, 7, 1, 10, 0, 0, 0)
	for _, c := range []struct {
		policy string
		basis  RefundBasis
		max    money.Fen
	}{{"", BasisNotRefundable, 0}, {AfterReviewNone, BasisNotRefundable, 0}, {AfterReviewProRata, BasisProRata, money.Portion(30000, 20, 30)}} {
		o := paidOrder(CategoryOps, false, "month", 30, 1, c.policy, paid)
		if err := o.Confirm(sh(2026, 7, 8, 10, 0, 0, 0)); err != nil {
			t.Fatal(err)
		}
		q := o.Quote(sh(2026, 7, 10, 9, 0, 0, 0)) // day 10 of 30
		if q.Basis != c.basis || q.MaxRefundFen != c.max || !q.ReviewPeriodEndsAt.Equal(sh(2026, 7, 8, 10, 0, 0, 0)) {
			t.Errorf("policy %q: %+v", c.policy, q)
		}
	}
}

func TestRefundQuoteUnpaidAndNet(t *testing.T) {
	t.Parallel()
	o := paidOrder(CategorySoftware, false, "month", 30, 1, "", sh(2026, 7, 1, 10, 0, 0, 0))
	o.RefundedFen = 10000
	q := o.Quote(sh(2026, 7, 2, 0, 0, 0, 0))
	if q.MaxRefundFen != 20000 || q.AlreadyRefundedFen != 10000 {
		t.Fatalf("net: %+v", q)
	}
	// After the review period the pro rata share is net of the refund too.
	q = o.Quote(sh(2026, 7, 6, 0, 0, 0, 0))
	if q.MaxRefundFen != 14000 {
		t.Fatalf("pro rata net: %+v", q)
	}
	o.Status, o.PaidAt = OrderPendingPayment, time.Time{}
	if q := o.Quote(sh(2026, 7, 2, 0, 0, 0, 0)); q.Refundable {
		t.Fatalf("unpaid quote: %+v", q)
	}
	_, err := RequestRefund("rfd_1", o, nil, "r", sh(2026, 7, 2, 0, 0, 0, 0), workday.New())
	if !fault.HasCode(err, "FailedOperation.OrderNotPaid") {
		t.Fatalf("unpaid request: %v", err)
	}
}

// respondBy is 2 working days from the 2026 calendar (R-WD2), across the
// National Day holiday and its adjusted working Saturday.
func TestRefundRespondBy_NationalDay2026(t *testing.T) {
	t.Parallel()
	cal := workday.New()
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{sh(2026, 9, 29, 10, 0, 0, 0), "2026-10-08T23:59:59.999+08:00"}, // 9-30, 10-8
		{sh(2026, 9, 30, 10, 0, 0, 0), "2026-10-09T23:59:59.999+08:00"}, // 10-8, 10-9
		{sh(2026, 10, 3, 10, 0, 0, 0), "2026-10-09T23:59:59.999+08:00"}, // in the holiday
		{sh(2026, 10, 9, 10, 0, 0, 0), "2026-10-12T23:59:59.999+08:00"}, // 10-10 (adjusted Saturday), 10-12
	} {
		o := paidOrder(CategorySoftware, false, "month", 30, 1, "", c.at)
		r, err := RequestRefund("rfd_1", o, nil, "不需要了", c.at, cal)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.RespondBy.In(workday.Shanghai).Format(time.RFC3339Nano); got != c.want {
			t.Errorf("requested %v: respondBy %s, want %s", c.at, got, c.want)
		}
	}
}

func TestRefundRequestRefusals_R_RF2(t *testing.T) {
	t.Parallel()
	cal := workday.New()
	paid := sh(2026, 7, 1, 10, 0, 0, 0)
	amt := func(v money.Fen) *money.Fen { return &v }
	for _, c := range []struct {
		name   string
		tool   bool
		amount *money.Fen
		reason string
		code   string
	}{
		{"no reason", false, nil, " ", fault.MissingParameter},
		{"zero", false, amt(0), "r", "InvalidParameterValue.AmountFen"},
		{"negative", false, amt(-1), "r", "InvalidParameterValue.AmountFen"},
		{"above quote", false, amt(30001), "r", "InvalidParameterValue.AmountFen"},
		{"tool", true, nil, "r", "FailedOperation.NotRefundable"},
	} {
		o := paidOrder(CategorySoftware, c.tool, "month", 30, 1, "", paid)
		if _, err := RequestRefund("rfd_1", o, c.amount, c.reason, paid, cal); !fault.HasCode(err, c.code) {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	o := paidOrder(CategorySoftware, false, "month", 30, 1, "", paid)
	if _, err := RequestRefund("rfd_1", o, amt(100), "r", paid, cal); err != nil {
		t.Fatal(err)
	}
	if _, err := RequestRefund("rfd_2", o, nil, "r", paid, cal); !fault.HasCode(err, "FailedOperation.RefundInProgress") {
		t.Fatalf("second open refund: %v", err)
	}
}

// The state machine: accept pays by the platform before completion and by
// the provider after (R-RF7); decline and silence go to arbitration; rulings
// are paid by the platform.
func TestRefundStateMachine_R_RF3_R_RF7(t *testing.T) {
	t.Parallel()
	cal := workday.New()
	paid := sh(2026, 7, 1, 10, 0, 0, 0)
	now := paid.Add(time.Hour)

	o := paidOrder(CategorySoftware, false, "month", 30, 1, "", paid)
	r, _ := RequestRefund("rfd_01", o, nil, "r", now, cal)
	if err := r.Respond(o, "decline", "", now); !fault.HasCode(err, fault.MissingParameter) {
		t.Fatalf("decline without reason: %v", err)
	}
	if err := r.Respond(o, "accept", "", now); err != nil || r.Status != RefundAccepted || r.Payer != PayerPlatform || r.OutRefundNo != "RF01" || r.Transfer.State != TransferPending {
		t.Fatalf("accept in review period: %v %+v", err, r)
	}
	if err := r.Respond(o, "accept", "", now); !fault.HasCode(err, "FailedOperation.RefundNotAwaitingResponse") {
		t.Fatalf("second answer: %v", err)
	}
	if _, err := r.RecordProviderPayment(o, "BANK-1", now, now); !fault.HasCode(err, "FailedOperation.RefundNotProviderPaid") {
		t.Fatalf("provider payment of a platform refund: %v", err)
	}
	out, err := r.MarkPaid(o, now, now)
	if err != nil || o.Status != OrderRefunded || o.OpenRefundID != "" || out.ProviderShare != ShareWithheld || r.FeeReversed+r.NetReversed != r.AmountFen {
		t.Fatalf("paid: %v %+v %+v", err, out, o)
	}
	if _, err := r.MarkPaid(o, now, now); err == nil {
		t.Fatal("paid twice")
	}

	// After completion, the provider accepts and pays itself.
	o = paidOrder(CategorySoftware, false, "month", 30, 1, "", paid)
	later := sh(2026, 7, 10, 10, 0, 0, 0)
	o.CompleteIfReviewOver(later)
	r, _ = RequestRefund("rfd_02", o, nil, "r", later, cal)
	if r.Basis != BasisProRata {
		t.Fatalf("basis %s", r.Basis)
	}
	_ = r.Respond(o, "accept", "", later)
	if r.Payer != PayerProvider || r.OutRefundNo != "" {
		t.Fatalf("after completion: %+v", r)
	}
	if _, err := r.RecordProviderPayment(o, "BANK-1", later.Add(time.Hour), later); !fault.HasCode(err, "InvalidParameterValue.PaidAt") {
		t.Fatalf("future paidAt: %v", err)
	}
	if out, err := r.RecordProviderPayment(o, "BANK-1", later, later); err != nil || out.ProviderShare != ShareProvider || o.ShownStatus() != OrderPartiallyRefunded || o.Status != OrderCompleted {
		t.Fatalf("provider paid: %v %+v %s", err, out, o.Status)
	}

	// Silence past respondBy, then a partial ruling on a settled order with
	// chargeDeposit: the platform pays, the deposit is charged, no clawback.
	o = paidOrder(CategorySoftware, false, "month", 30, 1, "", paid)
	r, _ = RequestRefund("rfd_03", o, nil, "r", now, cal)
	if r.EscalateIfSilent(r.RespondBy) || !r.EscalateIfSilent(r.RespondBy.Add(time.Millisecond)) || r.Status != RefundArbitrating || r.ArbitrationCause != "no_response" {
		t.Fatalf("silence: %+v", r)
	}
	part := money.Fen(12345)
	if err := r.Arbitrate(o, Ruling{Decision: "partial", Reason: "r"}, "k", now); !fault.HasCode(err, fault.MissingParameter) {
		t.Fatalf("partial without amount: %v", err)
	}
	if err := r.Arbitrate(o, Ruling{Decision: "partial", AmountFen: &part, Reason: "r", ProviderFault: "nope"}, "k", now); !fault.HasCode(err, "InvalidParameterValue.ProviderFault") {
		t.Fatalf("bad fault: %v", err)
	}
	if err := r.Arbitrate(o, Ruling{Decision: "partial", AmountFen: &part, Reason: "r", ProviderFault: "late_service", ChargeDeposit: true}, "k", now); err != nil || r.Payer != PayerPlatform || r.AmountFen != part {
		t.Fatalf("ruling: %v %+v", err, r)
	}
	o.SettledAt = now
	if out, _ := r.MarkPaid(o, now, now); out.ProviderShare != ShareDeposit || out.ShareFen != r.NetReversed {
		t.Fatalf("deposit share: %+v", out)
	}

	// Deny closes it and frees the order.
	o = paidOrder(CategorySoftware, false, "month", 30, 1, "", paid)
	r, _ = RequestRefund("rfd_04", o, nil, "r", now, cal)
	_ = r.Respond(o, "decline", "服务已交付", now)
	if err := r.Arbitrate(o, Ruling{Decision: "deny", Reason: "r"}, "k", now); err != nil || r.Status != RefundDenied || o.OpenRefundID != "" {
		t.Fatalf("deny: %v %+v", err, r)
	}

	// Failure frees the order for a new request.
	o = paidOrder(CategorySoftware, false, "month", 30, 1, "", paid)
	r, _ = RequestRefund("rfd_05", o, nil, "r", now, cal)
	_ = r.Respond(o, "accept", "", now)
	if !r.MarkFailed(o, "REFUND.ABNORMAL", now) || r.Status != RefundFailed || o.OpenRefundID != "" || r.MarkFailed(o, "again", now) {
		t.Fatalf("failed: %+v", r)
	}
}

func TestInvoiceAction_R_FE3(t *testing.T) {
	t.Parallel()
	now := sh(2026, 7, 20, 10, 0, 0, 0)
	for _, c := range []struct {
		name      string
		mode      FeeMode
		issued    time.Time
		delivered bool
		certified bool
		want      string
	}{
		{"platform mode", FeePlatform, now, true, false, InvoiceProviderAndBuyer},
		{"not issued", FeeConsignment, time.Time{}, false, false, InvoiceNone},
		{"issued not delivered", FeeConsignment, now, false, false, InvoiceNone},
		{"same month", FeeConsignment, sh(2026, 7, 1, 0, 0, 0, 0), true, false, InvoiceReturn},
		{"same month certified", FeeConsignment, sh(2026, 7, 1, 0, 0, 0, 0), true, true, InvoiceRedLetterForm},
		{"earlier month", FeeConsignment, sh(2026, 6, 30, 23, 59, 59, 999), true, false, InvoiceRedLetterForm},
	} {
		o := &Order{Fee: FeeRule{Mode: c.mode}, InvoiceIssuedAt: c.issued, InvoiceCertified: c.certified}
		if c.delivered {
			o.InvoiceDeliveredAt = c.issued
		}
		if got := InvoiceActionFor(o, now); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// Over random sequences of partial refunds and rulings, each split sums to
// its refund, and the totals never pass what was paid, nor the fee or net.
func TestRefundSequencesKeepSums(t *testing.T) {
	t.Parallel()
	cal := workday.New()
	rng := rand.New(rand.NewSource(20261001))
	for run := 0; run < 500; run++ {
		price := money.Fen(1 + rng.Int63n(500000))
		qty := 1 + rng.Intn(3)
		paid := sh(2026, 7, 1, 10, 0, 0, 0)
		o := paidOrder(CategorySoftware, false, "month", 30, 1, "", paid)
		o.Plan.PriceFen, o.Quantity, o.AmountFen = price, qty, price*money.Fen(qty)
		o.Fee.RateBps = money.BasisPoints(rng.Int63n(10001))
		o.PlatformFee, o.ProviderNet = money.Split(o.AmountFen, o.Fee.RateBps)
		now := paid
		for step := 0; step < 12 && o.RemainingFen() > 0; step++ {
			now = now.Add(time.Duration(rng.Int63n(int64(48 * time.Hour))))
			q := o.Quote(now)
			if q.MaxRefundFen > o.RemainingFen() || q.MaxRefundFen < 0 {
				t.Fatalf("run %d: quote %d beyond remaining %d", run, q.MaxRefundFen, o.RemainingFen())
			}
			var r *Refund
			var err error
			if q.Refundable {
				a := 1 + money.Fen(rng.Int63n(int64(q.MaxRefundFen)))
				r, err = RequestRefund(ids(run, step), o, &a, "r", now, cal)
			} else {
				r, err = RequestRefund(ids(run, step), o, nil, "r", now, cal)
				if err == nil {
					t.Fatalf("run %d: request on a non-refundable quote", run)
				}
				// the platform may still rule on a dispute: simulate one
				r = &Refund{ID: ids(run, step), OrderID: o.ID, Status: RefundArbitrating}
				o.OpenRefundID = r.ID
				err = nil
			}
			if err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
			switch rng.Intn(4) {
			case 0:
				if r.Status == RefundRequested {
					_ = r.Respond(o, "accept", "", now)
				} else {
					_ = r.Arbitrate(o, Ruling{Decision: "deny", Reason: "r"}, "k", now)
				}
			case 1:
				if r.Status == RefundRequested {
					_ = r.Respond(o, "decline", "no", now)
				}
				part := 1 + money.Fen(rng.Int63n(int64(o.RemainingFen())))
				_ = r.Arbitrate(o, Ruling{Decision: "partial", AmountFen: &part, Reason: "r"}, "k", now)
			case 2:
				if r.Status == RefundRequested {
					_ = r.Respond(o, "decline", "no", now)
				}
				_ = r.Arbitrate(o, Ruling{Decision: "full", Reason: "r"}, "k", now)
			case 3:
				if r.Status == RefundRequested {
					_ = r.Respond(o, "decline", "no", now)
				}
				_ = r.Arbitrate(o, Ruling{Decision: "deny", Reason: "r"}, "k", now)
			}
			if r.Status == RefundAccepted {
				if _, err := r.MarkPaid(o, now, now); err != nil {
					t.Fatalf("run %d: %v", run, err)
				}
				if r.FeeReversed+r.NetReversed != r.AmountFen || r.FeeReversed < 0 || r.NetReversed < 0 {
					t.Fatalf("run %d: split %d + %d != %d", run, r.FeeReversed, r.NetReversed, r.AmountFen)
				}
			}
			if o.OpenRefundID != "" {
				t.Fatalf("run %d: refund left open: %+v", run, r)
			}
			if o.RefundedFen > o.AmountFen || o.PlatformFeeRefunded > o.PlatformFee || o.ProviderNetRefunded > o.ProviderNet ||
				o.PlatformFeeRefunded+o.ProviderNetRefunded != o.RefundedFen {
				t.Fatalf("run %d: totals %+v", run, o)
			}
		}
		if o.RefundedFen == o.AmountFen && (o.PlatformFeeRefunded != o.PlatformFee || o.ProviderNetRefunded != o.ProviderNet || o.Status != OrderRefunded) {
			t.Fatalf("run %d: a whole refund does not reverse the whole split: %+v", run, o)
		}
	}
}

func ids(run, step int) string { return "rfd_" + time.Duration(run*100+step).String() }

// A partial refund does not end an order's life: a software order partly
// refunded inside its review period still completes when the period ends
// (and settles), shown as partially_refunded all along; a later refund is
// then the provider's to pay (R-RF7).
func TestPartialRefundKeepsTheOrderAlive_R_RF1_R_RF7(t *testing.T) {
	paid := sh(2026, 7, 1, 10, 0, 0, 0)
	o := paidOrder(CategorySoftware, false, "month", 30, 1, "", paid)
	amount := money.Fen(10000)
	r, err := RequestRefund("rfd_p1", o, &amount, "少用了", paid.Add(time.Hour), workday.New())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Respond(o, "accept", "", paid.Add(2*time.Hour)); err != nil || r.Payer != PayerPlatform {
		t.Fatalf("accept before completion: %v %s", err, r.Payer)
	}
	if _, err := r.MarkPaid(o, paid.Add(3*time.Hour), paid.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if o.ShownStatus() != OrderPartiallyRefunded || o.Status != OrderInService {
		t.Fatalf("after the partial refund: shown %s, status %s", o.ShownStatus(), o.Status)
	}
	if !o.CompleteIfReviewOver(sh(2026, 7, 6, 0, 0, 0, 0)) || o.Status != OrderCompleted || o.ShownStatus() != OrderPartiallyRefunded {
		t.Fatalf("review period over: status %s, shown %s", o.Status, o.ShownStatus())
	}
	later := sh(2026, 7, 10, 10, 0, 0, 0)
	r2, err := RequestRefund("rfd_p2", o, nil, "不用了", later, workday.New())
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.Respond(o, "accept", "", later); err != nil || r2.Payer != PayerProvider {
		t.Fatalf("accept after completion: %v %s", err, r2.Payer)
	}
}
