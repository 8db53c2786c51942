package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
)

// Collections of the refund feature.
const (
	colRefunds             = "refunds"
	colClawbacks           = "refund_clawbacks"
	colRefundNotifications = "refund_notifications"
)

type responseDoc struct {
	Decision string    `bson:"decision"`
	Reason   string    `bson:"reason,omitempty"`
	At       time.Time `bson:"at"`
}

type arbitrationDoc struct {
	Decision      string    `bson:"decision"`
	AmountFen     int64     `bson:"amountFen"`
	Reason        string    `bson:"reason"`
	ProviderFault string    `bson:"providerFault,omitempty"`
	ChargeDeposit bool      `bson:"chargeDeposit"`
	Arbiter       string    `bson:"arbiter"`
	At            time.Time `bson:"at"`
}

type transferDoc struct {
	State         string     `bson:"state,omitempty"`
	Attempts      int        `bson:"attempts"`
	NextAttemptAt *time.Time `bson:"nextAttemptAt"`
	LastError     string     `bson:"lastError,omitempty"`
	RefundID      string     `bson:"refundId,omitempty"`
	SubmittedAt   *time.Time `bson:"submittedAt,omitempty"`
}

type refundDoc struct {
	ID                 string          `bson:"_id"`
	OrderID            string          `bson:"orderId"`
	ProviderID         string          `bson:"providerId"`
	BuyerAccount       string          `bson:"buyerAccount"`
	ProductName        string          `bson:"productName"`
	Status             string          `bson:"status"`
	Open               bool            `bson:"open"`
	Basis              string          `bson:"basis"`
	RequestedFen       int64           `bson:"requestedFen"`
	AmountFen          int64           `bson:"amountFen"`
	Reason             string          `bson:"reason"`
	RequestedAt        time.Time       `bson:"requestedAt"`
	RespondBy          *time.Time      `bson:"respondBy"`
	Response           *responseDoc    `bson:"response,omitempty"`
	ArbitrationCause   string          `bson:"arbitrationCause,omitempty"`
	ArbitratingAt      *time.Time      `bson:"arbitratingAt,omitempty"`
	Arbitration        *arbitrationDoc `bson:"arbitration,omitempty"`
	Payer              string          `bson:"payer,omitempty"`
	AcceptedAt         *time.Time      `bson:"acceptedAt,omitempty"`
	FeeReversedFen     int64           `bson:"platformFeeReversedFen"`
	NetReversedFen     int64           `bson:"providerNetReversedFen"`
	InvoiceAction      string          `bson:"invoiceAction"`
	ProviderShare      string          `bson:"providerShare,omitempty"`
	OutRefundNo        string          `bson:"outRefundNo,omitempty"`
	Transfer           transferDoc     `bson:"transfer"`
	ProviderPaymentRef string          `bson:"providerPaymentRef,omitempty"`
	ForExit            bool            `bson:"forExit,omitempty"`
	PaidAt             *time.Time      `bson:"paidAt,omitempty"`
	FailedAt           *time.Time      `bson:"failedAt,omitempty"`
	FailureReason      string          `bson:"failureReason,omitempty"`
	UpdatedAt          time.Time       `bson:"updatedAt"`
}

func refundToDoc(r *market.Refund) bson.D {
	d := refundDoc{
		ID: r.ID, OrderID: r.OrderID, ProviderID: r.ProviderID, BuyerAccount: r.BuyerAccount, ProductName: r.ProductName,
		Status: string(r.Status), Open: r.Open(), Basis: string(r.Basis), RequestedFen: int64(r.RequestedFen), AmountFen: int64(r.AmountFen),
		Reason: r.Reason, RequestedAt: ms(r.RequestedAt), RespondBy: timePtr(r.RespondBy), ArbitrationCause: r.ArbitrationCause,
		ArbitratingAt: timePtr(r.ArbitratingAt), Payer: r.Payer, AcceptedAt: timePtr(r.AcceptedAt),
		FeeReversedFen: int64(r.FeeReversed), NetReversedFen: int64(r.NetReversed), InvoiceAction: r.InvoiceAction,
		ProviderShare: r.ProviderShare, OutRefundNo: r.OutRefundNo, ProviderPaymentRef: r.ProviderPaymentRef, ForExit: r.ForExit,
		PaidAt: timePtr(r.PaidAt), FailedAt: timePtr(r.FailedAt), FailureReason: r.FailureReason, UpdatedAt: ms(r.UpdatedAt),
		Transfer: transferDoc{State: r.Transfer.State, Attempts: r.Transfer.Attempts, NextAttemptAt: timePtr(r.Transfer.NextAttemptAt),
			LastError: r.Transfer.LastError, RefundID: r.Transfer.RefundID, SubmittedAt: timePtr(r.Transfer.SubmittedAt)},
	}
	if p := r.Response; p != nil {
		d.Response = &responseDoc{Decision: p.Decision, Reason: p.Reason, At: ms(p.At)}
	}
	if a := r.Arbitration; a != nil {
		d.Arbitration = &arbitrationDoc{Decision: a.Decision, AmountFen: int64(a.AmountFen), Reason: a.Reason, ProviderFault: a.ProviderFault,
			ChargeDeposit: a.ChargeDeposit, Arbiter: a.Arbiter, At: ms(a.At)}
	}
	return toM(d)
}

