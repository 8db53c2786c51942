package market

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/money"
	"cloudmarket/shared/workday"
)

// What a product publishes about refunds after its review period (R-RF6).
const (
	AfterReviewNone    = "none"
	AfterReviewProRata = "pro_rata"
)

// RefundPolicy is a product's published refund rule after the review period
// (R-RF6); the reviewer approves it with the product (R-RF8). An empty
// AfterReviewPeriod takes the default of the plan (After).
type RefundPolicy struct {
	AfterReviewPeriod string
	Text              string
}

// Validate checks a policy's own fields.
func (p RefundPolicy) Validate() error {
	if p.AfterReviewPeriod != "" && p.AfterReviewPeriod != AfterReviewNone && p.AfterReviewPeriod != AfterReviewProRata {
		return fault.Invalid("RefundPolicy", "refundPolicy.afterReviewPeriod must be \"none\" or \"pro_rata\", got %q.", p.AfterReviewPeriod)
	}
	if utf8.RuneCountInString(p.Text) > MaxDescriptionLen {
		return fault.Invalid("RefundPolicy", "refundPolicy.text is longer than %d characters.", MaxDescriptionLen)
	}
	return nil
}

// After is the rule after the review period for a plan of this category
// (R-RF6): the published one, else pro rata for month/year plans and none for
// once plans and for ops after confirmation.
func (p RefundPolicy) After(category Category, period string) string {
	if p.AfterReviewPeriod != "" {
		return p.AfterReviewPeriod
	}
	if category == CategoryOps || period == "once" {
		return AfterReviewNone
	}
	return AfterReviewProRata
}

// RefundBasis is why a refund is due (API.md).
type RefundBasis string

// Bases of the refund quote.
const (
	BasisReviewPeriod  RefundBasis = "review_period"
	BasisProRata       RefundBasis = "pro_rata"
	BasisNotRefundable RefundBasis = "not_refundable"
)

// Quote is what an order may get back at a moment (R-RF1..R-RF6), net of what
// was already refunded.
type Quote struct {
	Refundable         bool
	Basis              RefundBasis
	MaxRefundFen       money.Fen
	AlreadyRefundedFen money.Fen
	ReviewPeriodEndsAt time.Time // zero for tool products and unconfirmed ops orders
	Explanation        string
}

// paidOnce tells whether money ever arrived for the order.
func (o *Order) paidOnce() bool {
	switch o.Status {
	case OrderPendingPayment, OrderCancelled:
		return false
	}
	return !o.PaidAt.IsZero()
}

// RemainingFen is what was paid and not yet refunded.
func (o *Order) RemainingFen() money.Fen { return o.AmountFen - o.RefundedFen }

// RefundReviewEnd is the review period's end as the quote shows it: none for
// a tool product (R-RF2), none yet for an ops order not confirmed (R-RF1).
func (o *Order) RefundReviewEnd() time.Time {
	if o.Tool {
		return time.Time{}
	}
	return o.ReviewPeriodEndsAt
}

// InReviewPeriod is R-RF1: image, software, api and miniprogram through the
// 5th day; ops until the buyer confirms the service.
func (o *Order) InReviewPeriod(now time.Time) bool {
	if !o.paidOnce() {
		return false
	}
	if o.Category == CategoryOps {
		return o.ConfirmedAt.IsZero()
	}
	return !o.ReviewPeriodEndsAt.IsZero() && !now.After(o.ReviewPeriodEndsAt)
}

// AfterReviewRule is the order's frozen policy rule (R-RF6), or the default
// for orders placed before policies were frozen.
func (o *Order) AfterReviewRule() string {
	return o.RefundPolicy.After(o.Category, o.Plan.Period)
}

// ServiceDays is the plan's whole service time: durationDays × quantity.
func (o *Order) ServiceDays() int64 { return int64(o.Plan.DurationDays) * int64(o.Quantity) }

// civilDays counts calendar days (Asia/Shanghai) from a's date to b's date.
func civilDays(a, b time.Time) int64 {
	x, y := a.In(workday.Shanghai), b.In(workday.Shanghai)
	da := time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(y.Year(), y.Month(), y.Day(), 0, 0, 0, 0, time.UTC)
	return int64(db.Sub(da) / (24 * time.Hour))
}

