package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
)

type invoiceDoc struct {
	Issuer    string `bson:"issuer"`
	Recipient string `bson:"recipient"`
	Subject   string `bson:"subject"`
	AmountFen int64  `bson:"amountFen"`
}

type orderDoc struct {
	ID                 string       `bson:"_id"`
	OutTradeNo         string       `bson:"outTradeNo"`
	BuyerAccount       string       `bson:"buyerAccount"`
	ProviderID         string       `bson:"providerId"`
	ProductID          string       `bson:"productId"`
	ProductName        string       `bson:"productName"`
	Category           string       `bson:"category"`
	Tool               bool         `bson:"tool"`
	Plan               planDoc      `bson:"plan"`
	Quantity           int          `bson:"quantity"`
	AmountFen          int64        `bson:"amountFen"`
	FeeMode            string       `bson:"feeMode"`
	FeeRateBps         int64        `bson:"feeRateBps"`
	PlatformFeeFen     int64        `bson:"platformFeeFen"`
	ProviderNetFen     int64        `bson:"providerNetFen"`
	Invoicing          []invoiceDoc `bson:"invoicing"`
	Status             string       `bson:"status"`
	CreatedAt          time.Time    `bson:"createdAt"`
	ExpiresAt          *time.Time   `bson:"expiresAt"`
	CancelledAt        *time.Time   `bson:"cancelledAt,omitempty"`
	TransactionID      string       `bson:"transactionId,omitempty"`
	PaidAt             *time.Time   `bson:"paidAt"`
	ReviewPeriodEndsAt *time.Time   `bson:"reviewPeriodEndsAt"`
	StartDueAt         *time.Time   `bson:"startDueAt"`
	StartedAt          *time.Time   `bson:"startedAt"`
	StartOverdueAt     *time.Time   `bson:"startOverdueAt"`
	Requirements       string       `bson:"requirements,omitempty"`
	RequirementsAt     *time.Time   `bson:"requirementsAt,omitempty"`
	ConfirmedAt        *time.Time   `bson:"confirmedAt,omitempty"`
	CompletedAt        *time.Time   `bson:"completedAt,omitempty"`
	RedemptionCode     string       `bson:"redemptionCode,omitempty"`
	LaunchRef          string       `bson:"launchRef,omitempty"`
	APIKeyRef          string       `bson:"apiKeyRef,omitempty"`
	RefundAfter        string       `bson:"refundAfterReviewPeriod,omitempty"`
	RefundPolicyText   string       `bson:"refundPolicyText,omitempty"`
	RefundedFen        int64        `bson:"refundedFen"`
	FeeRefundedFen     int64        `bson:"platformFeeRefundedFen"`
	NetRefundedFen     int64        `bson:"providerNetRefundedFen"`
	ByProviderFen      int64        `bson:"refundedByProviderFen,omitempty"`
	SettledIn          string       `bson:"settledIn,omitempty"`
	OpenRefundID       string       `bson:"openRefundId,omitempty"`
	SettledAt          *time.Time   `bson:"settledAt,omitempty"`
	InvoiceIssuedAt    *time.Time   `bson:"invoiceIssuedAt,omitempty"`
	InvoiceDeliveredAt *time.Time   `bson:"invoiceDeliveredAt,omitempty"`
	InvoiceCertified   bool         `bson:"invoiceCertified,omitempty"`
	Payment            *paymentRef  `bson:"payment,omitempty"`
}