func (d refundDoc) refund() *market.Refund {
	r := &market.Refund{
		ID: d.ID, OrderID: d.OrderID, ProviderID: d.ProviderID, BuyerAccount: d.BuyerAccount, ProductName: d.ProductName,
		Status: market.RefundStatus(d.Status), Basis: market.RefundBasis(d.Basis), RequestedFen: money.Fen(d.RequestedFen),
		AmountFen: money.Fen(d.AmountFen), Reason: d.Reason, RequestedAt: d.RequestedAt.UTC(), RespondBy: timeOrZero(d.RespondBy),
		ArbitrationCause: d.ArbitrationCause, ArbitratingAt: timeOrZero(d.ArbitratingAt), Payer: d.Payer, AcceptedAt: timeOrZero(d.AcceptedAt),
		FeeReversed: money.Fen(d.FeeReversedFen), NetReversed: money.Fen(d.NetReversedFen), InvoiceAction: d.InvoiceAction,
		ProviderShare: d.ProviderShare, OutRefundNo: d.OutRefundNo, ProviderPaymentRef: d.ProviderPaymentRef, ForExit: d.ForExit,
		PaidAt: timeOrZero(d.PaidAt), FailedAt: timeOrZero(d.FailedAt), FailureReason: d.FailureReason, UpdatedAt: d.UpdatedAt.UTC(),
		Transfer: market.RefundTransfer{State: d.Transfer.State, Attempts: d.Transfer.Attempts, NextAttemptAt: timeOrZero(d.Transfer.NextAttemptAt),
			LastError: d.Transfer.LastError, RefundID: d.Transfer.RefundID, SubmittedAt: timeOrZero(d.Transfer.SubmittedAt)},
	}
	if p := d.Response; p != nil {
		r.Response = &market.ProviderResponse{Decision: p.Decision, Reason: p.Reason, At: p.At.UTC()}
	}
	if a := d.Arbitration; a != nil {
		r.Arbitration = &market.Arbitration{Decision: a.Decision, AmountFen: money.Fen(a.AmountFen), Reason: a.Reason, ProviderFault: a.ProviderFault,
			ChargeDeposit: a.ChargeDeposit, Arbiter: a.Arbiter, At: a.At.UTC()}
	}
	return r
}

// InsertRefund stores a new refund.
func (tx *Tx) InsertRefund(r *market.Refund) error { return tx.insert(colRefunds, refundToDoc(r)) }

// Refund reads a refund for update.
func (tx *Tx) Refund(id string) (*market.Refund, error) {
	var d refundDoc
	if err := tx.load(colRefunds, id, &d); err != nil {
		return nil, err
	}
	return d.refund(), nil
}

// RefundByOutRefundNo reads, for update, the refund a payment-system result
// names.
func (tx *Tx) RefundByOutRefundNo(outRefundNo string) (*market.Refund, error) {
	var d refundDoc
	if err := tx.loadBy(colRefunds, bson.M{"outRefundNo": outRefundNo}, &d); err != nil {
		return nil, err
	}
	return d.refund(), nil
}

// SaveRefund writes back a refund read in this transaction.
func (tx *Tx) SaveRefund(r *market.Refund) error { return tx.replace(colRefunds, r.ID, refundToDoc(r)) }

