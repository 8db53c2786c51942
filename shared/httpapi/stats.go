package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/market"
	"cloudmarket/shared/operation"
)

// statsView is GET /v1/stats (an extension of API.md): the operators'
// dashboard. Money in fen, rates in basis points, review times in working days.
type statsView struct {
	From         string           `json:"from"`
	To           string           `json:"to"`
	Applications waitingStatsView `json:"applications"`
	Reviews      reviewStatsView  `json:"reviews"`
	Deposits     depositStatsView `json:"deposits"`
	Orders       orderTotalsView  `json:"orders"`
	Months       []monthStatsView `json:"months"`
}

type waitingStatsView struct {
	Waiting           int     `json:"waiting"`
	Overdue           int     `json:"overdue"`
	DueNextWorkingDay int     `json:"dueNextWorkingDay"`
	OldestSubmittedAt *string `json:"oldestSubmittedAt"`
}

type reviewStatsView struct {
	SLAWorkingDays        int                `json:"slaWorkingDays"`
	Decided               int                `json:"decided"`
	WithinSLA             int                `json:"withinSla"`
	AverageWorkingDaysX10 int                `json:"averageWorkingDaysX10"`
	ByWorkingDays         []reviewBucketView `json:"byWorkingDays"`
}

type reviewBucketView struct {
	WorkingDays int  `json:"workingDays"`
	Count       int  `json:"count"`
	WithinSLA   bool `json:"withinSla"`
}

type depositStatsView struct {
	Providers    int            `json:"providers"`
	ByStatus     map[string]int `json:"byStatus"`
	Short        int            `json:"short"`
	TopUpOverdue int            `json:"topUpOverdue"`
	ShortfallFen int64          `json:"shortfallFen"`
	OwedFen      int64          `json:"owedFen"`
}

type orderTotalsView struct {
	Orders         int   `json:"orders"`
	GMVFen         int64 `json:"gmvFen"`
	RefundedOrders int   `json:"refundedOrders"`
	RefundedFen    int64 `json:"refundedFen"`
	RefundRateBps  int64 `json:"refundRateBps"`
}

type monthStatsView struct {
	Month string `json:"month"`
	orderTotalsView
	Decided   int `json:"decided"`
	WithinSLA int `json:"withinSla"`
}

func viewOrderTotals(t market.OrderTotals) orderTotalsView {
	return orderTotalsView{Orders: t.Orders, GMVFen: int64(t.GMVFen), RefundedOrders: t.RefundedOrders, RefundedFen: int64(t.RefundedFen), RefundRateBps: int64(t.RefundRateBps)}
}

func viewStats(st market.Stats) statsView {
	v := statsView{From: Timestamp(st.From), To: Timestamp(st.To),
		Applications: waitingStatsView{Waiting: st.Applications.Waiting, Overdue: st.Applications.Overdue,
			DueNextWorkingDay: st.Applications.DueNextWorkingDay, OldestSubmittedAt: optTimestamp(st.Applications.OldestSubmittedAt)},
		Reviews: reviewStatsView{SLAWorkingDays: st.Reviews.SLAWorkingDays, Decided: st.Reviews.Decided, WithinSLA: st.Reviews.WithinSLA,
			AverageWorkingDaysX10: st.Reviews.AverageWorkingDaysX10, ByWorkingDays: []reviewBucketView{}},
		Deposits: depositStatsView{Providers: st.Deposits.Providers, ByStatus: map[string]int{}, Short: st.Deposits.Short,
			TopUpOverdue: st.Deposits.TopUpOverdue, ShortfallFen: int64(st.Deposits.ShortfallFen), OwedFen: int64(st.Deposits.OwedFen)},
		Orders: viewOrderTotals(st.Orders), Months: []monthStatsView{}}
	for _, b := range st.Reviews.ByWorkingDays {
		v.Reviews.ByWorkingDays = append(v.Reviews.ByWorkingDays, reviewBucketView(b))
	}
	// Every status is present, zero or not, so a chart has a fixed set of bars.
	for _, s := range []market.DepositStatus{market.DepositUnpaid, market.DepositHeld, market.DepositShort, market.DepositReturning, market.DepositReturned} {
		v.Deposits.ByStatus[string(s)] = st.Deposits.ByStatus[s]
	}
	for _, m := range st.Months {
		v.Months = append(v.Months, monthStatsView{Month: m.Month, orderTotalsView: viewOrderTotals(m.OrderTotals), Decided: m.Decided, WithinSLA: m.WithinSLA})
	}
	return v
}

// GetStats serves GET /v1/stats?months= (operators; default 12 months, up to
// the current one).
func (a *API) GetStats(ctx context.Context, r *Request) (Reply, error) {
	months := operation.DefaultStatsMonths
	if v := r.Query("months"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return Reply{}, fault.Invalid("Months", "months must be a whole number from 1 to %d; got %q.", market.MaxStatsMonths, v)
		}
		months = n
	}
	st, err := a.Operations.Stats(ctx, r.Caller, months)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: viewStats(st)}, nil
}
