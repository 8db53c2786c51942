package operation

import (
	"context"
	"strings"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/ids"
	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/store"
	"cloudmarket/shared/workday"
)

// ownProvider checks that the caller is the provider itself.
func ownProvider(who market.Actor, p *market.Provider) error {
	if p.AccountID != who.Account {
		return fault.Forbidden("Provider %s belongs to another account.", p.ID)
	}
	return nil
}

// ownerOrOperator checks read access to a provider's records.
func ownerOrOperator(who market.Actor, p *market.Provider) error {
	if who.IsOperator() {
		return nil
	}
	return ownProvider(who, p)
}

// loadProvider reads a provider for update inside tx, as the API's not-found.
func loadProvider(tx *store.Tx, id string) (*market.Provider, error) {
	p, err := tx.Provider(id)
	return p, notFound(err, "Provider", id)
}

// GetProvider returns a provider to its owner or an operator.
func (s *Service) GetProvider(ctx context.Context, who market.Actor, id string) (*market.Provider, error) {
	p, err := s.Store.Provider(ctx, id)
	if err != nil {
		return nil, notFound(err, "Provider", id)
	}
	if err := ownerOrOperator(who, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Now is the service's current time (views need it for derived fields).
func (s *Service) Now() time.Time { return s.now() }

// SignContract records the provider's signature (R-ON2): the account opens.
func (s *Service) SignContract(ctx context.Context, who market.Actor, id, signatory string) (*market.Provider, error) {
	now := s.now()
	return store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Provider, error) {
		p, err := loadProvider(tx, id)
		if err != nil {
			return nil, err
		}
		if err := ownProvider(who, p); err != nil {
			return nil, err
		}
		if err := p.SignContract(signatory, now); err != nil {
			return nil, err
		}
		if err := tx.SaveProvider(p); err != nil {
			return nil, err
		}
		_, err = tx.Record(market.Event{Type: market.EventProviderContractSigned, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
			Data: market.ContractSignedData{SignatoryName: p.Contract.SignatoryName}})
		return p, err
	})
}

// ReportChange records a change of registered information (R-ON4) and applies
// it to the provider record where the record holds it; a late report is
// accepted, marked, and the risk team is told. A changed document (the legal
// representative's ID copy, the bank-account proof) is an uploaded file,
// checked by its bytes like at application.
func (s *Service) ReportChange(ctx context.Context, who market.Actor, id string, req market.ChangeRequest) (market.ChangeReport, error) {
	if purpose, ok := market.DocumentChangeFields[req.Field]; ok && strings.TrimSpace(req.NewValue) != "" {
		req.NewValue = strings.TrimSpace(req.NewValue)
		if _, err := s.checkUpload(ctx, who, purpose, req.NewValue); err != nil {
			return market.ChangeReport{}, err
		}
	}
	now := s.now()
	report, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (market.ChangeReport, error) {
		p, err := loadProvider(tx, id)
		if err != nil {
			return market.ChangeReport{}, err
		}
		if err := ownProvider(who, p); err != nil {
			return market.ChangeReport{}, err
		}
		c, err := p.ReportChange(ids.New("chg", now), req, who.Account, now)
		if err != nil {
			return market.ChangeReport{}, err
		}
		if err := tx.InsertChange(c); err != nil {
			return market.ChangeReport{}, err
		}
		if err := tx.SaveProvider(p); err != nil {
			return market.ChangeReport{}, err
		}
		data := market.ChangeReportedData{ChangeID: c.ID, Field: c.Field, PreviousValue: c.PreviousValue, NewValue: c.NewValue, Applied: c.Applied,
			ChangedOn: c.ChangedOn, DueBy: c.DueBy, OnTime: c.OnTime}
		if _, err := tx.Record(market.Event{Type: market.EventProviderChangeReported, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID, Data: data}); err != nil {
			return market.ChangeReport{}, err
		}
		if !c.OnTime {
			_, err = tx.Record(market.Event{Type: market.EventProviderChangeReportedLate, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID, Data: data},
				staffSMS(s.Config.RiskPhones, "change_reported_late")...)
		}
		return c, err
	})
	if err == nil && !report.OnTime {
		s.DeliverPending(ctx)
	}
	return report, err
}

// PaymentResult is a recorded deposit payment and whether it was new.
type PaymentResult struct {
	Entry    market.DepositEntry
	Provider *market.Provider
	Created  bool // false: the reference was already recorded, nothing changed
}

