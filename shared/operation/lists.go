package operation

import (
	"context"
	"slices"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/market"
	"cloudmarket/shared/store"
)

// ProviderQuery and OrderQuery filter the console's lists (the store's
// queries, for the adapters).
type (
	ProviderQuery = store.ProviderQuery
	OrderQuery    = store.OrderQuery
)

var providerStatuses = []market.ProviderStatus{market.ProviderContractPending, market.ProviderActive, market.ProviderExiting,
	market.ProviderExited, market.ProviderExpelled}

// ListProviders lists provider records: operators all of them (by status), a
// provider its own account's — how the console finds "my provider record".
func (s *Service) ListProviders(ctx context.Context, who market.Actor, q ProviderQuery) ([]*market.Provider, error) {
	if q.Status != "" && !slices.Contains(providerStatuses, market.ProviderStatus(q.Status)) {
		return nil, fault.Invalid("Status", "status must be one of contract_pending, active, exiting, exited, expelled; got %q.", q.Status)
	}
	switch {
	case who.IsOperator():
	case who.Has(market.RoleProvider):
		q.AccountID = who.Account
	default:
		return nil, fault.Forbidden("Provider lists are for operators and providers (their own records).")
	}
	return s.Store.Providers(ctx, q)
}

// ListOrders lists orders: operators all or one provider's, a provider the
// orders of its own record, a buyer its own purchases.
func (s *Service) ListOrders(ctx context.Context, who market.Actor, q OrderQuery) ([]*market.Order, error) {
	if err := s.scopeTradeList(ctx, who, q.ProviderID, &q.BuyerAccount, "Order", "orders"); err != nil {
		return nil, err
	}
	return s.Store.Orders(ctx, q)
}

// scopeTradeList is who may list trades (orders, refunds): operators all of
// them or one provider's; a provider those of its own record (providerID
// required and checked); a buyer its own, by setting buyerAccount. list and
// items name the trade in messages ("Order", "orders").
func (s *Service) scopeTradeList(ctx context.Context, who market.Actor, providerID string, buyerAccount *string, list, items string) error {
	switch {
	case who.IsOperator():
	case who.Has(market.RoleProvider) && providerID != "":
		if _, err := s.GetProvider(ctx, who, providerID); err != nil {
			return err
		}
	case who.Has(market.RoleProvider):
		return fault.New(fault.MissingParameter, "providerId is required: a provider lists the %s of its own record.", items)
	case who.Has(market.RoleBuyer) && providerID == "":
		*buyerAccount = who.Account
	default:
		return fault.Forbidden("%s lists are for operators, providers (their own) and buyers (their own).", list)
	}
	return nil
}
