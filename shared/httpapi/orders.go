package httpapi

import (
	"context"
	"net/http"
	"strings"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/market"
)

type invoiceView struct {
	Issuer    string `json:"issuer"`
	Recipient string `json:"recipient"`
	Subject   string `json:"subject"`
	AmountFen int64  `json:"amountFen"`
}

type orderView struct {
	ID                 string           `json:"id"`
	Status             string           `json:"status"`
	OutTradeNo         string           `json:"outTradeNo"`
	BuyerAccountID     string           `json:"buyerAccountId"`
	ProviderID         string           `json:"providerId"`
	ProductID          string           `json:"productId"`
	ProductName        string           `json:"productName"`
	Category           string           `json:"category"`
	Tool               bool             `json:"tool"`
	PlanID             string           `json:"planId"`
	PlanName           string           `json:"planName"`
	Period             string           `json:"period"`
	DurationDays       int              `json:"durationDays"`
	Quantity           int              `json:"quantity"`
	UnitPriceFen       int64            `json:"unitPriceFen"`
	AmountFen          int64            `json:"amountFen"`
	FeeMode            string           `json:"feeMode"`
	FeeRateBps         int64            `json:"feeRateBps"`
	PlatformFeeFen     int64            `json:"platformFeeFen"`
	ProviderNetFen     int64            `json:"providerNetFen"`
	Invoicing          []invoiceView    `json:"invoicing"`
	CreatedAt          string           `json:"createdAt"`
	ExpiresAt          *string          `json:"expiresAt"` // unpaid by then: cancelled
	CancelledAt        *string          `json:"cancelledAt,omitempty"`
	TransactionID      *string          `json:"transactionId"`
	PaidAt             *string          `json:"paidAt"`
	ReviewPeriodEndsAt *string          `json:"reviewPeriodEndsAt"`
	StartDueAt         *string          `json:"startDueAt"`
	StartedAt          *string          `json:"startedAt"`
	RedemptionCode     *string          `json:"redemptionCode"`
	LaunchRef          *string          `json:"launchRef,omitempty"`
	APIKeyRef          *string          `json:"apiKeyRef,omitempty"`
	Requirements       *string          `json:"requirements,omitempty"`
	ConfirmedAt        *string          `json:"confirmedAt"`
	CompletedAt        *string          `json:"completedAt"`
	SettledAt          *string          `json:"settledAt,omitempty"` // on its provider's statement of settledIn
	SettledIn          *string          `json:"settledIn,omitempty"`
	RefundedFen        int64            `json:"refundedFen"`
	OpenRefundID       *string          `json:"openRefundId"`
	RefundPolicy       refundPolicyBody `json:"refundPolicy"` // frozen at placement (R-RF6, R-RF8)
	Payment            paymentView      `json:"payment"`
}

// paymentView is the order's WeChat Pay Native payment: codeUrl is the QR
// code's content while the order waits for payment (null before the prepay
// succeeded, which the deadline timer retries, and after).
type paymentView struct {
	CodeURL   *string `json:"codeUrl"`
	ExpiresAt *string `json:"expiresAt"`
	PrepaidAt *string `json:"prepaidAt"`
	ClosedAt  *string `json:"closedAt,omitempty"` // closed at the payment system when the order lapsed
}