// RecordDepositPayment records a received deposit transfer (R-DP2) with a
// receipt number, once per transfer reference. Finance staff call it for bank
// transfers; the payment notification consumer calls it for Tenpay/WeChat Pay
// payments (attach "deposit:{providerId}"). Money that has arrived is never
// refused for who paid it: a payment not from the corporate account is
// recorded and counted like any other, marked, and finance is told. With a
// noticeId it answers the provider's payment notice, whose mailing address
// the receipts go to. A payment that makes the deposit whole reopens a store
// closed for the shortfall (R-DP5).
func (s *Service) RecordDepositPayment(ctx context.Context, who market.Actor, providerID string, pay market.Payment) (PaymentResult, error) {
	now := s.now()
	if err := market.ValidatePayment(pay, now); err != nil {
		return PaymentResult{}, err
	}
	if prior, err := s.Store.PaymentByReference(ctx, pay.Reference); err == nil {
		return s.priorPayment(ctx, prior, providerID, pay)
	}
	res, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (PaymentResult, error) {
		p, err := loadProvider(tx, providerID)
		if err != nil {
			return PaymentResult{}, err
		}
		if err := p.CheckPayment(pay, now); err != nil {
			return PaymentResult{}, err
		}
		receipt, err := tx.NextReceiptNo(now.In(workday.Shanghai).Year())
		if err != nil {
			return PaymentResult{}, err
		}
		change := p.ApplyPayment(pay.AmountFen, receipt)
		payer := p.CheckPayer(pay)
		e := market.DepositEntry{
			ID: ids.New(ids.Deposit, now), ProviderID: p.ID, Kind: market.EntryPayment, AmountFen: pay.AmountFen,
			BalanceAfterFen: p.Deposit.BalanceFen, Channel: pay.Channel, Reference: pay.Reference,
			PayerAccountName: pay.PayerAccountName, PayerCheck: payer, NoticeID: pay.NoticeID, PaidAt: pay.PaidAt, ReceiptNo: receipt, Actor: who.Account, At: now,
		}
		var notice *market.DepositNotice
		if pay.NoticeID != "" {
			if notice, err = tx.Notice(pay.NoticeID); err != nil {
				return PaymentResult{}, notFound(err, "Notice", pay.NoticeID)
			}
			if err := notice.Match(p, e, who.Account, now); err != nil {
				return PaymentResult{}, err
			}
			if err := tx.SaveNotice(notice); err != nil {
				return PaymentResult{}, err
			}
		}
		if err := tx.AppendEntry(e); err != nil {
			return PaymentResult{}, err
		}
		if err := tx.SaveProvider(p); err != nil {
			return PaymentResult{}, err
		}
		if _, err := tx.Record(market.Event{Type: market.EventDepositPaid, At: now, Actor: who.Account, Subject: e.ID, ProviderID: p.ID,
			Data: market.DepositPaidData{AmountFen: int64(pay.AmountFen), Channel: pay.Channel, Reference: pay.Reference, ReceiptNo: receipt,
				BalanceFen: int64(p.Deposit.BalanceFen), Status: p.Deposit.Status(), FromCorporateAccount: payer.FromCorporateAccount(), NoticeID: pay.NoticeID}},
			market.Notification{Channel: "sms", To: p.Contact.Phone, Template: "deposit_received"}); err != nil {
			return PaymentResult{}, err
		}
		if !payer.FromCorporateAccount() { // R-DP2: counted, and finance looks at who paid
			if _, err := tx.Record(market.Event{Type: market.EventDepositPayerUnverified, At: now, Actor: who.Account, Subject: e.ID, ProviderID: p.ID,
				Data: market.DepositPayerUnverifiedData{EntryID: e.ID, AmountFen: int64(pay.AmountFen), Channel: pay.Channel, Reference: pay.Reference,
					PayerAccountName: pay.PayerAccountName, CompanyName: p.CompanyName, PayerCheck: payer}},
				staffSMS(s.Config.FinancePhones, "deposit_payer_unverified")...); err != nil {
				return PaymentResult{}, err
			}
		}
		if notice != nil {
			if _, err := tx.Record(market.Event{Type: market.EventDepositNoticeMatched, At: now, Actor: who.Account, Subject: notice.ID, ProviderID: p.ID,
				Data: market.DepositNoticeMatchedData{NoticeID: notice.ID, EntryID: e.ID, ReceiptNo: receipt}}); err != nil {
				return PaymentResult{}, err
			}
		}
		if err := s.depositReceived(tx, who, p, change, now); err != nil {
			return PaymentResult{}, err
		}
		return PaymentResult{Entry: e, Provider: p, Created: true}, nil
	})
	if store.IsDuplicate(err) {
		// A concurrent twin recorded the same reference first.
		if prior, perr := s.Store.PaymentByReference(ctx, pay.Reference); perr == nil {
			return s.priorPayment(ctx, prior, providerID, pay)
		}
	}
	if err != nil {
		return PaymentResult{}, err
	}
	s.DeliverPending(ctx)
	return res, nil
}

