package operation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/ids"
	"cloudmarket/shared/market"
	"cloudmarket/shared/store"
	"cloudmarket/shared/workday"
)

// contactReportPrefix prefixes contact report IDs.
const contactReportPrefix = "ctr"

// ViolationQuery filters the violation lists.
type ViolationQuery = store.ViolationQuery

// ViolationCatalogue is the catalogue in force (R-VI10): the configured one,
// or the one embedded in the build.
func (s *Service) ViolationCatalogue() *market.ViolationCatalogue {
	if s.Config.Violations != nil {
		return s.Config.Violations
	}
	return market.Catalogue
}

// forRisk refuses what only the risk team decides, whoever calls it.
func forRisk(who market.Actor, what string) error {
	if !who.Has(market.RoleRisk) {
		return fault.Forbidden("%s is for the risk team (operator:risk).", what)
	}
	return nil
}

// ApplyViolation applies a penalty now (R-VI1..R-VI11): the catalogue row's
// actions and the risk team's extra ones (R-VI10), with their events and the
// SMS to the provider, in one transaction. An expulsion refunds the
// provider's unfinished orders (R-EX2), submitted after commit.
func (s *Service) ApplyViolation(ctx context.Context, who market.Actor, providerID string, req market.ViolationRequest) (*market.Violation, error) {
	if err := forRisk(who, "Applying a penalty"); err != nil {
		return nil, err
	}
	now := s.now()
	var refunds []string
	v, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Violation, error) {
		p, err := loadProvider(tx, providerID)
		if err != nil {
			return nil, err
		}
		products := map[string]*market.Product{}
		for _, pid := range req.Products() {
			if prod, err := tx.Product(pid); err == nil && prod.ProviderID == p.ID {
				products[pid] = prod
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
		}
		v, err := market.NewViolation(ids.New(ids.Violation, now), s.ViolationCatalogue(), p, req, products, market.SourceRisk, "", who.Account, now)
		if err != nil {
			return nil, err
		}
		if refunds, err = s.applySteps(tx, who, p, v, now); err != nil {
			return nil, err
		}
		return v, tx.InsertViolation(v)
	})
	return s.afterPenalty(ctx, v, err, refunds)
}

// afterPenalty submits an expulsion's refunds and delivers the messages.
func (s *Service) afterPenalty(ctx context.Context, v *market.Violation, err error, refunds []string) (*market.Violation, error) {
	if err != nil {
		return nil, err
	}
	for _, rid := range refunds {
		s.submitRefund(ctx, rid)
	}
	s.DeliverPending(ctx)
	return v, nil
}

