package market

import (
	"time"

	"cloudmarket/shared/money"
	"cloudmarket/shared/workday"
)

// The operators' dashboard (GET /v1/stats) is counted here from plain facts
// the store reads, so what "overdue", "short" and "within the SLA" mean stays
// the domain's.

// MaxStatsMonths bounds the months one dashboard covers.
const MaxStatsMonths = 36

// WaitingApplication is an application still waiting for its decision.
type WaitingApplication struct {
	SubmittedAt, ReviewDueAt time.Time
}

// DecidedApplication is an application with its decision.
type DecidedApplication struct {
	SubmittedAt, ReviewDueAt, DecidedAt time.Time
	Approved                            bool
}

// PaidOrder is an order the buyer paid, with what was refunded of it so far.
type PaidOrder struct {
	PaidAt      time.Time
	AmountFen   money.Fen
	RefundedFen money.Fen
}

// ProviderDeposit is a provider's standing and its deposit.
type ProviderDeposit struct {
	Status  ProviderStatus
	Deposit Deposit
}

// StatsFacts are what the dashboard is counted from.
type StatsFacts struct {
	Waiting   []WaitingApplication
	Decided   []DecidedApplication // decided since From
	Paid      []PaidOrder          // paid since From
	Providers []ProviderDeposit    // contract pending, active or exiting
}

// Stats is the dashboard.
type Stats struct {
	From, To     time.Time // From: 00:00 Asia/Shanghai on the first day of the first month
	Applications WaitingStats
	Reviews      ReviewStats
	Deposits     DepositStats
	Orders       OrderTotals
	Months       []MonthStats // oldest first, every month From..To, empty ones included
}

// WaitingStats is the review queue now (R-ON1).
type WaitingStats struct {
	Waiting int
	Overdue int // past reviewDueAt
	// DueNextWorkingDay: not overdue, due by the end of the next working day.
	DueNextWorkingDay int
	OldestSubmittedAt time.Time
}

// ReviewStats is how long decisions took against the 7-working-day SLA
// (R-ON1), counted in working days after the submission day (R-WD2).
type ReviewStats struct {
	SLAWorkingDays int
	Decided        int
	WithinSLA      int // decided by reviewDueAt
	// AverageWorkingDaysX10 is the mean in tenths of a working day (integer,
	// like every other figure here).
	AverageWorkingDaysX10 int
	ByWorkingDays         []ReviewBucket // 0..max used, each day present
}

// ReviewBucket counts decisions that used this many working days.
type ReviewBucket struct {
	WorkingDays int
	Count       int
	WithinSLA   bool
}

// DepositStats is the providers' deposits now (R-DP1, R-DP5).
type DepositStats struct {
	Providers    int
	ByStatus     map[DepositStatus]int
	Short        int // was whole, now short after a deduction
	TopUpOverdue int // short past topUpDueAt
	ShortfallFen money.Fen
	OwedFen      money.Fen
}

// OrderTotals sums the months covered.
type OrderTotals struct {
	Orders         int
	GMVFen         money.Fen
	RefundedOrders int
	RefundedFen    money.Fen
	RefundRateBps  money.BasisPoints
}

// MonthStats is one calendar month (Asia/Shanghai). Orders count by the month
// they were paid; their refunds count against that month, so the refund rate
// is the share of the month's sales refunded since.
type MonthStats struct {
	Month string // YYYY-MM
	OrderTotals
	Decided   int
	WithinSLA int
}

// StatsFrom is the first instant a dashboard of months months ending in
// now's month covers.
func StatsFrom(now time.Time, months int) time.Time {
	d := workday.StartOfDay(now)
	return time.Date(d.Year(), d.Month()-time.Month(months-1), 1, 0, 0, 0, 0, workday.Shanghai)
}

