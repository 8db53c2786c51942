package httpapi

import "cloudmarket/shared/market"

// Routes is the one route table: each public route, the SCF function that
// serves it, and who may call it. The emulator reads it to route requests; the
// gateway's path routes in infra/ and serverless.yml are checked against it.
func (a *API) Routes() []Route {
	return append([]Route{
		{Method: "POST", Pattern: "/v1/license-uploads", Function: "create-license-upload", Roles: []string{market.RoleProvider}, Handle: a.CreateLicenseUpload},
		{Method: "POST", Pattern: "/v1/applications", Function: "submit-application", Roles: []string{market.RoleProvider}, Handle: a.SubmitApplication},
		{Method: "GET", Pattern: "/v1/applications/{id}", Function: "query-applications", Handle: a.GetApplication},
		{Method: "GET", Pattern: "/v1/applications/{id}/license", Function: "query-applications", Handle: a.GetLicenseImage},
		{Method: "GET", Pattern: "/v1/applications", Function: "query-applications", Roles: []string{market.RoleReviewer}, Handle: a.ListApplications},
		{Method: "POST", Pattern: "/v1/applications/{id}/decision", Function: "decide-application", Roles: []string{market.RoleReviewer}, Handle: a.DecideApplication},

		{Method: "POST", Pattern: "/v1/providers/{id}/contract/sign", Function: "sign-contract", Roles: []string{market.RoleProvider}, Handle: a.SignContract},
		{Method: "GET", Pattern: "/v1/providers/{id}", Function: "query-providers", Handle: a.GetProvider},
		{Method: "GET", Pattern: "/v1/providers/{id}/deposit", Function: "query-providers", Handle: a.GetDeposit},
		{Method: "POST", Pattern: "/v1/providers/{id}/changes", Function: "report-provider-change", Roles: []string{market.RoleProvider}, Handle: a.ReportChange},
		{Method: "POST", Pattern: "/v1/providers/{id}/deposit/payments", Function: "record-deposit-payment", Roles: []string{market.RoleFinance}, Handle: a.RecordDepositPayment},
		{Method: "POST", Pattern: "/v1/providers/{id}/deposit/deductions", Function: "deduct-deposit", Roles: []string{market.RoleFinance, market.RoleRisk}, Handle: a.DeductDeposit},
		{Method: "POST", Pattern: "/v1/providers/{id}/exit", Function: "request-exit", Roles: []string{market.RoleProvider, market.RoleRisk}, Handle: a.RequestExit},
		{Method: "POST", Pattern: "/v1/providers/{id}/deposit/receipt-returned", Function: "record-receipt-returned", Roles: []string{market.RoleFinance}, Handle: a.ReceiptReturned},
		{Method: "POST", Pattern: "/v1/providers/{id}/deposit/return", Function: "return-deposit", Roles: []string{market.RoleFinance}, Handle: a.ReturnDeposit},
		{Method: "POST", Pattern: "/v1/providers/{id}/deposit/notices", Function: "file-deposit-notice", Roles: []string{market.RoleProvider}, Handle: a.FileDepositNotice},
		{Method: "GET", Pattern: "/v1/deposit-notices", Function: "query-deposit-notices", Roles: []string{market.RoleFinance}, Handle: a.ListDepositNotices},
		{Method: "POST", Pattern: "/v1/providers/{id}/deposit/receipt-dispatched", Function: "record-receipt-dispatched", Roles: []string{market.RoleFinance}, Handle: a.ReceiptDispatched},
		{Method: "GET", Pattern: "/v1/events", Function: "query-events", Handle: a.ListEvents},

		{Method: "POST", Pattern: "/v1/products", Function: "create-product", Roles: []string{market.RoleProvider}, Handle: a.CreateProduct},
		{Method: "PATCH", Pattern: "/v1/products/{id}", Function: "update-product", Roles: []string{market.RoleProvider}, Handle: a.UpdateProduct},
		{Method: "POST", Pattern: "/v1/products/{id}/submit", Function: "submit-product", Roles: []string{market.RoleProvider}, Handle: a.SubmitProduct},
		{Method: "POST", Pattern: "/v1/products/{id}/review", Function: "review-product", Roles: []string{market.RoleReviewer}, Handle: a.ReviewProduct},
		{Method: "POST", Pattern: "/v1/products/{id}/delist", Function: "delist-product", Roles: append([]string{market.RoleProvider}, market.OperatorRoles...), Handle: a.DelistProduct},
		{Method: "GET", Pattern: "/v1/products/{id}", Function: "query-products", Handle: a.GetProduct},
		{Method: "GET", Pattern: "/v1/products", Function: "query-products", Handle: a.ListProducts},

		{Method: "POST", Pattern: "/v1/orders", Function: "place-order", Roles: []string{market.RoleBuyer}, Handle: a.PlaceOrder},
		{Method: "GET", Pattern: "/v1/orders/{id}", Function: "query-orders", Handle: a.GetOrder},
		{Method: "POST", Pattern: "/v1/orders/{id}/requirements", Function: "submit-requirements", Roles: []string{market.RoleBuyer}, Handle: a.SubmitRequirements},
		{Method: "POST", Pattern: "/v1/orders/{id}/start", Function: "start-order", Roles: []string{market.RoleProvider}, Handle: a.StartOrder},
		{Method: "POST", Pattern: "/v1/orders/{id}/confirm", Function: "confirm-order", Roles: []string{market.RoleBuyer}, Handle: a.ConfirmOrder},
		{Method: "POST", Pattern: "/v1/payments/notify", Function: "payment-notify", Public: true, PaymentSystem: true, Handle: a.PaymentNotify},
	}, a.refundRoutes()...)
}
