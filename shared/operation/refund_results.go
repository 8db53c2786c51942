package operation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/store"
)

// KindRefund marks a refund result on the payment-events topic; payment
// messages carry no kind.
const KindRefund = "refund"

// RefundMessage is a verified, decrypted refund notification on the queue.
type RefundMessage struct {
	Kind         string    `json:"kind"`
	RefundID     string    `json:"refundId"`
	OutRefundNo  string    `json:"outRefundNo"`
	RefundStatus string    `json:"refundStatus"` // SUCCESS, ABNORMAL, CLOSED
	AmountFen    int64     `json:"amountFen"`
	SuccessTime  time.Time `json:"successTime"`
}

// RefundNotificationReader verifies and decrypts a refund notification, like
// a payment notification (same signature, same key).
type RefundNotificationReader interface {
	ParseRefund(ctx context.Context, header http.Header, body []byte) (RefundMessage, error)
}

// ReceiveRefundResult is the refund notification endpoint's operation:
// verify, store once per refund_id, queue.
func (s *Service) ReceiveRefundResult(ctx context.Context, header http.Header, body []byte) error {
	reader, ok := s.Notifications.(RefundNotificationReader)
	if !ok {
		return errors.New("the notification reader cannot read refund notifications")
	}
	m, err := reader.ParseRefund(ctx, header, body)
	if f := notificationFault(err); f != nil {
		s.Log.Warn("refund notification refused", "err", err)
		return f
	}
	if err != nil {
		return err
	}
	return s.AcceptRefundResult(ctx, m)
}

// AcceptRefundResult stores a verified refund result once per refund_id and
// produces it to the queue; a repeat is produced again (the consumer applies
// each refund_id once).
func (s *Service) AcceptRefundResult(ctx context.Context, m RefundMessage) error {
	if m.RefundID == "" || m.OutRefundNo == "" {
		return fault.New(fault.InvalidParameterValue, "The refund notification has no refund_id or out_refund_no.")
	}
	m.Kind = KindRefund
	if _, err := s.Store.StoreRefundNotification(ctx, market.RefundNotification{RefundID: m.RefundID, OutRefundNo: m.OutRefundNo,
		RefundStatus: m.RefundStatus, AmountFen: money.Fen(m.AmountFen), SuccessTime: m.SuccessTime, ReceivedAt: s.now()}); err != nil {
		return err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return s.Queue.Publish(ctx, PaymentTopic, m.RefundID, body)
}

// ApplyPaymentEvent applies one message of the payment-events topic: a
// payment, or a refund result (kind "refund").
func (s *Service) ApplyPaymentEvent(ctx context.Context, body []byte) error {
	var kind struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(body, &kind); err != nil {
		return Permanent{Err: fmt.Errorf("unreadable payment message: %w", err)}
	}
	if kind.Kind == KindRefund {
		var m RefundMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return Permanent{Err: fmt.Errorf("unreadable refund message: %w", err)}
		}
		return s.ApplyRefundResult(ctx, m)
	}
	var m PaymentMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return Permanent{Err: fmt.Errorf("unreadable payment message: %w", err)}
	}
	return s.ApplyPayment(ctx, m)
}

// ApplyRefundResult applies one queued refund result exactly once per
// refund_id: SUCCESS marks the refund paid; ABNORMAL or CLOSED marks it failed
// and tells finance. A refund already settled (by an earlier notification or
// by reconciliation) changes nothing.
func (s *Service) ApplyRefundResult(ctx context.Context, m RefundMessage) error {
	now := s.now()
	actor := market.System("apply-payment").Account
	_, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (struct{}, error) {
		n, err := tx.RefundNotification(m.RefundID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return struct{}{}, err
		}
		if err == nil && n.Status != market.NotificationReceived {
			return struct{}{}, nil // applied before: a redelivery
		}
		r, err := tx.RefundByOutRefundNo(m.OutRefundNo)
		if errors.Is(err, store.ErrNotFound) {
			return struct{}{}, Permanent{fmt.Errorf("refund result %s names unknown out_refund_no %q", m.RefundID, m.OutRefundNo)}
		}
		if err != nil {
			return struct{}{}, err
		}
		o, err := tx.Order(r.OrderID)
		if err != nil {
			return struct{}{}, err
		}
		before := r.Status
		if err := s.applyRefundState(tx, r, o, RefundState{RefundID: m.RefundID, Status: m.RefundStatus, SuccessTime: m.SuccessTime}, actor, now); err != nil {
			return struct{}{}, err
		}
		outcome := "duplicate"
		if r.Status != before {
			outcome = string(r.Status)
			if err := tx.SaveRefund(r); err != nil {
				return struct{}{}, err
			}
			if err := tx.SaveOrder(o); err != nil {
				return struct{}{}, err
			}
		}
		if n.RefundID != "" {
			return struct{}{}, tx.FinishRefundNotification(m.RefundID, outcome)
		}
		return struct{}{}, nil
	})
	if err != nil {
		return err
	}
	s.DeliverPending(ctx)
	return nil
}

// RefundQuery filters the refund lists (the store's query, for the adapters).
type RefundQuery = store.RefundQuery