// UsedDays is the service days consumed at now: the payment day counts as
// day 1, like the review period's (R-RF1), capped at the plan's days.
func (o *Order) UsedDays(now time.Time) int64 {
	used := civilDays(o.PaidAt, now) + 1
	return max(0, min(used, o.ServiceDays()))
}

// Quote is the refund the order may get at now (R-RF1..R-RF6).
func (o *Order) Quote(now time.Time) Quote {
	q := Quote{Basis: BasisNotRefundable, AlreadyRefundedFen: o.RefundedFen, ReviewPeriodEndsAt: o.RefundReviewEnd()}
	day := func(t time.Time) string { return t.In(workday.Shanghai).Format("2006-01-02 15:04:05.000") }
	switch {
	case !o.paidOnce():
		q.Explanation = fmt.Sprintf("Order %s is %s: nothing was paid, so nothing can be refunded.", o.ID, o.Status)
		return q
	case o.Tool:
		q.Explanation = "R-RF2: tool products (工具类产品) are never refundable."
		return q
	case o.InReviewPeriod(now):
		q.Basis, q.MaxRefundFen = BasisReviewPeriod, o.RemainingFen()
		if o.Category == CategoryOps {
			q.Explanation = "R-RF1: an ops order is inside its review period until the buyer confirms the service complete; the whole amount is refundable."
		} else {
			q.Explanation = fmt.Sprintf("R-RF1: inside the review period (through %s Asia/Shanghai, the 5th day from purchase) the whole amount is refundable without reason.", day(o.ReviewPeriodEndsAt))
		}
	case o.AfterReviewRule() == AfterReviewProRata && o.ServiceDays() > 0:
		total, used := o.ServiceDays(), o.UsedDays(now)
		share := money.Portion(o.AmountFen, total-used, total)
		q.Basis, q.MaxRefundFen = BasisProRata, max(0, share-o.RefundedFen)
		q.Explanation = fmt.Sprintf("R-RF4/R-RF6: after the review period the unused share of the service time is refundable (pro_rata): %d of %d days used since payment, %d unused → %s of %s.",
			used, total, total-used, share, o.AmountFen)
	default:
		if o.Category == CategoryOps {
			q.Explanation = "R-RF6: the buyer confirmed this ops service complete and the product publishes no refund after confirmation (afterReviewPeriod none)."
		} else {
			q.Explanation = fmt.Sprintf("R-RF6: the review period ended %s Asia/Shanghai and the product's published policy after it is none.", day(o.ReviewPeriodEndsAt))
		}
		return q
	}
	if o.RefundedFen > 0 {
		q.Explanation += fmt.Sprintf(" Already refunded: %s.", o.RefundedFen)
	}
	q.Refundable = q.MaxRefundFen > 0
	if !q.Refundable {
		q.Basis = BasisNotRefundable
		q.Explanation += " Nothing is left to refund."
	}
	return q
}

// RefundStatus of API.md.
type RefundStatus string

// Refund statuses.
const (
	RefundRequested   RefundStatus = "requested"
	RefundAccepted    RefundStatus = "accepted"
	RefundArbitrating RefundStatus = "arbitrating"
	RefundDenied      RefundStatus = "denied"
	RefundPaid        RefundStatus = "paid"
	RefundFailed      RefundStatus = "failed"
)

// OpenRefundStatuses are the statuses of a refund still in progress: one per
// order, and each blocks a deposit return (R-DP6).
var OpenRefundStatuses = []RefundStatus{RefundRequested, RefundAccepted, RefundArbitrating}

// Who pays a refund back (R-RF7).
const (
	PayerPlatform = "platform"
	PayerProvider = "provider"
)

// Provider faults that let the platform refund at the provider's cost
// (R-RF4, R-RF5).
var ProviderFaults = []string{"late_service", "not_as_described", "cannot_deliver", "business_ended", "unreachable", "quality_loss", "missed_delivery"}

// Invoice actions of a refund (R-FE3).
const (
	InvoiceReturn            = "return_invoice"
	InvoiceRedLetterForm     = "red_letter_form"
	InvoiceNone              = "none"
	InvoiceProviderAndBuyer  = "between_provider_and_buyer"
	ReasonProviderExit       = "provider_exit"
	ReasonLatePayment        = "payment_after_lapse"
	MaxRefundReasonLen       = 500
	RefundRespondWorkingDays = 2
)

