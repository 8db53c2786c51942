package operation

import (
	"context"
	"errors"
	"time"

	"cloudmarket/shared/market"
	"cloudmarket/shared/store"
)

// sweepBatch bounds the work one timer run does per kind of deadline; the next
// run (a minute later) takes the rest.
const sweepBatch = 200

// DeadlineReport is what one run of the deadline timer did.
type DeadlineReport struct {
	ReviewsOverdue    int `json:"reviewsOverdue"`
	StoresClosed      int `json:"storesClosed"`
	ReturnsOverdue    int `json:"returnsOverdue"`
	StartsOverdue     int `json:"startsOverdue"`
	PenaltiesLifted   int `json:"penaltiesLifted"`    // R-WD4
	ContactsProposed  int `json:"contactsUnanswered"` // R-VI6
	OrdersCompleted   int `json:"ordersCompleted"`
	OrdersCancelled   int `json:"ordersCancelled"`
	NotificationsSent int `json:"notificationsSent"`
	NotificationsFail int `json:"notificationsFailed"`
	RefundSweep
	PaymentReport
}

// EnforceDeadlines is the enforce-deadlines timer. Each deadline is acted on
// once: reviews past reviewDueAt (R-ON1), deposits still short after
// topUpDueAt (R-DP5), deposit returns past returnDueAt (R-DP6), orders not
// started by startDueAt (R-SV2), orders whose review period ended (R-RF1) and
// orders left unpaid past their payment window; then the outbox is delivered. Safe to run twice, concurrently or late: each
// change re-checks its condition inside its own transaction.
func (s *Service) EnforceDeadlines(ctx context.Context) (DeadlineReport, error) {
	now := s.now()
	var rep DeadlineReport
	ids, err := s.Store.OverdueApplications(ctx, now, sweepBatch)
	if err != nil {
		return rep, err
	}
	actor := market.System("enforce-deadlines")
	rep.ReviewsOverdue, err = sweep(ctx, s.Store, ids, (*store.Tx).Application, (*store.Tx).SaveApplication, func(tx *store.Tx, a *market.Application) (bool, error) {
		if !a.ReviewOverdue(now) { // decided or flagged meanwhile
			return false, nil
		}
		a.OverdueFlaggedAt = now
		_, err := tx.Record(market.Event{
			Type: market.EventApplicationReviewOverdue, At: now, Actor: actor.Account, Subject: a.ID,
			Data: market.ApplicationReviewOverdueData{ReviewDueAt: a.ReviewDueAt},
		}, staffSMS(s.Config.ReviewerPhones, "review_overdue", a.ID, a.CompanyName)...)
		return true, err
	})
	if err != nil {
		return rep, err
	}
	if rep.StoresClosed, err = s.closeShortStores(ctx, now); err != nil {
		return rep, err
	}
	if rep.ReturnsOverdue, err = s.flagOverdueReturns(ctx, now); err != nil {
		return rep, err
	}
	if rep.StartsOverdue, err = s.flagLateStarts(ctx, now); err != nil {
		return rep, err
	}
	if rep.PenaltiesLifted, err = s.liftPenalties(ctx, now); err != nil {
		return rep, err
	}
	if rep.ContactsProposed, err = s.proposeUnanswered(ctx, now); err != nil {
		return rep, err
	}
	if rep.OrdersCompleted, err = s.completeOrders(ctx, now); err != nil {
		return rep, err
	}
	if err = s.redriveNotifications(ctx, now, &rep.PaymentReport); err != nil {
		return rep, err
	}
	if err = s.checkPayments(ctx, now, &rep.PaymentReport); err != nil {
		return rep, err
	}
	if rep.OrdersCancelled, err = s.cancelUnpaidOrders(ctx, now, &rep.PaymentReport); err != nil {
		return rep, err
	}
	if rep.RefundSweep, err = s.enforceRefundDeadlines(ctx, now); err != nil {
		return rep, err
	}
	rep.NotificationsSent, rep.NotificationsFail = s.DeliverPending(ctx)
	return rep, nil
}