// depositReceived does what money received into a deposit (ApplyPayment,
// already saved) opens up: the first full deposit lists the approved
// products (R-ON3); a deposit made whole reopens a store closed for the
// shortfall (R-DP5).
func (s *Service) depositReceived(tx *store.Tx, who market.Actor, p *market.Provider, change market.DepositChange, now time.Time) error {
	if change.FirstHeld {
		if err := s.listApproved(tx, who, p, "deposit_received"); err != nil { // R-ON3
			return err
		}
	}
	if change.Reopened {
		if err := tx.SetStoreOpen(p.ID, p.StoreOpen(now)); err != nil {
			return err
		}
	}
	// A store also blocked by a penalty reopens only when both are over:
	// while a block is recorded, even one whose time just ran out, the
	// lifting timer reopens it, once.
	if change.Reopened && p.StoreOpen(now) && p.PenaltyBlockUntil().IsZero() {
		if _, err := tx.Record(market.Event{Type: market.EventStoreReopened, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
			Data: market.StoreReopenedData{Reason: market.ReasonDepositShort}},
			market.SMS(p.Contact.Phone, "store_reopened")); err != nil {
			return err
		}
	}
	if change.FirstHeld {
		if _, err := tx.Record(market.Event{Type: market.EventDepositHeld, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
			Data: market.DepositHeldData{BalanceFen: int64(p.Deposit.BalanceFen)}}); err != nil {
			return err
		}
	}
	return nil
}

// priorPayment answers a repeated reference: the same transfer again is the
// recorded entry; the reference on another provider or amount is a mistake.
func (s *Service) priorPayment(ctx context.Context, prior market.DepositEntry, providerID string, pay market.Payment) (PaymentResult, error) {
	if prior.ProviderID != providerID || prior.AmountFen != pay.AmountFen {
		return PaymentResult{}, fault.Failed("ReferenceAlreadyRecorded", "Transfer reference %s was already recorded as %s for provider %s; a reference identifies one transfer.", pay.Reference, prior.AmountFen, prior.ProviderID)
	}
	p, err := s.Store.Provider(ctx, providerID)
	if err != nil {
		return PaymentResult{}, notFound(err, "Provider", providerID)
	}
	return PaymentResult{Entry: prior, Provider: p}, nil
}

// Deduction asks to take money from a deposit.
type Deduction struct {
	AmountFen   money.Fen
	Reason      string
	RefundID    string
	ViolationID string // a penalty's deduction
}

// DeductionResult is a recorded deduction and the provider after it.
type DeductionResult struct {
	Entry    market.DepositEntry
	Provider *market.Provider
}

// DeductDeposit takes an amount from the deposit (R-DP4): for a violation, or to
// compensate a buyer's refund. What the balance cannot cover is owed (R-VI11).
// A shortfall starts the 7-working-day top-up clock and tells the provider
// (R-DP5). Penalties and refund compensation use the same operation.
func (s *Service) DeductDeposit(ctx context.Context, who market.Actor, providerID string, d Deduction) (DeductionResult, error) {
	if !who.Has(market.RoleFinance, market.RoleRisk) { // whoever calls it, not only through its route
		return DeductionResult{}, fault.Forbidden("Deducting from a deposit is for finance or the risk team.")
	}
	now := s.now()
	if err := market.ValidateDeduction(d.AmountFen, d.Reason); err != nil {
		return DeductionResult{}, err
	}
	res, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (DeductionResult, error) {
		p, err := loadProvider(tx, providerID)
		if err != nil {
			return DeductionResult{}, err
		}
		e, err := s.deduct(tx, who, p, d, now)
		return DeductionResult{Entry: e, Provider: p}, err
	})
	if err != nil {
		return DeductionResult{}, err
	}
	s.DeliverPending(ctx)
	return res, nil
}

