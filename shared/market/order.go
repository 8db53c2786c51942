package market

import (
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/money"
	"cloudmarket/shared/workday"
)

// OrderStatus of API.md.
type OrderStatus string

const (
	OrderPendingPayment    OrderStatus = "pending_payment"
	OrderPaid              OrderStatus = "paid"
	OrderInService         OrderStatus = "in_service"
	OrderCompleted         OrderStatus = "completed"
	OrderRefunding         OrderStatus = "refunding"
	OrderRefunded          OrderStatus = "refunded"
	OrderPartiallyRefunded OrderStatus = "partially_refunded"
	OrderCancelled         OrderStatus = "cancelled"
)

// Order limits and rules.
const (
	MaxQuantity          = 100
	PlatformFeeRate      = money.BasisPoints(1000) // R-FE1: 10% in platform mode
	ReviewPeriodDays     = 5                       // R-RF1: purchase day through the 5th day
	StartWorkingDays     = 2                       // R-SV2
	MaxRequirementLength = 5000
	// PaymentWindow is how long an order waits for payment before it lapses
	// (WeChat Pay's default time_expire for a native order).
	PaymentWindow = 2 * time.Hour
)

// FeeMode is how the platform earns from a sale (R-FE1): its service fee, or
// a consignment share.
type FeeMode string

// Fee modes; a provider's cooperationMode names one.
const (
	FeePlatform    FeeMode = "platform"
	FeeConsignment FeeMode = "consignment"
)

// FeeRule is the fee that applied to an order (R-FE1).
type FeeRule struct {
	Mode    FeeMode
	RateBps money.BasisPoints
}

// Invoice says who invoices whom for what (R-FE2).
type Invoice struct {
	Issuer    string // "provider" or "platform"
	Recipient string // "buyer", "provider" or "platform"
	Subject   string // "sale", "service_fee", "settlement"
	AmountFen money.Fen
}

// Order is a buyer's purchase of one plan of a listed product.
type Order struct {
	ID           string
	OutTradeNo   string // the payment system's merchant order number
	BuyerAccount string
	ProviderID   string
	ProductID    string
	ProductName  string
	Category     Category
	Tool         bool
	Plan         Plan
	Quantity     int
	AmountFen    money.Fen
	Fee          FeeRule
	PlatformFee  money.Fen
	ProviderNet  money.Fen
	Invoicing    []Invoice
	Status       OrderStatus
	CreatedAt    time.Time
	ExpiresAt    time.Time // unpaid by then: cancelled
	CancelledAt  time.Time
	Payment      OrderPayment // the WeChat Pay Native order (payment.go)

	TransactionID      string
	PaidAt             time.Time
	ReviewPeriodEndsAt time.Time // zero for ops until the buyer confirms (R-RF1)
	StartDueAt         time.Time // R-SV2
	StartedAt          time.Time
	StartOverdueAt     time.Time // set once the overdue start was flagged
	Requirements       string    // ops: the buyer's requirement form
	RequirementsAt     time.Time
	ConfirmedAt        time.Time
	CompletedAt        time.Time

	// Fulfilment, by category (R-CAT1).
	RedemptionCode string // software: 兑换码
	LaunchRef      string // image: the instance-launch reference for the buyer's new server
	APIKeyRef      string // api: the key reference

	// Refunds (R-RF1..R-RF7).
	RefundPolicy        RefundPolicy // frozen at placement, the default resolved (R-RF6, R-RF8)
	RefundedFen         money.Fen    // paid back so far
	PlatformFeeRefunded money.Fen    // of which the platform's fee
	ProviderNetRefunded money.Fen    // of which the provider's net
	RefundedByProvider  money.Fen    // of RefundedFen, what the provider paid the buyer itself (R-RF7)
	OpenRefundID        string       // the one refund in progress, if any
	SettledAt           time.Time    // settled to the provider (the settlement feature sets it)
	SettledIn           string       // the statement period that settled it
	// The platform's invoice to the buyer (consignment, R-FE2/R-FE3); set by
	// the invoicing feature.
	InvoiceIssuedAt    time.Time
	InvoiceDeliveredAt time.Time
	InvoiceCertified   bool
}

