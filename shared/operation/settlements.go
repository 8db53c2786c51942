package operation

import (
	"context"
	"errors"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/ids"
	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/store"
	"cloudmarket/shared/workday"
)

// SettlementRun is a period's run record (the store's, for the adapters).
type SettlementRun = store.SettlementRun

// Run statuses.
const (
	RunRunning   = "running"
	RunCompleted = "completed"
)

// settlePageSize is how many provider IDs a run reads at a time; each
// provider is then settled in its own transaction.
const settlePageSize = 200

// SettlePeriod settles a calendar month (API.md "Settlement and statements",
// R-FE1, R-RF7, R-VI11): every provider with activity gets one statement. The
// run walks the providers in ID order, each in its own transaction that also
// advances the run record, so a crash resumes after the last provider settled
// and nothing is counted twice; memory holds one provider's statement,
// whatever the number of orders. A completed period answers its run as it is: running it twice
// changes nothing.
func (s *Service) SettlePeriod(ctx context.Context, who market.Actor, period string) (*SettlementRun, error) {
	if !who.Has(market.RoleFinance) {
		return nil, fault.Forbidden("Settling a period is for finance.")
	}
	return s.settle(ctx, period)
}

// SettlementReport is what the settle-providers timer answers.
type SettlementReport struct {
	Providers int   `json:"providers"`
	PayoutFen int64 `json:"payoutFen"`
}

// SettleLastMonth is the settle-providers timer: on the 1st of each month
// (Asia/Shanghai) it settles the month before. Safe to run late or twice.
func (s *Service) SettleLastMonth(ctx context.Context) (SettlementReport, error) {
	run, err := s.settle(ctx, market.PeriodBefore(s.now()).Name)
	if err != nil {
		return SettlementReport{}, err
	}
	return SettlementReport{Providers: run.Providers, PayoutFen: int64(run.PayoutFen)}, nil
}

func (s *Service) settle(ctx context.Context, period string) (*SettlementRun, error) {
	p, err := market.ParsePeriod(period)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := p.CheckEnded(now); err != nil {
		return nil, err
	}
	// Only the last transaction answers an Idempotency-Key: the run is
	// recorded as it ends, not as it starts.
	work := store.WithIdempotency(ctx, nil)
	run, err := store.Transact(work, s.Store, func(tx *store.Tx) (*SettlementRun, error) {
		run, err := tx.SettlementRun(p.Name)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return run, err
		}
		later, err := tx.LaterSettlementRun(p.Name)
		if err != nil {
			return nil, err
		}
		if later != "" {
			return nil, fault.Failed("PeriodOutOfOrder", "Period %s was settled already; %s cannot be settled after it (periods settle in order, and %s took every order completed by its end).", later, p.Name, later)
		}
		run = &SettlementRun{Period: p.Name, Status: RunRunning, StartedAt: now}
		return run, tx.InsertSettlementRun(run)
	})
	if err != nil || run.Status == RunCompleted {
		return run, err
	}
	for {
		page, err := s.Store.ProviderIDs(work, run.Cursor, settlePageSize)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		for _, pid := range page {
			if run, err = s.settleBatch(work, p, []string{pid}); err != nil {
				return nil, err
			}
		}
	}
	run, err = store.Transact(ctx, s.Store, func(tx *store.Tx) (*SettlementRun, error) {
		run, err := tx.SettlementRun(p.Name)
		if err != nil || run.Status == RunCompleted {
			return run, err
		}
		run.Status, run.CompletedAt = RunCompleted, s.now()
		return run, tx.SaveSettlementRun(run)
	})
	if err != nil {
		return nil, err
	}
	s.DeliverPending(ctx)
	return run, nil
}

// providerSettlement is one provider's statement being written in a batch.
type providerSettlement struct {
	prov  *market.Provider
	st    *market.Statement
	lines *lineWriter
}