// Refund reads a refund.
func (s *Store) Refund(ctx context.Context, id string) (*market.Refund, error) {
	var d refundDoc
	if err := s.readOne(ctx, colRefunds, id, &d); err != nil {
		return nil, err
	}
	return d.refund(), nil
}

// RefundQuery filters the refund lists, oldest first, after the cursor.
type RefundQuery struct {
	Status       string
	ProviderID   string
	BuyerAccount string
	AfterID      string
	Limit        int
}

// Refunds lists refunds, oldest first (IDs sort by creation time).
func (s *Store) Refunds(ctx context.Context, q RefundQuery) ([]*market.Refund, error) {
	return listAfter(ctx, s, colRefunds, map[string]string{"status": q.Status, "providerId": q.ProviderID, "buyerAccount": q.BuyerAccount}, q.AfterID, q.Limit, refundDoc.refund)
}

// SilentRefunds lists requested refunds past respondBy (the provider did not
// answer).
func (s *Store) SilentRefunds(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return s.ids(ctx, colRefunds, bson.M{"status": string(market.RefundRequested), "respondBy": bson.M{"$lt": ms(now)}}, bson.D{{Key: "respondBy", Value: 1}}, limit)
}

// DueTransfers lists platform refunds whose next call to the payment system
// is due: a submission (pending) or a reconciliation query (submitted).
func (s *Store) DueTransfers(ctx context.Context, state string, now time.Time, limit int) ([]string, error) {
	return s.ids(ctx, colRefunds, bson.M{"status": string(market.RefundAccepted), "transfer.state": state, "transfer.nextAttemptAt": bson.M{"$lte": ms(now)}},
		bson.D{{Key: "transfer.nextAttemptAt", Value: 1}}, limit)
}

// CountOpenRefunds counts a provider's refunds in progress (R-DP6).
func (tx *Tx) CountOpenRefunds(providerID string) (int64, error) {
	return tx.count(colRefunds, bson.M{"providerId": providerID, "open": true})
}

// CountUnfinishedOrders counts a provider's paid orders not completed yet
// (R-DP6).
func (tx *Tx) CountUnfinishedOrders(providerID string) (int64, error) {
	return tx.count(colOrders, unfinishedOrders(providerID))
}

func unfinishedOrders(providerID string) bson.M {
	return bson.M{"providerId": providerID, "status": bson.M{"$in": bson.A{string(market.OrderPaid), string(market.OrderInService)}}}
}

func (tx *Tx) count(col string, filter bson.M) (int64, error) {
	n, err := tx.col(col).CountDocuments(tx.ctx, filter)
	if err != nil {
		return 0, fmt.Errorf("store: count %s: %w", col, err)
	}
	return n, nil
}

// ExitingProviders lists providers that are exiting or were expelled: their
// unfinished orders are refunded in full (R-EX2).
func (s *Store) ExitingProviders(ctx context.Context, limit int) ([]string, error) {
	return s.ids(ctx, colProviders, bson.M{"status": bson.M{"$in": bson.A{string(market.ProviderExiting), string(market.ProviderExpelled)}}},
		bson.D{{Key: "_id", Value: 1}}, limit)
}

// UnrefundedOrders lists a provider's paid orders that are not completed and
// have no refund in progress, after the cursor (an order ID), oldest first.
func (s *Store) UnrefundedOrders(ctx context.Context, providerID, afterID string, limit int) ([]string, error) {
	filter := unfinishedOrders(providerID)
	filter["openRefundId"] = bson.M{"$exists": false}
	if afterID != "" {
		filter["_id"] = bson.M{"$gt": afterID}
	}
	return s.ids(ctx, colOrders, filter, bson.D{{Key: "_id", Value: 1}}, limit)
}

// HasExitRefund tells whether an order ever had R-EX2's refund.
func (tx *Tx) HasExitRefund(orderID string) (bool, error) {
	n, err := tx.count(colRefunds, bson.M{"orderId": orderID, "forExit": true})
	return n > 0, err
}