func orderToDoc(o *market.Order) bson.M {
	d := orderDoc{
		ID: o.ID, OutTradeNo: o.OutTradeNo, BuyerAccount: o.BuyerAccount, ProviderID: o.ProviderID, ProductID: o.ProductID,
		ProductName: o.ProductName, Category: string(o.Category), Tool: o.Tool,
		Plan:     planDoc{ID: o.Plan.ID, Name: o.Plan.Name, PriceFen: int64(o.Plan.PriceFen), Period: o.Plan.Period, DurationDays: o.Plan.DurationDays},
		Quantity: o.Quantity, AmountFen: int64(o.AmountFen), FeeMode: string(o.Fee.Mode), FeeRateBps: int64(o.Fee.RateBps),
		PlatformFeeFen: int64(o.PlatformFee), ProviderNetFen: int64(o.ProviderNet), Status: string(o.Status), CreatedAt: ms(o.CreatedAt),
		ExpiresAt: timePtr(o.ExpiresAt), CancelledAt: timePtr(o.CancelledAt),
		TransactionID: o.TransactionID, PaidAt: timePtr(o.PaidAt), ReviewPeriodEndsAt: timePtr(o.ReviewPeriodEndsAt),
		StartDueAt: timePtr(o.StartDueAt), StartedAt: timePtr(o.StartedAt), StartOverdueAt: timePtr(o.StartOverdueAt),
		Requirements: o.Requirements, RequirementsAt: timePtr(o.RequirementsAt), ConfirmedAt: timePtr(o.ConfirmedAt),
		CompletedAt: timePtr(o.CompletedAt), RedemptionCode: o.RedemptionCode, LaunchRef: o.LaunchRef, APIKeyRef: o.APIKeyRef,
		RefundAfter: o.RefundPolicy.AfterReviewPeriod, RefundPolicyText: o.RefundPolicy.Text, RefundedFen: int64(o.RefundedFen),
		FeeRefundedFen: int64(o.PlatformFeeRefunded), NetRefundedFen: int64(o.ProviderNetRefunded), OpenRefundID: o.OpenRefundID,
		ByProviderFen: int64(o.RefundedByProvider), SettledIn: o.SettledIn,
		SettledAt: timePtr(o.SettledAt), InvoiceIssuedAt: timePtr(o.InvoiceIssuedAt), InvoiceDeliveredAt: timePtr(o.InvoiceDeliveredAt),
		InvoiceCertified: o.InvoiceCertified, Payment: paymentRefOf(o.Payment),
	}
	for _, i := range o.Invoicing {
		d.Invoicing = append(d.Invoicing, invoiceDoc{Issuer: i.Issuer, Recipient: i.Recipient, Subject: i.Subject, AmountFen: int64(i.AmountFen)})
	}
	return toM(d)
}

func (d orderDoc) order() *market.Order {
	o := &market.Order{
		ID: d.ID, OutTradeNo: d.OutTradeNo, BuyerAccount: d.BuyerAccount, ProviderID: d.ProviderID, ProductID: d.ProductID,
		ProductName: d.ProductName, Category: market.Category(d.Category), Tool: d.Tool,
		Plan:     market.Plan{ID: d.Plan.ID, Name: d.Plan.Name, PriceFen: money.Fen(d.Plan.PriceFen), Period: d.Plan.Period, DurationDays: d.Plan.DurationDays},
		Quantity: d.Quantity, AmountFen: money.Fen(d.AmountFen), Fee: market.FeeRule{Mode: market.FeeMode(d.FeeMode), RateBps: money.BasisPoints(d.FeeRateBps)},
		PlatformFee: money.Fen(d.PlatformFeeFen), ProviderNet: money.Fen(d.ProviderNetFen), Status: market.OrderStatus(d.Status),
		CreatedAt: d.CreatedAt.UTC(), ExpiresAt: timeOrZero(d.ExpiresAt), CancelledAt: timeOrZero(d.CancelledAt), TransactionID: d.TransactionID, PaidAt: timeOrZero(d.PaidAt), ReviewPeriodEndsAt: timeOrZero(d.ReviewPeriodEndsAt),
		StartDueAt: timeOrZero(d.StartDueAt), StartedAt: timeOrZero(d.StartedAt), StartOverdueAt: timeOrZero(d.StartOverdueAt),
		Requirements: d.Requirements, RequirementsAt: timeOrZero(d.RequirementsAt), ConfirmedAt: timeOrZero(d.ConfirmedAt),
		CompletedAt: timeOrZero(d.CompletedAt), RedemptionCode: d.RedemptionCode, LaunchRef: d.LaunchRef, APIKeyRef: d.APIKeyRef,
		RefundPolicy: market.RefundPolicy{AfterReviewPeriod: d.RefundAfter, Text: d.RefundPolicyText}, RefundedFen: money.Fen(d.RefundedFen),
		PlatformFeeRefunded: money.Fen(d.FeeRefundedFen), ProviderNetRefunded: money.Fen(d.NetRefundedFen), OpenRefundID: d.OpenRefundID,
		RefundedByProvider: money.Fen(d.ByProviderFen), SettledIn: d.SettledIn,
		SettledAt: timeOrZero(d.SettledAt), InvoiceIssuedAt: timeOrZero(d.InvoiceIssuedAt), InvoiceDeliveredAt: timeOrZero(d.InvoiceDeliveredAt),
		InvoiceCertified: d.InvoiceCertified, Payment: d.Payment.payment(),
	}
	for _, i := range d.Invoicing {
		o.Invoicing = append(o.Invoicing, market.Invoice{Issuer: i.Issuer, Recipient: i.Recipient, Subject: i.Subject, AmountFen: money.Fen(i.AmountFen)})
	}
	return o
}