// NewOrder prices an order from the listed plan, never from the client, and
// records the fee rule and who invoices whom.
func NewOrder(id, outTradeNo, buyer string, prod *Product, prov *Provider, planID string, quantity int, consignmentRate money.BasisPoints, now time.Time) (*Order, error) {
	if planID == "" {
		return nil, fault.Missing("planId")
	}
	if quantity < 1 || quantity > MaxQuantity {
		return nil, fault.Invalid("Quantity", "quantity must be 1 to %d, got %d.", MaxQuantity, quantity)
	}
	if prod.StoreOpen = prov.StoreOpen(now); !prod.OnSale() {
		return nil, fault.Failed("ProductNotOnSale", "Product %s is not on sale now.", prod.ID)
	}
	var plan *Plan
	for i := range prod.Listed.Plans {
		if prod.Listed.Plans[i].ID == planID {
			plan = &prod.Listed.Plans[i]
		}
	}
	if plan == nil {
		return nil, fault.Invalid("PlanId", "Product %s has no plan %q on sale.", prod.ID, planID)
	}
	o := &Order{
		ID: id, OutTradeNo: outTradeNo, BuyerAccount: buyer, ProviderID: prov.ID, ProductID: prod.ID,
		ProductName: prod.Listed.Name, Category: prod.Listed.Category, Tool: prod.Listed.Tool, Plan: *plan,
		Quantity: quantity, AmountFen: plan.PriceFen * money.Fen(quantity), Status: OrderPendingPayment, CreatedAt: now,
		ExpiresAt: now.Add(PaymentWindow),
		// Its prepay is due at once (PrepayAttempted moves this on).
		Payment: OrderPayment{CheckAt: now},
	}
	// R-RF6/R-RF8: the policy the buyer saw is the one that applies.
	o.RefundPolicy = RefundPolicy{AfterReviewPeriod: prod.Listed.RefundPolicy.After(o.Category, plan.Period), Text: prod.Listed.RefundPolicy.Text}
	o.Fee = FeeRule{Mode: FeeMode(prov.CooperationMode), RateBps: PlatformFeeRate}
	if prov.CooperationMode == "consignment" {
		o.Fee.RateBps = consignmentRate
		if prov.ConsignmentRate > 0 { // the provider's own contract rate, frozen on the order
			o.Fee.RateBps = prov.ConsignmentRate
		}
	}
	o.PlatformFee, o.ProviderNet = money.Split(o.AmountFen, o.Fee.RateBps)
	if o.Fee.Mode == FeeConsignment { // R-FE2: the platform sells; the provider bills its settlement
		o.Invoicing = []Invoice{
			{Issuer: "platform", Recipient: "buyer", Subject: "sale", AmountFen: o.AmountFen},
			{Issuer: "provider", Recipient: "platform", Subject: "settlement", AmountFen: o.ProviderNet},
		}
	} else { // platform mode: the provider sells; the platform bills its service fee
		o.Invoicing = []Invoice{
			{Issuer: "provider", Recipient: "buyer", Subject: "sale", AmountFen: o.AmountFen},
			{Issuer: "platform", Recipient: "provider", Subject: "service_fee", AmountFen: o.PlatformFee},
		}
	}
	return o, nil
}

// ShownStatus is the status API.md shows: partially_refunded once part of the
// amount went back and the order is not cancelled or wholly refunded; the
// order's own status, which drives its life (start, completion, sweeps),
// stays as it was.
func (o *Order) ShownStatus() OrderStatus {
	if o.RefundedFen > 0 && o.RefundedFen < o.AmountFen && o.Status != OrderCancelled && o.Status != OrderRefunded {
		return OrderPartiallyRefunded
	}
	return o.Status
}

// ReviewPeriodEnd is R-RF1 for the non-ops categories: from the purchase day
// (Asia/Shanghai) through the 5th day, to its last millisecond.
func ReviewPeriodEnd(paidAt time.Time) time.Time {
	return workday.EndOfDay(workday.StartOfDay(paidAt).AddDate(0, 0, ReviewPeriodDays-1))
}

// PaymentOutcome says what a payment notification did to an order.
type PaymentOutcome string

const (
	PaymentApplied    PaymentOutcome = "applied"
	PaymentDuplicate  PaymentOutcome = "duplicate"  // this transaction was applied before
	PaymentMismatch   PaymentOutcome = "mismatch"   // amount differs: finance decides
	PaymentUnexpected PaymentOutcome = "unexpected" // the order was not waiting for payment: finance refunds
)

// ReviewEvent is the audit-trail event of a payment finance must look at;
// "" for one that needs nobody.
func (p PaymentOutcome) ReviewEvent() EventType {
	switch p {
	case PaymentMismatch:
		return EventPaymentMismatch
	case PaymentUnexpected:
		return EventPaymentUnexpected
	}
	return ""
}

// Fulfilment codes made by the caller (random, so not the domain's to make).
type Fulfilment struct {
	RedemptionCode, LaunchRef, APIKeyRef string
}

// ApplyPayment marks the order paid by transactionID (R-RF1, R-SV2) and
// fulfils it by category (R-CAT1). A repeated transaction changes nothing.
func (o *Order) ApplyPayment(transactionID string, amount money.Fen, paidAt time.Time, cal *workday.Calendar, f Fulfilment) PaymentOutcome {
	if o.TransactionID == transactionID {
		return PaymentDuplicate
	}
	if o.Status != OrderPendingPayment {
		return PaymentUnexpected
	}
	if amount != o.AmountFen {
		return PaymentMismatch
	}
	o.TransactionID, o.PaidAt, o.Status = transactionID, paidAt, OrderPaid
	o.StartDueAt = cal.DueAfterWorkingDays(paidAt, StartWorkingDays)
	if o.Category != CategoryOps {
		o.ReviewPeriodEndsAt = ReviewPeriodEnd(paidAt)
	}
	switch o.Category {
	case CategorySoftware: // the buyer gets a redemption code at once
		o.RedemptionCode = f.RedemptionCode
	case CategoryImage: // the image runs on the buyer's new cloud server
		o.LaunchRef = f.LaunchRef
	case CategoryAPI:
		o.APIKeyRef = f.APIKeyRef
	}
	if o.RedemptionCode != "" || o.LaunchRef != "" || o.APIKeyRef != "" {
		o.StartedAt, o.Status = paidAt, OrderInService // delivered on payment: the service has started
	}
	return PaymentApplied
}

