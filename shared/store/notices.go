package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
)

// colNotices holds the providers' deposit payment notices (seed 四.2).
const colNotices = "deposit_notices"

type noticeDoc struct {
	ID               string     `bson:"_id"`
	ProviderID       string     `bson:"providerId"`
	CompanyName      string     `bson:"companyName"`
	FiledBy          string     `bson:"filedBy"`
	AmountFen        int64      `bson:"amountFen"`
	Channel          string     `bson:"channel"`
	Reference        string     `bson:"reference"`
	PayerAccountName string     `bson:"payerAccountName,omitempty"`
	PaidAt           time.Time  `bson:"paidAt"`
	VoucherObjectKey string     `bson:"voucherObjectKey"`
	VoucherType      string     `bson:"voucherType"`
	ReceiptMailing   mailingDoc `bson:"receiptMailing"`
	Status           string     `bson:"status"`
	FiledAt          time.Time  `bson:"filedAt"`
	MatchedAt        *time.Time `bson:"matchedAt,omitempty"`
	MatchedBy        string     `bson:"matchedBy,omitempty"`
	EntryID          string     `bson:"entryId,omitempty"`
	ReceiptNo        string     `bson:"receiptNo,omitempty"`
}

func noticeToDoc(n *market.DepositNotice) bson.D {
	return toM(noticeDoc{
		ID: n.ID, ProviderID: n.ProviderID, CompanyName: n.CompanyName, FiledBy: n.FiledBy, AmountFen: int64(n.AmountFen),
		Channel: n.Channel, Reference: n.Reference, PayerAccountName: n.PayerAccountName, PaidAt: ms(n.PaidAt),
		VoucherObjectKey: n.VoucherObjectKey, VoucherType: n.VoucherType, ReceiptMailing: mailingDoc(n.ReceiptMailing),
		Status: string(n.Status), FiledAt: ms(n.FiledAt), MatchedAt: timePtr(n.MatchedAt), MatchedBy: n.MatchedBy,
		EntryID: n.EntryID, ReceiptNo: n.ReceiptNo,
	})
}

func (d noticeDoc) notice() *market.DepositNotice {
	return &market.DepositNotice{
		ID: d.ID, ProviderID: d.ProviderID, CompanyName: d.CompanyName, FiledBy: d.FiledBy, AmountFen: money.Fen(d.AmountFen),
		Channel: d.Channel, Reference: d.Reference, PayerAccountName: d.PayerAccountName, PaidAt: d.PaidAt.UTC(),
		VoucherObjectKey: d.VoucherObjectKey, VoucherType: d.VoucherType, ReceiptMailing: market.ReceiptMailing(d.ReceiptMailing),
		Status: market.NoticeStatus(d.Status), FiledAt: d.FiledAt.UTC(), MatchedAt: timeOrZero(d.MatchedAt), MatchedBy: d.MatchedBy,
		EntryID: d.EntryID, ReceiptNo: d.ReceiptNo,
	}
}

// InsertNotice stores a new payment notice; the same reference filed twice by
// one provider fails with a duplicate-key error (IsDuplicate).
func (tx *Tx) InsertNotice(n *market.DepositNotice) error {
	return tx.insert(colNotices, noticeToDoc(n))
}

// Notice reads a payment notice for update.
func (tx *Tx) Notice(id string) (*market.DepositNotice, error) {
	var d noticeDoc
	if err := tx.load(colNotices, id, &d); err != nil {
		return nil, err
	}
	return d.notice(), nil
}

// SaveNotice writes back a notice read in this transaction.
func (tx *Tx) SaveNotice(n *market.DepositNotice) error {
	return tx.replace(colNotices, n.ID, noticeToDoc(n))
}

// NoticeQuery pages finance's queue, oldest filed first.
type NoticeQuery struct {
	Status     string
	ProviderID string
	AfterAt    time.Time // resume after this (filedAt, id) position
	AfterID    string
	Limit      int
}

// Notices lists payment notices by filing time, then ID.
func (s *Store) Notices(ctx context.Context, q NoticeQuery) ([]*market.DepositNotice, error) {
	filter := bson.M{}
	if q.Status != "" {
		filter["status"] = q.Status
	}
	if q.ProviderID != "" {
		filter["providerId"] = q.ProviderID
	}
	if q.AfterID != "" {
		at := ms(q.AfterAt)
		filter["$or"] = bson.A{bson.M{"filedAt": bson.M{"$gt": at}}, bson.M{"filedAt": at, "_id": bson.M{"$gt": q.AfterID}}}
	}
	var docs []noticeDoc
	if err := s.find(ctx, colNotices, filter, bson.D{{Key: "filedAt", Value: 1}, {Key: "_id", Value: 1}}, q.Limit, &docs); err != nil {
		return nil, err
	}
	out := make([]*market.DepositNotice, len(docs))
	for i, d := range docs {
		out[i] = d.notice()
	}
	return out, nil
}
