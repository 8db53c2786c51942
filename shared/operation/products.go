package operation

import (
	"context"
	"errors"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/ids"
	"cloudmarket/shared/market"
	"cloudmarket/shared/store"
)

// callerProvider reads, for update, the provider record of the calling account.
func callerProvider(tx *store.Tx, who market.Actor) (*market.Provider, error) {
	p, err := tx.ProviderByAccount(who.Account)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.Forbidden("Account %s has no provider record; apply to become a provider first.", who.Account)
	}
	return p, err
}

// loadOwnProduct reads a product and its provider for an edit by the owner.
func loadOwnProduct(tx *store.Tx, who market.Actor, id string) (*market.Product, *market.Provider, error) {
	prod, err := tx.Product(id)
	if err != nil {
		return nil, nil, notFound(err, "Product", id)
	}
	prov, err := tx.Provider(prod.ProviderID)
	if err != nil {
		return nil, nil, err
	}
	if err := ownProvider(who, prov); err != nil {
		return nil, nil, fault.Forbidden("Product %s belongs to another provider.", id)
	}
	return prod, prov, nil
}

func productEvent(t market.EventType, p *market.Product, who market.Actor, data any) market.Event {
	return market.Event{Type: t, At: p.UpdatedAt, Actor: who.Account, Subject: p.ID, ProviderID: p.ProviderID, Data: data}
}

// CreateProduct creates a draft in one of the caller's approved categories.
func (s *Service) CreateProduct(ctx context.Context, who market.Actor, c market.ProductContent) (*market.Product, error) {
	now := s.now()
	return store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Product, error) {
		prov, err := callerProvider(tx, who)
		if err != nil {
			return nil, err
		}
		p, err := market.NewProduct(ids.New(ids.Product, now), prov, c, s.Config.Products, now)
		if err != nil {
			return nil, err
		}
		if err := tx.InsertProduct(p, prov.StoreOpen(now)); err != nil {
			return nil, err
		}
		_, err = tx.Record(productEvent(market.EventProductCreated, p, who, market.ProductCreatedData{Name: p.Content.Name, Category: p.Content.Category, Status: p.Status, EditStatus: p.EditStatus}))
		return p, err
	})
}

// UpdateProduct replaces the working content; a listed product keeps its
// listed version until the edit passes review (R-LS1).
func (s *Service) UpdateProduct(ctx context.Context, who market.Actor, id string, edit func(market.ProductContent) market.ProductContent) (*market.Product, error) {
	now := s.now()
	return store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Product, error) {
		p, prov, err := loadOwnProduct(tx, who, id)
		if err != nil {
			return nil, err
		}
		if err := p.Edit(prov, edit(p.Content), s.Config.Products, now); err != nil {
			return nil, err
		}
		if err := tx.SaveProduct(p, prov.StoreOpen(now)); err != nil {
			return nil, err
		}
		_, err = tx.Record(productEvent(market.EventProductUpdated, p, who, market.ProductChangedData{Status: p.Status, EditStatus: p.EditStatus}))
		return p, err
	})
}

// SubmitProduct runs the automatic checks and asks for review (R-LS1, R-LS3).
func (s *Service) SubmitProduct(ctx context.Context, who market.Actor, id string) (*market.Product, error) {
	now := s.now()
	return store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Product, error) {
		p, prov, err := loadOwnProduct(tx, who, id)
		if err != nil {
			return nil, err
		}
		if err := p.Submit(prov, s.Config.Products, now); err != nil {
			return nil, err
		}
		p.UpdatedAt = now
		if err := tx.SaveProduct(p, prov.StoreOpen(now)); err != nil {
			return nil, err
		}
		_, err = tx.Record(productEvent(market.EventProductSubmitted, p, who, market.ProductChangedData{Status: p.Status, EditStatus: p.EditStatus}))
		return p, err
	})
}

// ReviewProduct records a reviewer's decision (R-LS1, R-LS3). Approval lists
// the product when the provider's deposit was ever received (R-ON3);
// otherwise it waits as approved and is listed by the payment that completes
// the deposit.
func (s *Service) ReviewProduct(ctx context.Context, who market.Actor, id, decision, reportRef, reason string) (*market.Product, error) {
	now := s.now()
	p, err := store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Product, error) {
		p, err := tx.Product(id)
		if err != nil {
			return nil, notFound(err, "Product", id)
		}
		prov, err := tx.Provider(p.ProviderID)
		if err != nil {
			return nil, err
		}
		if prov.AccountID == who.Account { // separation of duties
			return nil, fault.Forbidden("Product %s is your own account's product; another reviewer must review it.", p.ID)
		}
		if decision == "approve" { // a product submitted before a penalty is not listed during it
			if err := prov.CheckPublishing(now); err != nil {
				return nil, err
			}
		}
		outcome, err := p.Review(decision, reportRef, reason, who.Account, prov.Deposit.EverHeld, now)
		if err != nil {
			return nil, err
		}
		if err := tx.SaveProduct(p, prov.StoreOpen(now)); err != nil {
			return nil, err
		}
		data := market.ProductReviewedData{Decision: decision, Reviewer: who.Account, SecurityReportRef: p.LastReview.SecurityReportRef, Reason: p.LastReview.Reason,
			Status: p.Status, EditStatus: p.EditStatus}
		template := map[market.ReviewOutcome]string{
			market.OutcomeListed: "product_listed", market.OutcomeEditPublished: "product_edit_published", market.OutcomeApproved: "product_approved_deposit",
			market.OutcomeRejected: "product_rejected", market.OutcomeEditRejected: "product_rejected",
		}[outcome]
		_, err = tx.Record(productEvent(outcome.Event(), p, who, data),
			market.Notification{Channel: "sms", To: prov.Contact.Phone, Template: template})
		return p, err
	})
	if err == nil {
		s.DeliverPending(ctx)
	}
	return p, err
}