// How the provider's share of a platform refund is recovered (R-RF7).
const (
	ShareWithheld = "withheld_from_settlement" // not settled yet: the sale is settled net of the refund
	ShareClawback = "clawback"                 // settled: a clawback line on the next statement
	ShareDeposit  = "deposit"                  // settled and the ruling charges the deposit (R-DP4)
	ShareProvider = "paid_by_provider"         // the provider paid the buyer itself
)

// ProviderResponse is the provider's answer to a request.
type ProviderResponse struct {
	Decision string // accept or decline
	Reason   string
	At       time.Time
}

// Arbitration is the risk team's ruling (R-RF3..R-RF5).
type Arbitration struct {
	Decision      string // full, partial or deny
	AmountFen     money.Fen
	Reason        string
	ProviderFault string
	ChargeDeposit bool
	Arbiter       string
	At            time.Time
}

// Ruling is what the risk team asks for.
type Ruling struct {
	Decision      string
	AmountFen     *money.Fen
	Reason        string
	ProviderFault string
	ChargeDeposit bool
}

// Refund transfer states: the platform's refund through the payment system.
const (
	TransferPending   = "pending"   // intent recorded; not (yet) accepted by the payment system
	TransferSubmitted = "submitted" // accepted; waiting for its result
	TransferSucceeded = "succeeded"
	TransferFailed    = "failed"
)

// Timing of the payment-system refund (backoff, reconciliation).
const (
	TransferLease       = time.Minute      // a submitter's claim before the sweep may retry
	TransferBackoffBase = time.Minute      // first retry after a failed call
	TransferBackoffMax  = time.Hour        // longest wait between retries
	ReconcileAfter      = 10 * time.Minute // no result by then: ask the payment system
)

// TransferBackoff is the wait after the nth failed call: 1, 2, 4 … minutes,
// at most an hour.
func TransferBackoff(attempts int) time.Duration {
	d := TransferBackoffBase
	for i := 1; i < attempts && d < TransferBackoffMax; i++ {
		d *= 2
	}
	return min(d, TransferBackoffMax)
}

// RefundTransfer is the platform's refund through the payment system: the
// intent is recorded before the call, so a crash leaves something to retry
// with the same out_refund_no (the payment system's idempotency key).
type RefundTransfer struct {
	State         string
	Attempts      int
	NextAttemptAt time.Time // pending: next submission; submitted: next reconciliation query
	LastError     string
	RefundID      string // the payment system's refund_id
	SubmittedAt   time.Time
}

// Refund is a buyer's request for money back, and what became of it.
type Refund struct {
	ID           string
	OrderID      string
	ProviderID   string
	BuyerAccount string
	ProductName  string
	Status       RefundStatus
	Basis        RefundBasis
	RequestedFen money.Fen
	AmountFen    money.Fen
	Reason       string
	RequestedAt  time.Time
	RespondBy    time.Time
	Response     *ProviderResponse
	// ArbitrationCause is why it went to the risk team: declined or no_response.
	ArbitrationCause   string
	ArbitratingAt      time.Time
	Arbitration        *Arbitration
	Payer              string
	AcceptedAt         time.Time
	FeeReversed        money.Fen
	NetReversed        money.Fen
	InvoiceAction      string
	ProviderShare      string
	OutRefundNo        string
	Transfer           RefundTransfer
	ProviderPaymentRef string
	PaidAt             time.Time
	FailedAt           time.Time
	FailureReason      string
	UpdatedAt          time.Time
	ForExit            bool // R-EX2's full refund, made or taken over at the provider's exit
}

// Open tells whether the refund is still in progress.
func (r *Refund) Open() bool { return slices.Contains(OpenRefundStatuses, r.Status) }

func refundReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", fault.New(fault.MissingParameter, "reason is required: the other party is told why.")
	}
	if utf8.RuneCountInString(reason) > MaxRefundReasonLen {
		return "", fault.Invalid("Reason", "reason is longer than %d characters.", MaxRefundReasonLen)
	}
	return reason, nil
}

