package market_test

import (
	"testing"
	"time"

	"cloudmarket/shared/market"
	"cloudmarket/shared/workday"
)

// Months are Asia/Shanghai calendar months: an instant late on January 31
// UTC is already February there, and a span crosses the year back.
func TestStatsMonthsAreShanghais_R_WD2(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		now    time.Time
		months int
		want   time.Time
	}{
		{time.Date(2026, 1, 15, 10, 0, 0, 0, workday.Shanghai), 12, time.Date(2025, 2, 1, 0, 0, 0, 0, workday.Shanghai)},
		{time.Date(2026, 1, 31, 16, 30, 0, 0, time.UTC), 1, time.Date(2026, 2, 1, 0, 0, 0, 0, workday.Shanghai)},
		{time.Date(2026, 3, 31, 23, 0, 0, 0, workday.Shanghai), 2, time.Date(2026, 2, 1, 0, 0, 0, 0, workday.Shanghai)},
	} {
		if got := market.StatsFrom(c.now, c.months); !got.Equal(c.want) {
			t.Errorf("StatsFrom(%s, %d) = %s, want %s", c.now, c.months, got, c.want)
		}
	}
	// An order paid 2026-01-31 16:30 UTC counts in February, Shanghai's month.
	now := time.Date(2026, 2, 10, 10, 0, 0, 0, workday.Shanghai)
	st := market.CountStats(market.StatsFacts{Paid: []market.PaidOrder{
		{PaidAt: time.Date(2026, 1, 31, 16, 30, 0, 0, time.UTC), AmountFen: 300, RefundedFen: 100},
		{PaidAt: time.Date(2026, 1, 31, 15, 30, 0, 0, time.UTC), AmountFen: 999}, // 23:30 on the 31st: January
	}}, now, 2, workday.New())
	if len(st.Months) != 2 || st.Months[0].Month != "2026-01" || st.Months[0].Orders != 1 || st.Months[1].Orders != 1 || st.Months[1].GMVFen != 300 {
		t.Fatalf("months: %+v", st.Months)
	}
	// 100 of 300 refunded: 3333 basis points, rounded down, never up.
	if st.Months[1].RefundRateBps != 3333 || st.Orders.RefundRateBps != 769 { // 100 / 1299 = 7.698%
		t.Errorf("refund rates: month %d, total %d", st.Months[1].RefundRateBps, st.Orders.RefundRateBps)
	}
}
