package store

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"

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
	filter := bson.M{}
	if q.Status != "" {
		filter["status"] = q.Status
	}
	if q.AccountID != "" {
		filter["accountId"] = q.AccountID
	}
	if q.AfterID != "" {
		filter["_id"] = bson.M{"$gt": q.AfterID}
	}
	var docs []providerDoc
	if err := s.find(ctx, colProviders, filter, bson.D{{Key: "_id", Value: 1}}, q.Limit, &docs); err != nil {
		return nil, err
	}
	out := make([]*market.Provider, len(docs))
	for i, d := range docs {
		out[i] = d.provider()
	}
	return out, nil
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
	filter := bson.M{}
	if q.ProviderID != "" {
		filter["providerId"] = q.ProviderID
	}
	if q.BuyerAccount != "" {
		filter["buyerAccount"] = q.BuyerAccount
	}
	if q.AfterID != "" {
		filter["_id"] = bson.M{"$gt": q.AfterID}
	}
	var docs []orderDoc
	if err := s.find(ctx, colOrders, filter, bson.D{{Key: "_id", Value: 1}}, q.Limit, &docs); err != nil {
		return nil, err
	}
	out := make([]*market.Order, len(docs))
	for i, d := range docs {
		out[i] = d.order()
	}
	return out, nil
}
