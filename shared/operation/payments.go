package operation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/ids"
	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/store"
)

// PaymentTopic is the queue topic verified payment notifications go to.
const PaymentTopic = "payment-events"

// Queue is where verified notifications are produced (CKafka; kfake locally).
type Queue interface {
	Publish(ctx context.Context, topic, key string, value []byte) error
}

// PaymentMessage is a verified, decrypted payment notification on the queue.
type PaymentMessage struct {
	TransactionID string    `json:"transactionId"`
	OutTradeNo    string    `json:"outTradeNo,omitempty"`
	Attach        string    `json:"attach,omitempty"`
	AmountFen     int64     `json:"amountFen"`
	TradeState    string    `json:"tradeState"`
	SuccessTime   time.Time `json:"successTime"`
	// NotificationID names the stored record when it is not the
	// transaction_id: a notification that conflicts with the first of its
	// transaction_id (market.PaymentNotification.ConflictID).
	NotificationID string `json:"notificationId,omitempty"`
}

// recordID is the stored notification this message applies.
func (m PaymentMessage) recordID() string {
	if m.NotificationID != "" {
		return m.NotificationID
	}
	return m.TransactionID
}

// NotificationReader verifies and decrypts a payment system notification.
type NotificationReader interface {
	Parse(ctx context.Context, header http.Header, body []byte) (PaymentMessage, error)
}

// Errors a NotificationReader returns.
var (
	ErrNotificationSignature = errors.New("the notification's signature or timestamp is not valid")
	ErrNotificationResource  = errors.New("the notification's resource cannot be decrypted or read")
	ErrNotificationMerchant  = errors.New("the notification is for another merchant or app")
)

// notificationFault maps a reader's refusal to the answer the payment system
// gets; nil for any other error.
func notificationFault(err error) *fault.Error {
	switch {
	case errors.Is(err, ErrNotificationSignature):
		return fault.New(fault.AuthFailure+".Signature", "The notification's signature, serial or timestamp is not valid.")
	case errors.Is(err, ErrNotificationResource):
		return fault.New(fault.InvalidParameterValue+".Resource", "The notification's resource is missing, of another kind (event_type), or cannot be decrypted or read.")
	case errors.Is(err, ErrNotificationMerchant):
		return fault.New(fault.InvalidParameterValue+".Merchant", "The notification is for another merchant (mchid) or app (appid) than this one.")
	}
	return nil
}

// ReceivePayment is the notification endpoint's operation: verify, store once,
// queue. The payment system retries anything but success.
func (s *Service) ReceivePayment(ctx context.Context, header http.Header, body []byte) error {
	m, err := s.Notifications.Parse(ctx, header, body)
	if f := notificationFault(err); f != nil {
		s.Log.Warn("payment notification refused", "err", err)
		return f
	}
	if err != nil {
		return err
	}
	return s.AcceptPayment(ctx, m)
}

// Permanent marks an error that retrying can never fix: the queue consumer
// records the message as a dead letter and moves on.
type Permanent struct{ Err error }

func (p Permanent) Error() string { return "permanent: " + p.Err.Error() }
func (p Permanent) Unwrap() error { return p.Err }

// IsPermanent tells whether err must not be retried.
func IsPermanent(err error) bool {
	var p Permanent
	return errors.As(err, &p)
}

// AcceptPayment stores a verified notification once per transaction and
// produces it to the queue. A repeated notification is produced again (the
// consumer applies each transaction once), so a crash between storing and
// producing is healed by the payment system's retry.
func (s *Service) AcceptPayment(ctx context.Context, m PaymentMessage) error {
	if m.TransactionID == "" {
		return fault.New(fault.InvalidParameterValue, "The notification has no transaction_id.")
	}
	now := s.now()
	n := market.PaymentNotification{
		TransactionID: m.TransactionID, OutTradeNo: m.OutTradeNo, Attach: m.Attach, AmountFen: money.Fen(m.AmountFen),
		TradeState: m.TradeState, SuccessTime: m.SuccessTime, ReceivedAt: now,
		DriveAt: now.Add(market.RedriveAfter), // produced again then if still not applied
	}
	stored, err := s.Store.StorePaymentNotification(ctx, n)
	if err != nil {
		return err
	}
	if !stored {
		if m.NotificationID, err = s.storeConflicting(ctx, n); err != nil {
			return err
		}
	}
	return s.producePayment(ctx, m)
}

