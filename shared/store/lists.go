package store

import (
	"context"

	"cloudmarket/shared/market"
)

// The console's lists of providers and orders (extensions of API.md), oldest
// first: IDs sort by creation time, so the cursor is the last ID seen.

// ProviderQuery selects provider records.
type ProviderQuery struct {
	Status    string
	AccountID string // a provider's own records
	AfterID   string
	Limit     int
}

// Providers lists provider records.
func (s *Store) Providers(ctx context.Context, q ProviderQuery) ([]*market.Provider, error) {
	return listAfter(ctx, s, colProviders, map[string]string{"status": q.Status, "accountId": q.AccountID}, q.AfterID, q.Limit, providerDoc.provider)
}

// OrderQuery selects orders: a provider's, a buyer's, or all.
type OrderQuery struct {
	ProviderID   string
	BuyerAccount string
	AfterID      string
	Limit        int
}

// Orders lists orders.
func (s *Store) Orders(ctx context.Context, q OrderQuery) ([]*market.Order, error) {
	return listAfter(ctx, s, colOrders, map[string]string{"providerId": q.ProviderID, "buyerAccount": q.BuyerAccount}, q.AfterID, q.Limit, orderDoc.order)
}
