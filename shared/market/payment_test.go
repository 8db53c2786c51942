package market

import (
	"testing"
	"time"
)

// A prepay's next check: QueryAfter after a success, PrepayRetry after a
// failure, never past the payment window, where the lapse takes over.
func TestPrepayAttemptedSchedulesTheNextCheck(t *testing.T) {
	t.Parallel()
	now := sh(2026, 7, 1, 9, 30, 0, 0)
	o := &Order{Status: OrderPendingPayment, ExpiresAt: now.Add(PaymentWindow)}
	o.PrepayAttempted("", now)
	if o.Payment.CodeURL != "" || !o.Payment.CheckAt.Equal(now.Add(PrepayRetry)) {
		t.Fatalf("failed prepay: %+v", o.Payment)
	}
	o.PrepayAttempted("weixin://wxpay/bizpayurl?pr=x", now.Add(time.Minute))
	if o.Payment.CodeURL == "" || !o.Payment.PrepaidAt.Equal(now.Add(time.Minute)) || !o.Payment.CheckAt.Equal(now.Add(time.Minute+QueryAfter)) {
		t.Fatalf("prepaid: %+v", o.Payment)
	}
	if o.PaymentCheckDue(now.Add(time.Minute + QueryAfter)) {
		t.Error("due at its check time, not after it")
	}
	late := now.Add(PaymentWindow - time.Minute)
	o.StillUnpaid(late)
	if !o.Payment.CheckAt.Equal(o.ExpiresAt) {
		t.Errorf("a check past the window: %v", o.Payment.CheckAt)
	}
	o.Status = OrderPaid
	if o.PaymentCheckDue(o.ExpiresAt.Add(time.Hour)) {
		t.Error("a paid order is due for a check")
	}
}

// MaxRedrives re-drives every RedriveAfter, then finance is told once and
// the re-drives go on every RedriveSlowly.
func TestRedriveTellsFinanceOnce(t *testing.T) {
	t.Parallel()
	now := sh(2026, 7, 1, 9, 30, 0, 0)
	n := PaymentNotification{TransactionID: "4200000001"}
	told := 0
	for i := 1; i <= MaxRedrives+3; i++ {
		if n.Redrive(now) {
			told++
			if i != MaxRedrives+1 {
				t.Errorf("finance told at re-drive %d", i)
			}
		}
		wait := RedriveAfter
		if i > MaxRedrives {
			wait = RedriveSlowly
		}
		if n.Redrives != i || !n.DriveAt.Equal(now.Add(wait)) {
			t.Fatalf("re-drive %d: %d, next %v", i, n.Redrives, n.DriveAt)
		}
	}
	if told != 1 {
		t.Fatalf("finance told %d times", told)
	}
}

// Two notifications of a transaction_id are a redelivery when they claim the
// same; a conflict gets one ID per distinct claim.
func TestSameClaimAndConflictID(t *testing.T) {
	t.Parallel()
	a := PaymentNotification{TransactionID: "4200000001", OutTradeNo: "CM1", Attach: "order:ord_1", AmountFen: 100, TradeState: "SUCCESS", ReceivedAt: time.Now()}
	b := a
	b.ReceivedAt = a.ReceivedAt.Add(time.Hour)
	if !a.SameClaim(b) {
		t.Fatal("a redelivery taken for a conflict")
	}
	c := a
	c.AmountFen = 1
	d := a
	d.OutTradeNo = "CM2"
	if a.SameClaim(c) || a.SameClaim(d) || c.ConflictID() == d.ConflictID() || c.ConflictID() != c.ConflictID() || c.ConflictID()[:11] != "4200000001~" {
		t.Fatalf("conflicts: %s %s", c.ConflictID(), d.ConflictID())
	}
}

// A payment after the lapse is recorded as paid, to be refunded; a second
// one, or another amount, is not.
func TestPaidAfterLapse(t *testing.T) {
	t.Parallel()
	now := sh(2026, 7, 1, 12, 1, 0, 0)
	o := &Order{Status: OrderCancelled, AmountFen: 100}
	if got := o.PaidAfterLapse("4200000001", 99, now); got != PaymentMismatch || o.Status != OrderCancelled {
		t.Fatalf("another amount: %s %s", got, o.Status)
	}
	if got := o.PaidAfterLapse("4200000001", 100, now); got != PaymentApplied || o.Status != OrderPaid || !o.PaidAt.Equal(now) || !o.StartedAt.IsZero() {
		t.Fatalf("late payment: %s %+v", got, o)
	}
	if got := o.PaidAfterLapse("4200000001", 100, now); got != PaymentDuplicate {
		t.Fatalf("redelivered: %s", got)
	}
	if got := o.PaidAfterLapse("4200000002", 100, now); got != PaymentUnexpected {
		t.Fatalf("a second payment: %s", got)
	}
	if _, err := LatePaymentRefund("rfd_1", o, now); err != nil {
		t.Fatal(err)
	}
	if o.OpenRefundID != "rfd_1" {
		t.Fatal("the refund is not the order's open one")
	}
}
