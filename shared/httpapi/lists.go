package httpapi

import (
	"context"
	"net/http"

	"cloudmarket/shared/operation"
)

// ListProviders serves GET /v1/providers?status= (an extension of API.md):
// operators see every provider record, a provider its own.
func (a *API) ListProviders(ctx context.Context, r *Request) (Reply, error) {
	n, err := limit(r)
	if err != nil {
		return Reply{}, err
	}
	list, err := a.Operations.ListProviders(ctx, r.Caller, operation.ProviderQuery{Status: r.Query("status"), AfterID: r.Query("cursor"), Limit: n + 1})
	if err != nil {
		return Reply{}, err
	}
	now := a.Operations.Now()
	out := listView{Items: []any{}}
	for i, p := range list {
		if i == n {
			out.NextCursor = list[n-1].ID
			break
		}
		out.Items = append(out.Items, providerViewOf(p, now))
	}
	return Reply{Status: http.StatusOK, Body: out}, nil
}

// ListOrders serves GET /v1/orders?providerId= (an extension of API.md),
// oldest first: operators any, a provider its own record's, a buyer its own.
func (a *API) ListOrders(ctx context.Context, r *Request) (Reply, error) {
	n, err := limit(r)
	if err != nil {
		return Reply{}, err
	}
	list, err := a.Operations.ListOrders(ctx, r.Caller, operation.OrderQuery{ProviderID: r.Query("providerId"), AfterID: r.Query("cursor"), Limit: n + 1})
	if err != nil {
		return Reply{}, err
	}
	out := listView{Items: []any{}}
	for i, o := range list {
		if i == n {
			out.NextCursor = list[n-1].ID
			break
		}
		out.Items = append(out.Items, viewOrder(o))
	}
	return Reply{Status: http.StatusOK, Body: out}, nil
}
