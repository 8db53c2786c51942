package ops

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
	OrdersCompleted   int `json:"ordersCompleted"`
	NotificationsSent int `json:"notificationsSent"`
	NotificationsFail int `json:"notificationsFailed"`
}

// EnforceDeadlines is the enforce-deadlines timer: it flags applications whose
// review passed reviewDueAt (R-ON1) once each, then delivers the outbox. Safe to
// run twice, concurrently or late: each flag is a conditional write.
func (s *Service) EnforceDeadlines(ctx context.Context) (DeadlineReport, error) {
	now := s.now()
	var rep DeadlineReport
	overdue, err := s.Store.OverdueApplications(ctx, now, sweepBatch)
	if err != nil {
		return rep, err
	}
	actor := market.System("enforce-deadlines")
	for _, candidate := range overdue {
		flagged, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (bool, error) {
			a, err := tx.Application(candidate.ID)
			if err != nil {
				return false, err
			}
			if !a.ReviewOverdue(now) { // decided or flagged meanwhile
				return false, nil
			}
			a.OverdueFlaggedAt = now
			if err := tx.SaveApplication(a); err != nil {
				return false, err
			}
			var notes []store.Notification
			for _, phone := range s.Config.ReviewerPhones {
				notes = append(notes, store.Notification{Channel: "sms", To: phone, Template: "review_overdue", Params: []string{a.ID, a.CompanyName}})
			}
			_, err = tx.Record(store.Event{
				Type: "application.review_overdue", At: now, Actor: actor.Account, Subject: a.ID,
				Data: map[string]any{"reviewDueAt": a.ReviewDueAt},
			}, notes...)
			return err == nil, err
		})
		if errors.Is(err, store.ErrConflict) {
			continue // someone else changed it: the next run looks again
		}
		if err != nil {
			return rep, err
		}
		if flagged {
			rep.ReviewsOverdue++
		}
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
	if rep.OrdersCompleted, err = s.completeOrders(ctx, now); err != nil {
		return rep, err
	}
	rep.NotificationsSent, rep.NotificationsFail = s.DeliverPending(ctx)
	return rep, nil
}

// sweepOrders re-checks each candidate order in its own transaction.
func (s *Service) sweepOrders(ctx context.Context, candidates []string, change func(tx *store.Tx, o *market.Order) (bool, error)) (int, error) {
	n := 0
	for _, id := range candidates {
		changed, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (bool, error) {
			o, err := tx.Order(id)
			if err != nil {
				return false, err
			}
			ok, err := change(tx, o)
			if err != nil || !ok {
				return false, err
			}
			return true, tx.SaveOrder(o)
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

// flagLateStarts records, once, each paid order the provider did not start
// within 2 working days (R-SV2) and tells the risk team; the penalty itself
// (R-VI5) is the risk team's decision.
func (s *Service) flagLateStarts(ctx context.Context, now time.Time) (int, error) {
	ids, err := s.Store.StartOverdueOrders(ctx, now, sweepBatch)
	if err != nil {
		return 0, err
	}
	actor := market.System("enforce-deadlines").Account
	return s.sweepOrders(ctx, ids, func(tx *store.Tx, o *market.Order) (bool, error) {
		if !o.StartOverdue(now) {
			return false, nil
		}
		o.StartOverdueAt = now
		_, err := tx.Record(store.Event{Type: "order.start_overdue", At: now, Actor: actor, Subject: o.ID, ProviderID: o.ProviderID,
			Data: map[string]any{"startDueAt": o.StartDueAt, "paidAt": o.PaidAt}},
			staffSMS(s.Config.RiskPhones, "order_start_overdue", o.ID, o.ProviderID)...)
		return true, err
	})
}

// completeOrders completes orders whose review period ended (R-RF1).
func (s *Service) completeOrders(ctx context.Context, now time.Time) (int, error) {
	ids, err := s.Store.ReviewEndedOrders(ctx, now, sweepBatch)
	if err != nil {
		return 0, err
	}
	actor := market.System("enforce-deadlines").Account
	return s.sweepOrders(ctx, ids, func(tx *store.Tx, o *market.Order) (bool, error) {
		if !o.CompleteIfReviewOver(now) {
			return false, nil
		}
		_, err := tx.Record(store.Event{Type: "order.completed", At: now, Actor: actor, Subject: o.ID, ProviderID: o.ProviderID,
			Data: map[string]any{"reviewPeriodEndsAt": o.ReviewPeriodEndsAt}})
		return true, err
	})
}

// sweepProviders re-checks each candidate inside its own transaction and
// applies change when it still holds; it returns how many changed.
func (s *Service) sweepProviders(ctx context.Context, candidates []string, change func(tx *store.Tx, p *market.Provider) (bool, error)) (int, error) {
	n := 0
	for _, id := range candidates {
		changed, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (bool, error) {
			p, err := tx.Provider(id)
			if err != nil {
				return false, err
			}
			ok, err := change(tx, p)
			if err != nil || !ok {
				return false, err
			}
			return true, tx.SaveProvider(p)
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

// closeShortStores closes the store of a provider whose deposit is still short
// after its top-up deadline (R-DP5), once.
func (s *Service) closeShortStores(ctx context.Context, now time.Time) (int, error) {
	ids, err := s.Store.TopUpOverdueProviders(ctx, now, sweepBatch)
	if err != nil {
		return 0, err
	}
	actor := market.System("enforce-deadlines").Account
	return s.sweepProviders(ctx, ids, func(tx *store.Tx, p *market.Provider) (bool, error) {
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
		_, err := tx.Record(store.Event{Type: "store.closed", At: now, Actor: actor, Subject: p.ID, ProviderID: p.ID,
			Data: map[string]any{"reason": market.ReasonDepositShort, "shortfallFen": int64(p.Deposit.ShortfallFen()), "topUpDueAt": p.Deposit.TopUpDueAt}},
			store.Notification{Channel: "sms", To: p.Contact.Phone, Template: "store_closed_deposit", Params: []string{p.CompanyName, p.Deposit.ShortfallFen().String()}})
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
	return s.sweepProviders(ctx, ids, func(tx *store.Tx, p *market.Provider) (bool, error) {
		if !p.ReturnOverdue(now) {
			return false, nil
		}
		p.Deposit.ReturnOverdueAt = now
		_, err := tx.Record(store.Event{Type: "deposit.return_overdue", At: now, Actor: actor, Subject: p.ID, ProviderID: p.ID,
			Data: map[string]any{"returnDueAt": p.Deposit.ReturnDueAt, "amountFen": int64(p.Deposit.BalanceFen)}},
			staffSMS(s.Config.FinancePhones, "deposit_return_overdue", p.CompanyName, p.ID, p.Deposit.BalanceFen.String())...)
		return true, err
	})
}
