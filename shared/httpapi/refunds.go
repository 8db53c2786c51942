package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/operation"
)

type quoteView struct {
	OrderID            string  `json:"orderId"`
	Refundable         bool    `json:"refundable"`
	Basis              string  `json:"basis"`
	MaxRefundFen       int64   `json:"maxRefundFen"`
	AlreadyRefundedFen int64   `json:"alreadyRefundedFen"`
	ReviewPeriodEndsAt *string `json:"reviewPeriodEndsAt"`
	Explanation        string  `json:"explanation"`
	AfterReviewPeriod  string  `json:"afterReviewPeriod"` // the order's frozen policy rule (R-RF6)
	OpenRefundID       *string `json:"openRefundId"`
	At                 string  `json:"at"`
}

func viewQuote(now time.Time) func(operation.QuoteResult) any {
	return func(q operation.QuoteResult) any {
		return quoteView{OrderID: q.Order.ID, Refundable: q.Quote.Refundable, Basis: string(q.Quote.Basis), MaxRefundFen: int64(q.Quote.MaxRefundFen),
			AlreadyRefundedFen: int64(q.Quote.AlreadyRefundedFen), ReviewPeriodEndsAt: optTimestamp(q.Quote.ReviewPeriodEndsAt),
			Explanation: q.Quote.Explanation, AfterReviewPeriod: q.Order.AfterReviewRule(), OpenRefundID: optString(q.Order.OpenRefundID), At: Timestamp(now)}
	}
}

type responseView struct {
	Decision string  `json:"decision"`
	Reason   *string `json:"reason"`
	At       string  `json:"at"`
}

type arbitrationView struct {
	Decision      string  `json:"decision"`
	AmountFen     int64   `json:"amountFen"`
	Reason        string  `json:"reason"`
	ProviderFault *string `json:"providerFault"`
	ChargeDeposit bool    `json:"chargeDeposit"`
	Arbiter       string  `json:"arbiter"`
	At            string  `json:"at"`
}

type transferView struct {
	State         string  `json:"state"`
	Attempts      int     `json:"attempts"`
	NextAttemptAt *string `json:"nextAttemptAt"`
	LastError     *string `json:"lastError"`
	RefundID      *string `json:"refundId"` // the payment system's refund_id
}

type refundView struct {
	ID                     string           `json:"id"`
	OrderID                string           `json:"orderId"`
	ProviderID             string           `json:"providerId"`
	BuyerAccountID         string           `json:"buyerAccountId"`
	ProductName            string           `json:"productName"`
	Status                 string           `json:"status"`
	Basis                  string           `json:"basis"`
	RequestedFen           int64            `json:"requestedFen"`
	AmountFen              int64            `json:"amountFen"`
	Reason                 string           `json:"reason"`
	RequestedAt            string           `json:"requestedAt"`
	RespondBy              *string          `json:"respondBy"`
	ProviderResponse       *responseView    `json:"providerResponse"`
	ArbitrationCause       *string          `json:"arbitrationCause,omitempty"`
	Arbitration            *arbitrationView `json:"arbitration"`
	Payer                  *string          `json:"payer"`
	PlatformFeeReversedFen int64            `json:"platformFeeReversedFen"`
	ProviderNetReversedFen int64            `json:"providerNetReversedFen"`
	InvoiceAction          string           `json:"invoiceAction"`
	ProviderShare          *string          `json:"providerShare,omitempty"`
	OutRefundNo            *string          `json:"outRefundNo"`
	Transfer               *transferView    `json:"transfer,omitempty"`
	ProviderPaymentRef     *string          `json:"providerPaymentReference,omitempty"`
	PaidAt                 *string          `json:"paidAt"`
	FailedAt               *string          `json:"failedAt,omitempty"`
	FailureReason          *string          `json:"failureReason,omitempty"`
	UpdatedAt              string           `json:"updatedAt"`
}

func viewRefund(r *market.Refund) any {
	v := refundView{
		ID: r.ID, OrderID: r.OrderID, ProviderID: r.ProviderID, BuyerAccountID: r.BuyerAccount, ProductName: r.ProductName,
		Status: string(r.Status), Basis: string(r.Basis), RequestedFen: int64(r.RequestedFen), AmountFen: int64(r.AmountFen), Reason: r.Reason,
		RequestedAt: Timestamp(r.RequestedAt), RespondBy: optTimestamp(r.RespondBy), ArbitrationCause: optString(r.ArbitrationCause),
		Payer: optString(r.Payer), PlatformFeeReversedFen: int64(r.FeeReversed), ProviderNetReversedFen: int64(r.NetReversed),
		InvoiceAction: r.InvoiceAction, ProviderShare: optString(r.ProviderShare), OutRefundNo: optString(r.OutRefundNo),
		ProviderPaymentRef: optString(r.ProviderPaymentRef), PaidAt: optTimestamp(r.PaidAt), FailedAt: optTimestamp(r.FailedAt),
		FailureReason: optString(r.FailureReason), UpdatedAt: Timestamp(r.UpdatedAt),
	}
	if p := r.Response; p != nil {
		v.ProviderResponse = &responseView{Decision: p.Decision, Reason: optString(p.Reason), At: Timestamp(p.At)}
	}
	if a := r.Arbitration; a != nil {
		v.Arbitration = &arbitrationView{Decision: a.Decision, AmountFen: int64(a.AmountFen), Reason: a.Reason, ProviderFault: optString(a.ProviderFault),
			ChargeDeposit: a.ChargeDeposit, Arbiter: a.Arbiter, At: Timestamp(a.At)}
	}
	if t := r.Transfer; t.State != "" {
		v.Transfer = &transferView{State: t.State, Attempts: t.Attempts, NextAttemptAt: optTimestamp(t.NextAttemptAt), LastError: optString(t.LastError), RefundID: optString(t.RefundID)}
		if t.State == market.TransferSucceeded || t.State == market.TransferFailed {
			v.Transfer.NextAttemptAt = nil
		}
	}
	return v
}

