package operation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloudmarket/shared/market"
	"cloudmarket/shared/store"
)

// redriveNotifications produces again each stored notification not applied
// within market.RedriveAfter: the CKafka trigger skips a record after its
// retries and has no dead-letter topic, so without this a paid order could
// quietly lapse. After market.MaxRedrives finance is told (payment.unapplied)
// and the re-drives go on, slowly, so it still applies once the cause is gone.
func (s *Service) redriveNotifications(ctx context.Context, now time.Time, rep *PaymentReport) error {
	due, err := s.Store.UnappliedPaymentNotifications(ctx, now, sweepBatch)
	if err != nil {
		return err
	}
	for _, id := range due {
		n, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.PaymentNotification, error) {
			n, err := tx.PaymentNotification(id)
			if err != nil {
				return nil, err
			}
			if n.Status != market.NotificationReceived || !now.After(n.DriveAt) {
				return nil, nil // applied or re-driven meanwhile
			}
			if n.Redrive(now) {
				reason := fmt.Sprintf("not applied after %d re-drives", market.MaxRedrives)
				if err := s.recordUnapplied(tx, n, reason, now); err != nil {
					return nil, err
				}
				rep.RecordedUnpaid++
			}
			return &n, tx.RedrivePaymentNotification(n)
		})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return err
		}
		if n == nil {
			continue
		}
		m := PaymentMessage{TransactionID: n.TransactionID, OutTradeNo: n.OutTradeNo, Attach: n.Attach, AmountFen: int64(n.AmountFen),
			TradeState: n.TradeState, SuccessTime: n.SuccessTime}
		if n.ID != n.TransactionID {
			m.NotificationID = n.ID
		}
		if err := s.producePayment(ctx, m); err != nil {
			s.Log.Warn("re-drive: produce failed; tried again at the next re-drive", "transaction", n.TransactionID, "err", err)
			continue
		}
		rep.Redriven++
	}
	return nil
}