// deduct is the deduction inside an operation's transaction, for callers that
// deduct as part of a larger change (penalties, refunds).
func (s *Service) deduct(tx *store.Tx, who market.Actor, p *market.Provider, d Deduction, now time.Time) (market.DepositEntry, error) {
	ch, err := p.Deduct(d.AmountFen, d.Reason, now, s.Calendar)
	if err != nil {
		return market.DepositEntry{}, err
	}
	e := market.DepositEntry{
		ID: ids.New(ids.Deposit, now), ProviderID: p.ID, Kind: market.EntryDeduction, AmountFen: -ch.TakenFen, OwedFen: ch.OwedFen,
		BalanceAfterFen: p.Deposit.BalanceFen, Reason: d.Reason, RefundID: d.RefundID, ViolationID: d.ViolationID, Actor: who.Account, At: now,
	}
	if err := tx.AppendEntry(e); err != nil {
		return market.DepositEntry{}, err
	}
	if err := tx.SaveProvider(p); err != nil {
		return market.DepositEntry{}, err
	}
	var notes []market.Notification
	if p.Deposit.ShortfallFen() > 0 && !p.Deposit.TopUpDueAt.IsZero() { // no top-up is asked of a provider leaving or expelled
		notes = append(notes, market.Notification{Channel: "sms", To: p.Contact.Phone, Template: "deposit_deducted_short",
			Params: []string{smsDay(p.Deposit.TopUpDueAt), smsClock(p.Deposit.TopUpDueAt)}})
	} else {
		notes = append(notes, market.Notification{Channel: "sms", To: p.Contact.Phone, Template: "deposit_deducted"})
	}
	if _, err := tx.Record(market.Event{Type: market.EventDepositDeducted, At: now, Actor: who.Account, Subject: e.ID, ProviderID: p.ID,
		Data: market.DepositDeductedData{AmountFen: int64(d.AmountFen), TakenFen: int64(ch.TakenFen), OwedFen: int64(ch.OwedFen),
			Reason: d.Reason, RefundID: d.RefundID, BalanceFen: int64(p.Deposit.BalanceFen)}}, notes...); err != nil {
		return market.DepositEntry{}, err
	}
	if ch.BecameShort {
		if _, err := tx.Record(market.Event{Type: market.EventDepositShort, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
			Data: market.DepositShortData{ShortfallFen: int64(p.Deposit.ShortfallFen()), TopUpDueAt: p.Deposit.TopUpDueAt}}); err != nil {
			return market.DepositEntry{}, err
		}
	}
	if ch.OwedFen > 0 {
		if err := tx.PostLedger(market.DepositOwedTxn(e.ID, p.ID, ch.OwedFen, now)); err != nil {
			return market.DepositEntry{}, err
		}
		if _, err := tx.Record(market.Event{Type: market.EventDepositOwed, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
			Data: market.DepositOwedData{OwedFen: int64(p.Deposit.OwedFen)}}, staffSMS(s.Config.RiskPhones, "deposit_owed")...); err != nil {
			return market.DepositEntry{}, err
		}
	}
	return e, nil
}

// ExitResult is a provider that started its exit and what still blocks the
// return of its deposit.
type ExitResult struct {
	Provider *market.Provider
	Blockers []market.ReturnBlocker
}