func (s *Service) producePayment(ctx context.Context, m PaymentMessage) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return s.Queue.Publish(ctx, PaymentTopic, m.TransactionID, body)
}

// storeConflicting tells a redelivery ("" : the first record applies) from a
// notification of the same transaction_id that claims another order, amount
// or state: that one is stored under its own ID, recorded and finance told,
// once, and its ID returned so that it is applied (or refused) on its own;
// a transaction still pays one order at most (ClaimPaymentTransaction).
func (s *Service) storeConflicting(ctx context.Context, n market.PaymentNotification) (string, error) {
	first, err := s.Store.PaymentNotification(ctx, n.TransactionID)
	if err != nil {
		return "", err
	}
	if first.SameClaim(n) {
		return "", nil
	}
	n.ID = n.ConflictID()
	recorded, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (bool, error) {
		if _, err := tx.PaymentNotification(n.ID); err == nil {
			return false, nil // this conflict was recorded before
		} else if !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
		if err := tx.InsertPaymentNotification(n); err != nil {
			return false, err
		}
		_, err := tx.Record(market.Event{Type: market.EventPaymentConflicting, At: n.ReceivedAt, Actor: market.System("payment-notify").Account, Subject: n.TransactionID,
			Data: market.PaymentConflictData{TransactionID: n.TransactionID, NotificationID: n.ID, OutTradeNo: n.OutTradeNo, AmountFen: int64(n.AmountFen),
				FirstOutTradeNo: first.OutTradeNo, FirstAmountFen: int64(first.AmountFen)}},
			staffSMS(s.Config.FinancePhones, "payment_conflicting", n.TransactionID, n.OutTradeNo, n.AmountFen.String(), first.OutTradeNo, first.AmountFen.String())...)
		return true, err
	})
	if err != nil {
		return "", err
	}
	if recorded { // finance's SMS leaves with the deadline timer's next outbox run
		s.Log.Warn("payment notification conflicts with the first of its transaction_id", "transaction", n.TransactionID, "outTradeNo", n.OutTradeNo, "firstOutTradeNo", first.OutTradeNo)
	}
	return n.ID, nil
}