// RequestRefund opens a buyer's refund of amount (nil: the quote's maximum)
// on a paid order (R-RF3, R-RF4): one open refund per order; the provider
// answers within 2 working days.
func RequestRefund(id string, o *Order, amount *money.Fen, reason string, now time.Time, cal *workday.Calendar) (*Refund, error) {
	reason, err := refundReason(reason)
	if err != nil {
		return nil, err
	}
	if amount != nil && *amount <= 0 {
		return nil, fault.Invalid("AmountFen", "amountFen must be a positive number of fen, got %d; leave it out to ask for the quote's maximum.", *amount)
	}
	if !o.paidOnce() {
		return nil, fault.Failed("OrderNotPaid", "Order %s is %s; only a paid order can be refunded.", o.ID, o.Status)
	}
	if o.OpenRefundID != "" {
		return nil, fault.Failed("RefundInProgress", "Order %s already has refund %s in progress; wait for it to finish.", o.ID, o.OpenRefundID)
	}
	q := o.Quote(now)
	if !q.Refundable {
		return nil, fault.Failed("NotRefundable", "Order %s is not refundable now. %s", o.ID, q.Explanation)
	}
	want := q.MaxRefundFen
	if amount != nil {
		if *amount > q.MaxRefundFen {
			return nil, fault.Invalid("AmountFen", "amountFen %d is above what order %s may get back now (%d fen, %s).", *amount, o.ID, q.MaxRefundFen, q.Basis)
		}
		want = *amount
	}
	r := &Refund{ID: id, OrderID: o.ID, ProviderID: o.ProviderID, BuyerAccount: o.BuyerAccount, ProductName: o.ProductName,
		Status: RefundRequested, Basis: q.Basis, RequestedFen: want, Reason: reason, RequestedAt: now,
		RespondBy: cal.DueAfterWorkingDays(now, RefundRespondWorkingDays), UpdatedAt: now}
	r.setAmount(o, want, now)
	o.OpenRefundID = r.ID
	return r, nil
}

// ExitRefund is R-EX2's automatic full refund of an order of a provider that
// exits: accepted at once, paid by the platform.
func ExitRefund(id string, o *Order, now time.Time) (*Refund, error) {
	return platformRefund(id, o, ReasonProviderExit, true, now)
}

// LatePaymentRefund is the automatic full refund of a payment that arrived
// after its order lapsed (PaidAfterLapse): accepted at once, paid by the
// platform.
func LatePaymentRefund(id string, o *Order, now time.Time) (*Refund, error) {
	return platformRefund(id, o, ReasonLatePayment, false, now)
}

func platformRefund(id string, o *Order, reason string, forExit bool, now time.Time) (*Refund, error) {
	if !o.paidOnce() || o.RemainingFen() <= 0 {
		return nil, fault.Failed("NotRefundable", "Order %s has nothing to refund.", o.ID)
	}
	r := &Refund{ID: id, OrderID: o.ID, ProviderID: o.ProviderID, BuyerAccount: o.BuyerAccount, ProductName: o.ProductName,
		Status: RefundRequested, Basis: BasisReviewPeriod, RequestedFen: o.RemainingFen(), Reason: reason, ForExit: forExit, RequestedAt: now, UpdatedAt: now}
	r.setAmount(o, o.RemainingFen(), now)
	r.accept(PayerPlatform, now)
	o.OpenRefundID = r.ID
	return r, nil
}

// TakeOverForExit turns an open refund into R-EX2's full refund when its
// provider exits: whatever was asked, the whole remaining amount is paid back
// by the platform. False when it is already accepted (being paid).
func (r *Refund) TakeOverForExit(o *Order, now time.Time) bool {
	if r.Status != RefundRequested && r.Status != RefundArbitrating {
		return false
	}
	r.Reason = ReasonProviderExit + ": " + r.Reason
	r.Basis, r.ForExit = BasisReviewPeriod, true
	r.setAmount(o, o.RemainingFen(), now)
	r.accept(PayerPlatform, now)
	return true
}

// setAmount fixes the amount and its split: the platform fee and the provider
// net are reversed in proportion, cumulatively over the order's refunds, so
// each split sums to the amount and the totals never pass the order's own
// (R-FE1). Only one refund of an order is open, so the order's totals do not
// move between this and the payment.
func (r *Refund) setAmount(o *Order, amount money.Fen, now time.Time) {
	r.AmountFen = amount
	r.FeeReversed, r.NetReversed = SplitRefund(o, amount)
	r.InvoiceAction = InvoiceActionFor(o, now)
}

