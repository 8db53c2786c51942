package market

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"cloudmarket/shared/money"
)

// The payment system's order: how often it is tried, asked and re-driven.
const (
	// PrepayRetry is how soon a failed prepay is tried again; the order
	// keeps its one out_trade_no, so a retry never makes a second payment.
	PrepayRetry = time.Minute
	// QueryAfter is how long after prepay an unpaid order is first asked
	// about (QueryOrderByOutTradeNo), and then again every QueryAfter: a
	// payment whose notification never came is found this way.
	QueryAfter = 5 * time.Minute
	// RedriveAfter is how long a stored notification may stay unapplied
	// before the deadline timer produces it to the queue again; CKafka skips
	// a record after its trigger's retries and has no dead-letter topic.
	RedriveAfter = 5 * time.Minute
	// MaxRedrives: after so many re-drives a notification that still does
	// not apply is recorded for finance (payment.unapplied).
	MaxRedrives = 3
)

// PaymentConflict: the transaction already paid another order, or another
// notification of the same transaction_id claims something else; recorded
// for finance, never applied twice.
const PaymentConflict PaymentOutcome = "conflict"

// OrderPayment is an order's Native payment at WeChat Pay.
type OrderPayment struct {
	CodeURL   string    // code_url: the QR code the buyer scans
	PrepaidAt time.Time // when the prepay succeeded
	// CheckAt is when the timer next looks at the order: prepay again while
	// there is no code_url, else ask the payment system whether it was paid.
	CheckAt  time.Time
	ClosedAt time.Time // closed at the payment system when the order lapsed
}

// PrepayAttempted records a prepay call: with its code_url it succeeded and
// the order is asked about after QueryAfter; without, it is tried again
// after PrepayRetry. Neither goes past the payment window.
func (o *Order) PrepayAttempted(codeURL string, now time.Time) {
	if codeURL != "" {
		o.Payment.CodeURL, o.Payment.PrepaidAt = codeURL, now
		o.Payment.CheckAt = o.capped(now.Add(QueryAfter))
		return
	}
	o.Payment.CheckAt = o.capped(now.Add(PrepayRetry))
}

// StillUnpaid records a query that found no payment yet.
func (o *Order) StillUnpaid(now time.Time) { o.Payment.CheckAt = o.capped(now.Add(QueryAfter)) }

// capped keeps a check within the payment window: at its end the lapse
// (CancelIfUnpaid) asks once more and closes.
func (o *Order) capped(t time.Time) time.Time {
	if !o.ExpiresAt.IsZero() && t.After(o.ExpiresAt) {
		return o.ExpiresAt
	}
	return t
}

// PaymentCheckDue tells whether the timer should prepay or query now.
func (o *Order) PaymentCheckDue(now time.Time) bool {
	return o.Status == OrderPendingPayment && !o.Payment.CheckAt.IsZero() && now.After(o.Payment.CheckAt)
}

// PaidAfterLapse records a payment that arrived for an order cancelled when
// its payment window passed: the money is recorded as paid, nothing is
// fulfilled, and the caller refunds it in full at once.
func (o *Order) PaidAfterLapse(transactionID string, amount money.Fen, paidAt time.Time) PaymentOutcome {
	if o.TransactionID == transactionID {
		return PaymentDuplicate
	}
	if o.Status != OrderCancelled || o.TransactionID != "" {
		return PaymentUnexpected
	}
	if amount != o.AmountFen {
		return PaymentMismatch
	}
	o.TransactionID, o.PaidAt, o.Status = transactionID, paidAt, OrderPaid
	return PaymentApplied
}

// SameClaim tells whether two notifications of one transaction_id say the
// same thing (a redelivery) rather than conflict.
func (n PaymentNotification) SameClaim(o PaymentNotification) bool {
	return n.TransactionID == o.TransactionID && n.OutTradeNo == o.OutTradeNo && n.Attach == o.Attach &&
		n.AmountFen == o.AmountFen && n.TradeState == o.TradeState
}

// ConflictID is the record ID of a notification that conflicts with the
// first of its transaction_id: one per distinct claim, so its redeliveries
// are recognised.
func (n PaymentNotification) ConflictID() string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%d\x00%s", n.OutTradeNo, n.Attach, n.AmountFen, n.TradeState)))
	return n.TransactionID + "~" + hex.EncodeToString(sum[:6])
}

// RedriveSlowly is how often a notification is re-driven once finance was
// told it does not apply: it still applies by itself once the cause is gone.
const RedriveSlowly = time.Hour

// Redrive records a re-drive of a notification still not applied at
// DriveAt, and when the next is due. It tells, once, when it has been
// re-driven MaxRedrives times already: then finance is told
// (payment.unapplied), and it goes on being re-driven, slowly.
func (n *PaymentNotification) Redrive(now time.Time) (tellFinance bool) {
	tellFinance = n.Redrives == MaxRedrives
	n.Redrives++
	n.DriveAt = now.Add(RedriveAfter)
	if n.Redrives > MaxRedrives {
		n.DriveAt = now.Add(RedriveSlowly)
	}
	return tellFinance
}