// settleBatch writes the statements of a batch of providers (consecutive in ID
// order) for the period — each with its lines, payout, ledger transaction and
// events — marks what they settled, and advances the run to the batch's last
// provider, all in one transaction: a crash leaves the batch whole or not at
// all, and a provider settled before is skipped. A run passes one provider
// per batch (its queries are served by the providerId indexes, on MongoDB
// and on the embedded engine alike).
func (s *Service) settleBatch(ctx context.Context, p market.Period, batch []string) (*SettlementRun, error) {
	return store.Transact(ctx, s.Store, func(tx *store.Tx) (*SettlementRun, error) {
		now := s.now()
		run, err := tx.SettlementRun(p.Name)
		if err != nil {
			return nil, err
		}
		todo := map[string]*providerSettlement{}
		for _, pid := range batch {
			if _, err := tx.Statement(market.StatementID(pid, p.Name)); err == nil {
				continue // settled before
			} else if !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			prov, err := loadProvider(tx, pid)
			if err != nil {
				return nil, err
			}
			var opening money.Fen // a first statement opens at zero
			if last, err := tx.LastStatement(pid, p.Name); err == nil {
				opening = last.CarriedForwardFen
			} else if !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			st := market.NewStatement(pid, market.FeeMode(prov.CooperationMode), p.Name, opening, now)
			todo[pid] = &providerSettlement{prov: prov, st: st, lines: newLineWriter(tx, st)}
		}
		err = tx.EachSettleableOrderIn(batch, p.End, func(o *market.Order) error {
			ps, ok := todo[o.ProviderID]
			if !ok {
				return nil
			}
			return ps.lines.add(market.SaleLines(o)...)
		})
		if err != nil {
			return nil, err
		}
		for _, pid := range batch {
			ps, ok := todo[pid]
			if !ok {
				continue
			}
			issued, err := s.closeStatement(tx, p, ps, now)
			if err != nil {
				return nil, err
			}
			if issued {
				run.Providers++
				run.PayoutFen += ps.st.PayoutFen
			}
		}
		if _, err := tx.MarkOrdersSettledIn(batch, p.End, p.Name, now); err != nil {
			return nil, err
		}
		run.Cursor = max(run.Cursor, batch[len(batch)-1]) // a concurrent run of the period may be ahead
		return run, tx.SaveSettlementRun(run)
	})
}

// closeStatement adds a provider's clawbacks, returned payouts, recovered
// owed amount and deposit top-up to its sale lines and, when it has any line,
// writes the statement, its payout, the deposit's change, the ledger
// transaction and the events.
func (s *Service) closeStatement(tx *store.Tx, p market.Period, ps *providerSettlement, now time.Time) (bool, error) {
	pid, st, lines := ps.prov.ID, ps.st, ps.lines
	clawbacks, err := tx.UnsettledClawbacks(pid, p.End)
	if err != nil {
		return false, err
	}
	for _, c := range clawbacks {
		if err := lines.add(market.ClawbackLine(c)); err != nil {
			return false, err
		}
	}
	returned, err := tx.ReturnedPayouts(pid, p.End)
	if err != nil {
		return false, err
	}
	for _, po := range returned {
		if err := lines.add(market.PayoutReturnedLine(po)); err != nil {
			return false, err
		}
	}
	at := minTime(now, p.End.Add(-time.Millisecond))
	recovered, owed := st.Recover(ps.prov.Deposit.OwedFen, at)
	if owed {
		if err := lines.add(recovered); err != nil {
			return false, err
		}
	}
	// What is owed is recovered first; a short deposit is then made up from
	// what remains (R-DP5), and the payout is the rest.
	topUp, short := st.TopUp(ps.prov.SettlementTopUpDue(), at)
	if short {
		if err := lines.add(topUp); err != nil {
			return false, err
		}
	}
	if !st.Active() {
		return false, nil
	}
	if err := lines.flush(); err != nil {
		return false, err
	}
	st.Close()
	if err := st.Check(); err != nil {
		return false, err
	}
	if st.PayoutFen > 0 {
		po := market.NewPayout(st)
		st.PayoutID = po.ID
		if err := tx.InsertPayout(po); err != nil {
			return false, err
		}
	}
	if err := tx.InsertStatement(st); err != nil {
		return false, err
	}
	if len(clawbacks) > 0 {
		if err := tx.MarkClawbacksSettled(pid, p.End, p.Name); err != nil {
			return false, err
		}
	}
	if len(returned) > 0 {
		if err := tx.MarkPayoutsReturned(pid, p.End, p.Name); err != nil {
			return false, err
		}
	}
	if owed {
		if err := s.recordOwedRecovered(tx, ps.prov, st, -recovered.AmountFen, now); err != nil {
			return false, err
		}
	}
	if short {
		if err := s.recordSettlementTopUp(tx, ps.prov, st, -topUp.AmountFen, now); err != nil {
			return false, err
		}
	}
	if err := tx.PostLedger(market.SettlementTxn(st)); err != nil {
		return false, err
	}
	_, err = tx.Record(market.Event{Type: market.EventStatementIssued, At: now, Actor: market.System("settle-providers").Account, Subject: st.ID, ProviderID: pid,
		Data: market.StatementIssuedData{Period: st.Period, OpeningBalanceFen: int64(st.OpeningFen), ClosingBalanceFen: int64(st.ClosingFen),
			PayoutFen: int64(st.PayoutFen), CarriedForwardFen: int64(st.CarriedForwardFen), Lines: st.LineCount}})
	return err == nil, err
}