// ApplyPayment applies one queued payment exactly once: a deposit payment
// (attach "deposit:{providerId}") goes to the deposit ledger; an order payment
// marks the order paid and fulfils it. A mismatched amount or an order not
// waiting for payment is recorded for finance, not applied.
func (s *Service) ApplyPayment(ctx context.Context, m PaymentMessage) error {
	actor := market.System("apply-payment")
	if m.TradeState != "SUCCESS" {
		return s.finishNotification(ctx, m, market.NotificationIgnored, "trade state "+m.TradeState)
	}
	if pid, ok := strings.CutPrefix(m.Attach, "deposit:"); ok {
		_, err := s.RecordDepositPayment(ctx, actor, pid, market.Payment{
			AmountFen: money.Fen(m.AmountFen), Channel: "tenpay", Reference: m.TransactionID, PaidAt: m.SuccessTime, ViaPaymentSystem: true,
		})
		if f, isFault := fault.As(err); isFault {
			return s.depositUnapplied(ctx, m, pid, f)
		}
		if err != nil {
			return err
		}
		return s.finishNotification(ctx, m, market.NotificationApplied, "deposit")
	}
	now := s.now()
	exitRefund := ""
	outcome, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (market.PaymentOutcome, error) {
		exitRefund = ""
		n, err := tx.PaymentNotification(m.recordID())
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
		if err == nil && n.Status != market.NotificationReceived {
			return market.PaymentDuplicate, nil // applied before: a redelivery
		}
		o, err := tx.OrderByOutTradeNo(m.OutTradeNo)
		if errors.Is(err, store.ErrNotFound) {
			if n.TransactionID == "" {
				return "", Permanent{fmt.Errorf("payment %s names unknown order %q", m.TransactionID, m.OutTradeNo)}
			}
			// Money arrived for no order of ours: kept on the record for
			// finance, never dropped (no dead-letter topic to hold it).
			return market.PaymentUnexpected, s.paymentUnapplied(tx, n, fmt.Sprintf("names unknown order %q", m.OutTradeNo), now)
		}
		if err != nil {
			return "", err
		}
		if o.Status == market.OrderCancelled && o.TransactionID == "" {
			// Paid after the order lapsed: refunded at once, finance told.
			id, outcome, err := s.refundLatePayment(tx, o, m, now)
			if err != nil {
				return "", err
			}
			exitRefund = id
			if n.TransactionID != "" {
				err = tx.FinishPaymentNotification(n.ID, market.NotificationApplied, "refunded_after_lapse")
			}
			return outcome, err
		}
		if prov, err := tx.Provider(o.ProviderID); err != nil {
			return "", err
		} else if prov.Status == market.ProviderExiting || prov.Status == market.ProviderExited || prov.Status == market.ProviderExpelled {
			// R-EX2: refunded in full, never applied to a service.
			id, outcome, err := s.refundExitPayment(tx, o, m, now)
			if err != nil {
				return "", err
			}
			exitRefund = id
			if n.TransactionID != "" {
				err = tx.FinishPaymentNotification(n.ID, market.NotificationApplied, "refunded_provider_exit")
			}
			return outcome, err
		}
		outcome := o.ApplyPayment(m.TransactionID, money.Fen(m.AmountFen), m.SuccessTime, s.Calendar, market.Fulfilment{
			RedemptionCode: ids.Code(4), LaunchRef: "launch-" + ids.Code(3), APIKeyRef: "apikey-" + ids.Code(4),
		})
		if outcome == market.PaymentApplied && n.TransactionID != "" {
			// One transaction pays one order, whichever of its conflicting
			// notifications comes first.
			if err := tx.ClaimPaymentTransaction(n.TransactionID, o.ID); errors.Is(err, store.ErrConflict) {
				outcome = market.PaymentConflict
			} else if err != nil {
				return "", err
			}
		}
		switch outcome {
		case market.PaymentApplied:
			if err := tx.SaveOrder(o); err != nil {
				return "", err
			}
			if err := tx.PostLedger(market.OrderPaidTxn(o, now)); err != nil {
				return "", err
			}
			data := market.OrderPaidData{TransactionID: m.TransactionID, AmountFen: m.AmountFen, OrderAmountFen: int64(o.AmountFen),
				PaidAt: o.PaidAt, ReviewPeriodEndsAt: o.ReviewPeriodEndsAt, StartDueAt: o.StartDueAt}
			if _, err := tx.Record(market.Event{Type: market.EventOrderPaid, At: now, Actor: actor.Account, Subject: o.ID, ProviderID: o.ProviderID, Data: data}); err != nil {
				return "", err
			}
		case market.PaymentMismatch, market.PaymentUnexpected:
			data := market.PaymentNeedsReviewData{TransactionID: m.TransactionID, AmountFen: m.AmountFen, OrderAmountFen: int64(o.AmountFen)}
			if _, err := tx.Record(market.Event{Type: outcome.ReviewEvent(), At: now, Actor: actor.Account, Subject: o.ID, ProviderID: o.ProviderID, Data: data},
				staffSMS(s.Config.FinancePhones, "payment_needs_review", m.TransactionID, o.ID, string(outcome))...); err != nil {
				return "", err
			}
		}
		if n.TransactionID != "" {
			if err := tx.FinishPaymentNotification(n.ID, market.NotificationApplied, string(outcome)); err != nil {
				return "", err
			}
		}
		return outcome, nil
	})
	if err != nil {
		return err
	}
	if exitRefund != "" {
		s.submitRefund(ctx, exitRefund)
	}
	if outcome == market.PaymentMismatch || outcome == market.PaymentUnexpected || exitRefund != "" {
		s.DeliverPending(ctx)
	}
	return nil
}

// paymentUnapplied records, once, a payment that cannot be applied (its
// order is unknown, or it still failed after market.MaxRedrives re-drives):
// the money arrived, so it stays on the record and finance is told.
func (s *Service) paymentUnapplied(tx *store.Tx, n market.PaymentNotification, reason string, now time.Time) error {
	if err := s.recordUnapplied(tx, n, reason, now); err != nil {
		return err
	}
	return tx.FinishPaymentNotification(n.ID, market.NotificationUnapplied, reason)
}

// recordUnapplied records the payment.unapplied event and tells finance.
func (s *Service) recordUnapplied(tx *store.Tx, n market.PaymentNotification, reason string, now time.Time) error {
	_, err := tx.Record(market.Event{Type: market.EventPaymentUnapplied, At: now, Actor: market.System("apply-payment").Account, Subject: n.TransactionID,
		Data: market.PaymentUnappliedData{TransactionID: n.TransactionID, OutTradeNo: n.OutTradeNo, AmountFen: int64(n.AmountFen), Reason: reason, Redrives: n.Redrives}},
		staffSMS(s.Config.FinancePhones, "payment_unapplied", n.TransactionID, n.AmountFen.String(), n.OutTradeNo, reason)...)
	return err
}

