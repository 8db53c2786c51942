package operation_test

import (
	"testing"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
)

// The dashboard counts what is stored: the queue and its overdue part
// (R-ON1), review times in working days against the 7-working-day SLA
// (R-WD2), deposits short after a deduction (R-DP5), and orders, sales and
// refunds by the month they were paid.
func TestStats_R_ON1_R_DP5_Counts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	// July: a provider admitted the day it applied (0 working days), two
	// orders, one refunded in full.
	_, prov, refunded := f.refundShop()
	f.paidOrder(refunded.ProductID, "4200000000202607010002")
	r := f.request(refunded.ID)
	f.setClock("2026-07-02 10:00")
	_, err := f.svc.RespondRefund(f.ctx, seller, r.ID, "accept", "")
	ok(t, err)
	f.paid(r)
	// August: one more order.
	f.setClock("2026-08-03 10:00")
	f.paidOrder(refunded.ProductID, "4200000000202608030001")
	// September 29: two applications; one rejected 8 working days later
	// (National Day skipped), one still waiting past its due date.
	f.setClock("2026-09-29 10:00")
	late := f.apply("100002", otherOrg)
	f.apply("100003", orgCodeOf(t, "ABCD1234"))
	f.setClock("2026-10-15 09:00")
	_, err = f.svc.DecideApplication(f.ctx, reviewer, late.ID, "reject", "材料不全")
	ok(t, err)
	f.deduct(prov.ID, 100_000, "赔付买家")

	st, err := f.svc.Stats(f.ctx, finance, 4)
	ok(t, err)
	wantTime(t, "from", st.From, sh(t, "2026-07-01 00:00"))
	if a := st.Applications; a.Waiting != 1 || a.Overdue != 1 || a.DueNextWorkingDay != 0 {
		t.Errorf("R-ON1 queue: %+v", a)
	}
	wantTime(t, "oldest waiting", st.Applications.OldestSubmittedAt, sh(t, "2026-09-29 10:00"))
	rv := st.Reviews
	if rv.SLAWorkingDays != 7 || rv.Decided != 2 || rv.WithinSLA != 1 || rv.AverageWorkingDaysX10 != 40 || len(rv.ByWorkingDays) != 9 ||
		rv.ByWorkingDays[0].Count != 1 || rv.ByWorkingDays[8].Count != 1 || rv.ByWorkingDays[8].WithinSLA || !rv.ByWorkingDays[7].WithinSLA {
		t.Errorf("R-WD2 review times: %+v", rv)
	}
	type month struct {
		name                   string
		orders, refundedOrders int
		gmv, refunded          money.Fen
		rate                   money.BasisPoints
		decided, within        int
	}
	want := []month{
		{"2026-07", 2, 1, 2 * orderFen, orderFen, 5000, 1, 1},
		{"2026-08", 1, 0, orderFen, 0, 0, 0, 0},
		{"2026-09", 0, 0, 0, 0, 0, 0, 0},
		{"2026-10", 0, 0, 0, 0, 0, 1, 0},
	}
	if len(st.Months) != len(want) {
		t.Fatalf("months: %+v", st.Months)
	}
	for i, w := range want {
		m := st.Months[i]
		got := month{m.Month, m.Orders, m.RefundedOrders, m.GMVFen, m.RefundedFen, m.RefundRateBps, m.Decided, m.WithinSLA}
		if got != w {
			t.Errorf("month %d: got %+v, want %+v", i, got, w)
		}
	}
	if o := st.Orders; o.Orders != 3 || o.GMVFen != 3*orderFen || o.RefundedFen != orderFen || o.RefundRateBps != 3333 {
		t.Errorf("totals: %+v", o)
	}
	if d := st.Deposits; d.Providers != 1 || d.Short != 1 || d.ByStatus[market.DepositShort] != 1 || d.ShortfallFen != 100_000 || d.TopUpOverdue != 0 {
		t.Errorf("R-DP5 deposits: %+v", d)
	}

	// Past the 7-working-day top-up deadline the shortfall is overdue; a
	// shorter span leaves July out.
	f.setClock("2026-10-27 09:00")
	st, err = f.svc.Stats(f.ctx, risk, 3)
	ok(t, err)
	if st.Deposits.TopUpOverdue != 1 || st.Reviews.Decided != 1 || st.Orders.Orders != 1 || len(st.Months) != 3 || st.Months[0].Month != "2026-08" {
		t.Errorf("later, 3 months: deposits %+v reviews %+v orders %+v", st.Deposits, st.Reviews, st.Orders)
	}
}

func TestStats_Refusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "2026-07-01 09:30")
	for _, c := range []struct {
		name   string
		who    market.Actor
		months int
		code   string
	}{
		{"a buyer", buyer, 12, fault.UnauthorizedOperation},
		{"a provider", providerActor("100001"), 12, fault.UnauthorizedOperation},
		{"no months", reviewer, 0, "InvalidParameterValue.Months"},
		{"too many months", reviewer, market.MaxStatsMonths + 1, "InvalidParameterValue.Months"},
	} {
		_, err := f.svc.Stats(f.ctx, c.who, c.months)
		wantCode(t, err, c.code)
	}
	st, err := f.svc.Stats(f.ctx, reviewer, market.MaxStatsMonths)
	ok(t, err)
	if len(st.Months) != market.MaxStatsMonths || st.Months[len(st.Months)-1].Month != "2026-07" || st.Applications.Waiting != 0 || len(st.Reviews.ByWorkingDays) != 9 {
		t.Errorf("empty: %d months, %+v", len(st.Months), st.Reviews)
	}
}