// recordOwedRecovered lowers the deposit's owed amount by what the statement
// recovered, with a deposit ledger line and an event (R-VI11).
func (s *Service) recordOwedRecovered(tx *store.Tx, p *market.Provider, st *market.Statement, amount money.Fen, now time.Time) error {
	if err := p.Deposit.RecoverOwed(amount); err != nil {
		return err
	}
	e := market.DepositEntry{ID: ids.New(ids.Deposit, now), ProviderID: p.ID, Kind: market.EntryOwedRecovered, OwedFen: -amount,
		BalanceAfterFen: p.Deposit.BalanceFen, Reason: "结算单 " + st.Period + " 抵扣欠款 (R-VI11)", Actor: market.System("settle-providers").Account, At: now}
	if err := tx.AppendEntry(e); err != nil {
		return err
	}
	if err := tx.SaveProvider(p); err != nil {
		return err
	}
	_, err := tx.Record(market.Event{Type: market.EventDepositOwedRecovered, At: now, Actor: e.Actor, Subject: e.ID, ProviderID: p.ID,
		Data: market.DepositOwedRecoveredData{StatementID: st.ID, RecoveredFen: int64(amount), OwedFen: int64(p.Deposit.OwedFen)}})
	return err
}

// recordSettlementTopUp pays what a statement took for a short deposit into
// it as a received top-up (R-DP5; why a payable may pay it, R-DP3:
// market.Provider.SettlementTopUpDue): the same ApplyPayment as a remitted
// one, an entry of its own kind naming the statement, deposit.paid, and, when
// the deposit is whole again, the store reopened as a remittance reopens it
// (depositReceived); deposit.settlement_topup says where the money came from.
func (s *Service) recordSettlementTopUp(tx *store.Tx, p *market.Provider, st *market.Statement, amount money.Fen, now time.Time) error {
	who := market.System("settle-providers")
	// R-DP2: the platform gives a receipt, never an invoice, for every amount
	// its deposit account receives; this one too is held for the provider
	// and goes back at exit against the receipts (R-DP6), so it gets a
	// number and is posted like any other.
	receipt, err := tx.NextReceiptNo(now.In(workday.Shanghai).Year())
	if err != nil {
		return err
	}
	change := p.ApplyPayment(amount, receipt)
	e := market.DepositEntry{ID: ids.New(ids.Deposit, now), ProviderID: p.ID, Kind: market.EntrySettlementTopUp, AmountFen: amount,
		BalanceAfterFen: p.Deposit.BalanceFen, Channel: market.ChannelSettlement, Reference: st.ID, ReceiptNo: receipt,
		Reason: "结算单 " + st.Period + " 结算款补足保证金 (R-DP5)", Actor: who.Account, At: now}
	if err := tx.AppendEntry(e); err != nil {
		return err
	}
	if err := tx.SaveProvider(p); err != nil {
		return err
	}
	// The provider's own money, on its way to the settlement account on its
	// record: nothing about the payer for finance to verify (R-DP2).
	if _, err := tx.Record(market.Event{Type: market.EventDepositPaid, At: now, Actor: who.Account, Subject: e.ID, ProviderID: p.ID,
		Data: market.DepositPaidData{AmountFen: int64(amount), Channel: e.Channel, Reference: e.Reference, ReceiptNo: receipt,
			BalanceFen: int64(p.Deposit.BalanceFen), Status: p.Deposit.Status(), FromCorporateAccount: true}}); err != nil {
		return err
	}
	if _, err := tx.Record(market.Event{Type: market.EventDepositSettlementTopUp, At: now, Actor: who.Account, Subject: st.ID, ProviderID: p.ID,
		Data: market.DepositSettlementTopUpData{StatementID: st.ID, Period: st.Period, EntryID: e.ID, AmountFen: int64(amount), ReceiptNo: receipt,
			BalanceFen: int64(p.Deposit.BalanceFen), ShortfallFen: int64(p.Deposit.ShortfallFen()), Status: p.Deposit.Status()}},
		market.SMS(p.Contact.Phone, "deposit_settlement_topup")); err != nil {
		return err
	}
	return s.depositReceived(tx, who, p, change, now)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// lineWriter counts lines into a statement and stores them a chunk at a time,
// so a run's memory does not grow with a provider's orders.
type lineWriter struct {
	tx    *store.Tx
	st    *market.Statement
	buf   []market.StatementLine
	chunk int
}

func newLineWriter(tx *store.Tx, st *market.Statement) *lineWriter {
	return &lineWriter{tx: tx, st: st, buf: make([]market.StatementLine, 0, store.StatementLinesPerDoc)}
}

func (w *lineWriter) add(lines ...market.StatementLine) error {
	for _, l := range lines {
		w.st.Add(l)
		w.buf = append(w.buf, l)
		if len(w.buf) == store.StatementLinesPerDoc {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *lineWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if err := w.tx.InsertStatementLines(w.st.ID, w.chunk, w.buf); err != nil {
		return err
	}
	w.chunk++
	w.buf = w.buf[:0]
	return nil
}

// StatementView is a statement with its lines, read for its owner or an
// operator.
type StatementView struct {
	Statement *market.Statement
	Provider  *market.Provider
}

// canReadStatements lets the provider's owner and operators read statements
// and payouts.
func (s *Service) canReadStatements(ctx context.Context, who market.Actor, providerID string) (*market.Provider, error) {
	p, err := s.Store.Provider(ctx, providerID)
	if err != nil {
		return nil, notFound(err, "Provider", providerID)
	}
	return p, ownerOrOperator(who, p)
}

// Statements lists a provider's statements, newest first, before the cursor
// period.
func (s *Service) Statements(ctx context.Context, who market.Actor, providerID, beforePeriod string, limit int) ([]*market.Statement, error) {
	if _, err := s.canReadStatements(ctx, who, providerID); err != nil {
		return nil, err
	}
	return s.Store.Statements(ctx, providerID, beforePeriod, limit)
}

// Statement reads one period's statement; each line goes to fn in order, so a
// long statement streams.
func (s *Service) Statement(ctx context.Context, who market.Actor, providerID, period string, fn func(market.StatementLine) error) (StatementView, error) {
	p, err := s.canReadStatements(ctx, who, providerID)
	if err != nil {
		return StatementView{}, err
	}
	if _, err := market.ParsePeriod(period); err != nil {
		return StatementView{}, err
	}
	st, err := s.Store.Statement(ctx, market.StatementID(providerID, period))
	if errors.Is(err, store.ErrNotFound) {
		return StatementView{}, fault.NotFound("Statement", "Provider %s has no statement for %s: it had no activity then, or the period is not settled yet.", providerID, period)
	}
	if err != nil {
		return StatementView{}, err
	}
	if fn != nil {
		if err := s.Store.EachStatementLine(ctx, st.ID, fn); err != nil {
			return StatementView{}, err
		}
	}
	return StatementView{Statement: st, Provider: p}, nil
}

// RecordInvoiceReceived records that finance has the provider's settlement
// invoice of a consignment statement (R-FE2).
func (s *Service) RecordInvoiceReceived(ctx context.Context, who market.Actor, providerID, period string) (*market.Statement, error) {
	if !who.Has(market.RoleFinance) {
		return nil, fault.Forbidden("Recording a provider's invoice is for finance.")
	}
	if _, err := market.ParsePeriod(period); err != nil {
		return nil, err
	}
	now := s.now()
	st, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Statement, error) {
		st, err := tx.Statement(market.StatementID(providerID, period))
		if err != nil {
			return nil, notFound(err, "Statement", providerID+" "+period)
		}
		if err := st.InvoiceReceivedNow(now); err != nil {
			return nil, err
		}
		if err := tx.SaveStatement(st); err != nil {
			return nil, err
		}
		_, err = tx.Record(market.Event{Type: market.EventStatementInvoiceReceived, At: now, Actor: who.Account, Subject: st.ID, ProviderID: providerID,
			Data: market.StatementInvoiceReceivedData{Period: period, AmountFen: int64(st.SalesFen + st.FeesFen)}})
		return st, err
	})
	return st, err
}

// RequestFeeInvoice is the provider's request for the invoice of the fees it
// paid in a period (R-FE2); finance is told.
func (s *Service) RequestFeeInvoice(ctx context.Context, who market.Actor, providerID, period string) (*market.Statement, error) {
	if _, err := market.ParsePeriod(period); err != nil {
		return nil, err
	}
	now := s.now()
	st, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Statement, error) {
		p, err := loadProvider(tx, providerID)
		if err != nil {
			return nil, err
		}
		if err := ownProvider(who, p); err != nil {
			return nil, err
		}
		st, err := tx.Statement(market.StatementID(providerID, period))
		if err != nil {
			return nil, notFound(err, "Statement", providerID+" "+period)
		}
		if err := st.RequestFeeInvoice(now); err != nil {
			return nil, err
		}
		if err := tx.SaveStatement(st); err != nil {
			return nil, err
		}
		_, err = tx.Record(market.Event{Type: market.EventFeeInvoiceRequested, At: now, Actor: who.Account, Subject: st.ID, ProviderID: providerID,
			Data: market.StatementInvoiceReceivedData{Period: period, AmountFen: int64(-st.FeesFen)}},
			staffSMS(s.Config.FinancePhones, "fee_invoice_requested")...)
		return st, err
	})
	if err != nil {
		return nil, err
	}
	s.DeliverPending(ctx)
	return st, nil
}