// refundLatePayment records a payment for a lapsed order as paid and opens
// its automatic full refund, paid by the platform through the refund API.
func (s *Service) refundLatePayment(tx *store.Tx, o *market.Order, m PaymentMessage, now time.Time) (string, market.PaymentOutcome, error) {
	outcome := o.PaidAfterLapse(m.TransactionID, money.Fen(m.AmountFen), m.SuccessTime)
	actor := market.System("apply-payment").Account
	data := market.PaymentNeedsReviewData{TransactionID: m.TransactionID, AmountFen: m.AmountFen, OrderAmountFen: int64(o.AmountFen)}
	if outcome != market.PaymentApplied { // another amount: finance decides, as for any mismatch
		_, err := tx.Record(market.Event{Type: outcome.ReviewEvent(), At: now, Actor: actor, Subject: o.ID, ProviderID: o.ProviderID, Data: data},
			staffSMS(s.Config.FinancePhones, "payment_needs_review", m.TransactionID, o.ID, string(outcome))...)
		return "", outcome, err
	}
	r, err := market.LatePaymentRefund(ids.New(ids.Refund, now), o, now)
	if err != nil {
		return "", "", err
	}
	if err := tx.InsertRefund(r); err != nil {
		return "", "", err
	}
	if err := tx.SaveOrder(o); err != nil {
		return "", "", err
	}
	if _, err := tx.Record(market.Event{Type: market.EventPaymentAfterLapse, At: now, Actor: actor, Subject: o.ID, ProviderID: o.ProviderID, Data: data},
		staffSMS(s.Config.FinancePhones, "payment_after_lapse_refunded", m.TransactionID, o.ID, o.AmountFen.String(), r.ID)...); err != nil {
		return "", "", err
	}
	return r.ID, outcome, s.recordAccepted(tx, actor, r, market.ReasonLatePayment, now)
}

// depositUnapplied records, once, a deposit paid through the payment system
// that cannot go to a deposit (unknown provider, a provider that left or whose
// deposit is going back, an impossible amount): the money arrived, so it is
// kept on the record and finance is told to sort it out (R-DP2), never
// dropped as a dead letter.
func (s *Service) depositUnapplied(ctx context.Context, m PaymentMessage, providerID string, why *fault.Error) error {
	now := s.now()
	actor := market.System("apply-payment").Account
	recorded, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (bool, error) {
		n, err := tx.PaymentNotification(m.recordID())
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
		if err == nil && n.Status != market.NotificationReceived {
			return false, nil // recorded before: a redelivery
		}
		var company, subjectProvider string
		if p, err := tx.Provider(providerID); err == nil {
			company, subjectProvider = p.CompanyName, p.ID
		}
		if _, err := tx.Record(market.Event{Type: market.EventDepositPaymentUnapplied, At: now, Actor: actor, Subject: m.TransactionID, ProviderID: subjectProvider,
			Data: market.DepositPaymentUnappliedData{TransactionID: m.TransactionID, ProviderID: providerID, AmountFen: m.AmountFen, Reason: why.Message}},
			staffSMS(s.Config.FinancePhones, "deposit_payment_unapplied", money.Fen(m.AmountFen).String(), m.TransactionID, providerID+" "+company, why.Code)...); err != nil {
			return false, err
		}
		if n.TransactionID != "" {
			if err := tx.FinishPaymentNotification(n.ID, market.NotificationApplied, "deposit_unapplied"); err != nil {
				return false, err
			}
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	if recorded {
		s.Log.Warn("deposit payment recorded for finance, not applied", "transaction", m.TransactionID, "provider", providerID, "reason", why.Code)
		s.DeliverPending(ctx)
	}
	return nil
}

func (s *Service) finishNotification(ctx context.Context, m PaymentMessage, status market.PaymentNotificationStatus, outcome string) error {
	_, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (struct{}, error) {
		n, err := tx.PaymentNotification(m.recordID())
		if errors.Is(err, store.ErrNotFound) || (err == nil && n.Status != market.NotificationReceived) {
			return struct{}{}, nil
		}
		if err != nil {
			return struct{}{}, err
		}
		return struct{}{}, tx.FinishPaymentNotification(n.ID, status, outcome)
	})
	return err
}
