package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"cloudmarket/shared/httpapi"
	"cloudmarket/shared/market"
	"cloudmarket/shared/operation"
)

// Function is one SCF function: exactly one of Routes, Timer and Consumer
// says how it is triggered.
type Function struct {
	Name     string
	Routes   []Route   // an HTTP function: the public routes it serves
	Timer    *Timer    // a timer-triggered function
	Consumer *Consumer // a CKafka-triggered function
	// Needs are the outside services beyond the database its operations use.
	// It builds only these, and production configuration demands only theirs.
	Needs Needs
	// Timeout in seconds; 0 keeps serverless.yml's default.
	Timeout int
}

// Route is one public route of an HTTP function.
type Route struct {
	Method  string
	Pattern string   // {name} segments
	Roles   []string // any of these; empty = any signed-in caller
	Public  bool     // no token needed (the payment system's callback)
	// PaymentSystem: errors also carry the payment system's own fields.
	PaymentSystem bool
	Handle        func(*httpapi.API, context.Context, *httpapi.Request) (httpapi.Reply, error)
}

// Timer is a timer trigger: SCF calls it asynchronously and retries, so what
// it runs is idempotent and safe to run late.
type Timer struct {
	Trigger string // the trigger's name
	Cron    string // 7-field SCF cron: sec min hour day month week year
	Run     func(*operation.Service, context.Context) (any, error)
}

// Consumer is a CKafka trigger.
type Consumer struct {
	Topic     string
	BatchSize int // records per invocation at most (the trigger's maxMsgNum)
	Retries   int // how often a failing batch is delivered again before its failing records are dead letters
	Apply     func(s *operation.Service, ctx context.Context, key, body []byte) error
}

// Needs name the clients a function builds besides the store.
type Needs struct {
	Objects  bool // COS (licence images)
	Sender   bool // SMS and e-mail: delivers the outbox right after commit
	Queue    bool // the Kafka producer
	Payments bool // the WeChat Pay notification reader
	Refunds  bool // the WeChat Pay refund API (platform refunds, R-RF7)
	// NativePay is the WeChat Pay Native payment API: prepay, query, close.
	NativePay bool
}

// VerifiesTokens tells whether any of its routes needs a signed-in caller.
func (f Function) VerifiesTokens() bool {
	for _, r := range f.Routes {
		if !r.Public {
			return true
		}
	}
	return false
}

var (
	provider           = []string{market.RoleProvider}
	buyer              = []string{market.RoleBuyer}
	reviewer           = []string{market.RoleReviewer}
	finance            = []string{market.RoleFinance}
	providerOrOperator = append([]string{market.RoleProvider}, market.OperatorRoles...)
	risk               = []string{market.RoleRisk}
)