func viewOrder(o *market.Order) any {
	v := orderView{
		ID: o.ID, Status: string(o.ShownStatus()), OutTradeNo: o.OutTradeNo, BuyerAccountID: o.BuyerAccount, ProviderID: o.ProviderID,
		ProductID: o.ProductID, ProductName: o.ProductName, Category: string(o.Category), Tool: o.Tool,
		PlanID: o.Plan.ID, PlanName: o.Plan.Name, Period: o.Plan.Period, DurationDays: o.Plan.DurationDays, Quantity: o.Quantity,
		UnitPriceFen: int64(o.Plan.PriceFen), AmountFen: int64(o.AmountFen), FeeMode: string(o.Fee.Mode), FeeRateBps: int64(o.Fee.RateBps),
		PlatformFeeFen: int64(o.PlatformFee), ProviderNetFen: int64(o.ProviderNet), Invoicing: []invoiceView{},
		CreatedAt: Timestamp(o.CreatedAt), ExpiresAt: optTimestamp(o.ExpiresAt), CancelledAt: optTimestamp(o.CancelledAt), TransactionID: optString(o.TransactionID), PaidAt: optTimestamp(o.PaidAt),
		ReviewPeriodEndsAt: optTimestamp(o.ReviewPeriodEndsAt), StartDueAt: optTimestamp(o.StartDueAt), StartedAt: optTimestamp(o.StartedAt),
		RedemptionCode: optString(o.RedemptionCode), LaunchRef: optString(o.LaunchRef), APIKeyRef: optString(o.APIKeyRef),
		Requirements: optString(o.Requirements), ConfirmedAt: optTimestamp(o.ConfirmedAt), CompletedAt: optTimestamp(o.CompletedAt),
		SettledAt: optTimestamp(o.SettledAt), SettledIn: optString(o.SettledIn),
	}
	v.RefundedFen, v.OpenRefundID = int64(o.RefundedFen), optString(o.OpenRefundID)
	v.Payment = paymentView{ExpiresAt: optTimestamp(o.ExpiresAt), PrepaidAt: optTimestamp(o.Payment.PrepaidAt), ClosedAt: optTimestamp(o.Payment.ClosedAt)}
	if o.Status == market.OrderPendingPayment {
		v.Payment.CodeURL = optString(o.Payment.CodeURL)
	}
	v.RefundPolicy = refundPolicyBody{AfterReviewPeriod: o.AfterReviewRule(), Text: o.RefundPolicy.Text}
	if o.Tool { // never refundable (R-RF2): no review period to show
		v.ReviewPeriodEndsAt = nil
	}
	for _, i := range o.Invoicing {
		v.Invoicing = append(v.Invoicing, invoiceView{i.Issuer, i.Recipient, i.Subject, int64(i.AmountFen)})
	}
	return v
}

type orderRequest struct {
	ProductID string `json:"productId"`
	PlanID    string `json:"planId"`
	Quantity  *int   `json:"quantity"`
}

// PlaceOrder serves POST /v1/orders.
func (a *API) PlaceOrder(ctx context.Context, r *Request) (Reply, error) {
	var in orderRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	qty := 1
	if in.Quantity != nil {
		qty = *in.Quantity
	}
	return Do(ctx, http.StatusCreated, viewOrder, func(ctx context.Context) (*market.Order, error) {
		return a.Operations.PlaceOrder(ctx, r.Caller, strings.TrimSpace(in.ProductID), strings.TrimSpace(in.PlanID), qty)
	})
}

// GetOrder serves GET /v1/orders/{id}.
func (a *API) GetOrder(ctx context.Context, r *Request) (Reply, error) {
	o, err := a.Operations.GetOrder(ctx, r.Caller, r.Params["id"])
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: viewOrder(o)}, nil
}

type requirementsRequest struct {
	Text string `json:"text"`
}

// SubmitRequirements serves POST /v1/orders/{id}/requirements.
func (a *API) SubmitRequirements(ctx context.Context, r *Request) (Reply, error) {
	var in requirementsRequest
	if err := r.Decode(&in); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusOK, viewOrder, func(ctx context.Context) (*market.Order, error) {
		return a.Operations.SubmitRequirements(ctx, r.Caller, r.Params["id"], in.Text)
	})
}

// StartOrder serves POST /v1/orders/{id}/start.
func (a *API) StartOrder(ctx context.Context, r *Request) (Reply, error) {
	if err := optionalEmptyBody(r); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusOK, viewOrder, func(ctx context.Context) (*market.Order, error) {
		return a.Operations.StartOrder(ctx, r.Caller, r.Params["id"])
	})
}

// ConfirmOrder serves POST /v1/orders/{id}/confirm.
func (a *API) ConfirmOrder(ctx context.Context, r *Request) (Reply, error) {
	if err := optionalEmptyBody(r); err != nil {
		return Reply{}, err
	}
	return Do(ctx, http.StatusOK, viewOrder, func(ctx context.Context) (*market.Order, error) {
		return a.Operations.ConfirmOrder(ctx, r.Caller, r.Params["id"])
	})
}

// PaymentNotify serves POST /v1/payments/notify: the payment system's
// callback, verified by its signature rather than a token. 204 when stored and
// queued; anything else makes the payment system retry.
func (a *API) PaymentNotify(ctx context.Context, r *Request) (Reply, error) {
	if len(r.body) == 0 {
		return Reply{}, fault.New(fault.InvalidParameter, "The notification has no body.")
	}
	if err := a.Operations.ReceivePayment(ctx, r.HTTPHeader(), r.body); err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusNoContent}, nil
}