// flagLateStarts records, once, each paid order the provider did not start
// within 2 working days (R-SV2), tells the risk team and proposes
// dishonest_behaviour (R-VI5); applying it is the risk team's decision. An ops
// order still waiting for the buyer's requirement form is only recorded: the
// delay is the buyer's, and the form restarts the clock.
func (s *Service) flagLateStarts(ctx context.Context, now time.Time) (int, error) {
	ids, err := s.Store.StartOverdueOrders(ctx, now, sweepBatch)
	if err != nil {
		return 0, err
	}
	actor := market.System("enforce-deadlines").Account
	return sweep(ctx, s.Store, ids, (*store.Tx).Order, (*store.Tx).SaveOrder, func(tx *store.Tx, o *market.Order) (bool, error) {
		if !o.StartOverdue(now) {
			return false, nil
		}
		o.StartOverdueAt = now
		if !o.LateStartIsProviders() { // recorded; a form that comes later restarts the clock
			_, err := tx.Record(market.Event{Type: market.EventOrderStartOverdue, At: now, Actor: actor, Subject: o.ID, ProviderID: o.ProviderID,
				Data: market.OrderStartOverdueData{StartDueAt: o.StartDueAt, PaidAt: o.PaidAt}})
			return true, err
		}
		if _, err := tx.Record(market.Event{Type: market.EventOrderStartOverdue, At: now, Actor: actor, Subject: o.ID, ProviderID: o.ProviderID,
			Data: market.OrderStartOverdueData{StartDueAt: o.StartDueAt, PaidAt: o.PaidAt}},
			staffSMS(s.Config.RiskPhones, "order_start_overdue", o.ID, o.ProviderID)...); err != nil {
			return false, err
		}
		return true, s.proposeLateStart(tx, o, actor, now)
	})
}

// completeOrders completes orders whose review period ended (R-RF1).
func (s *Service) completeOrders(ctx context.Context, now time.Time) (int, error) {
	ids, err := s.Store.ReviewEndedOrders(ctx, now, sweepBatch)
	if err != nil {
		return 0, err
	}
	actor := market.System("enforce-deadlines").Account
	return sweep(ctx, s.Store, ids, (*store.Tx).Order, (*store.Tx).SaveOrder, func(tx *store.Tx, o *market.Order) (bool, error) {
		if !o.CompleteIfReviewOver(now) {
			return false, nil
		}
		_, err := tx.Record(market.Event{Type: market.EventOrderCompleted, At: now, Actor: actor, Subject: o.ID, ProviderID: o.ProviderID,
			Data: market.OrderReviewEndedData{ReviewPeriodEndsAt: o.ReviewPeriodEndsAt}})
		return true, err
	})
}

// closeShortStores closes the store of a provider whose deposit is still short
// after its top-up deadline (R-DP5), once.
func (s *Service) closeShortStores(ctx context.Context, now time.Time) (int, error) {
	ids, err := s.Store.TopUpOverdueProviders(ctx, now, sweepBatch)
	if err != nil {
		return 0, err
	}
	actor := market.System("enforce-deadlines").Account
	return sweep(ctx, s.Store, ids, (*store.Tx).Provider, (*store.Tx).SaveProvider, func(tx *store.Tx, p *market.Provider) (bool, error) {
		if !p.TopUpOverdue(now) {
			return false, nil
		}
		p.Deposit.StoreClosed = true
		if !p.Store.Close(market.Closure{Reason: market.ReasonDepositShort, Since: now}) {
			return true, nil // already closed for this reason: just mark the sweep done
		}
		if err := tx.SetStoreOpen(p.ID, p.StoreOpen(now)); err != nil { // its products leave the shelves
			return false, err
		}
		_, err := tx.Record(market.Event{Type: market.EventStoreClosed, At: now, Actor: actor, Subject: p.ID, ProviderID: p.ID,
			Data: market.StoreClosedData{Reason: market.ReasonDepositShort, ShortfallFen: int64(p.Deposit.ShortfallFen()), TopUpDueAt: p.Deposit.TopUpDueAt}},
			market.SMS(p.Contact.Phone, "store_closed_deposit", p.CompanyName, p.Deposit.ShortfallFen().String()))
		return true, err
	})
}