// applySteps carries out a violation's steps on the provider inside tx and
// marks it applied: products delisted, the store blocked and publishing
// restricted for N×24 hours (R-WD4, the latest end kept when they overlap),
// the expulsion with the organisation's ban (R-EN7) and the exit refunds
// (R-EX2), then the deductions through the deposit ledger (R-DP4, R-VI11).
// It returns the refunds to submit after commit.
func (s *Service) applySteps(tx *store.Tx, who market.Actor, p *market.Provider, v *market.Violation, now time.Time) ([]string, error) {
	v.MarkApplied(who.Account, now, s.Calendar)
	var refunds []string
	for i := range v.Steps {
		st := &v.Steps[i]
		switch st.Action {
		case market.ActionBlockContent, market.ActionDelistProduct:
			if err := s.delistForPenalty(tx, who, p, v, st.ProductID, now); err != nil {
				return nil, err
			}
		case market.ActionBlockStore:
			// An extension of a block in force is no new closure.
			if blocked := now.Before(p.PenaltyBlockUntil()); st.Until.After(p.PenaltyBlockUntil()) && p.BlockStoreUntil(st.Until, now) && !blocked {
				if _, err := tx.Record(market.Event{Type: market.EventStoreClosed, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
					Data: market.StoreClosedData{Reason: market.ReasonPenalty, Until: p.PenaltyBlockUntil(), ViolationID: v.ID}}); err != nil {
					return nil, err
				}
			}
		case market.ActionRestrictPublishing:
			if st.Until.After(p.PublishRestrictedUntil) {
				p.PublishRestrictedUntil = st.Until
				if _, err := tx.Record(market.Event{Type: market.EventPublishingRestricted, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
					Data: market.PublishingData{Until: st.Until, ViolationID: v.ID}}); err != nil {
					return nil, err
				}
			}
		case market.ActionExpel, market.ActionBanAccount:
			if p.Status == market.ProviderExpelled {
				continue // expel and ban_account of one row expel once
			}
			made, err := s.expel(tx, who, p, v, now)
			if err != nil {
				return nil, err
			}
			refunds = append(refunds, made...)
		}
	}
	if err := tx.SaveProvider(p); err != nil {
		return nil, err
	}
	// Deductions last: an expelled provider has no top-up clock (R-DP5).
	for i := range v.Steps {
		st := &v.Steps[i]
		if st.Action != market.ActionDeductDeposit {
			continue
		}
		e, err := s.deduct(tx, who, p, Deduction{AmountFen: st.AmountFen, Reason: fmt.Sprintf("违规处罚 %s（%s，%s）", v.ID, v.Type, v.RuleRef), ViolationID: v.ID}, now)
		if err != nil {
			return nil, err
		}
		st.EntryID, st.TakenFen, st.OwedFen = e.ID, -e.AmountFen, e.OwedFen
	}
	if err := tx.SetStoreOpen(p.ID, p.StoreOpen(now)); err != nil { // a blocked or closed store's products leave the shelves
		return nil, err
	}
	_, err := tx.Record(market.Event{Type: market.EventViolationApplied, At: now, Actor: who.Account, Subject: v.ID, ProviderID: p.ID, Data: market.ViolationEventData(v)},
		market.SMS(p.Contact.Phone, "violation_applied", smsDay(v.AppealDueAt)))
	return refunds, err
}

// delistForPenalty takes one product off the marketplace for a violation,
// once, and remembers it so an overturn can list it again.
func (s *Service) delistForPenalty(tx *store.Tx, who market.Actor, p *market.Provider, v *market.Violation, productID string, now time.Time) error {
	prod, err := tx.Product(productID)
	if err != nil {
		return notFound(err, "Product", productID)
	}
	return s.delistProduct(tx, who, p, v, prod, now)
}

func (s *Service) delistProduct(tx *store.Tx, who market.Actor, p *market.Provider, v *market.Violation, prod *market.Product, now time.Time) error {
	if prod.Status == market.ProductDelisted || slices.Contains(v.Delisted, prod.ID) {
		return nil
	}
	if err := prod.Delist(fmt.Sprintf("违规处罚 %s（%s）", v.ID, v.Type), now); err != nil {
		return err
	}
	v.Delisted = append(v.Delisted, prod.ID)
	if err := tx.SaveProduct(prod, p.StoreOpen(now)); err != nil {
		return err
	}
	_, err := tx.Record(productEvent(market.EventProductDelisted, prod, who, market.ProductDelistedData{Reason: prod.DelistReason, Status: prod.Status, EditStatus: prod.EditStatus}))
	return err
}

// expel ends the provider for a severe violation (R-VI2, R-VI4, R-VI7..R-VI9,
// R-EX1): every product delisted, the store closed for good, the
// organisation banned on its organisation code — which both of its codes
// carry — so it is never admitted again (R-EN7), and its unfinished orders
// refunded in full (R-EX2).
func (s *Service) expel(tx *store.Tx, who market.Actor, p *market.Provider, v *market.Violation, now time.Time) ([]string, error) {
	v.PriorStatus = p.Status
	p.Expel(now)
	products, err := tx.ProviderProducts(p.ID)
	if err != nil {
		return nil, err
	}
	for _, prod := range products {
		if err := s.delistProduct(tx, who, p, v, prod, now); err != nil {
			return nil, err
		}
	}
	if _, err := tx.Organisation(p.Organisation); err != nil {
		return nil, err
	}
	if err := tx.SetOrganisation(p.Organisation, store.OrganisationRef{Standing: market.OrganisationExpelled, ProviderID: p.ID, Reason: "expelled: " + v.ID}, now); err != nil {
		return nil, err
	}
	if err := tx.SaveProvider(p); err != nil { // the refunds below read it
		return nil, err
	}
	refunds, err := s.exitRefunds(tx, who, p.ID, now)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Record(market.Event{Type: market.EventProviderExpelled, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
		Data: market.ProviderStandingData{ViolationID: v.ID, Status: p.Status, Organisation: p.Organisation}}); err != nil {
		return nil, err
	}
	_, err = tx.Record(market.Event{Type: market.EventStoreClosed, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
		Data: market.StoreClosedData{Reason: market.ReasonExpelled, ViolationID: v.ID}})
	return refunds, err
}