// Catalogue is every function, in deployment order. serverless.yml, the
// gateway routes (infra/terraform/routes.json) and functions/<name>/main.go are
// generated from it (make generate); the emulator and every function's main
// route from it.
var Catalogue = []Function{
	{Name: "create-license-upload", Needs: Needs{Objects: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/license-uploads", Roles: provider, Handle: (*httpapi.API).CreateLicenseUpload}}},
	{Name: "submit-application", Needs: Needs{Objects: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/applications", Roles: provider, Handle: (*httpapi.API).SubmitApplication}}},
	// The licence image for the reviewer's screen (an extension of API.md),
	// apart from the queries so that they build no COS client.
	{Name: "query-license-image", Needs: Needs{Objects: true}, Routes: []Route{
		{Method: "GET", Pattern: "/v1/applications/{id}/license", Handle: (*httpapi.API).GetLicenseImage}}},
	{Name: "query-applications", Routes: []Route{
		{Method: "GET", Pattern: "/v1/applications/{id}", Handle: (*httpapi.API).GetApplication},
		{Method: "GET", Pattern: "/v1/applications", Roles: []string{market.RoleReviewer, market.RoleProvider}, Handle: (*httpapi.API).ListApplications}}},
	{Name: "decide-application", Needs: Needs{Sender: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/applications/{id}/decision", Roles: reviewer, Handle: (*httpapi.API).DecideApplication}}},

	{Name: "sign-contract", Routes: []Route{
		{Method: "POST", Pattern: "/v1/providers/{id}/contract/sign", Roles: provider, Handle: (*httpapi.API).SignContract}}},
	{Name: "query-providers", Routes: []Route{
		{Method: "GET", Pattern: "/v1/providers/{id}", Handle: (*httpapi.API).GetProvider},
		{Method: "GET", Pattern: "/v1/providers/{id}/deposit", Handle: (*httpapi.API).GetDeposit},
		{Method: "GET", Pattern: "/v1/providers", Handle: (*httpapi.API).ListProviders}}},
	{Name: "report-provider-change", Needs: Needs{Objects: true, Sender: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/providers/{id}/changes", Roles: provider, Handle: (*httpapi.API).ReportChange}}},
	{Name: "record-deposit-payment", Needs: Needs{Sender: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/providers/{id}/deposit/payments", Roles: finance, Handle: (*httpapi.API).RecordDepositPayment}}},
	{Name: "deduct-deposit", Needs: Needs{Sender: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/providers/{id}/deposit/deductions", Roles: []string{market.RoleFinance, market.RoleRisk}, Handle: (*httpapi.API).DeductDeposit}}},
	{Name: "request-exit", Needs: Needs{Sender: true, Refunds: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/providers/{id}/exit", Roles: []string{market.RoleProvider, market.RoleRisk}, Handle: (*httpapi.API).RequestExit}}},
	{Name: "record-receipt-returned", Needs: Needs{Sender: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/providers/{id}/deposit/receipt-returned", Roles: finance, Handle: (*httpapi.API).ReceiptReturned}}},
	{Name: "return-deposit", Routes: []Route{
		{Method: "POST", Pattern: "/v1/providers/{id}/deposit/return", Roles: finance, Handle: (*httpapi.API).ReturnDeposit}}},
	{Name: "file-deposit-notice", Needs: Needs{Objects: true, Sender: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/providers/{id}/deposit/notices", Roles: provider, Handle: (*httpapi.API).FileDepositNotice}}},
	{Name: "query-deposit-notices", Routes: []Route{
		{Method: "GET", Pattern: "/v1/deposit-notices", Roles: finance, Handle: (*httpapi.API).ListDepositNotices}}},
	{Name: "record-receipt-dispatched", Needs: Needs{Sender: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/providers/{id}/deposit/receipt-dispatched", Roles: finance, Handle: (*httpapi.API).ReceiptDispatched}}},
	{Name: "query-events", Routes: []Route{
		{Method: "GET", Pattern: "/v1/events", Handle: (*httpapi.API).ListEvents}}},

	{Name: "create-product", Routes: []Route{
		{Method: "POST", Pattern: "/v1/products", Roles: provider, Handle: (*httpapi.API).CreateProduct}}},
	{Name: "update-product", Routes: []Route{
		{Method: "PATCH", Pattern: "/v1/products/{id}", Roles: provider, Handle: (*httpapi.API).UpdateProduct}}},
	{Name: "submit-product", Routes: []Route{
		{Method: "POST", Pattern: "/v1/products/{id}/submit", Roles: provider, Handle: (*httpapi.API).SubmitProduct}}},
	{Name: "review-product", Needs: Needs{Sender: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/products/{id}/review", Roles: reviewer, Handle: (*httpapi.API).ReviewProduct}}},
	{Name: "delist-product", Routes: []Route{
		{Method: "POST", Pattern: "/v1/products/{id}/delist", Roles: providerOrOperator, Handle: (*httpapi.API).DelistProduct}}},
	{Name: "query-products", Routes: []Route{
		{Method: "GET", Pattern: "/v1/products/{id}", Handle: (*httpapi.API).GetProduct},
		{Method: "GET", Pattern: "/v1/products", Handle: (*httpapi.API).ListProducts}}},

	{Name: "place-order", Needs: Needs{NativePay: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/orders", Roles: buyer, Handle: (*httpapi.API).PlaceOrder}}},
	{Name: "query-orders", Routes: []Route{
		{Method: "GET", Pattern: "/v1/orders/{id}", Handle: (*httpapi.API).GetOrder},
		{Method: "GET", Pattern: "/v1/orders", Handle: (*httpapi.API).ListOrders}}},
	{Name: "submit-requirements", Routes: []Route{
		{Method: "POST", Pattern: "/v1/orders/{id}/requirements", Roles: buyer, Handle: (*httpapi.API).SubmitRequirements}}},
	{Name: "start-order", Routes: []Route{
		{Method: "POST", Pattern: "/v1/orders/{id}/start", Roles: provider, Handle: (*httpapi.API).StartOrder}}},
	{Name: "confirm-order", Routes: []Route{
		{Method: "POST", Pattern: "/v1/orders/{id}/confirm", Roles: buyer, Handle: (*httpapi.API).ConfirmOrder}}},
	{Name: "payment-notify", Needs: Needs{Queue: true, Payments: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/payments/notify", Public: true, PaymentSystem: true, Handle: (*httpapi.API).PaymentNotify}}},

	{Name: "query-refunds", Routes: []Route{
		{Method: "GET", Pattern: "/v1/orders/{id}/refund-quote", Handle: (*httpapi.API).RefundQuote},
		{Method: "GET", Pattern: "/v1/refunds/{id}", Handle: (*httpapi.API).GetRefund},
		{Method: "GET", Pattern: "/v1/refunds", Handle: (*httpapi.API).ListRefunds}}},
	{Name: "request-refund", Needs: Needs{Sender: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/orders/{id}/refunds", Roles: buyer, Handle: (*httpapi.API).RequestRefund}}},
	{Name: "respond-refund", Needs: Needs{Sender: true, Refunds: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/refunds/{id}/response", Roles: provider, Handle: (*httpapi.API).RespondRefund}}},
	{Name: "arbitrate-refund", Needs: Needs{Sender: true, Refunds: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/refunds/{id}/arbitration", Roles: []string{market.RoleRisk}, Handle: (*httpapi.API).ArbitrateRefund}}},
	{Name: "record-refund-payment", Needs: Needs{Sender: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/refunds/{id}/provider-payment", Roles: provider, Handle: (*httpapi.API).RecordProviderRefundPayment}}},
	{Name: "refund-notify", Needs: Needs{Queue: true, Payments: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/payments/refund-notify", Public: true, PaymentSystem: true, Handle: (*httpapi.API).RefundNotify}}},

	// The operators' dashboard (an extension of API.md).
	{Name: "query-stats", Routes: []Route{
		{Method: "GET", Pattern: "/v1/stats", Roles: market.OperatorRoles, Handle: (*httpapi.API).GetStats}}},
	// Violations and penalties (R-VI1..R-VI11) and contact reports (R-VI6).
	{Name: "query-violations", Routes: []Route{
		{Method: "GET", Pattern: "/v1/violation-types", Handle: (*httpapi.API).ViolationTypes},
		{Method: "GET", Pattern: "/v1/violations/{id}", Handle: (*httpapi.API).GetViolation},
		{Method: "GET", Pattern: "/v1/violations", Roles: market.OperatorRoles, Handle: (*httpapi.API).ListViolations},
		{Method: "GET", Pattern: "/v1/providers/{id}/violations", Roles: providerOrOperator, Handle: (*httpapi.API).ListProviderViolations}}},
	{Name: "apply-violation", Needs: Needs{Sender: true, Refunds: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/providers/{id}/violations", Roles: risk, Handle: (*httpapi.API).ApplyViolation}}},
	{Name: "confirm-violation", Needs: Needs{Sender: true, Refunds: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/violations/{id}/confirm", Roles: risk, Handle: (*httpapi.API).ConfirmViolation}}},
	{Name: "dismiss-violation", Routes: []Route{
		{Method: "POST", Pattern: "/v1/violations/{id}/dismiss", Roles: risk, Handle: (*httpapi.API).DismissViolation}}},
	{Name: "appeal-violation", Needs: Needs{Sender: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/violations/{id}/appeal", Roles: provider, Handle: (*httpapi.API).AppealViolation}}},
	{Name: "decide-appeal", Needs: Needs{Sender: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/violations/{id}/appeal/decision", Roles: risk, Handle: (*httpapi.API).DecideAppeal}}},
	{Name: "file-contact-report", Needs: Needs{Sender: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/providers/{id}/contact-reports", Roles: append([]string{market.RoleBuyer}, market.OperatorRoles...), Handle: (*httpapi.API).FileContactReport}}},
	{Name: "respond-contact-report", Routes: []Route{
		{Method: "POST", Pattern: "/v1/contact-reports/{id}/response", Roles: provider, Handle: (*httpapi.API).RespondContactReport}}},
	{Name: "query-contact-reports", Routes: []Route{
		{Method: "GET", Pattern: "/v1/providers/{id}/contact-reports", Roles: providerOrOperator, Handle: (*httpapi.API).ListContactReports}}},
	// Settlement (API.md "Settlement and statements"): runs, statements, payouts.
	{Name: "create-settlement", Needs: Needs{Sender: true}, Timeout: 900, Routes: []Route{
		{Method: "POST", Pattern: "/v1/settlements", Roles: finance, Handle: (*httpapi.API).CreateSettlement}}},
	{Name: "query-statements", Routes: []Route{
		{Method: "GET", Pattern: "/v1/providers/{id}/statements", Handle: (*httpapi.API).ListStatements},
		{Method: "GET", Pattern: "/v1/providers/{id}/statements/{period}", Handle: (*httpapi.API).GetStatement},
		{Method: "GET", Pattern: "/v1/payouts", Handle: (*httpapi.API).ListPayouts}}},
	{Name: "record-statement-invoice", Routes: []Route{
		{Method: "POST", Pattern: "/v1/providers/{id}/statements/{period}/invoice-received", Roles: finance, Handle: (*httpapi.API).RecordStatementInvoice}}},
	{Name: "record-payout-result", Routes: []Route{
		{Method: "POST", Pattern: "/v1/payouts/{id}/result", Roles: finance, Handle: (*httpapi.API).RecordPayoutResult}}},
	{Name: "request-fee-invoice", Needs: Needs{Sender: true}, Routes: []Route{
		{Method: "POST", Pattern: "/v1/providers/{id}/statements/{period}/fee-invoice-request", Roles: provider, Handle: (*httpapi.API).RequestFeeInvoice}}},
	{Name: "set-consignment-rate", Routes: []Route{
		{Method: "POST", Pattern: "/v1/providers/{id}/consignment-rate", Roles: finance, Handle: (*httpapi.API).SetConsignmentRate}}},
	// The 1st of each month, 00:10 Asia/Shanghai: the month before.
	{Name: "settle-providers", Needs: Needs{Sender: true}, Timeout: 900, Timer: &Timer{
		Trigger: "monthly-settlement", Cron: "0 10 0 1 * * *",
		Run: func(s *operation.Service, ctx context.Context) (any, error) { return s.SettleLastMonth(ctx) }}},

	// Verified payment notifications and refund results, applied once each.
	{Name: "apply-payment", Needs: Needs{Sender: true, Refunds: true}, Timeout: 60, Consumer: &Consumer{
		Topic: operation.PaymentTopic, BatchSize: 100, Retries: 3, Apply: applyPayment}},
	// Every deadline sweep, and the outbox's retries.
	{Name: "enforce-deadlines", Needs: Needs{Sender: true, Refunds: true, NativePay: true, Queue: true}, Timeout: 60, Timer: &Timer{
		Trigger: "every-minute", Cron: "0 */1 * * * * *",
		Run: func(s *operation.Service, ctx context.Context) (any, error) { return s.EnforceDeadlines(ctx) }}},
}

// applyPayment applies one queued message: a payment or a refund result.
func applyPayment(s *operation.Service, ctx context.Context, _, body []byte) error {
	return s.ApplyPaymentEvent(ctx, body)
}

// Lookup finds a function of the catalogue by name.
func Lookup(name string) (Function, bool) {
	for _, f := range Catalogue {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

// CheckCatalogue finds what no deployment could carry out: names that are
// not unique or not lower-case-with-hyphens, a function with no trigger or
// two, a route served twice, a cron SCF would refuse, a consumer without a
// batch size.
func CheckCatalogue(fns []Function) error {
	var errs []error
	names, routes := map[string]bool{}, map[string]string{}
	for _, f := range fns {
		if !validName(f.Name) {
			errs = append(errs, fmt.Errorf("function %q: a name is lower-case letters, digits and single hyphens", f.Name))
		}
		if names[f.Name] {
			errs = append(errs, fmt.Errorf("function %s is in the catalogue twice", f.Name))
		}
		names[f.Name] = true
		triggers := 0
		if len(f.Routes) > 0 {
			triggers++
		}
		if f.Timer != nil {
			triggers++
			if _, err := CronWithoutYear(f.Timer.Cron); err != nil {
				errs = append(errs, fmt.Errorf("function %s: %w", f.Name, err))
			}
			if !validName(f.Timer.Trigger) || f.Timer.Run == nil {
				errs = append(errs, fmt.Errorf("function %s: a timer needs a trigger name and what it runs", f.Name))
			}
		}
		if f.Consumer != nil {
			triggers++
			if f.Consumer.Topic == "" || f.Consumer.BatchSize < 1 || f.Consumer.Retries < 0 || f.Consumer.Apply == nil {
				errs = append(errs, fmt.Errorf("function %s: a consumer needs a topic, a batch size of at least 1, retries ≥ 0 and what it applies", f.Name))
			}
		}
		if triggers != 1 {
			errs = append(errs, fmt.Errorf("function %s: exactly one of Routes, Timer and Consumer, got %d", f.Name, triggers))
		}
		for _, r := range f.Routes {
			key := r.Method + " " + r.Pattern
			if other, ok := routes[key]; ok {
				errs = append(errs, fmt.Errorf("route %s is served by %s and %s", key, other, f.Name))
			}
			routes[key] = f.Name
			if r.Handle == nil || !strings.HasPrefix(r.Pattern, "/") {
				errs = append(errs, fmt.Errorf("route %s of %s: a pattern starts with / and a route has a handler", key, f.Name))
			}
		}
	}
	return errors.Join(errs...)
}

func validName(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// CronWithoutYear turns SCF's 7-field cron (sec min hour day month week year)
// into the 6 fields robfig/cron reads. Only "*" is accepted as the year: a
// schedule bound to a year would silently stop.
func CronWithoutYear(spec string) (string, error) {
	f := strings.Fields(spec)
	if len(f) != 7 {
		return "", fmt.Errorf("SCF cron %q must have 7 fields (sec min hour day month week year)", spec)
	}
	if f[6] != "*" {
		return "", fmt.Errorf("SCF cron %q: only * is supported as the year", spec)
	}
	return strings.Join(f[:6], " "), nil
}