// listApproved lists every product of a provider that was approved while
// waiting for the deposit (R-ON3), inside the transaction of what allowed it:
// the first deposit received (cause deposit_received), or the end of a
// publishing restriction for a provider whose deposit came during it (cause
// publishing_restored). Listing is publishing, so nothing is listed while a
// penalty restricts it (R-VI3, R-VI5).
func (s *Service) listApproved(tx *store.Tx, who market.Actor, prov *market.Provider, cause string) error {
	now := s.now()
	if !prov.Deposit.EverHeld || !prov.CanPublish(now) {
		return nil
	}
	products, err := tx.ApprovedProducts(prov.ID)
	if err != nil {
		return err
	}
	for _, p := range products {
		if !p.ListApproved(now) {
			continue
		}
		p.UpdatedAt = now
		if err := tx.SaveProduct(p, prov.StoreOpen(now)); err != nil {
			return err
		}
		if _, err := tx.Record(productEvent(market.EventProductListed, p, who, market.ProductListedOnDepositData{Cause: cause, Status: p.Status, EditStatus: p.EditStatus})); err != nil {
			return err
		}
	}
	return nil
}

// DelistProduct takes a product off the marketplace: by its provider or by an
// operator.
func (s *Service) DelistProduct(ctx context.Context, who market.Actor, id, reason string) (*market.Product, error) {
	now := s.now()
	return store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Product, error) {
		p, err := tx.Product(id)
		if err != nil {
			return nil, notFound(err, "Product", id)
		}
		prov, err := tx.Provider(p.ProviderID)
		if err != nil {
			return nil, err
		}
		if !who.IsOperator() {
			if err := ownProvider(who, prov); err != nil {
				return nil, fault.Forbidden("Product %s belongs to another provider.", id)
			}
		}
		if err := p.Delist(reason, now); err != nil {
			return nil, err
		}
		if err := tx.SaveProduct(p, prov.StoreOpen(now)); err != nil {
			return nil, err
		}
		_, err = tx.Record(productEvent(market.EventProductDelisted, p, who, market.ProductDelistedData{Reason: p.DelistReason, Status: p.Status, EditStatus: p.EditStatus}))
		return p, err
	})
}

// ProductView is a product as one caller may see it.
type ProductView struct {
	*market.Product
	Full bool // the owner or an operator: working content, review details
}

// GetProduct returns a product: its owner and operators see everything;
// everyone else sees only a product buyers can order, in its listed version.
func (s *Service) GetProduct(ctx context.Context, who market.Actor, id string) (ProductView, error) {
	rec, err := s.Store.Product(ctx, id)
	if err != nil {
		return ProductView{}, notFound(err, "Product", id)
	}
	if who.IsOperator() {
		return ProductView{rec, true}, nil
	}
	if who.Has(market.RoleProvider) {
		if prov, err := s.Store.Provider(ctx, rec.ProviderID); err == nil && prov.AccountID == who.Account {
			return ProductView{rec, true}, nil
		}
	}
	if !rec.OnSale() {
		return ProductView{}, fault.NotFound("Product", "Product %s does not exist or is not on sale.", id)
	}
	return ProductView{rec, false}, nil
}

// ListProducts lists products. Operators see all (status=pending_review is the
// review queue, oldest submission first); a provider sees its own in any
// status; everyone else sees what is on sale.
func (s *Service) ListProducts(ctx context.Context, who market.Actor, q store.ProductQuery) ([]ProductView, error) {
	full := who.IsOperator()
	if !full && q.ProviderID != "" && who.Has(market.RoleProvider) {
		if prov, err := s.Store.Provider(ctx, q.ProviderID); err == nil && prov.AccountID == who.Account {
			full = true
		}
	}
	if q.Status != "" {
		switch market.ProductStatus(q.Status) {
		case market.ProductDraft, market.ProductPendingReview, market.ProductApproved, market.ProductListed, market.ProductRejected, market.ProductDelisted:
		default:
			return nil, fault.Invalid("Status", "status must be one of draft, pending_review, approved, listed, rejected, delisted; got %q.", q.Status)
		}
	}
	if !full {
		if q.Status != "" && q.Status != string(market.ProductListed) {
			return []ProductView{}, nil // only listed products are on sale
		}
		q.Status, q.VisibleOnly = "", true
	}
	q.InReview = q.Status == string(market.ProductPendingReview)
	recs, err := s.Store.Products(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]ProductView, len(recs))
	for i, r := range recs {
		out[i] = ProductView{r, full}
	}
	return out, nil
}