// ConfirmViolation applies a proposed violation now, as the risk team
// confirms it.
func (s *Service) ConfirmViolation(ctx context.Context, who market.Actor, id string) (*market.Violation, error) {
	if err := forRisk(who, "Confirming a proposed violation"); err != nil {
		return nil, err
	}
	now := s.now()
	var refunds []string
	v, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Violation, error) {
		v, p, err := violationAndProvider(tx, id)
		if err != nil {
			return nil, err
		}
		if err := v.CheckApplicable(p); err != nil {
			return nil, err
		}
		if refunds, err = s.applySteps(tx, who, p, v, now); err != nil {
			return nil, err
		}
		return v, tx.SaveViolation(v)
	})
	return s.afterPenalty(ctx, v, err, refunds)
}

// DismissViolation closes a proposed violation without a penalty; the reason
// is kept.
func (s *Service) DismissViolation(ctx context.Context, who market.Actor, id, reason string) (*market.Violation, error) {
	if err := forRisk(who, "Dismissing a proposed violation"); err != nil {
		return nil, err
	}
	if err := market.CheckReason(reason); err != nil {
		return nil, err
	}
	now := s.now()
	return store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Violation, error) {
		v, err := tx.Violation(id)
		if err != nil {
			return nil, notFound(err, "Violation", id)
		}
		if err := v.Dismiss(reason, who.Account, now); err != nil {
			return nil, err
		}
		if err := tx.SaveViolation(v); err != nil {
			return nil, err
		}
		d := market.ViolationEventData(v)
		d.Reason = v.DismissReason
		_, err = tx.Record(market.Event{Type: market.EventViolationDismissed, At: now, Actor: who.Account, Subject: v.ID, ProviderID: v.ProviderID, Data: d})
		return v, err
	})
}

// violationAndProvider reads a violation and the provider it concerns, the
// start of every decision on a violation.
func violationAndProvider(tx *store.Tx, id string) (*market.Violation, *market.Provider, error) {
	v, err := tx.Violation(id)
	if err != nil {
		return nil, nil, notFound(err, "Violation", id)
	}
	p, err := loadProvider(tx, v.ProviderID)
	if err != nil {
		return nil, nil, err
	}
	return v, p, nil
}

// AppealViolation records the provider's appeal, within 7 working days of the
// penalty; the risk team is told.
func (s *Service) AppealViolation(ctx context.Context, who market.Actor, id, statement string) (*market.Violation, error) {
	now := s.now()
	v, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Violation, error) {
		v, p, err := violationAndProvider(tx, id)
		if err != nil {
			return nil, err
		}
		if err := ownProvider(who, p); err != nil {
			return nil, err
		}
		if err := v.FileAppeal(statement, now); err != nil {
			return nil, err
		}
		if err := tx.SaveViolation(v); err != nil {
			return nil, err
		}
		_, err = tx.Record(market.Event{Type: market.EventViolationAppealed, At: now, Actor: who.Account, Subject: v.ID, ProviderID: p.ID, Data: market.ViolationEventData(v)},
			staffSMS(s.Config.RiskPhones, "violation_appealed")...)
		return v, err
	})
	if err == nil {
		s.DeliverPending(ctx)
	}
	return v, err
}

