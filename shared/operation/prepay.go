package operation

import (
	"context"
	"errors"
	"time"

	"cloudmarket/shared/market"
	"cloudmarket/shared/store"
)

// PaymentAPI is the payment system's Native payment API (WeChat Pay
// services/payments/native).
type PaymentAPI interface {
	// Prepay opens the payment of an order and returns its code_url.
	Prepay(ctx context.Context, o NativeOrder) (codeURL string, err error)
	// QueryPayment asks for the order's transaction by out_trade_no.
	QueryPayment(ctx context.Context, outTradeNo string) (PaymentMessage, error)
	// ClosePayment closes the order: it can no longer be paid.
	ClosePayment(ctx context.Context, outTradeNo string) error
}

// NativeOrder is what a prepay asks the payment system for.
type NativeOrder struct {
	OutTradeNo  string
	Description string
	Attach      string // what apply-payment needs besides out_trade_no
	AmountFen   int64
	ExpiresAt   time.Time // time_expire: the order's payment window
}

// Errors of a PaymentAPI: the order is unknown there, or the call failed
// (retried later).
var (
	ErrPaymentUnknown = errors.New("the payment system has no such order")
	ErrPaymentAPI     = errors.New("the payment API failed")
)

// OrderAttach is the attach of an order's prepay.
func OrderAttach(orderID string) string { return "order:" + orderID }

// prepayCode opens the order's payment at the payment system and returns
// its code_url; "" when the call failed (logged: the deadline timer tries
// again after PrepayRetry, with the same out_trade_no).
func (s *Service) prepayCode(ctx context.Context, o *market.Order) string {
	if s.Native == nil { // a Service built without a payment system (some tests)
		return ""
	}
	codeURL, err := s.Native.Prepay(ctx, NativeOrder{OutTradeNo: o.OutTradeNo, Description: description(o), Attach: OrderAttach(o.ID),
		AmountFen: int64(o.AmountFen), ExpiresAt: o.ExpiresAt})
	if err != nil {
		s.Log.Warn("prepay failed; tried again by the deadline timer", "order", o.ID, "err", err)
	}
	return codeURL
}

// prepay retries the prepay of a stored order and records the outcome. It
// returns the order as saved.
func (s *Service) prepay(ctx context.Context, o *market.Order) *market.Order {
	codeURL := s.prepayCode(ctx, o)
	saved, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Order, error) {
		cur, err := tx.Order(o.ID)
		if err != nil {
			return nil, err
		}
		if cur.Status != market.OrderPendingPayment || cur.Payment.CodeURL != "" {
			return cur, nil // paid, cancelled or prepaid meanwhile
		}
		cur.PrepayAttempted(codeURL, s.now())
		return cur, tx.SaveOrder(cur)
	})
	if err != nil {
		s.Log.Error("prepay: record", "order", o.ID, "err", err)
		return o
	}
	return saved
}

// description is the prepay's description (WeChat Pay takes 127 bytes).
func description(o *market.Order) string {
	d := o.ProductName + " " + o.Plan.Name
	for len(d) > 127 {
		r := []rune(d)
		d = string(r[:len(r)-1])
	}
	return d
}

// PaymentReport is what the timer's payment checks did.
type PaymentReport struct {
	Prepaid         int `json:"paymentsPrepaid"`
	Queried         int `json:"paymentsQueried"`
	FoundPaid       int `json:"paymentsFoundPaid"`
	ClosedAtLapse   int `json:"paymentsClosed"`
	Redriven        int `json:"paymentsRedriven"`
	RecordedUnpaid  int `json:"paymentsUnapplied"`
	PaymentAPIError int `json:"paymentApiErrors"`
}

