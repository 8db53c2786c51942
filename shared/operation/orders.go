package operation

import (
	"context"
	"errors"
	"strings"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/ids"
	"cloudmarket/shared/market"
	"cloudmarket/shared/store"
)

// PlaceOrder creates an order for a plan of a product on sale; the amount
// comes from the listed plan, never from the client (R-FE1, R-FE2). Its
// Native payment is opened first, so the order is stored with its code_url
// and the response (and its Idempotency-Key record) carries it; a failed
// prepay leaves the order due for another try by the deadline timer.
func (s *Service) PlaceOrder(ctx context.Context, who market.Actor, productID, planID string, quantity int) (*market.Order, error) {
	now := s.now()
	if productID == "" {
		return nil, fault.Missing("productId")
	}
	id := ids.New(ids.Order, now)
	place := func(prod *market.Product, prov *market.Provider) (*market.Order, error) {
		if prov.AccountID == who.Account { // R-CD2: buying one's own product is a fake trade
			return nil, fault.Forbidden("Product %s is sold by your own account; a provider may not buy its own products (R-CD2).", prod.ID)
		}
		return market.NewOrder(id, "CM"+strings.TrimPrefix(id, ids.Order+"_"), who.Account, prod, prov, planID, quantity, s.Config.ConsignmentRate, now)
	}
	prod, err := s.Store.Product(ctx, productID)
	if err != nil {
		return nil, notFound(err, "Product", productID)
	}
	prov, err := s.Store.Provider(ctx, prod.ProviderID)
	if err != nil {
		return nil, err
	}
	draft, err := place(prod, prov)
	if err != nil {
		return nil, err
	}
	codeURL := s.prepayCode(ctx, draft)
	return store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Order, error) {
		prod, err := tx.Product(productID)
		if err != nil {
			return nil, notFound(err, "Product", productID)
		}
		prov, err := tx.Provider(prod.ProviderID)
		if err != nil {
			return nil, err
		}
		o, err := place(prod, prov)
		if err != nil {
			return nil, err
		}
		if o.AmountFen != draft.AmountFen || description(o) != description(draft) {
			// The prepay was for the product as it was a moment ago; its
			// out_trade_no cannot be prepaid again with other terms.
			return nil, fault.Failed("ProductChanged", "Product %s changed while the order was placed; place the order again.", prod.ID)
		}
		o.PrepayAttempted(codeURL, now)
		if err := tx.InsertOrder(o); err != nil {
			return nil, err
		}
		_, err = tx.Record(market.Event{Type: market.EventOrderCreated, At: now, Actor: who.Account, Subject: o.ID, ProviderID: o.ProviderID,
			Data: market.OrderCreatedData{ProductID: o.ProductID, PlanID: o.Plan.ID, Quantity: o.Quantity, AmountFen: int64(o.AmountFen),
				PlatformFeeFen: int64(o.PlatformFee), ProviderNetFen: int64(o.ProviderNet), FeeMode: o.Fee.Mode}})
		return o, err
	})
}

// orderRole is how the caller relates to an order.
type orderRole int

const (
	orderStranger orderRole = iota
	orderBuyer
	orderProvider
	orderOperator
)

// roleOn finds how the caller relates to an order. A store failure is an
// error (a 500), never a refusal.
func (s *Service) roleOn(ctx context.Context, who market.Actor, o *market.Order) (orderRole, error) {
	switch {
	case who.IsOperator():
		return orderOperator, nil
	case o.BuyerAccount == who.Account:
		return orderBuyer, nil
	case who.Has(market.RoleProvider):
		p, err := s.Store.Provider(ctx, o.ProviderID)
		if errors.Is(err, store.ErrNotFound) {
			return orderStranger, nil
		}
		if err != nil {
			return orderStranger, err
		}
		if p.AccountID == who.Account {
			return orderProvider, nil
		}
	}
	return orderStranger, nil
}

// GetOrder returns an order to its buyer, the product's provider or an operator.
func (s *Service) GetOrder(ctx context.Context, who market.Actor, id string) (*market.Order, error) {
	o, err := s.Store.Order(ctx, id)
	if err != nil {
		return nil, notFound(err, "Order", id)
	}
	role, err := s.roleOn(ctx, who, o)
	if err != nil {
		return nil, err
	}
	if role == orderStranger {
		return nil, fault.Forbidden("Order %s belongs to another account.", id)
	}
	return o, nil
}

// changeOrder runs one change of an order by a caller in the given role.
func (s *Service) changeOrder(ctx context.Context, who market.Actor, id string, role orderRole, event market.EventType, change func(o *market.Order) error) (*market.Order, error) {
	now := s.now()
	return store.Transact(ctx, s.Store, func(tx *store.Tx) (*market.Order, error) {
		o, err := tx.Order(id)
		if err != nil {
			return nil, notFound(err, "Order", id)
		}
		got, err := s.roleOn(tx.Context(), who, o)
		if err != nil {
			return nil, err
		}
		if got != role {
			return nil, fault.Forbidden("Order %s: only its %s may do this.", id, map[orderRole]string{orderBuyer: "buyer", orderProvider: "provider"}[role])
		}
		if err := change(o); err != nil {
			return nil, err
		}
		if err := tx.SaveOrder(o); err != nil {
			return nil, err
		}
		_, err = tx.Record(market.Event{Type: event, At: now, Actor: who.Account, Subject: o.ID, ProviderID: o.ProviderID,
			Data: market.OrderStatusChangedData{Status: o.Status}})
		return o, err
	})
}

// SubmitRequirements records an ops buyer's requirement form.
func (s *Service) SubmitRequirements(ctx context.Context, who market.Actor, id, text string) (*market.Order, error) {
	now := s.now()
	return s.changeOrder(ctx, who, id, orderBuyer, market.EventOrderRequirementsSubmitted, func(o *market.Order) error { return o.SubmitRequirements(text, now, s.Calendar) })
}

// StartOrder records that the provider started work (R-SV2).
func (s *Service) StartOrder(ctx context.Context, who market.Actor, id string) (*market.Order, error) {
	now := s.now()
	return s.changeOrder(ctx, who, id, orderProvider, market.EventOrderStarted, func(o *market.Order) error { return o.Start(now) })
}

// ConfirmOrder is the ops buyer's confirmation that the service is complete
// (R-RF1: it ends the review period).
func (s *Service) ConfirmOrder(ctx context.Context, who market.Actor, id string) (*market.Order, error) {
	now := s.now()
	return s.changeOrder(ctx, who, id, orderBuyer, market.EventOrderCompleted, func(o *market.Order) error { return o.Confirm(now) })
}