// DecideAppeal records the risk team's decision on an appeal. Overturning
// reverses, in the same transaction, what can be reversed: the restrictions
// (down to what other penalties still impose), the delisted products, the
// deductions (credited back to the ledger as their own entries), and an
// expulsion while its appeal window is open; what cannot is listed in
// appeal.notReversed.
func (s *Service) DecideAppeal(ctx context.Context, who market.Actor, id, decision, reason string) (*market.Violation, error) {
	if err := forRisk(who, "Deciding an appeal"); err != nil {
		return nil, err
	}
	now := s.now()
	v, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Violation, error) {
		v, p, err := violationAndProvider(tx, id)
		if err != nil {
			return nil, err
		}
		if err := v.DecideAppeal(strings.TrimSpace(decision), reason, who.Account, now); err != nil {
			return nil, err
		}
		if v.Status == market.ViolationOverturned {
			if v.Appeal.NotReversed, err = s.reverse(tx, who, p, v, now); err != nil {
				return nil, err
			}
		}
		if err := tx.SaveViolation(v); err != nil {
			return nil, err
		}
		d := market.ViolationEventData(v)
		d.Reason, d.NotReversed = v.Appeal.Reason, v.Appeal.NotReversed
		typ := market.EventViolationAppealUpheld
		if v.Status == market.ViolationOverturned {
			typ = market.EventViolationOverturned
		}
		_, err = tx.Record(market.Event{Type: typ, At: now, Actor: who.Account, Subject: v.ID, ProviderID: p.ID, Data: d},
			market.SMS(p.Contact.Phone, "violation_appeal_decided"))
		return v, err
	})
	if err == nil {
		s.DeliverPending(ctx)
	}
	return v, err
}

