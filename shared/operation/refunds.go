package operation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/ids"
	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/store"
)

// RefundAPI is the payment system's refund API (WeChat Pay refunddomestic; the
// emulator serves the same API locally). out_refund_no is its idempotency
// key: the same refund asked twice is refunded once.
type RefundAPI interface {
	CreateRefund(ctx context.Context, r RefundOrder) (RefundState, error)
	QueryRefund(ctx context.Context, outRefundNo string) (RefundState, error)
}

// RefundOrder asks the payment system to pay an order's money back.
type RefundOrder struct {
	OutRefundNo   string
	TransactionID string
	OutTradeNo    string
	Reason        string
	RefundFen     int64
	TotalFen      int64
}

// RefundState is the payment system's view of a refund.
type RefundState struct {
	RefundID    string
	Status      string // SUCCESS, PROCESSING, ABNORMAL, CLOSED
	SuccessTime time.Time
}

// Errors of a RefundAPI.
var (
	// ErrRefundAPITemporary: 5xx, 429, timeout or no answer. Retried later
	// with the same out_refund_no.
	ErrRefundAPITemporary = errors.New("the payment system's refund API failed temporarily")
	// ErrRefundUnknown: a query for a refund the payment system never took.
	ErrRefundUnknown = errors.New("the payment system has no such refund")
)

// QuoteResult is an order's refund quote.
type QuoteResult struct {
	Order *market.Order
	Quote market.Quote
}

// RefundQuote is what the order may get back now, for its buyer, its
// provider or an operator.
func (s *Service) RefundQuote(ctx context.Context, who market.Actor, orderID string) (QuoteResult, error) {
	o, err := s.GetOrder(ctx, who, orderID)
	if err != nil {
		return QuoteResult{}, err
	}
	return QuoteResult{Order: o, Quote: o.Quote(s.now())}, nil
}

// providerPhone is the provider's contact phone for a refund SMS.
func providerPhone(tx *store.Tx, providerID string) (*market.Provider, error) {
	return tx.Provider(providerID)
}

// RequestRefund opens the buyer's refund of an order (R-RF3, R-RF4): one open
// refund per order; the provider is told and has 2 working days to answer.
func (s *Service) RequestRefund(ctx context.Context, who market.Actor, orderID string, amount *money.Fen, reason string) (*market.Refund, error) {
	now := s.now()
	if amount != nil && *amount <= 0 { // the request's own shape first
		return nil, fault.Invalid("AmountFen", "amountFen must be a positive number of fen, got %d; leave it out to ask for the quote's maximum.", *amount)
	}
	r, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Refund, error) {
		o, err := tx.Order(orderID)
		if err != nil {
			return nil, notFound(err, "Order", orderID)
		}
		if role, err := s.roleOn(tx.Context(), who, o); err != nil {
			return nil, err
		} else if role != orderBuyer {
			return nil, fault.Forbidden("Order %s belongs to another account; only its buyer may ask for a refund.", orderID)
		}
		r, err := market.RequestRefund(ids.New(ids.Refund, now), o, amount, reason, now, s.Calendar)
		if err != nil {
			return nil, err
		}
		if err := tx.InsertRefund(r); err != nil {
			return nil, err
		}
		if err := tx.SaveOrder(o); err != nil {
			return nil, err
		}
		p, err := providerPhone(tx, o.ProviderID)
		if err != nil {
			return nil, err
		}
		_, err = tx.Record(market.Event{Type: market.EventRefundRequested, At: now, Actor: who.Account, Subject: r.ID, ProviderID: r.ProviderID,
			Data: market.RefundRequestedData{OrderID: o.ID, Basis: r.Basis, RequestedFen: int64(r.RequestedFen), AmountFen: int64(r.AmountFen), Reason: r.Reason, RespondBy: r.RespondBy}},
			market.SMS(p.Contact.Phone, "refund_requested", smsDay(r.RespondBy), smsClock(r.RespondBy)))
		return r, err
	})
	if store.IsDuplicate(err) { // a concurrent request opened the order's refund first
		return nil, fault.Failed("RefundInProgress", "Order %s already has a refund in progress; wait for it to finish.", orderID)
	}
	if err != nil {
		return nil, err
	}
	s.DeliverPending(ctx)
	return r, nil
}