// SplitRefund reverses the platform fee and the provider net of amount in
// proportion, rounded by money's one rule on the cumulative total.
func SplitRefund(o *Order, amount money.Fen) (fee, net money.Fen) {
	if o.AmountFen <= 0 {
		return 0, amount
	}
	after := money.Portion(o.PlatformFee, int64(o.RefundedFen+amount), int64(o.AmountFen))
	fee = after - o.PlatformFeeRefunded
	return fee, amount - fee
}

// InvoiceActionFor is R-FE3: in platform mode provider and buyer settle
// red-letter invoices between themselves; where the platform issued the
// invoice (consignment): not issued or not delivered → nothing; same month and
// not certified → return it; certified or a later month → the red-letter form.
func InvoiceActionFor(o *Order, now time.Time) string {
	if o.Fee.Mode != FeeConsignment {
		return InvoiceProviderAndBuyer
	}
	if o.InvoiceIssuedAt.IsZero() || o.InvoiceDeliveredAt.IsZero() {
		return InvoiceNone
	}
	month := func(t time.Time) string { return t.In(workday.Shanghai).Format("2006-01") }
	if o.InvoiceCertified || month(o.InvoiceIssuedAt) != month(now) {
		return InvoiceRedLetterForm
	}
	return InvoiceReturn
}

// PayerFor is R-RF7: before the order is completed, and on any platform
// ruling, the platform pays through the payment system; after completion an
// accepted refund is the provider's to pay.
func PayerFor(o *Order, ruling bool) string {
	if ruling || o.CompletedAt.IsZero() {
		return PayerPlatform
	}
	return PayerProvider
}

func (r *Refund) accept(payer string, now time.Time) {
	r.Status, r.Payer, r.AcceptedAt, r.UpdatedAt = RefundAccepted, payer, now, now
	if payer == PayerPlatform {
		r.OutRefundNo = "RF" + strings.TrimPrefix(r.ID, "rfd_")
		r.Transfer = RefundTransfer{State: TransferPending, NextAttemptAt: now}
	}
}

// Respond is the provider's answer (R-RF3): accept, or decline with a reason,
// which sends the refund to the risk team.
func (r *Refund) Respond(o *Order, decision, reason string, now time.Time) error {
	reason = strings.TrimSpace(reason)
	switch decision {
	case "accept":
	case "decline":
		if reason == "" {
			return fault.New(fault.MissingParameter, "reason is required to decline: the buyer and the risk team are told why.")
		}
	case "":
		return fault.Missing("decision")
	default:
		return fault.Invalid("Decision", "decision must be \"accept\" or \"decline\", got %q.", decision)
	}
	if utf8.RuneCountInString(reason) > MaxRefundReasonLen {
		return fault.Invalid("Reason", "reason is longer than %d characters.", MaxRefundReasonLen)
	}
	if r.Status != RefundRequested {
		return fault.Failed("RefundNotAwaitingResponse", "Refund %s is %s; only a requested refund is answered.", r.ID, r.Status)
	}
	r.Response = &ProviderResponse{Decision: decision, Reason: reason, At: now}
	if decision == "decline" {
		r.toArbitration("declined", now)
		return nil
	}
	r.setAmount(o, r.AmountFen, now)
	r.accept(PayerFor(o, false), now)
	return nil
}

func (r *Refund) toArbitration(cause string, now time.Time) {
	r.Status, r.ArbitrationCause, r.ArbitratingAt, r.UpdatedAt = RefundArbitrating, cause, now, now
}

// EscalateIfSilent sends a refund the provider did not answer by respondBy to
// the risk team.
func (r *Refund) EscalateIfSilent(now time.Time) bool {
	if r.Status != RefundRequested || !now.After(r.RespondBy) {
		return false
	}
	r.toArbitration("no_response", now)
	return true
}

