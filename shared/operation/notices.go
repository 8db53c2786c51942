package operation

import (
	"context"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/ids"
	"cloudmarket/shared/market"
	"cloudmarket/shared/store"
)

// NoticeQuery pages finance's queue of payment notices.
type NoticeQuery = store.NoticeQuery

// FileDepositNotice files the provider's payment notice (seed 四.2): what it
// transferred, from which account, the transfer voucher, and where the paper
// receipt goes. Finance is told and works the queue.
func (s *Service) FileDepositNotice(ctx context.Context, who market.Actor, providerID string, f market.NoticeForm) (*market.DepositNotice, error) {
	now := s.now()
	p, err := s.GetProvider(ctx, who, providerID)
	if err != nil {
		return nil, err
	}
	if err := ownProvider(who, p); err != nil {
		return nil, err
	}
	// The form first (cheap refusals), then the voucher's bytes, outside the
	// transaction.
	if _, err := market.NewDepositNotice("", p, f, who.Account, now); err != nil {
		return nil, err
	}
	voucherType, err := s.checkUpload(ctx, who, market.PurposeDepositVoucher, f.VoucherObjectKey)
	if err != nil {
		return nil, err
	}
	res, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.DepositNotice, error) {
		p, err := loadProvider(tx, providerID)
		if err != nil {
			return nil, err
		}
		n, err := market.NewDepositNotice(ids.New("dnt", now), p, f, who.Account, now)
		if err != nil {
			return nil, err
		}
		n.VoucherType = voucherType
		if err := tx.InsertNotice(n); err != nil {
			if store.IsDuplicate(err) {
				return nil, fault.Failed("NoticeAlreadyFiled", "A payment notice for transfer reference %s was already filed.", n.Reference)
			}
			return nil, err
		}
		payer := n.PayerCheck()
		_, err = tx.Record(market.Event{Type: market.EventDepositNoticeFiled, At: now, Actor: who.Account, Subject: n.ID, ProviderID: p.ID,
			Data: market.DepositNoticeFiledData{NoticeID: n.ID, AmountFen: int64(n.AmountFen), Channel: n.Channel, Reference: n.Reference,
				PayerAccountName: n.PayerAccountName, PaidAt: n.PaidAt, FromCorporateAccount: payer.FromCorporateAccount()}},
			staffSMS(s.Config.FinancePhones, "deposit_notice_filed")...)
		return n, err
	})
	if err == nil {
		s.DeliverPending(ctx)
	}
	return res, err
}

// ListDepositNotices pages finance's queue, oldest filed first.
func (s *Service) ListDepositNotices(ctx context.Context, q NoticeQuery) ([]*market.DepositNotice, error) {
	switch market.NoticeStatus(q.Status) {
	case "", market.NoticeOpen, market.NoticeMatched:
	default:
		return nil, fault.Invalid("Status", "status must be open or matched, got %q.", q.Status)
	}
	return s.Store.Notices(ctx, q)
}