// refundRole finds how the caller relates to a refund, through its order.
func (s *Service) refundRole(ctx context.Context, who market.Actor, r *market.Refund) (orderRole, error) {
	return s.roleOn(ctx, who, &market.Order{BuyerAccount: r.BuyerAccount, ProviderID: r.ProviderID})
}

// GetRefund returns a refund to the order's buyer, its provider or an operator.
func (s *Service) GetRefund(ctx context.Context, who market.Actor, id string) (*market.Refund, error) {
	r, err := s.Store.Refund(ctx, id)
	if err != nil {
		return nil, notFound(err, "Refund", id)
	}
	role, err := s.refundRole(ctx, who, r)
	if err != nil {
		return nil, err
	}
	if role == orderStranger {
		return nil, fault.Forbidden("Refund %s concerns another account's order.", id)
	}
	return r, nil
}

// ListRefunds lists refunds oldest first: operators see every refund (the
// risk team filters status=arbitrating), a provider its own, a buyer its own.
func (s *Service) ListRefunds(ctx context.Context, who market.Actor, q store.RefundQuery) ([]*market.Refund, error) {
	if q.Status != "" && !slices.Contains([]market.RefundStatus{market.RefundRequested, market.RefundAccepted, market.RefundArbitrating,
		market.RefundDenied, market.RefundPaid, market.RefundFailed}, market.RefundStatus(q.Status)) {
		return nil, fault.Invalid("Status", "status must be one of requested, accepted, arbitrating, denied, paid, failed; got %q.", q.Status)
	}
	if err := s.scopeTradeList(ctx, who, q.ProviderID, &q.BuyerAccount, "Refund", "refunds"); err != nil {
		return nil, err
	}
	return s.Store.Refunds(ctx, q)
}

// RespondRefund is the provider's answer (R-RF3): an acceptance is paid by the
// platform before completion, by the provider after (R-RF7); a decline goes
// to the risk team.
func (s *Service) RespondRefund(ctx context.Context, who market.Actor, id, decision, reason string) (*market.Refund, error) {
	now := s.now()
	r, err := s.changeRefund(ctx, who, id, orderProvider, func(tx *store.Tx, r *market.Refund, o *market.Order) error {
		if err := r.Respond(o, decision, reason, now); err != nil {
			return err
		}
		if r.Status == market.RefundArbitrating {
			if _, err := tx.Record(market.Event{Type: market.EventRefundDeclined, At: now, Actor: who.Account, Subject: r.ID, ProviderID: r.ProviderID,
				Data: market.RefundDeclinedData{Reason: r.Response.Reason}}); err != nil {
				return err
			}
			return s.recordArbitrating(tx, who.Account, r, now)
		}
		var notes []market.Notification
		if r.Payer == market.PayerProvider {
			p, err := providerPhone(tx, r.ProviderID)
			if err != nil {
				return err
			}
			notes = append(notes, market.SMS(p.Contact.Phone, "refund_provider_to_pay"))
		}
		return s.recordAccepted(tx, who.Account, r, "provider_accepted", now, notes...)
	})
	if err != nil {
		return nil, err
	}
	return s.afterRefundChange(ctx, r), nil
}