// PaidForRefund records a payment that arrived for an order of a provider
// that is exiting or gone (R-EX2): the money is recorded as paid, nothing is
// fulfilled, and the caller refunds it in full.
func (o *Order) PaidForRefund(transactionID string, amount money.Fen, paidAt time.Time) PaymentOutcome {
	if o.TransactionID == transactionID {
		return PaymentDuplicate
	}
	if o.Status != OrderPendingPayment {
		return PaymentUnexpected
	}
	if amount != o.AmountFen {
		return PaymentMismatch
	}
	o.TransactionID, o.PaidAt, o.Status = transactionID, paidAt, OrderPaid
	return PaymentApplied
}

// SubmitRequirements records an ops buyer's requirement form.
func (o *Order) SubmitRequirements(text string, now time.Time, cal *workday.Calendar) error {
	text, err := requiredText("text", text, MaxRequirementLength)
	if err != nil {
		return err
	}
	if o.Category != CategoryOps {
		return fault.Failed("NotAnOpsOrder", "Order %s is a %s order; requirement forms are for ops orders.", o.ID, o.Category)
	}
	if o.Status != OrderPaid && o.Status != OrderInService {
		return fault.Failed("OrderNotPaid", "Order %s is %s; submit requirements after paying and before completion.", o.ID, o.Status)
	}
	// R-SV2 "not the buyer's fault": ops work cannot start before the form, so
	// a form that comes late moves the 2 working days to run from it, and a
	// start already flagged as late is checked again against them.
	if due := cal.DueAfterWorkingDays(now, StartWorkingDays); o.RequirementsAt.IsZero() && o.StartedAt.IsZero() && due.After(o.StartDueAt) {
		o.StartDueAt, o.StartOverdueAt = due, time.Time{}
	}
	o.Requirements, o.RequirementsAt = text, now
	return nil
}

// Start records that the provider started work (R-SV2).
func (o *Order) Start(now time.Time) error {
	switch o.Status {
	case OrderPaid:
	case OrderInService:
		return fault.Failed("OrderAlreadyStarted", "Order %s is already in service since %s.", o.ID, o.StartedAt.In(workday.Shanghai).Format(time.RFC3339))
	default:
		return fault.Failed("OrderNotPaid", "Order %s is %s; work starts after payment.", o.ID, o.Status)
	}
	o.StartedAt, o.Status = now, OrderInService
	return nil
}

// Confirm is the ops buyer's confirmation that the service is complete: it
// ends the review period (R-RF1) and completes the order.
func (o *Order) Confirm(now time.Time) error {
	if o.Category != CategoryOps {
		return fault.Failed("NotAnOpsOrder", "Order %s is a %s order; it completes when its review period ends.", o.ID, o.Category)
	}
	if o.Status != OrderPaid && o.Status != OrderInService {
		return fault.Failed("OrderNotInService", "Order %s is %s and cannot be confirmed.", o.ID, o.Status)
	}
	o.ConfirmedAt, o.ReviewPeriodEndsAt, o.CompletedAt, o.Status = now, now, now, OrderCompleted
	if o.StartedAt.IsZero() {
		o.StartedAt = now
	}
	return nil
}

// CompleteIfReviewOver completes a non-ops order whose review period ended.
func (o *Order) CompleteIfReviewOver(now time.Time) bool {
	if o.Category == CategoryOps || o.ReviewPeriodEndsAt.IsZero() || !now.After(o.ReviewPeriodEndsAt) {
		return false
	}
	if o.Status != OrderInService { // a service never started does not complete by itself
		return false
	}
	o.Status, o.CompletedAt = OrderCompleted, now
	return true
}

// StartOverdue tells whether a paid order is past its start deadline without
// the provider starting, and was not flagged yet (R-SV2, R-VI5).
func (o *Order) StartOverdue(now time.Time) bool {
	return o.Status == OrderPaid && o.StartedAt.IsZero() && !o.StartDueAt.IsZero() && now.After(o.StartDueAt) && o.StartOverdueAt.IsZero()
}

// LateStartIsProviders tells whether a late start is the provider's doing
// (R-SV2, R-VI5): an ops order waiting for the buyer's requirement form is
// late by the buyer.
func (o *Order) LateStartIsProviders() bool {
	return o.Category != CategoryOps || !o.RequirementsAt.IsZero()
}

// CancelIfUnpaid cancels an order still waiting for payment after its payment
// window. A payment that arrives later is recorded for finance to refund.
func (o *Order) CancelIfUnpaid(now time.Time) bool {
	if o.Status != OrderPendingPayment || o.ExpiresAt.IsZero() || !now.After(o.ExpiresAt) {
		return false
	}
	o.Status, o.CancelledAt = OrderCancelled, now
	return true
}