// Arbitrate is the risk team's ruling (R-RF3..R-RF5): full (the whole amount
// not yet refunded), partial (an amount up to that), or deny. A refund the
// platform rules is paid by the platform (R-RF7).
func (r *Refund) Arbitrate(o *Order, in Ruling, arbiter string, now time.Time) error {
	reason, err := refundReason(in.Reason)
	if err != nil {
		return err
	}
	if in.ProviderFault != "" && !slices.Contains(ProviderFaults, in.ProviderFault) {
		return fault.Invalid("ProviderFault", "providerFault must be one of %s, got %q.", strings.Join(ProviderFaults, ", "), in.ProviderFault)
	}
	var amount money.Fen
	switch in.Decision {
	case "full":
		if in.AmountFen != nil {
			return fault.Invalid("AmountFen", "amountFen is for a partial ruling; a full ruling refunds everything not yet refunded.")
		}
		amount = o.RemainingFen()
	case "partial":
		if in.AmountFen == nil {
			return fault.New(fault.MissingParameter, "amountFen is required for a partial ruling.")
		}
		if *in.AmountFen <= 0 || *in.AmountFen > o.RemainingFen() {
			return fault.Invalid("AmountFen", "amountFen must be 1 to %d fen (what order %s has not had back), got %d.", o.RemainingFen(), o.ID, *in.AmountFen)
		}
		amount = *in.AmountFen
	case "deny":
		if in.AmountFen != nil || in.ChargeDeposit {
			return fault.Invalid("Decision", "A denial refunds nothing: leave out amountFen and chargeDeposit.")
		}
	case "":
		return fault.Missing("decision")
	default:
		return fault.Invalid("Decision", "decision must be \"full\", \"partial\" or \"deny\", got %q.", in.Decision)
	}
	if r.Status != RefundArbitrating {
		return fault.Failed("RefundNotInArbitration", "Refund %s is %s; the risk team rules on refunds in arbitration.", r.ID, r.Status)
	}
	r.Arbitration = &Arbitration{Decision: in.Decision, AmountFen: amount, Reason: reason, ProviderFault: in.ProviderFault,
		ChargeDeposit: in.ChargeDeposit, Arbiter: arbiter, At: now}
	if in.Decision == "deny" {
		r.Status, r.UpdatedAt = RefundDenied, now
		o.OpenRefundID = ""
		return nil
	}
	if amount <= 0 {
		return fault.Failed("NotRefundable", "Order %s has nothing left to refund.", o.ID)
	}
	r.setAmount(o, amount, now)
	r.accept(PayerFor(o, true), now)
	return nil
}

// Submitting claims the transfer for one call to the payment system: the
// sweep, and any other submitter, leaves it alone for TransferLease.
func (r *Refund) Submitting(now time.Time) bool {
	if r.Status != RefundAccepted || r.Payer != PayerPlatform || r.Transfer.State != TransferPending || r.Transfer.NextAttemptAt.After(now) {
		return false
	}
	r.Transfer.NextAttemptAt = now.Add(TransferLease)
	return true
}

// TransferAccepted records that the payment system took the refund.
func (r *Refund) TransferAccepted(refundID string, now time.Time) {
	if r.Transfer.State != TransferPending {
		return
	}
	r.Transfer.State, r.Transfer.RefundID, r.Transfer.SubmittedAt = TransferSubmitted, refundID, now
	r.Transfer.Attempts++
	r.Transfer.LastError = ""
	r.Transfer.NextAttemptAt = now.Add(ReconcileAfter)
	r.UpdatedAt = now
}

// TransferRetry records a failed call (5xx, timeout): the same out_refund_no is
// tried again after a backoff.
func (r *Refund) TransferRetry(errText string, now time.Time) {
	r.Transfer.Attempts++
	r.Transfer.LastError = errText
	r.Transfer.NextAttemptAt = now.Add(TransferBackoff(r.Transfer.Attempts))
	r.UpdatedAt = now
}

// TransferStillProcessing pushes the next reconciliation query back.
func (r *Refund) TransferStillProcessing(now time.Time) {
	r.Transfer.NextAttemptAt = now.Add(ReconcileAfter)
	r.UpdatedAt = now
}

// PaidOutcome is what marking a refund paid did.
type PaidOutcome struct {
	ProviderShare string    // how the provider's share is recovered
	ShareFen      money.Fen // the provider's share of a platform refund
}