// RefundQuote serves GET /v1/orders/{id}/refund-quote.
func (a *API) RefundQuote(ctx context.Context, r *Request) (Reply, error) {
	q, err := a.Operations.RefundQuote(ctx, r.Caller, r.Params["id"])
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: viewQuote(a.Operations.Now())(q)}, nil
}

type refundRequest struct {
	Reason    string `json:"reason"`
	AmountFen *int64 `json:"amountFen"`
}

// RequestRefund serves POST /v1/orders/{id}/refunds.
func (a *API) RequestRefund(ctx context.Context, r *Request) (Reply, error) {
	var in refundRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	var amount *money.Fen
	if in.AmountFen != nil {
		v := money.Fen(*in.AmountFen)
		amount = &v
	}
	return Do(ctx, http.StatusCreated, viewRefund, func(ctx context.Context) (*market.Refund, error) {
		return a.Operations.RequestRefund(ctx, r.Caller, r.Params["id"], amount, in.Reason)
	})
}

type refundResponseRequest struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// RespondRefund serves POST /v1/refunds/{id}/response.
func (a *API) RespondRefund(ctx context.Context, r *Request) (Reply, error) {
	var in refundResponseRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusOK, viewRefund, func(ctx context.Context) (*market.Refund, error) {
		return a.Operations.RespondRefund(ctx, r.Caller, r.Params["id"], strings.TrimSpace(in.Decision), in.Reason)
	})
}

type arbitrationRequest struct {
	Decision      string `json:"decision"`
	AmountFen     *int64 `json:"amountFen"`
	Reason        string `json:"reason"`
	ProviderFault string `json:"providerFault"`
	ChargeDeposit bool   `json:"chargeDeposit"`
}

// ArbitrateRefund serves POST /v1/refunds/{id}/arbitration.
func (a *API) ArbitrateRefund(ctx context.Context, r *Request) (Reply, error) {
	var in arbitrationRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	ruling := market.Ruling{Decision: strings.TrimSpace(in.Decision), Reason: in.Reason, ProviderFault: strings.TrimSpace(in.ProviderFault), ChargeDeposit: in.ChargeDeposit}
	if in.AmountFen != nil {
		v := money.Fen(*in.AmountFen)
		ruling.AmountFen = &v
	}
	return Do(ctx, http.StatusOK, viewRefund, func(ctx context.Context) (*market.Refund, error) {
		return a.Operations.ArbitrateRefund(ctx, r.Caller, r.Params["id"], ruling)
	})
}

type providerPaymentRequest struct {
	Reference string `json:"reference"`
	PaidAt    string `json:"paidAt"`
}

// RecordProviderRefundPayment serves POST /v1/refunds/{id}/provider-payment.
func (a *API) RecordProviderRefundPayment(ctx context.Context, r *Request) (Reply, error) {
	var in providerPaymentRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	var paidAt time.Time
	if in.PaidAt != "" {
		t, err := time.Parse(time.RFC3339Nano, in.PaidAt)
		if err != nil {
			return Reply{}, fault.Invalid("PaidAt", "paidAt must be an RFC 3339 time with offset, e.g. 2026-07-20T10:00:00+08:00.")
		}
		paidAt = t
	}
	return Do(ctx, http.StatusOK, viewRefund, func(ctx context.Context) (*market.Refund, error) {
		return a.Operations.RecordProviderRefundPayment(ctx, r.Caller, r.Params["id"], in.Reference, paidAt)
	})
}

// GetRefund serves GET /v1/refunds/{id}.
func (a *API) GetRefund(ctx context.Context, r *Request) (Reply, error) {
	ref, err := a.Operations.GetRefund(ctx, r.Caller, r.Params["id"])
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: viewRefund(ref)}, nil
}

// ListRefunds serves GET /v1/refunds?status=&providerId=, oldest first.
func (a *API) ListRefunds(ctx context.Context, r *Request) (Reply, error) {
	n, err := limit(r)
	if err != nil {
		return Reply{}, err
	}
	q := operation.RefundQuery{Status: r.Query("status"), ProviderID: r.Query("providerId"), AfterID: r.Query("cursor"), Limit: n + 1}
	list, err := a.Operations.ListRefunds(ctx, r.Caller, q)
	if err != nil {
		return Reply{}, err
	}
	out := listView{Items: []any{}}
	for i, ref := range list {
		if i == n {
			out.NextCursor = list[n-1].ID
			break
		}
		out.Items = append(out.Items, viewRefund(ref))
	}
	return Reply{Status: http.StatusOK, Body: out}, nil
}

// RefundNotify serves POST /v1/payments/refund-notify: the payment system's
// refund result, verified by its signature like /v1/payments/notify.
func (a *API) RefundNotify(ctx context.Context, r *Request) (Reply, error) {
	if len(r.body) == 0 {
		return Reply{}, fault.New(fault.InvalidParameter, "The notification has no body.")
	}
	if err := a.Operations.ReceiveRefundResult(ctx, r.HTTPHeader(), r.body); err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusNoContent}, nil
}