// PayoutQuery filters the payout list (the store's, for the adapters).
type PayoutQuery = store.PayoutQuery

// PayoutRow is a payout with the account it is transferred to.
type PayoutRow struct {
	Payout  *market.Payout
	Company string
	Account market.BankAccount // the settlement account recorded on the provider (R-EN1)
}

// Payouts lists payouts: finance sees all, a provider its own.
func (s *Service) Payouts(ctx context.Context, who market.Actor, q PayoutQuery) ([]PayoutRow, error) {
	if !who.Has(market.RoleFinance) {
		if q.ProviderID == "" {
			return nil, fault.Forbidden("A provider lists its own payouts: give providerId.")
		}
		if _, err := s.canReadStatements(ctx, who, q.ProviderID); err != nil {
			return nil, err
		}
	}
	if q.Status != "" && q.Status != market.PayoutPending && q.Status != market.PayoutPaid && q.Status != market.PayoutFailed {
		return nil, fault.Invalid("Status", "status must be pending, paid or failed; got %q.", q.Status)
	}
	payouts, err := s.Store.Payouts(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]PayoutRow, len(payouts))
	providers := map[string]*market.Provider{}
	for i, po := range payouts {
		p, ok := providers[po.ProviderID]
		if !ok {
			if p, err = s.Store.Provider(ctx, po.ProviderID); err != nil {
				return nil, err
			}
			providers[po.ProviderID] = p
		}
		out[i] = PayoutRow{Payout: po, Company: p.CompanyName, Account: p.Documents.SettlementAccount}
	}
	return out, nil
}