// RequestExit starts a provider's exit (R-EX1): by the provider itself, or by
// the risk team. Every paid order of its that is not completed is refunded in
// full by the platform (R-EX2), submitted once the exit is recorded.
func (s *Service) RequestExit(ctx context.Context, who market.Actor, id, reason string) (ExitResult, error) {
	now := s.now()
	var refunds []string
	res, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (ExitResult, error) {
		p, err := loadProvider(tx, id)
		if err != nil {
			return ExitResult{}, err
		}
		if !who.Has(market.RoleRisk) {
			if err := ownProvider(who, p); err != nil {
				return ExitResult{}, err
			}
			if err := p.CheckActing(); err != nil {
				return ExitResult{}, err
			}
		}
		if err := p.RequestExit(reason, now); err != nil {
			return ExitResult{}, err
		}
		if err := tx.SaveProvider(p); err != nil {
			return ExitResult{}, err
		}
		if err := tx.SetStoreOpen(p.ID, p.StoreOpen(now)); err != nil { // its products leave the shelves
			return ExitResult{}, err
		}
		if refunds, err = s.exitRefunds(tx, who, p.ID, now); err != nil {
			return ExitResult{}, err
		}
		obl, err := obligations(tx, p.ID, now)
		if err != nil {
			return ExitResult{}, err
		}
		blockers := p.ReturnBlockers(obl)
		if _, err := tx.Record(market.Event{Type: market.EventProviderExitRequested, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
			Data: market.ExitRequestedData{Reason: p.ExitReason, ReturnBlockers: blockers}}); err != nil {
			return ExitResult{}, err
		}
		_, err = tx.Record(market.Event{Type: market.EventStoreClosed, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
			Data: market.StoreClosedData{Reason: market.ReasonExit}})
		return ExitResult{Provider: p, Blockers: blockers}, err
	})
	if err != nil {
		return res, err
	}
	for _, rid := range refunds {
		s.submitRefund(ctx, rid)
	}
	return res, nil
}

// ReceiptReturned records that the paper deposit receipt came back (R-DP6).
// When nothing blocks, the return is due within 15 working days and finance
// is told; otherwise the blockers are answered. The answer is the deposit
// with its ledger, as GET shows it.
func (s *Service) ReceiptReturned(ctx context.Context, who market.Actor, id string) (Ledger, error) {
	now := s.now()
	res, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (Ledger, error) {
		p, err := loadProvider(tx, id)
		if err != nil {
			return Ledger{}, err
		}
		first := p.Deposit.ReceiptReturnedAt.IsZero()
		obl, err := obligations(tx, p.ID, now)
		if err != nil {
			return Ledger{}, err
		}
		blockers, err := p.ReceiptReturned(obl, now, s.Calendar)
		if err != nil {
			return Ledger{}, err
		}
		if err := tx.SaveProvider(p); err != nil {
			return Ledger{}, err
		}
		if first {
			if _, err := tx.Record(market.Event{Type: market.EventDepositReceiptReturned, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID}); err != nil {
				return Ledger{}, err
			}
		}
		if len(blockers) == 0 {
			if _, err = tx.Record(market.Event{Type: market.EventDepositReturnScheduled, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
				Data: market.DepositReturnDueData{ReturnDueAt: p.Deposit.ReturnDueAt, AmountFen: int64(p.Deposit.BalanceFen)}},
				staffSMS(s.Config.FinancePhones, "deposit_return_due", smsDay(p.Deposit.ReturnDueAt))...); err != nil {
				return Ledger{}, err
			}
		}
		entries, err := tx.DepositEntries(p.ID)
		return Ledger{Provider: p, Entries: entries, Blockers: append([]market.ReturnBlocker{}, blockers...)}, err
	})
	if err == nil {
		s.DeliverPending(ctx)
	}
	return res, err
}

// DispatchReceipt records that finance posted the paper receipts to the
// address of the provider's payment notice (seed 四.2); the provider is told
// the tracking number. The answer is the deposit with its ledger.
func (s *Service) DispatchReceipt(ctx context.Context, who market.Actor, id, courier, trackingNo string) (Ledger, error) {
	now := s.now()
	res, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (Ledger, error) {
		p, err := loadProvider(tx, id)
		if err != nil {
			return Ledger{}, err
		}
		x, err := p.DispatchReceipt(courier, trackingNo, who.Account, now)
		if err != nil {
			return Ledger{}, err
		}
		if err := tx.SaveProvider(p); err != nil {
			return Ledger{}, err
		}
		if _, err := tx.Record(market.Event{Type: market.EventDepositReceiptDispatched, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
			Data: market.ReceiptDispatchedData{ReceiptNos: x.ReceiptNos, Courier: x.Courier, TrackingNo: x.TrackingNo}},
			market.SMS(p.Contact.Phone, "receipt_dispatched")); err != nil {
			return Ledger{}, err
		}
		entries, err := tx.DepositEntries(p.ID)
		if err != nil {
			return Ledger{}, err
		}
		blockers, err := blockersOf(tx, p, now)
		return Ledger{Provider: p, Entries: entries, Blockers: blockers}, err
	})
	if err == nil {
		s.DeliverPending(ctx)
	}
	return res, err
}