// reverse undoes an overturned violation's steps on the provider.
func (s *Service) reverse(tx *store.Tx, who market.Actor, p *market.Provider, v *market.Violation, now time.Time) ([]string, error) {
	var notReversed []string
	wasOpen := p.StoreOpen(now) && p.PenaltyBlockUntil().IsZero() // a recorded block, even one just ended, is the timer's to lift
	// Restrictions come down to what the provider's other penalties impose.
	others, err := tx.OpenViolations(p.ID, now)
	if err != nil {
		return nil, err
	}
	var blockUntil, publishUntil time.Time
	for _, o := range others {
		if o.ID == v.ID || o.Status != market.ViolationApplied {
			continue
		}
		if u := o.Until(market.ActionBlockStore); u.After(blockUntil) {
			blockUntil = u
		}
		if u := o.Until(market.ActionRestrictPublishing); u.After(publishUntil) {
			publishUntil = u
		}
	}
	if own := v.Until(market.ActionBlockStore); !own.IsZero() {
		if b := p.PenaltyBlockUntil(); !b.IsZero() && !b.After(own) { // this penalty set the end
			p.BlockStoreUntil(blockUntil, now)
		}
		if now.Before(blockUntil) {
			notReversed = append(notReversed, "store block: another penalty keeps the store blocked until "+blockUntil.In(workday.Shanghai).Format(time.RFC3339))
		}
	}
	if own := v.Until(market.ActionRestrictPublishing); !own.IsZero() {
		if r := p.PublishRestrictedUntil; !r.IsZero() && !r.After(own) {
			p.PublishRestrictedUntil = time.Time{}
			if now.Before(publishUntil) {
				p.PublishRestrictedUntil = publishUntil
			} else { // restored here, not by the timer
				if _, err := tx.Record(market.Event{Type: market.EventPublishingRestored, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
					Data: market.PublishingData{Until: now, ViolationID: v.ID}}); err != nil {
					return nil, err
				}
				if err := s.listApproved(tx, who, p, "publishing_restored"); err != nil {
					return nil, err
				}
			}
		}
		if now.Before(publishUntil) {
			notReversed = append(notReversed, "publishing: another penalty restricts it until "+publishUntil.In(workday.Shanghai).Format(time.RFC3339))
		}
	}
	if v.Expels() && p.Status == market.ProviderExpelled {
		if !v.ExpulsionReversible(now) {
			notReversed = append(notReversed, "expel: the appeal window closed on "+v.AppealDueAt.In(workday.Shanghai).Format(time.DateOnly)+"; the expulsion and the ban stand")
		} else {
			p.Readmit(v.PriorStatus)
			if _, err := tx.Organisation(p.Organisation); err != nil {
				return nil, err
			}
			if err := tx.SetOrganisation(p.Organisation, store.OrganisationRef{Standing: market.OrganisationProvider, ProviderID: p.ID}, now); err != nil {
				return nil, err
			}
			if _, err := tx.Record(market.Event{Type: market.EventProviderReadmitted, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
				Data: market.ProviderStandingData{ViolationID: v.ID, Status: p.Status, Organisation: p.Organisation}}); err != nil {
				return nil, err
			}
			notReversed = append(notReversed, "refunds: the orders refunded at the expulsion (R-EX2) stay refunded")
		}
	}
	for _, pid := range v.Delisted {
		prod, err := tx.Product(pid)
		if err != nil {
			return nil, err
		}
		if p.Status == market.ProviderExpelled || !prod.Relist(now) {
			notReversed = append(notReversed, "product "+pid+": stays delisted (status "+string(prod.Status)+")")
			continue
		}
		if err := tx.SaveProduct(prod, p.StoreOpen(now)); err != nil {
			return nil, err
		}
		if _, err := tx.Record(productEvent(market.EventProductListed, prod, who, market.ProductListedOnDepositData{Cause: "violation_overturned", Status: prod.Status, EditStatus: prod.EditStatus})); err != nil {
			return nil, err
		}
	}
	for _, st := range v.Steps {
		if st.Action != market.ActionDeductDeposit || st.EntryID == "" {
			continue
		}
		if p.Deposit.Status() == market.DepositReturned { // nothing is held to credit back to
			notReversed = append(notReversed, fmt.Sprintf("deduction: the deposit was already returned; %s taken is for finance to pay back", st.TakenFen))
			continue
		}
		forgiven, whole := p.CreditBack(st.TakenFen, st.OwedFen)
		e := market.DepositEntry{ID: ids.New(ids.Deposit, now), ProviderID: p.ID, Kind: market.EntryCredit, AmountFen: st.TakenFen, OwedFen: -forgiven,
			BalanceAfterFen: p.Deposit.BalanceFen, Reason: fmt.Sprintf("违规处罚 %s 申诉撤销，退回扣款", v.ID), ViolationID: v.ID, Actor: who.Account, At: now}
		if err := tx.AppendEntry(e); err != nil {
			return nil, err
		}
		if forgiven > 0 { // the owed amount forgiven leaves the settlement ledger too (R-VI11)
			if err := tx.PostLedger(market.DepositOwedTxn(e.ID, p.ID, -forgiven, now)); err != nil {
				return nil, err
			}
		}
		if _, err := tx.Record(market.Event{Type: market.EventDepositCredited, At: now, Actor: who.Account, Subject: e.ID, ProviderID: p.ID,
			Data: market.DepositCreditedData{EntryID: e.ID, ViolationID: v.ID, AmountFen: int64(st.TakenFen), ForgivenFen: int64(forgiven),
				BalanceFen: int64(p.Deposit.BalanceFen), OwedFen: int64(p.Deposit.OwedFen)}}); err != nil {
			return nil, err
		}
		if st.OwedFen > forgiven {
			notReversed = append(notReversed, fmt.Sprintf("deduction: %s of the owed amount was already recovered by settlement", st.OwedFen-forgiven))
		}
		if whole {
			p.Store.Reopen(market.ReasonDepositShort)
		}
	}
	if err := tx.SaveProvider(p); err != nil {
		return nil, err
	}
	if err := tx.SetStoreOpen(p.ID, p.StoreOpen(now)); err != nil {
		return nil, err
	}
	if !wasOpen && p.StoreOpen(now) {
		if _, err := tx.Record(market.Event{Type: market.EventStoreReopened, At: now, Actor: who.Account, Subject: p.ID, ProviderID: p.ID,
			Data: market.StoreReopenedData{Reason: market.ReasonPenalty}}); err != nil {
			return nil, err
		}
	}
	return notReversed, nil
}

// GetViolation returns a violation to the provider's owner or an operator.
func (s *Service) GetViolation(ctx context.Context, who market.Actor, id string) (*market.Violation, error) {
	v, err := s.Store.Violation(ctx, id)
	if err != nil {
		return nil, notFound(err, "Violation", id)
	}
	if !who.IsOperator() {
		if _, err := s.GetProvider(ctx, who, v.ProviderID); err != nil {
			return nil, fault.NotFound("Violation", "Violation %s does not exist.", id)
		}
	}
	return v, nil
}

