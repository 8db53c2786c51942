package httpapi

import "cloudmarket/shared/market"

// refundRoutes are the refund feature's routes (R-RF1..R-RF8, R-EX2).
func (a *API) refundRoutes() []Route {
	return []Route{
		{Method: "GET", Pattern: "/v1/orders/{id}/refund-quote", Function: "query-refunds", Handle: a.RefundQuote},
		{Method: "GET", Pattern: "/v1/refunds/{id}", Function: "query-refunds", Handle: a.GetRefund},
		{Method: "GET", Pattern: "/v1/refunds", Function: "query-refunds", Handle: a.ListRefunds},
		{Method: "POST", Pattern: "/v1/orders/{id}/refunds", Function: "request-refund", Roles: []string{market.RoleBuyer}, Handle: a.RequestRefund},
		{Method: "POST", Pattern: "/v1/refunds/{id}/response", Function: "respond-refund", Roles: []string{market.RoleProvider}, Handle: a.RespondRefund},
		{Method: "POST", Pattern: "/v1/refunds/{id}/arbitration", Function: "arbitrate-refund", Roles: []string{market.RoleRisk}, Handle: a.ArbitrateRefund},
		{Method: "POST", Pattern: "/v1/refunds/{id}/provider-payment", Function: "record-refund-payment", Roles: []string{market.RoleProvider}, Handle: a.RecordProviderRefundPayment},
		{Method: "POST", Pattern: "/v1/payments/refund-notify", Function: "refund-notify", Public: true, PaymentSystem: true, Handle: a.RefundNotify},
	}
}