// UnfinishedOrders reads, for update, a provider's paid orders that are not
// completed (R-EX2), at most limit.
func (tx *Tx) UnfinishedOrders(providerID string, limit int) ([]*market.Order, error) {
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)).SetProjection(bson.M{"_id": 1})
	cur, err := tx.col(colOrders).Find(tx.ctx, unfinishedOrders(providerID), opts)
	if err != nil {
		return nil, fmt.Errorf("store: unfinished orders: %w", err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(tx.ctx, &docs); err != nil {
		return nil, fmt.Errorf("store: unfinished orders: %w", err)
	}
	out := make([]*market.Order, 0, len(docs))
	for _, d := range docs {
		o, err := tx.Order(d.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// InsertClawback records the provider's share of a platform refund of a
// settled order, for its next statement (R-RF7). One per refund.
func (tx *Tx) InsertClawback(c market.Clawback) error {
	_, err := tx.col(colClawbacks).InsertOne(tx.ctx, bson.M{"_id": c.ID, "providerId": c.ProviderID, "refundId": c.RefundID, "orderId": c.OrderID,
		"amountFen": int64(c.AmountFen), "at": ms(c.At), "settledIn": c.SettledIn})
	if err != nil {
		return fmt.Errorf("store: clawback: %w", err)
	}
	return nil
}

// Clawbacks lists a provider's clawbacks not recovered by a statement yet.
func (s *Store) Clawbacks(ctx context.Context, providerID string) ([]market.Clawback, error) {
	var docs []struct {
		ID         string    `bson:"_id"`
		ProviderID string    `bson:"providerId"`
		RefundID   string    `bson:"refundId"`
		OrderID    string    `bson:"orderId"`
		AmountFen  int64     `bson:"amountFen"`
		At         time.Time `bson:"at"`
		SettledIn  string    `bson:"settledIn"`
	}
	if err := s.find(ctx, colClawbacks, bson.M{"providerId": providerID, "settledIn": ""}, bson.D{{Key: "at", Value: 1}}, 0, &docs); err != nil {
		return nil, err
	}
	out := make([]market.Clawback, len(docs))
	for i, d := range docs {
		out[i] = market.Clawback{ID: d.ID, ProviderID: d.ProviderID, RefundID: d.RefundID, OrderID: d.OrderID, AmountFen: money.Fen(d.AmountFen), At: d.At.UTC(), SettledIn: d.SettledIn}
	}
	return out, nil
}

type refundNotificationDoc struct {
	ID           string    `bson:"_id"` // refund_id
	OutRefundNo  string    `bson:"outRefundNo"`
	RefundStatus string    `bson:"refundStatus"`
	AmountFen    int64     `bson:"amountFen"`
	SuccessTime  time.Time `bson:"successTime"`
	ReceivedAt   time.Time `bson:"receivedAt"`
	Status       string    `bson:"status"`
	Outcome      string    `bson:"outcome,omitempty"`
}

// StoreRefundNotification stores a refund result once per refund_id; false
// means it was stored before (a repeated delivery).
func (s *Store) StoreRefundNotification(ctx context.Context, n market.RefundNotification) (bool, error) {
	_, err := s.col(colRefundNotifications).InsertOne(ctx, refundNotificationDoc{ID: n.RefundID, OutRefundNo: n.OutRefundNo, RefundStatus: n.RefundStatus,
		AmountFen: int64(n.AmountFen), SuccessTime: ms(n.SuccessTime), ReceivedAt: ms(n.ReceivedAt), Status: string(market.NotificationReceived)})
	if IsDuplicate(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: refund notification: %w", err)
	}
	return true, nil
}

// RefundNotification reads a stored refund result for update.
func (tx *Tx) RefundNotification(refundID string) (market.RefundNotification, error) {
	var d refundNotificationDoc
	if err := tx.load(colRefundNotifications, refundID, &d); err != nil {
		return market.RefundNotification{}, err
	}
	return market.RefundNotification{RefundID: d.ID, OutRefundNo: d.OutRefundNo, RefundStatus: d.RefundStatus, AmountFen: money.Fen(d.AmountFen),
		SuccessTime: d.SuccessTime.UTC(), ReceivedAt: d.ReceivedAt.UTC(), Status: market.PaymentNotificationStatus(d.Status), Outcome: d.Outcome}, nil
}

// FinishRefundNotification marks a stored refund result applied, in the
// transaction that applied it.
func (tx *Tx) FinishRefundNotification(refundID, outcome string) error {
	res, err := tx.col(colRefundNotifications).UpdateOne(tx.ctx, bson.M{"_id": refundID, "status": string(market.NotificationReceived)},
		bson.M{"$set": bson.M{"status": string(market.NotificationApplied), "outcome": outcome}})
	if err != nil {
		return fmt.Errorf("store: finish refund notification: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrConflict
	}
	return nil
}
