package httpapi

import (
	"net/http"
	"reflect"
)

// Shape is what a route takes and answers, for the OpenAPI document
// (infra/openapi): its body type, its answer's type and status, its query
// parameters. Kept here, apart from the catalogue, because the types are this
// package's own; a test checks every catalogue route has one.
type Shape struct {
	Summary  string
	Request  reflect.Type // nil: no body
	Response reflect.Type // nil: no body (204), or listed items (List)
	Status   int
	Query    []string
	List     reflect.Type // a list answer ({items, nextCursor}) of these
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

var (
	statusList = []string{"status", "limit", "cursor"}
)

// Shapes by "METHOD pattern". Routes are added by the engineers who add them:
// an entry per catalogue route.
var Shapes = map[string]Shape{
	"POST /v1/license-uploads":                           {Summary: "Where to upload a business licence image", Request: typeOf[licenseUploadRequest](), Response: typeOf[licenseUploadView](), Status: http.StatusCreated},
	"POST /v1/applications":                              {Summary: "Apply to become a provider", Request: typeOf[applicationRequest](), Response: typeOf[applicationView](), Status: http.StatusCreated},
	"GET /v1/applications/{id}/license":                  {Summary: "The licence image of an application", Response: typeOf[licenseImageView](), Status: http.StatusOK},
	"GET /v1/applications/{id}":                          {Summary: "An application", Response: typeOf[applicationView](), Status: http.StatusOK},
	"GET /v1/applications":                               {Summary: "The reviewers' queue", List: typeOf[applicationView](), Status: http.StatusOK, Query: statusList},
	"POST /v1/applications/{id}/decision":                {Summary: "Approve or reject an application", Request: typeOf[decisionRequest](), Response: typeOf[applicationView](), Status: http.StatusOK},
	"POST /v1/providers/{id}/contract/sign":              {Summary: "Sign the contract", Request: typeOf[signRequest](), Response: typeOf[providerView](), Status: http.StatusOK},
	"GET /v1/providers/{id}":                             {Summary: "A provider", Response: typeOf[providerView](), Status: http.StatusOK},
	"GET /v1/providers/{id}/deposit":                     {Summary: "A provider's deposit ledger", Response: typeOf[depositView](), Status: http.StatusOK},
	"POST /v1/providers/{id}/changes":                    {Summary: "Report a change of company details", Request: typeOf[changeRequest](), Response: typeOf[changeView](), Status: http.StatusCreated},
	"POST /v1/providers/{id}/deposit/payments":           {Summary: "Record a deposit payment (201 new, 200 recorded before)", Request: typeOf[paymentRequest](), Response: typeOf[entryView](), Status: http.StatusCreated},
	"POST /v1/providers/{id}/deposit/deductions":         {Summary: "Deduct from the deposit", Request: typeOf[deductionRequest](), Response: typeOf[entryView](), Status: http.StatusCreated},
	"POST /v1/providers/{id}/exit":                       {Summary: "Leave the marketplace", Request: typeOf[reasonRequest](), Response: typeOf[providerView](), Status: http.StatusOK},
	"POST /v1/providers/{id}/deposit/receipt-returned":   {Summary: "The deposit receipt came back", Response: typeOf[depositView](), Status: http.StatusOK},
	"POST /v1/providers/{id}/deposit/return":             {Summary: "Return the deposit", Request: typeOf[returnRequest](), Response: typeOf[providerView](), Status: http.StatusOK},
	"POST /v1/providers/{id}/deposit/notices":            {Summary: "File a deposit payment notice", Request: typeOf[noticeRequest](), Response: typeOf[noticeView](), Status: http.StatusCreated},
	"GET /v1/deposit-notices":                            {Summary: "Finance's notice queue", List: typeOf[noticeView](), Status: http.StatusOK, Query: []string{"status", "providerId", "limit", "cursor"}},
	"POST /v1/providers/{id}/deposit/receipt-dispatched": {Summary: "The deposit receipt was posted", Request: typeOf[dispatchRequest](), Response: typeOf[depositView](), Status: http.StatusOK},
	"GET /v1/events":                                     {Summary: "Audit events", List: typeOf[eventView](), Status: http.StatusOK, Query: []string{"providerId", "type", "after", "limit", "cursor"}},
	"POST /v1/products":                                  {Summary: "Create a product draft", Request: typeOf[contentBody](), Response: typeOf[productView](), Status: http.StatusCreated},
	"PATCH /v1/products/{id}":                            {Summary: "Edit a product", Request: typeOf[productPatch](), Response: typeOf[productView](), Status: http.StatusOK},
	"POST /v1/products/{id}/submit":                      {Summary: "Submit a product for review", Response: typeOf[productView](), Status: http.StatusOK},
	"POST /v1/products/{id}/review":                      {Summary: "Review a product", Request: typeOf[productReviewRequest](), Response: typeOf[productView](), Status: http.StatusOK},
	"POST /v1/products/{id}/delist":                      {Summary: "Delist a product", Request: typeOf[reasonRequest](), Response: typeOf[productView](), Status: http.StatusOK},
	"GET /v1/products/{id}":                              {Summary: "A product", Response: typeOf[productView](), Status: http.StatusOK},
	"GET /v1/products":                                   {Summary: "Products", List: typeOf[productView](), Status: http.StatusOK, Query: []string{"providerId", "status", "limit", "cursor"}},
	"POST /v1/orders":                                    {Summary: "Place an order", Request: typeOf[orderRequest](), Response: typeOf[orderView](), Status: http.StatusCreated},
	"GET /v1/orders/{id}":                                {Summary: "An order", Response: typeOf[orderView](), Status: http.StatusOK},
	"POST /v1/orders/{id}/requirements":                  {Summary: "Send the order's requirements", Request: typeOf[requirementsRequest](), Response: typeOf[orderView](), Status: http.StatusOK},
	"POST /v1/orders/{id}/start":                         {Summary: "Start the service", Response: typeOf[orderView](), Status: http.StatusOK},
	"POST /v1/orders/{id}/confirm":                       {Summary: "Confirm the service is done", Response: typeOf[orderView](), Status: http.StatusOK},
	"POST /v1/payments/notify":                           {Summary: "WeChat Pay's payment notification (signed, encrypted)", Request: typeOf[map[string]any](), Status: http.StatusNoContent},
	"GET /v1/orders/{id}/refund-quote":                   {Summary: "What a refund would pay back", Response: typeOf[quoteView](), Status: http.StatusOK},
	"GET /v1/refunds/{id}":                               {Summary: "A refund", Response: typeOf[refundView](), Status: http.StatusOK},
	"GET /v1/refunds":                                    {Summary: "Refunds", List: typeOf[refundView](), Status: http.StatusOK, Query: []string{"status", "providerId", "limit", "cursor"}},
	"POST /v1/orders/{id}/refunds":                       {Summary: "Ask for a refund", Request: typeOf[refundRequest](), Response: typeOf[refundView](), Status: http.StatusCreated},
	"POST /v1/refunds/{id}/response":                     {Summary: "Accept or decline a refund", Request: typeOf[refundResponseRequest](), Response: typeOf[refundView](), Status: http.StatusOK},
	"POST /v1/refunds/{id}/arbitration":                  {Summary: "Rule on a disputed refund", Request: typeOf[arbitrationRequest](), Response: typeOf[refundView](), Status: http.StatusOK},
	"POST /v1/refunds/{id}/provider-payment":             {Summary: "The provider's own refund transfer", Request: typeOf[providerPaymentRequest](), Response: typeOf[refundView](), Status: http.StatusOK},
	"POST /v1/payments/refund-notify":                    {Summary: "WeChat Pay's refund notification (signed, encrypted)", Request: typeOf[map[string]any](), Status: http.StatusNoContent},
	// Violations and contact reports (R-VI1..R-VI11).
	"GET /v1/violation-types":                  {Summary: "The violation catalogue and its version", Response: typeOf[catalogueView](), Status: http.StatusOK},
	"POST /v1/providers/{id}/violations":       {Summary: "Apply a penalty", Request: typeOf[violationRequest](), Response: typeOf[violationView](), Status: http.StatusCreated},
	"GET /v1/providers/{id}/violations":        {Summary: "A provider's violations, newest first", List: typeOf[violationView](), Status: http.StatusOK, Query: statusList},
	"GET /v1/violations":                       {Summary: "All violations (status=proposed: the risk queue)", List: typeOf[violationView](), Status: http.StatusOK, Query: []string{"status", "providerId", "limit", "cursor"}},
	"GET /v1/violations/{id}":                  {Summary: "A violation", Response: typeOf[violationView](), Status: http.StatusOK},
	"POST /v1/violations/{id}/confirm":         {Summary: "Confirm a proposed violation: its actions apply now", Response: typeOf[violationView](), Status: http.StatusOK},
	"POST /v1/violations/{id}/dismiss":         {Summary: "Dismiss a proposed violation", Request: typeOf[reasonRequest](), Response: typeOf[violationView](), Status: http.StatusOK},
	"POST /v1/violations/{id}/appeal":          {Summary: "Appeal a violation", Request: typeOf[appealRequest](), Response: typeOf[violationView](), Status: http.StatusOK},
	"POST /v1/violations/{id}/appeal/decision": {Summary: "Uphold or overturn an appeal", Request: typeOf[appealDecisionRequest](), Response: typeOf[violationView](), Status: http.StatusOK},
	"POST /v1/providers/{id}/contact-reports":  {Summary: "Report that a provider cannot be reached", Request: typeOf[contactReportRequest](), Response: typeOf[contactReportView](), Status: http.StatusCreated},
	"POST /v1/contact-reports/{id}/response":   {Summary: "The provider answers a contact report", Request: typeOf[contactResponseRequest](), Response: typeOf[contactReportView](), Status: http.StatusOK},
	"GET /v1/providers/{id}/contact-reports":   {Summary: "A provider's contact reports", List: typeOf[contactReportView](), Status: http.StatusOK, Query: []string{"limit", "cursor"}},
	// Settlement (R-FE1..R-FE3, R-RF7, R-VI11).
	"POST /v1/settlements":                                            {Summary: "Settle a calendar month", Request: typeOf[settlementRequest](), Response: typeOf[runView](), Status: http.StatusOK},
	"GET /v1/providers/{id}/statements":                               {Summary: "A provider's statements, newest first", List: typeOf[statementView](), Status: http.StatusOK, Query: []string{"limit", "cursor"}},
	"GET /v1/providers/{id}/statements/{period}":                      {Summary: "One statement (format=csv: its lines as CSV)", Response: typeOf[statementView](), Status: http.StatusOK, Query: []string{"format"}},
	"POST /v1/providers/{id}/statements/{period}/invoice-received":    {Summary: "Finance received the provider's invoice", Response: typeOf[statementView](), Status: http.StatusOK},
	"POST /v1/providers/{id}/statements/{period}/fee-invoice-request": {Summary: "Ask for the invoice of the fees paid", Response: typeOf[statementView](), Status: http.StatusOK},
	"GET /v1/payouts":                                                 {Summary: "Payouts (format=csv: the bank batch file)", List: typeOf[payoutView](), Status: http.StatusOK, Query: []string{"providerId", "status", "format", "limit", "cursor"}},
	"POST /v1/payouts/{id}/result":                                    {Summary: "Record a payout's transfer: paid or failed", Request: typeOf[payoutResultRequest](), Response: typeOf[payoutView](), Status: http.StatusOK},
	"POST /v1/providers/{id}/consignment-rate":                        {Summary: "Set a provider's consignment rate", Request: typeOf[consignmentRateRequest](), Response: typeOf[consignmentRateView](), Status: http.StatusOK},
	// The console's lists and the operators' dashboard (extensions of API.md).
	"GET /v1/providers": {Summary: "Providers (operators: all; a provider: its own)", List: typeOf[providerView](), Status: http.StatusOK, Query: statusList},
	"GET /v1/orders":    {Summary: "Orders (operators: any provider's; a provider: its own; a buyer: its own)", List: typeOf[orderView](), Status: http.StatusOK, Query: []string{"providerId", "limit", "cursor"}},
	"GET /v1/stats":     {Summary: "The operators' dashboard figures", Response: typeOf[statsView](), Status: http.StatusOK, Query: []string{"months"}},
}

// licenseImageView documents GetLicenseImage's answer.
type licenseImageView struct {
	ContentType string `json:"contentType"`
	SizeBytes   int    `json:"sizeBytes"`
	DataURL     string `json:"dataUrl"` // data:<contentType>;base64,…
}