// InsertOrder stores a new order.
func (tx *Tx) InsertOrder(o *market.Order) error { return tx.insert(colOrders, orderToDoc(o)) }

// Order reads an order for update.
func (tx *Tx) Order(id string) (*market.Order, error) {
	var d orderDoc
	if err := tx.load(colOrders, id, &d); err != nil {
		return nil, err
	}
	return d.order(), nil
}

// OrderByOutTradeNo reads, for update, the order a payment refers to.
func (tx *Tx) OrderByOutTradeNo(outTradeNo string) (*market.Order, error) {
	var d orderDoc
	if err := tx.loadBy(colOrders, bson.M{"outTradeNo": outTradeNo}, &d); err != nil {
		return nil, err
	}
	return d.order(), nil
}

// SaveOrder writes back an order read in this transaction.
func (tx *Tx) SaveOrder(o *market.Order) error { return tx.replace(colOrders, o.ID, orderToDoc(o)) }

// Order reads an order.
func (s *Store) Order(ctx context.Context, id string) (*market.Order, error) {
	var d orderDoc
	if err := s.readOne(ctx, colOrders, id, &d); err != nil {
		return nil, err
	}
	return d.order(), nil
}

// orderIDs runs a timer query; unsorted, as providerIDs.
func (s *Store) orderIDs(ctx context.Context, filter bson.M, limit int) ([]string, error) {
	return s.ids(ctx, colOrders, filter, bson.D{}, limit)
}

// StartOverdueOrders lists paid orders not started by their deadline and not
// flagged yet (R-SV2). Flagging sets startOverdueAt, which takes the order out
// of the query's index range; starting it changes its status.
func (s *Store) StartOverdueOrders(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return s.orderIDs(ctx, bson.M{"status": string(market.OrderPaid), "startOverdueAt": nil, "startDueAt": bson.M{"$lt": ms(now)}}, limit)
}

// ExpiredUnpaidOrders lists orders still waiting for payment after their
// payment window; cancelling changes their status.
func (s *Store) ExpiredUnpaidOrders(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return s.orderIDs(ctx, bson.M{"status": string(market.OrderPendingPayment), "expiresAt": bson.M{"$lt": ms(now)}}, limit)
}

// ReviewEndedOrders lists orders in service whose review period ended (R-RF1);
// completing changes their status.
func (s *Store) ReviewEndedOrders(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return s.orderIDs(ctx, bson.M{"status": string(market.OrderInService), "reviewPeriodEndsAt": bson.M{"$lt": ms(now)}}, limit)
}

type paymentDoc struct {
	ID            string    `bson:"_id"` // transaction_id, or market.PaymentNotification.ConflictID
	TransactionID string    `bson:"transactionId,omitempty"`
	OutTradeNo    string    `bson:"outTradeNo,omitempty"`
	Attach        string    `bson:"attach,omitempty"`
	AmountFen     int64     `bson:"amountFen"`
	TradeState    string    `bson:"tradeState"`
	SuccessTime   time.Time `bson:"successTime"`
	ReceivedAt    time.Time `bson:"receivedAt"`
	Status        string    `bson:"status"`
	Outcome       string    `bson:"outcome,omitempty"`
	PaidOrderID   string    `bson:"paidOrderId,omitempty"`
	DriveAt       time.Time `bson:"driveAt"`
	Redrives      int       `bson:"redrives"`
}