// PayoutResult is finance's record of one bank transfer.
type PayoutResult struct {
	Status    string // paid or failed
	Reference string // paid: the transfer's reference
	Reason    string // failed: why
}

// RecordPayoutResult records a payout's transfer: paid with its reference, or
// failed, when the amount goes back to the provider's balance on its next
// statement. Money leaves once: only a pending payout changes.
func (s *Service) RecordPayoutResult(ctx context.Context, who market.Actor, id string, res PayoutResult) (*market.Payout, error) {
	if !who.Has(market.RoleFinance) {
		return nil, fault.Forbidden("Recording a payout's transfer is for finance.")
	}
	now := s.now()
	return store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Payout, error) {
		po, err := tx.Payout(id)
		if err != nil {
			return nil, notFound(err, "Payout", id)
		}
		var event market.EventType
		switch res.Status {
		case market.PayoutPaid:
			if err := po.MarkPaid(res.Reference, now); err != nil {
				return nil, err
			}
			err, event = tx.PostLedger(market.PayoutPaidTxn(po, now)), market.EventPayoutPaid
		case market.PayoutFailed:
			if err := po.MarkFailed(res.Reason, now); err != nil {
				return nil, err
			}
			err, event = tx.PostLedger(market.PayoutFailedTxn(po, now)), market.EventPayoutFailed
		case "":
			return nil, fault.Missing("status")
		default:
			return nil, fault.Invalid("Status", "status must be paid (with reference) or failed (with reason); got %q.", res.Status)
		}
		if err != nil {
			return nil, err
		}
		if err := tx.SavePayout(po); err != nil {
			return nil, err
		}
		_, err = tx.Record(market.Event{Type: event, At: now, Actor: who.Account, Subject: po.ID, ProviderID: po.ProviderID,
			Data: market.PayoutData{StatementID: po.StatementID, AmountFen: int64(po.AmountFen), Reference: po.Reference, Reason: po.FailureReason}})
		return po, err
	})
}

// SetConsignmentRate records a consignment provider's contract rate (R-FE1),
// by finance; it applies to orders placed from now on.
func (s *Service) SetConsignmentRate(ctx context.Context, who market.Actor, providerID string, bps int64) (*market.Provider, error) {
	if !who.Has(market.RoleFinance) {
		return nil, fault.Forbidden("Setting a consignment rate is for finance.")
	}
	if err := market.ValidateConsignmentRate(bps); err != nil {
		return nil, err
	}
	now := s.now()
	return store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Provider, error) {
		p, err := loadProvider(tx, providerID)
		if err != nil {
			return nil, err
		}
		before, err := p.SetConsignmentRate(bps)
		if err != nil {
			return nil, err
		}
		if err := tx.SaveProvider(p); err != nil {
			return nil, err
		}
		_, err = tx.Record(market.Event{Type: market.EventConsignmentRateSet, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
			Data: market.ConsignmentRateSetData{RateBps: bps, PreviousRateBps: int64(before)}})
		return p, err
	})
}