// ArbitrateRefund is the risk team's ruling (R-RF3..R-RF5); a full or partial
// ruling is paid by the platform (R-RF7).
func (s *Service) ArbitrateRefund(ctx context.Context, who market.Actor, id string, ruling market.Ruling) (*market.Refund, error) {
	if !who.Has(market.RoleRisk) { // the ruling is the risk team's, whoever else calls (R-RF3)
		return nil, fault.Forbidden("Refund %s: only the risk team rules on a refund.", id)
	}
	now := s.now()
	r, err := s.changeRefund(ctx, who, id, orderOperator, func(tx *store.Tx, r *market.Refund, o *market.Order) error {
		if err := r.Arbitrate(o, ruling, who.Account, now); err != nil {
			return err
		}
		p, err := providerPhone(tx, r.ProviderID)
		if err != nil {
			return err
		}
		a := r.Arbitration
		if _, err := tx.Record(market.Event{Type: market.EventRefundRuled, At: now, Actor: who.Account, Subject: r.ID, ProviderID: r.ProviderID,
			Data: market.RefundRuledData{Decision: a.Decision, AmountFen: int64(a.AmountFen), Reason: a.Reason, ProviderFault: a.ProviderFault, ChargeDeposit: a.ChargeDeposit, Status: r.Status}},
			market.SMS(p.Contact.Phone, "refund_ruled")); err != nil {
			return err
		}
		if r.Status == market.RefundAccepted {
			return s.recordAccepted(tx, who.Account, r, "ruling", now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.afterRefundChange(ctx, r), nil
}

// RecordProviderRefundPayment is the provider's record of its own transfer of
// an accepted refund after completion (R-RF7).
func (s *Service) RecordProviderRefundPayment(ctx context.Context, who market.Actor, id, reference string, paidAt time.Time) (*market.Refund, error) {
	now := s.now()
	return s.changeRefund(ctx, who, id, orderProvider, func(tx *store.Tx, r *market.Refund, o *market.Order) error {
		out, err := r.RecordProviderPayment(o, reference, paidAt, now)
		if err != nil {
			return err
		}
		return s.recordPaid(tx, who, r, o, out, r.ProviderPaymentRef, now) // as recorded: trimmed
	})
}

// changeRefund runs one change of a refund and its order by a caller in the
// given role, in one transaction.
func (s *Service) changeRefund(ctx context.Context, who market.Actor, id string, role orderRole, change func(*store.Tx, *market.Refund, *market.Order) error) (*market.Refund, error) {
	r, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Refund, error) {
		r, err := tx.Refund(id)
		if err != nil {
			return nil, notFound(err, "Refund", id)
		}
		got, err := s.refundRole(tx.Context(), who, r)
		if err != nil {
			return nil, err
		}
		if got != role {
			return nil, fault.Forbidden("Refund %s: only the %s may do this.", id, map[orderRole]string{orderProvider: "order's provider", orderOperator: "risk team"}[role])
		}
		o, err := tx.Order(r.OrderID)
		if err != nil {
			return nil, err
		}
		if err := change(tx, r, o); err != nil {
			return nil, err
		}
		if err := tx.SaveRefund(r); err != nil {
			return nil, err
		}
		return r, tx.SaveOrder(o)
	})
	if err != nil {
		return nil, err
	}
	s.DeliverPending(ctx)
	return r, nil
}

// afterRefundChange submits a platform refund the change accepted, outside
// the transaction that recorded its intent, and answers the refund as it is
// after the call.
func (s *Service) afterRefundChange(ctx context.Context, r *market.Refund) *market.Refund {
	if r.Status != market.RefundAccepted || r.Payer != market.PayerPlatform {
		return r
	}
	s.submitRefund(ctx, r.ID)
	if fresh, err := s.Store.Refund(ctx, r.ID); err == nil {
		return fresh
	}
	return r
}

func (s *Service) recordAccepted(tx *store.Tx, actor string, r *market.Refund, cause string, now time.Time, notes ...market.Notification) error {
	_, err := tx.Record(market.Event{Type: market.EventRefundAccepted, At: now, Actor: actor, Subject: r.ID, ProviderID: r.ProviderID,
		Data: market.RefundAcceptedData{OrderID: r.OrderID, AmountFen: int64(r.AmountFen), Payer: r.Payer, Cause: cause, OutRefundNo: r.OutRefundNo}}, notes...)
	return err
}

func (s *Service) recordArbitrating(tx *store.Tx, actor string, r *market.Refund, now time.Time) error {
	_, err := tx.Record(market.Event{Type: market.EventRefundArbitrating, At: now, Actor: actor, Subject: r.ID, ProviderID: r.ProviderID,
		Data: market.RefundArbitratingData{Cause: r.ArbitrationCause, RespondBy: r.RespondBy}},
		staffSMS(s.Config.RiskPhones, "refund_arbitration")...)
	return err
}

// recordPaid records a paid refund: the event, and the provider's share of a
// platform refund of a settled order — a clawback for the next statement, or a
// deposit deduction when the ruling charges the deposit (a clawback when the
// deposit is already due back), never both (R-RF7, R-DP4).
func (s *Service) recordPaid(tx *store.Tx, who market.Actor, r *market.Refund, o *market.Order, out market.PaidOutcome, reference string, now time.Time) error {
	var p *market.Provider
	if out.ProviderShare == market.ShareDeposit && out.ShareFen > 0 {
		var err error
		if p, err = loadProvider(tx, r.ProviderID); err != nil {
			return err
		}
		// A deposit already due back (or returned) takes no deduction, but
		// the buyer has the money: the share is clawed back instead, so the
		// payment can always be recorded.
		if st := p.Deposit.Status(); st == market.DepositReturning || st == market.DepositReturned {
			out.ProviderShare, r.ProviderShare = market.ShareClawback, market.ShareClawback
		}
	}
	switch out.ProviderShare {
	case market.ShareClawback:
		if err := tx.InsertClawback(market.Clawback{ID: "clw_" + r.ID, ProviderID: r.ProviderID, RefundID: r.ID, OrderID: o.ID, AmountFen: out.ShareFen, At: now}); err != nil {
			return err
		}
	case market.ShareDeposit:
		if out.ShareFen > 0 {
			if _, err := s.deduct(tx, who, p, Deduction{AmountFen: out.ShareFen, Reason: "退款" + r.ID + "由保证金赔付 (R-DP4)", RefundID: r.ID}, now); err != nil {
				return err
			}
		}
	}
	if err := tx.PostLedger(market.RefundPaidTxn(r, out.ProviderShare, now)); err != nil {
		return err
	}
	_, err := tx.Record(market.Event{Type: market.EventRefundPaid, At: now, Actor: who.Account, Subject: r.ID, ProviderID: r.ProviderID,
		Data: market.RefundPaidData{OrderID: o.ID, AmountFen: int64(r.AmountFen), Payer: r.Payer, PlatformFeeReversedFen: int64(r.FeeReversed),
			ProviderNetReversedFen: int64(r.NetReversed), OrderStatus: o.Status, ProviderShare: out.ProviderShare, Reference: reference}})
	return err
}

// submitRefund asks the payment system to pay a platform refund back: the
// intent was recorded first; this claims it, calls outside any transaction,
// and records the answer in another. A crash in between leaves the intent,
// which the sweep submits again with the same out_refund_no.
func (s *Service) submitRefund(ctx context.Context, id string) {
	now := s.now()
	type claim struct {
		r *market.Refund
		o *market.Order
	}
	c, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (claim, error) {
		r, err := tx.Refund(id)
		if err != nil {
			return claim{}, err
		}
		if !r.Submitting(now) {
			return claim{}, nil
		}
		o, err := tx.Order(r.OrderID)
		if err != nil {
			return claim{}, err
		}
		return claim{r, o}, tx.SaveRefund(r)
	})
	if err != nil || c.r == nil {
		if err != nil && !errors.Is(err, store.ErrConflict) {
			s.Log.ErrorContext(ctx, "refund: claim submission", "refund", id, "err", err)
		}
		return
	}
	if s.Refunds == nil {
		s.recordTransfer(ctx, id, RefundState{}, fmt.Errorf("%w: no refund API configured", ErrRefundAPITemporary))
		return
	}
	state, err := s.Refunds.CreateRefund(ctx, RefundOrder{OutRefundNo: c.r.OutRefundNo, TransactionID: c.o.TransactionID, OutTradeNo: c.o.OutTradeNo,
		Reason: refundReasonText(c.r), RefundFen: int64(c.r.AmountFen), TotalFen: int64(c.o.AmountFen)})
	s.recordTransfer(ctx, id, state, err)
}

func refundReasonText(r *market.Refund) string {
	reason := r.Reason
	if len([]rune(reason)) > 80 { // the payment system's limit
		reason = string([]rune(reason)[:80])
	}
	return reason
}

// recordTransfer records the payment system's answer to a submission.
func (s *Service) recordTransfer(ctx context.Context, id string, state RefundState, callErr error) {
	now := s.now()
	_, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (struct{}, error) {
		r, err := tx.Refund(id)
		if err != nil {
			return struct{}{}, err
		}
		if r.Status != market.RefundAccepted || r.Transfer.State != market.TransferPending {
			return struct{}{}, nil // a result arrived meanwhile
		}
		actor := market.System("refund-transfer").Account
		switch {
		case callErr == nil:
			r.TransferAccepted(state.RefundID, now)
			if state.Status == "SUCCESS" || state.Status == "ABNORMAL" || state.Status == "CLOSED" {
				o, err := tx.Order(r.OrderID)
				if err != nil {
					return struct{}{}, err
				}
				if err := s.applyRefundState(tx, r, o, state, actor, now); err != nil {
					return struct{}{}, err
				}
				if err := tx.SaveOrder(o); err != nil {
					return struct{}{}, err
				}
			}
		case errors.Is(callErr, ErrRefundAPITemporary):
			r.TransferRetry(callErr.Error(), now)
			if _, err := tx.Record(market.Event{Type: market.EventRefundTransferRetry, At: now, Actor: actor, Subject: r.ID, ProviderID: r.ProviderID,
				Data: market.RefundTransferRetryData{OutRefundNo: r.OutRefundNo, Attempts: r.Transfer.Attempts, Error: callErr.Error(), NextAttemptAt: r.Transfer.NextAttemptAt}}); err != nil {
				return struct{}{}, err
			}
		default: // refused for good: finance takes it from here
			o, err := tx.Order(r.OrderID)
			if err != nil {
				return struct{}{}, err
			}
			if err := s.failRefund(tx, r, o, "refused: "+callErr.Error(), actor, now); err != nil {
				return struct{}{}, err
			}
			if err := tx.SaveOrder(o); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, tx.SaveRefund(r)
	})
	if err != nil {
		s.Log.ErrorContext(ctx, "refund: record the payment system's answer; the sweep retries", "refund", id, "err", err)
		return
	}
	s.DeliverPending(ctx)
}

// applyRefundState applies a final result of the payment system to a refund
// and its order, once: SUCCESS marks it paid; ABNORMAL or CLOSED marks it
// failed and tells finance. It reports false when nothing changed.
func (s *Service) applyRefundState(tx *store.Tx, r *market.Refund, o *market.Order, st RefundState, actor string, now time.Time) error {
	if r.Status != market.RefundAccepted || r.Payer != market.PayerPlatform {
		return nil // paid or failed before: a repeated result
	}
	switch st.Status {
	case "SUCCESS":
		if st.RefundID != "" {
			r.Transfer.RefundID = st.RefundID
		}
		paidAt := st.SuccessTime
		if paidAt.IsZero() {
			paidAt = now
		}
		out, err := r.MarkPaid(o, paidAt, now)
		if err != nil {
			return err
		}
		return s.recordPaid(tx, market.Actor{Account: actor}, r, o, out, r.Transfer.RefundID, now)
	case "ABNORMAL", "CLOSED":
		return s.failRefund(tx, r, o, "REFUND."+st.Status, actor, now)
	}
	return nil
}

func (s *Service) failRefund(tx *store.Tx, r *market.Refund, o *market.Order, reason, actor string, now time.Time) error {
	if !r.MarkFailed(o, reason, now) {
		return nil
	}
	_, err := tx.Record(market.Event{Type: market.EventRefundFailed, At: now, Actor: actor, Subject: r.ID, ProviderID: r.ProviderID,
		Data: market.RefundFailedData{OrderID: o.ID, AmountFen: int64(r.AmountFen), Reason: reason}},
		staffSMS(s.Config.FinancePhones, "refund_failed")...)
	return err
}

// RefundSweep is what one run of the refund deadlines did.
type RefundSweep struct {
	RefundsEscalated  int `json:"refundsEscalated"`  // no answer by respondBy: to arbitration
	RefundsSubmitted  int `json:"refundsSubmitted"`  // platform refunds (re)submitted to the payment system
	RefundsReconciled int `json:"refundsReconciled"` // results found by querying the payment system
	ExitRefunds       int `json:"exitRefunds"`       // orders of exiting providers the exit did not reach, refunded (R-EX2)
}

// enforceRefundDeadlines is the refunds' part of the enforce-deadlines timer:
// orders of exiting providers that the exit did not reach (R-EX2), silent providers (respondBy), platform refunds whose submission is due (new
// intents, and retries with backoff after a failed call, always the same
// out_refund_no), and refunds whose result never arrived (queried).
func (s *Service) enforceRefundDeadlines(ctx context.Context, now time.Time) (RefundSweep, error) {
	var rep RefundSweep
	var err error
	if rep.ExitRefunds, err = s.sweepExitRefunds(ctx, now); err != nil {
		return rep, err
	}
	silent, err := s.Store.SilentRefunds(ctx, now, sweepBatch)
	if err != nil {
		return rep, err
	}
	actor := market.System("enforce-deadlines").Account
	rep.RefundsEscalated, err = sweep(ctx, s.Store, silent, (*store.Tx).Refund, (*store.Tx).SaveRefund, func(tx *store.Tx, r *market.Refund) (bool, error) {
		if !r.EscalateIfSilent(now) {
			return false, nil
		}
		return true, s.recordArbitrating(tx, actor, r, now)
	})
	if err != nil {
		return rep, err
	}
	due, err := s.Store.DueTransfers(ctx, market.TransferPending, now, sweepBatch)
	if err != nil {
		return rep, err
	}
	for _, id := range due {
		s.submitRefund(ctx, id)
		rep.RefundsSubmitted++
	}
	waiting, err := s.Store.DueTransfers(ctx, market.TransferSubmitted, now, sweepBatch)
	if err != nil {
		return rep, err
	}
	for _, id := range waiting {
		if s.reconcileRefund(ctx, id) {
			rep.RefundsReconciled++
		}
	}
	return rep, nil
}

// reconcileRefund asks the payment system about a refund whose result never
// arrived and applies what it says.
func (s *Service) reconcileRefund(ctx context.Context, id string) bool {
	r, err := s.Store.Refund(ctx, id)
	if err != nil || s.Refunds == nil {
		return false
	}
	st, qerr := s.Refunds.QueryRefund(ctx, r.OutRefundNo)
	now := s.now()
	applied, terr := store.Transact(ctx, s.Store, func(tx *store.Tx) (bool, error) {
		r, err := tx.Refund(id)
		if err != nil {
			return false, err
		}
		if r.Status != market.RefundAccepted || r.Transfer.State != market.TransferSubmitted {
			return false, nil
		}
		switch {
		case errors.Is(qerr, ErrRefundUnknown): // never taken: submit again (same out_refund_no)
			r.Transfer.State = market.TransferPending
			r.Transfer.NextAttemptAt = now
		case qerr != nil || st.Status == "PROCESSING" || st.Status == "":
			r.TransferStillProcessing(now)
		default:
			o, err := tx.Order(r.OrderID)
			if err != nil {
				return false, err
			}
			if err := s.applyRefundState(tx, r, o, st, market.System("reconcile-refunds").Account, now); err != nil {
				return false, err
			}
			if err := tx.SaveOrder(o); err != nil {
				return false, err
			}
			return true, tx.SaveRefund(r)
		}
		return false, tx.SaveRefund(r)
	})
	if terr != nil {
		s.Log.ErrorContext(ctx, "refund: reconcile", "refund", id, "err", terr)
		return false
	}
	return applied
}

// obligations counts the open matters of a provider that block its deposit
// return (R-DP6): refunds in progress, paid orders not completed, and
// penalties not executed at now (proposed, or a restriction still running).
// It reads inside tx, so an operation counts its own changes.
func obligations(tx *store.Tx, providerID string, now time.Time) (market.Obligations, error) {
	refunds, err := tx.CountOpenRefunds(providerID)
	if err != nil {
		return market.Obligations{}, err
	}
	orders, err := tx.CountUnfinishedOrders(providerID)
	if err != nil {
		return market.Obligations{}, err
	}
	penalties, err := tx.CountOpenViolations(providerID, now)
	if err != nil {
		return market.Obligations{}, err
	}
	return market.Obligations{OpenDisputes: int(refunds), UnfinishedOrders: int(orders), UnexecutedPenalties: int(penalties)}, nil
}

// exitBatch bounds the orders an exit refunds in its own transaction.
const exitBatch = 1000

func (s *Service) exitBatch() int {
	if s.Config.ExitBatch > 0 {
		return s.Config.ExitBatch
	}
	return exitBatch
}

// exitRefunds refunds in full every paid order of an exiting provider that is
// not completed (R-EX2), inside the exit's transaction, at most exitBatch of
// them (the refund sweep takes the rest): an open refund of such an order
// becomes the full refund; the others get a new one. It returns the refunds
// to submit to the payment system after commit.
func (s *Service) exitRefunds(tx *store.Tx, who market.Actor, providerID string, now time.Time) ([]string, error) {
	orders, err := tx.UnfinishedOrders(providerID, s.exitBatch())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range orders {
		id, err := s.exitRefund(tx, who, o, now)
		if err != nil {
			return nil, err
		}
		if id != "" {
			out = append(out, id)
		}
	}
	return out, nil
}

// exitRefund refunds one unfinished order of an exiting provider in full
// (R-EX2): its open refund becomes the full refund, or it gets a new one. It
// returns "" when the order's refund is already accepted (being paid).
func (s *Service) exitRefund(tx *store.Tx, who market.Actor, o *market.Order, now time.Time) (string, error) {
	var r *market.Refund
	var err error
	if o.OpenRefundID != "" {
		if r, err = tx.Refund(o.OpenRefundID); err != nil {
			return "", err
		}
		if !r.TakeOverForExit(o, now) {
			return "", nil
		}
		if err := tx.SaveRefund(r); err != nil {
			return "", err
		}
	} else {
		if r, err = market.ExitRefund(ids.New(ids.Refund, now), o, now); err != nil {
			return "", err
		}
		if err := tx.InsertRefund(r); err != nil {
			return "", err
		}
	}
	if err := tx.SaveOrder(o); err != nil {
		return "", err
	}
	return r.ID, s.recordAccepted(tx, who.Account, r, market.ReasonProviderExit, now)
}

// sweepExitRefunds refunds what an exit's own transaction did not reach
// (R-EX2): the unfinished orders of exiting or expelled providers beyond
// exitBatch, and refunds asked of them since, at most sweepBatch a run. An
// order whose exit refund failed is finance's (refund_failed), not refunded
// again. Each order is re-checked in its own transaction, so a run twice or
// concurrently refunds it once.
func (s *Service) sweepExitRefunds(ctx context.Context, now time.Time) (int, error) {
	providers, err := s.Store.ExitingProviders(ctx, sweepBatch)
	if err != nil {
		return 0, err
	}
	actor := market.System("enforce-deadlines")
	var made []string
	refund := func(orderID, providerID string) error {
		id, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (string, error) {
			o, err := tx.Order(orderID)
			if err != nil {
				return "", err
			}
			if o.ProviderID != providerID || (o.Status != market.OrderPaid && o.Status != market.OrderInService) {
				return "", nil // completed or refunded meanwhile
			}
			p, err := tx.Provider(providerID)
			if err != nil {
				return "", err
			}
			if p.Status != market.ProviderExiting && p.Status != market.ProviderExpelled {
				return "", nil
			}
			if o.OpenRefundID == "" {
				if done, err := tx.HasExitRefund(o.ID); err != nil || done {
					return "", err
				}
			}
			return s.exitRefund(tx, actor, o, now)
		})
		if errors.Is(err, store.ErrConflict) || store.IsDuplicate(err) {
			return nil // changed meanwhile: the next run looks again
		}
		if id != "" {
			made = append(made, id)
		}
		return err
	}
	for _, pid := range providers {
		for _, st := range []market.RefundStatus{market.RefundRequested, market.RefundArbitrating} {
			asked, err := s.Store.Refunds(ctx, store.RefundQuery{ProviderID: pid, Status: string(st), Limit: sweepBatch})
			if err != nil {
				return len(made), err
			}
			for _, r := range asked {
				if len(made) >= sweepBatch {
					break
				}
				if err := refund(r.OrderID, pid); err != nil {
					return len(made), err
				}
			}
		}
		for after := ""; len(made) < sweepBatch; {
			orders, err := s.Store.UnrefundedOrders(ctx, pid, after, sweepBatch)
			if err != nil {
				return len(made), err
			}
			for _, id := range orders {
				if len(made) >= sweepBatch {
					break
				}
				if err := refund(id, pid); err != nil {
					return len(made), err
				}
			}
			if len(orders) < sweepBatch {
				break
			}
			after = orders[len(orders)-1]
		}
	}
	for _, id := range made {
		s.submitRefund(ctx, id)
	}
	return len(made), nil
}