func (d paymentDoc) notification() market.PaymentNotification {
	txID := d.TransactionID
	if txID == "" { // stored before variants had their own IDs
		txID = d.ID
	}
	return market.PaymentNotification{ID: d.ID, TransactionID: txID, OutTradeNo: d.OutTradeNo, Attach: d.Attach, AmountFen: money.Fen(d.AmountFen),
		TradeState: d.TradeState, SuccessTime: d.SuccessTime.UTC(), ReceivedAt: d.ReceivedAt.UTC(), Status: market.PaymentNotificationStatus(d.Status), Outcome: d.Outcome,
		PaidOrderID: d.PaidOrderID, DriveAt: d.DriveAt.UTC(), Redrives: d.Redrives}
}

func paymentDocOf(n market.PaymentNotification) paymentDoc {
	id := n.ID
	if id == "" {
		id = n.TransactionID
	}
	return paymentDoc{ID: id, TransactionID: n.TransactionID, OutTradeNo: n.OutTradeNo, Attach: n.Attach, AmountFen: int64(n.AmountFen), TradeState: n.TradeState,
		SuccessTime: ms(n.SuccessTime), ReceivedAt: ms(n.ReceivedAt), Status: string(market.NotificationReceived), DriveAt: ms(n.DriveAt)}
}

// StorePaymentNotification stores a notification once per transaction; false
// means it was stored before (a repeated delivery).
func (s *Store) StorePaymentNotification(ctx context.Context, n market.PaymentNotification) (bool, error) {
	_, err := s.col(colPayments).InsertOne(ctx, paymentDocOf(n))
	if IsDuplicate(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: payment notification: %w", err)
	}
	return true, nil
}

// PaymentNotification reads a stored notification for update.
func (tx *Tx) PaymentNotification(transactionID string) (market.PaymentNotification, error) {
	var d paymentDoc
	if err := tx.load(colPayments, transactionID, &d); err != nil {
		return market.PaymentNotification{}, err
	}
	return d.notification(), nil
}

// FinishPaymentNotification marks a notification applied (or rejected) with
// what it did, in the transaction that applied it.
func (tx *Tx) FinishPaymentNotification(transactionID string, status market.PaymentNotificationStatus, outcome string) error {
	res, err := tx.col(colPayments).UpdateOne(tx.ctx, bson.M{"_id": transactionID, "status": string(market.NotificationReceived)},
		bson.M{"$set": bson.M{"status": string(status), "outcome": outcome}})
	if err != nil {
		return fmt.Errorf("store: finish payment notification: %w", err)
	}
	if res.MatchedCount == 0 {
		return ErrConflict
	}
	return nil
}

// PaymentNotification reads a stored notification.
func (s *Store) PaymentNotification(ctx context.Context, transactionID string) (market.PaymentNotification, error) {
	var d paymentDoc
	if err := s.readOne(ctx, colPayments, transactionID, &d); err != nil {
		return market.PaymentNotification{}, err
	}
	return d.notification(), nil
}

// RecordDeadLetter keeps a message that can never succeed, so its partition
// moves on and staff can look at it.
func (s *Store) RecordDeadLetter(ctx context.Context, d market.DeadLetter) error {
	_, err := s.col(colDeadLetters).InsertOne(ctx, bson.M{"_id": d.ID, "topic": d.Topic, "key": d.Key, "body": d.Body, "reason": d.Reason, "attempts": d.Attempts, "at": ms(d.At)})
	if err != nil && !IsDuplicate(err) {
		return fmt.Errorf("store: dead letter: %w", err)
	}
	return nil
}

// DeadLetters lists recorded dead letters, oldest first.
func (s *Store) DeadLetters(ctx context.Context, limit int) ([]market.DeadLetter, error) {
	var docs []struct {
		ID       string    `bson:"_id"`
		Topic    string    `bson:"topic"`
		Key      string    `bson:"key"`
		Body     string    `bson:"body"`
		Reason   string    `bson:"reason"`
		Attempts int       `bson:"attempts"`
		At       time.Time `bson:"at"`
	}
	if err := s.find(ctx, colDeadLetters, bson.M{}, bson.D{{Key: "at", Value: 1}}, limit, &docs); err != nil {
		return nil, err
	}
	out := make([]market.DeadLetter, len(docs))
	for i, d := range docs {
		out[i] = market.DeadLetter{ID: d.ID, Topic: d.Topic, Key: d.Key, Body: d.Body, Reason: d.Reason, Attempts: d.Attempts, At: d.At.UTC()}
	}
	return out, nil
}