// MarkPaid records that the buyer got the money back, once: the order's
// refunded totals move; a whole refund makes it refunded.
// A platform refund of an order already settled recovers the provider's share
// by a clawback, or from the deposit when the ruling says so — never both.
func (r *Refund) MarkPaid(o *Order, paidAt, now time.Time) (PaidOutcome, error) {
	if r.Status != RefundAccepted {
		return PaidOutcome{}, fault.Failed("RefundNotPayable", "Refund %s is %s; only an accepted refund is paid.", r.ID, r.Status)
	}
	if o.RefundedFen+r.AmountFen > o.AmountFen {
		return PaidOutcome{}, fault.Failed("RefundExceedsPayment", "Refund %s of %s would take order %s past what was paid.", r.ID, r.AmountFen, o.ID)
	}
	r.FeeReversed, r.NetReversed = SplitRefund(o, r.AmountFen)
	o.RefundedFen += r.AmountFen
	o.PlatformFeeRefunded += r.FeeReversed
	o.ProviderNetRefunded += r.NetReversed
	if o.RefundedFen == o.AmountFen {
		o.Status = OrderRefunded // nothing left to serve or settle
	}
	// A partial refund leaves the order where it is in its life (paid, in
	// service, completed): it still starts, completes and settles; the API
	// shows it as partially_refunded (Order.ShownStatus).
	if o.OpenRefundID == r.ID {
		o.OpenRefundID = ""
	}
	r.Status, r.PaidAt, r.UpdatedAt = RefundPaid, paidAt, now
	if r.Payer == PayerPlatform {
		r.Transfer.State = TransferSucceeded
	}
	out := PaidOutcome{ShareFen: r.NetReversed}
	switch {
	case r.Payer == PayerProvider:
		out.ProviderShare = ShareProvider
		o.RefundedByProvider += r.AmountFen
	case o.SettledAt.IsZero():
		out.ProviderShare = ShareWithheld
	case r.Arbitration != nil && r.Arbitration.ChargeDeposit:
		out.ProviderShare = ShareDeposit
	default:
		out.ProviderShare = ShareClawback
	}
	r.ProviderShare = out.ProviderShare
	return out, nil
}

// RecordProviderPayment is the provider's own transfer of an accepted refund
// after completion (R-RF7, payer provider).
func (r *Refund) RecordProviderPayment(o *Order, reference string, paidAt, now time.Time) (PaidOutcome, error) {
	reference = strings.TrimSpace(reference)
	if reference == "" {
		return PaidOutcome{}, fault.Missing("reference")
	}
	if utf8.RuneCountInString(reference) > 64 {
		return PaidOutcome{}, fault.Invalid("Reference", "reference is longer than 64 characters.")
	}
	if paidAt.IsZero() {
		return PaidOutcome{}, fault.Missing("paidAt")
	}
	if paidAt.After(now.Add(5 * time.Minute)) {
		return PaidOutcome{}, fault.Invalid("PaidAt", "paidAt is in the future.")
	}
	if r.Status != RefundAccepted || r.Payer != PayerProvider {
		return PaidOutcome{}, fault.Failed("RefundNotProviderPaid", "Refund %s is %s with payer %q; the provider records its own transfer only for an accepted refund it pays (payer provider).", r.ID, r.Status, r.Payer)
	}
	r.ProviderPaymentRef = reference
	return r.MarkPaid(o, paidAt, now)
}

// MarkFailed records that the payment system reported the refund abnormal or
// closed: finance takes it from here; the order is free for a new request.
func (r *Refund) MarkFailed(o *Order, reason string, now time.Time) bool {
	if r.Status != RefundAccepted || r.Payer != PayerPlatform {
		return false
	}
	r.Status, r.FailedAt, r.FailureReason, r.UpdatedAt = RefundFailed, now, reason, now
	r.Transfer.State = TransferFailed
	if o.OpenRefundID == r.ID {
		o.OpenRefundID = ""
	}
	return true
}

// Clawback is the provider's share of a platform refund of an order already
// settled, to be taken from its next statement (R-RF7); the settlement
// feature reads and closes these.
type Clawback struct {
	ID         string
	ProviderID string
	RefundID   string
	OrderID    string
	AmountFen  money.Fen
	At         time.Time
	SettledIn  string // the statement period that recovered it; "" until then
}

// RefundNotification is a verified refund result from the payment system,
// stored once per refund_id before it is queued.
type RefundNotification struct {
	RefundID     string
	OutRefundNo  string
	RefundStatus string // SUCCESS, ABNORMAL, CLOSED
	AmountFen    money.Fen
	SuccessTime  time.Time
	ReceivedAt   time.Time
	Status       PaymentNotificationStatus
	Outcome      string
}