// refundExitPayment handles a payment that arrives for an order of a provider
// that is exiting or gone (R-EX2): the money is recorded and refunded in full,
// never applied to a service. It reports the refund to submit ("" when the
// order was not waiting for this payment).
func (s *Service) refundExitPayment(tx *store.Tx, o *market.Order, m PaymentMessage, now time.Time) (string, market.PaymentOutcome, error) {
	outcome := o.PaidForRefund(m.TransactionID, money.Fen(m.AmountFen), m.SuccessTime)
	if outcome != market.PaymentApplied {
		return "", outcome, nil
	}
	r, err := market.ExitRefund(ids.New(ids.Refund, now), o, now)
	if err != nil {
		return "", "", err
	}
	if err := tx.InsertRefund(r); err != nil {
		return "", "", err
	}
	if err := tx.SaveOrder(o); err != nil {
		return "", "", err
	}
	if err := tx.PostLedger(market.OrderPaidTxn(o, now)); err != nil {
		return "", "", err
	}
	actor := market.System("apply-payment").Account
	if _, err := tx.Record(market.Event{Type: market.EventOrderPaid, At: now, Actor: actor, Subject: o.ID, ProviderID: o.ProviderID,
		Data: market.OrderPaidData{TransactionID: m.TransactionID, AmountFen: m.AmountFen, OrderAmountFen: int64(o.AmountFen), PaidAt: o.PaidAt}}); err != nil {
		return "", "", err
	}
	return r.ID, outcome, s.recordAccepted(tx, actor, r, market.ReasonProviderExit, now)
}
