package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
)

type entryDoc struct {
	ID               string     `bson:"_id"`
	ProviderID       string     `bson:"providerId"`
	Kind             string     `bson:"kind"`
	AmountFen        int64      `bson:"amountFen"`
	OwedFen          int64      `bson:"owedFen"`
	BalanceAfterFen  int64      `bson:"balanceAfterFen"`
	Channel          string     `bson:"channel,omitempty"`
	Reference        string     `bson:"reference,omitempty"`
	PayerAccountName string     `bson:"payerAccountName,omitempty"`
	PayerCheck       string     `bson:"payerCheck,omitempty"`
	NoticeID         string     `bson:"noticeId,omitempty"`
	PaidAt           *time.Time `bson:"paidAt,omitempty"`
	ReceiptNo        string     `bson:"receiptNo,omitempty"`
	Reason           string     `bson:"reason,omitempty"`
	RefundID         string     `bson:"refundId,omitempty"`
	ViolationID      string     `bson:"violationId,omitempty"`
	Actor            string     `bson:"actor"`
	At               time.Time  `bson:"at"`
}

func (d entryDoc) entry() market.DepositEntry {
	return market.DepositEntry{
		ID: d.ID, ProviderID: d.ProviderID, Kind: market.EntryKind(d.Kind), AmountFen: money.Fen(d.AmountFen), OwedFen: money.Fen(d.OwedFen),
		BalanceAfterFen: money.Fen(d.BalanceAfterFen), Channel: d.Channel, Reference: d.Reference,
		PayerAccountName: d.PayerAccountName, PayerCheck: market.PayerCheck(d.PayerCheck), NoticeID: d.NoticeID,
		PaidAt: timeOrZero(d.PaidAt), ReceiptNo: d.ReceiptNo, Reason: d.Reason, RefundID: d.RefundID, ViolationID: d.ViolationID, Actor: d.Actor, At: d.At.UTC(),
	}
}

// AppendEntry adds a ledger line. A payment whose reference is already
// recorded fails with a duplicate-key error (IsDuplicate).
func (tx *Tx) AppendEntry(e market.DepositEntry) error {
	_, err := tx.col(colEntries).InsertOne(tx.ctx, entryDoc{
		ID: e.ID, ProviderID: e.ProviderID, Kind: string(e.Kind), AmountFen: int64(e.AmountFen), OwedFen: int64(e.OwedFen),
		BalanceAfterFen: int64(e.BalanceAfterFen), Channel: e.Channel, Reference: e.Reference,
		PayerAccountName: e.PayerAccountName, PayerCheck: string(e.PayerCheck), NoticeID: e.NoticeID,
		PaidAt: timePtr(e.PaidAt), ReceiptNo: e.ReceiptNo, Reason: e.Reason, RefundID: e.RefundID, ViolationID: e.ViolationID, Actor: e.Actor, At: ms(e.At),
	})
	if err != nil {
		return fmt.Errorf("store: append deposit entry: %w", err)
	}
	return nil
}

// PaymentByReference finds the payment entry recorded for a transfer
// reference, or ErrNotFound.
func (s *Store) PaymentByReference(ctx context.Context, reference string) (market.DepositEntry, error) {
	var d entryDoc
	err := s.col(colEntries).FindOne(ctx, bson.M{"kind": string(market.EntryPayment), "reference": reference}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return market.DepositEntry{}, ErrNotFound
	}
	if err != nil {
		return market.DepositEntry{}, fmt.Errorf("store: read deposit entry: %w", err)
	}
	return d.entry(), nil
}

// DepositEntries lists a provider's ledger, oldest first.
func (s *Store) DepositEntries(ctx context.Context, providerID string) ([]market.DepositEntry, error) {
	var docs []entryDoc
	if err := s.find(ctx, colEntries, bson.M{"providerId": providerID}, bson.D{{Key: "_id", Value: 1}}, 0, &docs); err != nil {
		return nil, err
	}
	return entries(docs), nil
}

// DepositEntries lists a provider's ledger inside this transaction, oldest
// first, for an answer that shows the ledger as committed with it.
func (tx *Tx) DepositEntries(providerID string) ([]market.DepositEntry, error) {
	cur, err := tx.col(colEntries).Find(tx.ctx, bson.M{"providerId": providerID}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("store: read deposit entries: %w", err)
	}
	var docs []entryDoc
	if err := cur.All(tx.ctx, &docs); err != nil {
		return nil, fmt.Errorf("store: read deposit entries: %w", err)
	}
	return entries(docs), nil
}

func entries(docs []entryDoc) []market.DepositEntry {
	out := make([]market.DepositEntry, len(docs))
	for i, d := range docs {
		out[i] = d.entry()
	}
	return out
}

// NextReceiptNo issues the next receipt number of a year (R-DP2: the platform
// issues a receipt, never an invoice). Numbers are sequential per year and
// never reused: the counter moves in the same transaction as the payment.
func (tx *Tx) NextReceiptNo(year int) (string, error) {
	var c struct {
		Seq int64 `bson:"seq"`
	}
	err := tx.col(colCounters).FindOneAndUpdate(tx.ctx, bson.M{"_id": fmt.Sprintf("receipt-%d", year)},
		bson.M{"$inc": bson.M{"seq": int64(1)}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&c)
	if err != nil {
		return "", fmt.Errorf("store: receipt counter: %w", err)
	}
	return fmt.Sprintf("SJ%d%06d", year, c.Seq), nil
}

type changeDoc struct {
	ID         string    `bson:"_id"`
	ProviderID string    `bson:"providerId"`
	Field      string    `bson:"field"`
	Previous   string    `bson:"previousValue,omitempty"`
	NewValue   string    `bson:"newValue"`
	Applied    bool      `bson:"applied"`
	ChangedOn  string    `bson:"changedOn"`
	ReportedAt time.Time `bson:"reportedAt"`
	DueBy      time.Time `bson:"dueBy"`
	OnTime     bool      `bson:"onTime"`
	ReportedBy string    `bson:"reportedBy"`
}

// InsertChange stores a reported change (R-ON4).
func (tx *Tx) InsertChange(c market.ChangeReport) error {
	_, err := tx.col(colChanges).InsertOne(tx.ctx, changeDoc{
		ID: c.ID, ProviderID: c.ProviderID, Field: c.Field, Previous: c.PreviousValue, NewValue: c.NewValue, Applied: c.Applied, ChangedOn: c.ChangedOn,
		ReportedAt: ms(c.ReportedAt), DueBy: ms(c.DueBy), OnTime: c.OnTime, ReportedBy: c.ReportedBy,
	})
	if err != nil {
		return fmt.Errorf("store: insert change: %w", err)
	}
	return nil
}