// CountStats counts the dashboard of months months up to now.
func CountStats(f StatsFacts, now time.Time, months int, cal *workday.Calendar) Stats {
	from := StatsFrom(now, months)
	st := Stats{From: from, To: now, Deposits: DepositStats{ByStatus: map[DepositStatus]int{}}, Reviews: ReviewStats{SLAWorkingDays: ReviewWorkingDays}}
	index := map[string]int{}
	for m := from; !m.After(now); m = m.AddDate(0, 1, 0) {
		key := m.Format("2006-01")
		index[key] = len(st.Months)
		st.Months = append(st.Months, MonthStats{Month: key})
	}
	monthOf := func(t time.Time) *MonthStats {
		if i, ok := index[t.In(workday.Shanghai).Format("2006-01")]; ok {
			return &st.Months[i]
		}
		return nil
	}

	soon := cal.DueAfterWorkingDays(now, 1)
	for _, a := range f.Waiting {
		st.Applications.Waiting++
		switch {
		case now.After(a.ReviewDueAt):
			st.Applications.Overdue++
		case !a.ReviewDueAt.After(soon):
			st.Applications.DueNextWorkingDay++
		}
		if st.Applications.OldestSubmittedAt.IsZero() || a.SubmittedAt.Before(st.Applications.OldestSubmittedAt) {
			st.Applications.OldestSubmittedAt = a.SubmittedAt
		}
	}

	used := map[int]int{}
	maxUsed, total := ReviewWorkingDays+1, 0
	for _, a := range f.Decided {
		m := monthOf(a.DecidedAt)
		if m == nil || a.DecidedAt.Before(from) {
			continue
		}
		days := cal.WorkingDaysBetween(a.SubmittedAt, a.DecidedAt)
		within := !a.DecidedAt.After(a.ReviewDueAt)
		st.Reviews.Decided++
		m.Decided++
		if within {
			st.Reviews.WithinSLA++
			m.WithinSLA++
		}
		used[days]++
		total += days
		maxUsed = max(maxUsed, days)
	}
	if st.Reviews.Decided > 0 {
		st.Reviews.AverageWorkingDaysX10 = (total*10 + st.Reviews.Decided/2) / st.Reviews.Decided
	}
	for d := 0; d <= maxUsed; d++ {
		st.Reviews.ByWorkingDays = append(st.Reviews.ByWorkingDays, ReviewBucket{WorkingDays: d, Count: used[d], WithinSLA: d <= ReviewWorkingDays})
	}

	for _, o := range f.Paid {
		m := monthOf(o.PaidAt)
		if m == nil || o.PaidAt.Before(from) {
			continue
		}
		for _, t := range []*OrderTotals{&m.OrderTotals, &st.Orders} {
			t.Orders++
			t.GMVFen += o.AmountFen
			if o.RefundedFen > 0 {
				t.RefundedOrders++
				t.RefundedFen += o.RefundedFen
			}
		}
	}
	for _, t := range append([]*OrderTotals{&st.Orders}, monthTotals(st.Months)...) {
		if t.GMVFen > 0 {
			t.RefundRateBps = money.BasisPoints(int64(t.RefundedFen) * 10000 / int64(t.GMVFen))
		}
	}

	for _, p := range f.Providers {
		d := p.Deposit
		status := d.Status()
		st.Deposits.Providers++
		st.Deposits.ByStatus[status]++
		if status == DepositShort {
			st.Deposits.Short++
			if !d.TopUpDueAt.IsZero() && now.After(d.TopUpDueAt) {
				st.Deposits.TopUpOverdue++
			}
		}
		if status != DepositReturning && status != DepositReturned {
			st.Deposits.ShortfallFen += d.ShortfallFen()
		}
		st.Deposits.OwedFen += d.OwedFen
	}
	return st
}

func monthTotals(ms []MonthStats) []*OrderTotals {
	out := make([]*OrderTotals, len(ms))
	for i := range ms {
		out[i] = &ms[i].OrderTotals
	}
	return out
}