// flagOverdueReturns tells finance, once, of a deposit return past its 15
// working days (R-DP6).
func (s *Service) flagOverdueReturns(ctx context.Context, now time.Time) (int, error) {
	ids, err := s.Store.ReturnOverdueProviders(ctx, now, sweepBatch)
	if err != nil {
		return 0, err
	}
	actor := market.System("enforce-deadlines").Account
	return sweep(ctx, s.Store, ids, (*store.Tx).Provider, (*store.Tx).SaveProvider, func(tx *store.Tx, p *market.Provider) (bool, error) {
		if !p.ReturnOverdue(now) {
			return false, nil
		}
		p.Deposit.ReturnOverdueAt = now
		_, err := tx.Record(market.Event{Type: market.EventDepositReturnOverdue, At: now, Actor: actor, Subject: p.ID, ProviderID: p.ID,
			Data: market.DepositReturnDueData{ReturnDueAt: p.Deposit.ReturnDueAt, AmountFen: int64(p.Deposit.BalanceFen)}},
			staffSMS(s.Config.FinancePhones, "deposit_return_overdue", p.CompanyName, p.ID, p.Deposit.BalanceFen.String())...)
		return true, err
	})
}

// cancelUnpaidOrders cancels orders not paid within their payment window,
// each closed at the payment system first (closeBeforeLapse).
func (s *Service) cancelUnpaidOrders(ctx context.Context, now time.Time, rep *PaymentReport) (int, error) {
	candidates, err := s.Store.ExpiredUnpaidOrders(ctx, now, sweepBatch)
	if err != nil {
		return 0, err
	}
	var closed []string
	for _, id := range candidates {
		o, err := s.Store.Order(ctx, id)
		if err != nil {
			return 0, err
		}
		if o.Status == market.OrderPendingPayment && s.closeBeforeLapse(ctx, o, rep) {
			closed = append(closed, id)
		}
	}
	actor := market.System("enforce-deadlines").Account
	return sweep(ctx, s.Store, closed, (*store.Tx).Order, (*store.Tx).SaveOrder, func(tx *store.Tx, o *market.Order) (bool, error) {
		if !o.CancelIfUnpaid(now) {
			return false, nil
		}
		if o.Payment.CodeURL != "" {
			o.Payment.ClosedAt = now
		}
		_, err := tx.Record(market.Event{Type: market.EventOrderCancelled, At: now, Actor: actor, Subject: o.ID, ProviderID: o.ProviderID,
			Data: market.OrderCancelledData{Reason: "payment_window_passed", ExpiresAt: o.ExpiresAt}})
		return true, err
	})
}

// sweep re-checks each candidate of a timer query in its own transaction:
// load, decide and change, save. It returns how many changed; a candidate that
// another writer changed meanwhile is left to the next run.
func sweep[T any](ctx context.Context, st *store.Store, candidates []string,
	load func(*store.Tx, string) (T, error), save func(*store.Tx, T) error,
	change func(*store.Tx, T) (bool, error)) (int, error) {
	n := 0
	for _, id := range candidates {
		changed, err := store.Transact(ctx, st, func(tx *store.Tx) (bool, error) {
			v, err := load(tx, id)
			if err != nil {
				return false, err
			}
			ok, err := change(tx, v)
			if err != nil || !ok {
				return false, err
			}
			return true, save(tx, v)
		})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return n, err
		}
		if changed {
			n++
		}
	}
	return n, nil
}