// ListViolations lists violations: a provider's (its owner or an operator),
// newest first; all of them for operators, the proposed ones (the risk
// team's queue) oldest first.
func (s *Service) ListViolations(ctx context.Context, who market.Actor, q store.ViolationQuery) ([]*market.Violation, error) {
	switch market.ViolationStatus(q.Status) {
	case "", market.ViolationProposed, market.ViolationApplied, market.ViolationDismissed, market.ViolationOverturned:
	default:
		return nil, fault.Invalid("Status", "status must be one of proposed, applied, dismissed, overturned; got %q.", q.Status)
	}
	if q.ProviderID != "" {
		if _, err := s.GetProvider(ctx, who, q.ProviderID); err != nil {
			return nil, err
		}
	} else if !who.IsOperator() {
		return nil, fault.Forbidden("The list of all violations is for operators.")
	}
	q.Oldest = q.ProviderID == "" && q.Status == string(market.ViolationProposed)
	return s.Store.Violations(ctx, q)
}

// propose records a violation the system found (R-SV2, R-VI6) for the risk
// team to confirm or dismiss; nothing is applied. A provider already
// expelled or gone gets none.
func (s *Service) propose(tx *store.Tx, p *market.Provider, code, evidence, source, sourceRef, actor string, now time.Time) (*market.Violation, error) {
	v, err := market.NewViolation(ids.New(ids.Violation, now), s.ViolationCatalogue(), p, market.ViolationRequest{Type: code, Evidence: evidence}, nil, source, sourceRef, actor, now)
	if err != nil {
		return nil, err
	}
	if err := tx.InsertViolation(v); err != nil {
		return nil, err
	}
	_, err = tx.Record(market.Event{Type: market.EventViolationProposed, At: now, Actor: actor, Subject: v.ID, ProviderID: p.ID, Data: market.ViolationEventData(v)},
		staffSMS(s.Config.RiskPhones, "violation_proposed")...)
	return v, err
}

// proposeLateStart proposes dishonest_behaviour for an order not started in
// time (R-SV2, R-VI5), inside the late-start flag's transaction.
func (s *Service) proposeLateStart(tx *store.Tx, o *market.Order, actor string, now time.Time) error {
	p, err := tx.Provider(o.ProviderID)
	if err != nil {
		return err
	}
	if p.Status == market.ProviderExpelled || p.Status == market.ProviderExited {
		return nil
	}
	from := "paid " + o.PaidAt.In(workday.Shanghai).Format("2006-01-02 15:04")
	if o.Category == market.CategoryOps {
		from = "requirement form " + o.RequirementsAt.In(workday.Shanghai).Format("2006-01-02 15:04")
	}
	evidence := fmt.Sprintf("R-SV2: order %s (%s, %s) was not started by %s.", o.ID, o.ProductName, from, o.StartDueAt.In(workday.Shanghai).Format(time.RFC3339))
	_, err = s.propose(tx, p, "dishonest_behaviour", evidence, market.SourceLateStart, o.ID, actor, now)
	return err
}

// openLostContactProposal finds a lost_contact proposal of the provider still
// waiting for the risk team, so unanswered reports join it instead of
// piling up proposals.
func openLostContactProposal(tx *store.Tx, providerID string, now time.Time) (*market.Violation, error) {
	open, err := tx.OpenViolations(providerID, now)
	if err != nil {
		return nil, err
	}
	for _, v := range open {
		if v.Status == market.ViolationProposed && v.Type == "lost_contact" {
			return v, nil
		}
	}
	return nil, nil
}