// checkPayments prepays again the orders without a code_url and asks the
// payment system about the others still unpaid QueryAfter after prepay: a
// SUCCESS found so is accepted like a notification (stored once, queued,
// applied once by the consumer).
func (s *Service) checkPayments(ctx context.Context, now time.Time, rep *PaymentReport) error {
	if s.Native == nil {
		return nil
	}
	due, err := s.Store.PaymentCheckDueOrders(ctx, now, sweepBatch)
	if err != nil {
		return err
	}
	for _, id := range due {
		o, err := s.Store.Order(ctx, id)
		if err != nil {
			return err
		}
		if !o.PaymentCheckDue(now) {
			continue
		}
		if o.Payment.CodeURL == "" {
			if s.prepay(ctx, o).Payment.CodeURL != "" {
				rep.Prepaid++
			} else {
				rep.PaymentAPIError++
			}
			continue
		}
		rep.Queried++
		m, err := s.Native.QueryPayment(ctx, o.OutTradeNo)
		switch {
		case err != nil:
			rep.PaymentAPIError++
			s.Log.Warn("payment query failed; asked again later", "order", o.ID, "err", err)
		case m.TradeState == "SUCCESS":
			if _, err := s.Store.PaymentNotification(ctx, m.TransactionID); err == nil {
				break // notified already: applied, or re-driven by redriveNotifications
			}
			if err := s.AcceptPayment(ctx, m); err != nil {
				s.Log.Warn("payment found by query not accepted yet", "order", o.ID, "err", err)
			} else {
				rep.FoundPaid++
			}
		}
		if err := s.moveCheck(ctx, o.ID, now); err != nil {
			return err
		}
	}
	return nil
}

// moveCheck puts the next query QueryAfter later.
func (s *Service) moveCheck(ctx context.Context, id string, now time.Time) error {
	_, err := sweep(ctx, s.Store, []string{id}, (*store.Tx).Order, (*store.Tx).SaveOrder, func(_ *store.Tx, o *market.Order) (bool, error) {
		if !o.PaymentCheckDue(now) {
			return false, nil
		}
		o.StillUnpaid(now)
		return true, nil
	})
	return err
}

// closeBeforeLapse makes sure an order about to lapse can no longer be paid:
// asked once more (a SUCCESS is accepted instead, and the order not
// cancelled), then closed at the payment system. False: not closed yet, the
// order waits for the next run.
func (s *Service) closeBeforeLapse(ctx context.Context, o *market.Order, rep *PaymentReport) bool {
	if s.Native == nil {
		return true // no payment system to close at
	}
	m, err := s.Native.QueryPayment(ctx, o.OutTradeNo)
	switch {
	case errors.Is(err, ErrPaymentUnknown):
		return true // never prepaid there: nothing to close
	case err != nil:
		rep.PaymentAPIError++
		s.Log.Warn("payment query before lapse failed; the order waits for the next run", "order", o.ID, "err", err)
		return false
	case m.TradeState == "SUCCESS":
		n, err := s.Store.PaymentNotification(ctx, m.TransactionID)
		switch {
		case err == nil && n.Status != market.NotificationReceived:
			return true // applied already and did not pay it (another amount): finance has it
		case err == nil:
			return false // notified and being applied (re-driven if need be): not lapsing
		case !errors.Is(err, store.ErrNotFound):
			s.Log.Warn("payment before lapse: reading its notification failed; the order waits for the next run", "order", o.ID, "err", err)
			return false
		}
		rep.FoundPaid++
		if err := s.AcceptPayment(ctx, m); err != nil {
			s.Log.Warn("payment found before lapse not accepted yet", "order", o.ID, "err", err)
		}
		return false
	case m.TradeState == "CLOSED":
		return true
	}
	if err := s.Native.ClosePayment(ctx, o.OutTradeNo); err != nil && !errors.Is(err, ErrPaymentUnknown) {
		rep.PaymentAPIError++
		s.Log.Warn("closing the payment before lapse failed; the order waits for the next run", "order", o.ID, "err", err)
		return false
	}
	rep.ClosedAtLapse++
	return true
}