// blockersOf is what blocks an exiting or expelled provider's deposit return
// (R-DP6); nil while it continues, and once the deposit was returned.
func blockersOf(tx *store.Tx, p *market.Provider, now time.Time) ([]market.ReturnBlocker, error) {
	if !p.CooperationEnding() || p.Deposit.Status() == market.DepositReturned {
		return nil, nil
	}
	obl, err := obligations(tx, p.ID, now)
	if err != nil {
		return nil, err
	}
	return append([]market.ReturnBlocker{}, p.ReturnBlockers(obl)...), nil
}

// ReturnDeposit records that finance paid the deposit back in full, without
// interest (R-DP6): an exit is complete; an expelled provider stays expelled
// and its organisation stays banned (R-EX1, R-EN7).
func (s *Service) ReturnDeposit(ctx context.Context, who market.Actor, id, reference string) (*market.Provider, error) {
	now := s.now()
	return store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Provider, error) {
		p, err := loadProvider(tx, id)
		if err != nil {
			return nil, err
		}
		obl, err := obligations(tx, p.ID, now)
		if err != nil {
			return nil, err
		}
		amount, err := p.ReturnDeposit(obl, now)
		if err != nil {
			return nil, err
		}
		reason := "deposit returned at exit (R-DP6)"
		if p.Status == market.ProviderExpelled {
			reason = "deposit balance returned after expulsion (R-DP6, R-EX1)"
		}
		e := market.DepositEntry{ID: ids.New(ids.Deposit, now), ProviderID: p.ID, Kind: market.EntryReturn, AmountFen: -amount,
			Reference: reference, Reason: reason, Actor: who.Account, At: now}
		if err := tx.AppendEntry(e); err != nil {
			return nil, err
		}
		if err := tx.SaveProvider(p); err != nil {
			return nil, err
		}
		if err := tx.SetStoreOpen(p.ID, p.StoreOpen(now)); err != nil { // exited: nothing on sale
			return nil, err
		}
		if _, err := tx.Record(market.Event{Type: market.EventDepositReturned, At: now, Actor: who.Account, Subject: e.ID, ProviderID: p.ID,
			Data: market.DepositReturnedData{AmountFen: int64(amount), Reference: reference, ProviderStatus: p.Status}}); err != nil {
			return nil, err
		}
		if p.Status == market.ProviderExpelled {
			// The expulsion ended the cooperation already: the organisation's
			// ban stands (R-EN7) and no exit is recorded.
			return p, nil
		}
		// R-EX1: an organisation that left of its own accord may apply again;
		// only expulsion bars it (R-EN7).
		if _, err := tx.Organisation(p.Organisation); err != nil {
			return nil, err
		}
		if err := tx.SetOrganisation(p.Organisation, store.OrganisationRef{Standing: market.OrganisationExited, ProviderID: p.ID, Reason: "exited"}, now); err != nil {
			return nil, err
		}
		_, err = tx.Record(market.Event{Type: market.EventProviderExited, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID})
		return p, err
	})
}

// Ledger is a provider's deposit with its entries and, during an exit, what
// still blocks the return.
type Ledger struct {
	Provider *market.Provider
	Entries  []market.DepositEntry
	Blockers []market.ReturnBlocker // nil unless the provider is exiting or expelled and the deposit not yet returned
}

// DepositLedger returns a provider's deposit ledger to the owner or an operator.
func (s *Service) DepositLedger(ctx context.Context, who market.Actor, id string) (Ledger, error) {
	p, err := s.GetProvider(ctx, who, id)
	if err != nil {
		return Ledger{}, err
	}
	entries, err := s.Store.DepositEntries(ctx, id)
	if err != nil {
		return Ledger{}, err
	}
	blockers, err := store.Transact(ctx, s.Store, func(tx *store.Tx) ([]market.ReturnBlocker, error) { return blockersOf(tx, p, s.now()) })
	return Ledger{Provider: p, Entries: entries, Blockers: blockers}, err
}

// ListEvents returns the audit trail: operators see everything, a provider
// only its own.
func (s *Service) ListEvents(ctx context.Context, who market.Actor, q store.EventQuery) ([]market.Event, error) {
	if !who.IsOperator() {
		if q.ProviderID == "" {
			return nil, fault.New(fault.MissingParameter, "providerId is required: a provider reads the events of its own record.")
		}
		if _, err := s.GetProvider(ctx, who, q.ProviderID); err != nil {
			return nil, err
		}
	}
	return s.Store.Events(ctx, q)
}