// proposeLostContact proposes lost_contact for unanswered reports (R-VI6) and
// marks them unanswered, or joins them to the proposal already waiting.
func (s *Service) proposeLostContact(tx *store.Tx, p *market.Provider, reports []*market.ContactReport, attempts bool, actor string, now time.Time) (*market.Violation, error) {
	v, err := openLostContactProposal(tx, p.ID, now)
	if err != nil {
		return nil, err
	}
	if v == nil {
		source := market.SourceContactReport
		if attempts {
			source = market.SourceContactAttempts
		}
		if v, err = s.propose(tx, p, "lost_contact", market.LostContactEvidence(reports, attempts), source, reports[len(reports)-1].ID, actor, now); err != nil {
			return nil, err
		}
	}
	for _, c := range reports {
		c.MarkUnanswered(v.ID, now)
		if err := tx.SaveContactReport(c); err != nil {
			return nil, err
		}
		if _, err := tx.Record(market.Event{Type: market.EventContactReportUnanswered, At: now, Actor: actor, Subject: c.ID, ProviderID: p.ID,
			Data: contactData(c)}); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func contactData(c *market.ContactReport) market.ContactReportData {
	return market.ContactReportData{ReportID: c.ID, Channel: c.Channel, OrderID: c.OrderID, ByOperator: c.ByOperator, Status: c.Status, RespondBy: c.RespondBy, ViolationID: c.ViolationID}
}

// proposeUnanswered turns contact reports left unanswered past respondBy into
// a proposed lost_contact violation (R-VI6), once each.
func (s *Service) proposeUnanswered(ctx context.Context, now time.Time) (int, error) {
	due, err := s.Store.UnansweredContactReports(ctx, now, sweepBatch)
	if err != nil {
		return 0, err
	}
	actor := market.System("enforce-deadlines").Account
	n := 0
	for _, id := range due {
		done, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (bool, error) {
			c, err := tx.ContactReport(id)
			if err != nil || !c.Unanswered(now) {
				return false, err
			}
			p, err := tx.Provider(c.ProviderID)
			if err != nil {
				return false, err
			}
			if p.Status == market.ProviderExpelled || p.Status == market.ProviderExited {
				c.MarkUnanswered("", now)
				return true, tx.SaveContactReport(c)
			}
			_, err = s.proposeLostContact(tx, p, []*market.ContactReport{c}, false, actor, now)
			return err == nil, err
		})
		if errors.Is(err, store.ErrConflict) || store.IsDuplicate(err) {
			continue // changed meanwhile: the next run looks again
		}
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

// liftPenalties lifts, exactly once, each penalty block and publishing
// restriction whose time is up (R-WD4): store.reopened when the store opens
// (a store also closed for a deposit shortfall stays closed until that is
// over too), publishing.restored when publishing is.
func (s *Service) liftPenalties(ctx context.Context, now time.Time) (int, error) {
	due, err := s.Store.LiftDueProviders(ctx, now, sweepBatch)
	if err != nil {
		return 0, err
	}
	actor := market.System("enforce-deadlines").Account
	return sweep(ctx, s.Store, due, (*store.Tx).Provider, (*store.Tx).SaveProvider, func(tx *store.Tx, p *market.Provider) (bool, error) {
		storeLifted, restored := p.LiftExpired(now)
		if storeLifted {
			if err := tx.SetStoreOpen(p.ID, p.StoreOpen(now)); err != nil {
				return false, err
			}
			if p.StoreOpen(now) {
				if _, err := tx.Record(market.Event{Type: market.EventStoreReopened, At: now, Actor: actor, Subject: p.ID, ProviderID: p.ID,
					Data: market.StoreReopenedData{Reason: market.ReasonPenalty}},
					market.SMS(p.Contact.Phone, "store_unblocked")); err != nil {
					return false, err
				}
			}
		}
		if restored {
			if _, err := tx.Record(market.Event{Type: market.EventPublishingRestored, At: now, Actor: actor, Subject: p.ID, ProviderID: p.ID,
				Data: market.PublishingData{Until: now}}); err != nil {
				return false, err
			}
			if err := s.listApproved(tx, market.System("enforce-deadlines"), p, "publishing_restored"); err != nil {
				return false, err
			}
		}
		return true, nil // saving recomputes when the next lift is due
	})
}

// FileContactReport records that the provider could not be reached (R-VI6):
// by a buyer with an order from it, or by staff (a contact attempt). The
// provider's contact gets an SMS and an e-mail; it has 48 hours to answer. A
// third unanswered staff attempt within 7 days proposes lost_contact at once.
func (s *Service) FileContactReport(ctx context.Context, who market.Actor, providerID, orderID, channel, note string) (*market.ContactReport, error) {
	operator := who.IsOperator()
	if !operator && !who.Has(market.RoleBuyer) {
		return nil, fault.Forbidden("Contact reports are filed by a buyer with an order from the provider, or by operators.")
	}
	orderID = strings.TrimSpace(orderID)
	if !operator && orderID == "" {
		return nil, fault.New(fault.MissingParameter, "orderId is required from a buyer: name your order with this provider.")
	}
	now := s.now()
	c, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.ContactReport, error) {
		p, err := loadProvider(tx, providerID)
		if err != nil {
			return nil, err
		}
		if orderID != "" {
			o, err := tx.Order(orderID)
			if err != nil {
				return nil, notFound(err, "Order", orderID)
			}
			if !operator && o.BuyerAccount != who.Account {
				return nil, fault.NotFound("Order", "Order %s does not exist.", orderID)
			}
			if o.ProviderID != p.ID {
				return nil, fault.Invalid("OrderId", "Order %s is not an order of provider %s.", orderID, p.ID)
			}
		}
		c, err := market.NewContactReport(ids.New(contactReportPrefix, now), p, orderID, channel, note, who.Account, operator, now)
		if err != nil {
			return nil, err
		}
		if err := tx.InsertContactReport(c); err != nil {
			return nil, err
		}
		due := c.RespondBy.In(workday.Shanghai).Format("2006-01-02 15:04")
		notes := []market.Notification{market.SMS(p.Contact.Phone, "contact_report_sms", smsDay(c.RespondBy), smsClock(c.RespondBy))}
		if p.Contact.Email != "" {
			notes = append(notes, market.Notification{Channel: "email", To: p.Contact.Email, Template: "contact_report_filed", Params: []string{p.CompanyName, c.ID, due}})
		}
		if _, err := tx.Record(market.Event{Type: market.EventContactReportFiled, At: now, Actor: who.Account, Subject: c.ID, ProviderID: p.ID, Data: contactData(c)}, notes...); err != nil {
			return nil, err
		}
		if operator {
			attempts, err := tx.OpenStaffAttempts(p.ID, now.Add(-market.StaffAttemptWindow))
			if err != nil {
				return nil, err
			}
			if len(attempts) >= market.StaffAttempts {
				slices.SortFunc(attempts, func(a, b *market.ContactReport) int { return strings.Compare(a.ID, b.ID) })
				if _, err := s.proposeLostContact(tx, p, attempts, true, who.Account, now); err != nil {
					return nil, err
				}
				for _, a := range attempts {
					if a.ID == c.ID {
						c = a
					}
				}
			}
		}
		return c, nil
	})
	if err == nil {
		s.DeliverPending(ctx)
	}
	return c, err
}

// RespondContactReport is the provider's answer: the report is closed.
func (s *Service) RespondContactReport(ctx context.Context, who market.Actor, id, response string) (*market.ContactReport, error) {
	now := s.now()
	return store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.ContactReport, error) {
		c, err := tx.ContactReport(id)
		if err != nil {
			return nil, notFound(err, "ContactReport", id)
		}
		p, err := loadProvider(tx, c.ProviderID)
		if err != nil {
			return nil, err
		}
		if err := ownProvider(who, p); err != nil {
			return nil, err
		}
		if err := c.Respond(response, now); err != nil {
			return nil, err
		}
		answered := []*market.ContactReport{c}
		if c.ByOperator { // contact is made: the staff attempts before it are no longer "consecutive" (R-VI6)
			earlier, err := tx.OpenStaffAttempts(p.ID, time.Time{})
			if err != nil {
				return nil, err
			}
			for _, o := range earlier {
				if o.ID != c.ID && o.Respond("answered with "+c.ID, now) == nil {
					answered = append(answered, o)
				}
			}
		}
		for _, a := range answered {
			if err := tx.SaveContactReport(a); err != nil {
				return nil, err
			}
			if _, err := tx.Record(market.Event{Type: market.EventContactReportAnswered, At: now, Actor: who.Account, Subject: a.ID, ProviderID: p.ID, Data: contactData(a)}); err != nil {
				return nil, err
			}
		}
		return c, nil
	})
}

// ListContactReports lists a provider's contact reports, newest first, to
// its owner or an operator.
func (s *Service) ListContactReports(ctx context.Context, who market.Actor, providerID, afterID string, limit int) ([]*market.ContactReport, error) {
	if _, err := s.GetProvider(ctx, who, providerID); err != nil {
		return nil, err
	}
	return s.Store.ContactReports(ctx, providerID, afterID, limit)
}
