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
	switch {
	case who.IsOperator():
	case who.Has(market.RoleProvider) && q.ProviderID != "":
		if _, err := s.GetProvider(ctx, who, q.ProviderID); err != nil {
			return nil, err
		}
	case who.Has(market.RoleProvider):
		return nil, fault.New(fault.MissingParameter, "providerId is required: a provider lists the orders of its own record.")
	case who.Has(market.RoleBuyer) && q.ProviderID == "":
		q.BuyerAccount = who.Account
	default:
		return nil, fault.Forbidden("Order lists are for operators, providers (their own) and buyers (their own).")
	}
	return s.Store.Orders(ctx, q)
}
