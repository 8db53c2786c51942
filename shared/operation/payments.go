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
}

// NotificationReader verifies and decrypts a payment system notification.
type NotificationReader interface {
	Parse(ctx context.Context, header http.Header, body []byte) (PaymentMessage, error)
}

// Errors a NotificationReader returns.
var (
	ErrNotificationSignature = errors.New("the notification's signature or timestamp is not valid")
	ErrNotificationResource  = errors.New("the notification's resource cannot be decrypted or read")
)

// ReceivePayment is the notification endpoint's operation: verify, store once,
// queue. The payment system retries anything but success.
func (s *Service) ReceivePayment(ctx context.Context, header http.Header, body []byte) error {
	m, err := s.Notifications.Parse(ctx, header, body)
	switch {
	case errors.Is(err, ErrNotificationSignature):
		s.Log.Warn("payment notification refused", "err", err)
		return fault.New(fault.AuthFailure+".Signature", "The notification's signature, serial or timestamp is not valid.")
	case errors.Is(err, ErrNotificationResource):
		s.Log.Warn("payment notification refused", "err", err)
		return fault.New(fault.InvalidParameterValue+".Resource", "The notification's resource cannot be decrypted or read.")
	case err != nil:
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
	if _, err := s.Store.StorePaymentNotification(ctx, market.PaymentNotification{
		TransactionID: m.TransactionID, OutTradeNo: m.OutTradeNo, Attach: m.Attach, AmountFen: money.Fen(m.AmountFen),
		TradeState: m.TradeState, SuccessTime: m.SuccessTime, ReceivedAt: s.now(),
	}); err != nil {
		return err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return s.Queue.Publish(ctx, PaymentTopic, m.TransactionID, body)
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
		n, err := tx.PaymentNotification(m.TransactionID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
		if err == nil && n.Status != market.NotificationReceived {
			return market.PaymentDuplicate, nil // applied before: a redelivery
		}
		o, err := tx.OrderByOutTradeNo(m.OutTradeNo)
		if errors.Is(err, store.ErrNotFound) {
			return "", Permanent{fmt.Errorf("payment %s names unknown order %q", m.TransactionID, m.OutTradeNo)}
		}
		if err != nil {
			return "", err
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
				err = tx.FinishPaymentNotification(m.TransactionID, market.NotificationApplied, "refunded_provider_exit")
			}
			return outcome, err
		}
		outcome := o.ApplyPayment(m.TransactionID, money.Fen(m.AmountFen), m.SuccessTime, s.Calendar, market.Fulfilment{
			RedemptionCode: ids.Code(4), LaunchRef: "launch-" + ids.Code(3), APIKeyRef: "apikey-" + ids.Code(4),
		})
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
			if err := tx.FinishPaymentNotification(m.TransactionID, market.NotificationApplied, string(outcome)); err != nil {
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
	if outcome == market.PaymentMismatch || outcome == market.PaymentUnexpected {
		s.DeliverPending(ctx)
	}
	return nil
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
		n, err := tx.PaymentNotification(m.TransactionID)
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
			if err := tx.FinishPaymentNotification(m.TransactionID, market.NotificationApplied, "deposit_unapplied"); err != nil {
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
		n, err := tx.PaymentNotification(m.TransactionID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && n.Status != market.NotificationReceived) {
			return struct{}{}, nil
		}
		if err != nil {
			return struct{}{}, err
		}
		return struct{}{}, tx.FinishPaymentNotification(m.TransactionID, status, outcome)
	})
	return err
}
