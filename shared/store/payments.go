package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cloudmarket/shared/market"
)

// paymentRef is an order's Native payment at the payment system.
type paymentRef struct {
	CodeURL   string     `bson:"codeUrl,omitempty"`
	PrepaidAt *time.Time `bson:"prepaidAt,omitempty"`
	CheckAt   *time.Time `bson:"checkAt"`
	ClosedAt  *time.Time `bson:"closedAt,omitempty"`
}

func paymentRefOf(p market.OrderPayment) *paymentRef {
	if p == (market.OrderPayment{}) {
		return nil
	}
	return &paymentRef{CodeURL: p.CodeURL, PrepaidAt: timePtr(p.PrepaidAt), CheckAt: timePtr(p.CheckAt), ClosedAt: timePtr(p.ClosedAt)}
}

func (d *paymentRef) payment() market.OrderPayment {
	if d == nil {
		return market.OrderPayment{}
	}
	return market.OrderPayment{CodeURL: d.CodeURL, PrepaidAt: timeOrZero(d.PrepaidAt), CheckAt: timeOrZero(d.CheckAt), ClosedAt: timeOrZero(d.ClosedAt)}
}

// PaymentCheckDueOrders lists orders waiting for payment whose prepay is to
// be tried again or whose payment is to be asked about; each check moves
// payment.checkAt on, and payment or cancellation changes the status.
func (s *Store) PaymentCheckDueOrders(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return s.orderIDs(ctx, bson.M{"status": string(market.OrderPendingPayment), "payment.checkAt": bson.M{"$lt": ms(now)}}, limit)
}

// InsertPaymentNotification stores a notification record in a transaction
// (a conflicting variant, under its own ID).
func (tx *Tx) InsertPaymentNotification(n market.PaymentNotification) error {
	return tx.insert(colPayments, toM(paymentDocOf(n)))
}

// ClaimPaymentTransaction records on the first record of a transaction_id
// the order it paid; ErrConflict when it paid another order already.
func (tx *Tx) ClaimPaymentTransaction(transactionID, orderID string) error {
	first, err := tx.PaymentNotification(transactionID)
	if err != nil {
		return err
	}
	switch first.PaidOrderID {
	case orderID:
		return nil
	case "":
	default:
		return ErrConflict
	}
	res, err := tx.col(colPayments).UpdateOne(tx.ctx, bson.M{"_id": transactionID, "paidOrderId": bson.M{"$exists": false}},
		bson.M{"$set": bson.M{"paidOrderId": orderID}})
	if err != nil {
		return fmt.Errorf("store: claim payment transaction: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrConflict
	}
	return nil
}

// UnappliedPaymentNotifications lists notifications still not applied at
// their driveAt: the deadline timer produces them again or, after
// market.MaxRedrives, records them for finance. Either moves driveAt on or
// changes the status.
func (s *Store) UnappliedPaymentNotifications(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return s.ids(ctx, colPayments, bson.M{"status": string(market.NotificationReceived), "driveAt": bson.M{"$lt": ms(now)}}, bson.D{}, limit)
}

// RedrivePaymentNotification records a re-drive of a notification still not
// applied; ErrConflict when it was applied meanwhile.
func (tx *Tx) RedrivePaymentNotification(n market.PaymentNotification) error {
	res, err := tx.col(colPayments).UpdateOne(tx.ctx, bson.M{"_id": n.ID, "status": string(market.NotificationReceived)},
		bson.M{"$set": bson.M{"driveAt": ms(n.DriveAt), "redrives": n.Redrives}})
	if err != nil {
		return fmt.Errorf("store: re-drive payment notification: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrConflict
	}
	return nil
}
