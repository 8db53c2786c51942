package operation_test

// The fixture of the operation tests: a Service on its own in-memory store,
// a clock that stands still, the real working-day calendar, and fakes at the
// edge of the world (SMS/e-mail sender, object storage, queue, payment
// notification reader, the payment system's refund API). The record types that live in store today (events,
// notifications, deposit entries, payment notifications) are named only in
// this file, so the tests themselves read operation results and plain values.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"cloudmarket/shared/fault"
	"cloudmarket/shared/market"
	"cloudmarket/shared/money"
	"cloudmarket/shared/operation"
	"cloudmarket/shared/orgcode"
	"cloudmarket/shared/store"
	"cloudmarket/shared/workday"
)

// Identifiers of real-format organisations: Tencent's published credit code,
// the organisation code embedded in it, and a second organisation.
const (
	creditCode  = "9144030071526726XG"
	orgCodeSame = "71526726-X" // the same organisation as creditCode
	otherOrg    = "12345678-8"
)

const (
	companyName   = "深圳示例科技有限公司"
	contactPhone  = "+8613800000000"
	contactEmail  = "zhang@example.com"
	reviewerPhone = "+8613900000000"
	financePhone  = "+8613900000001"
	riskPhone     = "+8613900000002"
)

var (
	reviewer = market.Actor{Account: "900001", Roles: []string{market.RoleReviewer}}
	finance  = market.Actor{Account: "800001", Roles: []string{market.RoleFinance}}
	risk     = market.Actor{Account: "700001", Roles: []string{market.RoleRisk}}
	buyer    = market.Actor{Account: "300001", Roles: []string{market.RoleBuyer}}
	buyer2   = market.Actor{Account: "300002", Roles: []string{market.RoleBuyer}}
)

// providerActor is a provider account (the JWT's sub with the provider role).
func providerActor(account string) market.Actor {
	return market.Actor{Account: account, Roles: []string{market.RoleProvider}}
}

// orgCodeOf makes a valid organisation code (GB 11714) from 8 body characters,
// for tests that need many organisations.
func orgCodeOf(t testing.TB, body string) string {
	t.Helper()
	c, err := orgcode.OrganisationCheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + "-" + string(c)
}

// creditCodeOf makes a valid unified social credit code (GB 32100) that
// carries an organisation code.
func creditCodeOf(t testing.TB, org string) string {
	t.Helper()
	body := "91440300" + strings.Replace(org, "-", "", 1)
	c, err := orgcode.CreditCheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + string(c)
}

// sh parses a time written in Asia/Shanghai, "2026-10-08 09:00" or with
// seconds and milliseconds ("2026-10-16 23:59:59.999").
func sh(t testing.TB, s string) time.Time {
	t.Helper()
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02 15:04:05.000"} {
		if v, err := time.ParseInLocation(layout, s, workday.Shanghai); err == nil {
			return v
		}
	}
	t.Fatalf("bad test time %q", s)
	return time.Time{}
}

// endOfDay is the last recordable instant of a Shanghai day (R-WD2).
func endOfDay(t testing.TB, date string) time.Time { return sh(t, date+" 23:59:59.999") }

func wantTime(t testing.TB, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, got.In(workday.Shanghai).Format(time.RFC3339Nano), want.In(workday.Shanghai).Format(time.RFC3339Nano))
	}
}

// knownCategories are the categories httpapi's one error table maps to a
// status (API.md: InvalidParameter/InvalidParameterValue/MissingParameter →
// 400, AuthFailure → 401, UnauthorizedOperation → 403, ResourceNotFound → 404,
// FailedOperation → 409, LimitExceeded → 429). Any other error is a 500.
var knownCategories = []string{fault.InvalidParameter, fault.InvalidParameterValue, fault.MissingParameter, fault.AuthFailure,
	fault.UnauthorizedOperation, fault.ResourceNotFound, fault.FailedOperation, fault.LimitExceeded}

// wantCode fails unless err is a fault with exactly this code and a message,
// in a category the HTTP layer answers with its documented status.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	e, ok := fault.As(err)
	switch {
	case !ok:
		t.Errorf("err = %v, want fault %s", err, code)
	case e.Code != code:
		t.Errorf("code = %s (%s), want %s", e.Code, e.Message, code)
	case e.Message == "":
		t.Errorf("%s without a message", code)
	case !slices.Contains(knownCategories, e.Category()):
		t.Errorf("%s: category %s has no HTTP status (would be a 500)", code, e.Category())
	}
}

// ok stops the test on an unexpected error.
func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fixedClock stands still until the test moves it. (clock.Adjustable, the
// emulator's clock, keeps ticking with real time from wherever it is set, so
// exact times could not be asserted with it.)
type fixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fixedClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *fixedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// sentMessage is one SMS or e-mail the fake sender delivered.
type sentMessage struct {
	Channel, To, Template string
	Params                []string
}

// fakeSender records what it delivers; it fails while failures > 0.
type fakeSender struct {
	mu       sync.Mutex
	sent     []sentMessage
	failures int
}

func (s *fakeSender) Send(_ context.Context, n market.Notification) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failures > 0 {
		s.failures--
		return "", errors.New("gateway unavailable")
	}
	s.sent = append(s.sent, sentMessage{Channel: n.Channel, To: n.To, Template: n.Template, Params: n.Params})
	return "fake", nil
}

func (s *fakeSender) all() []sentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// fakeObjects is object storage in a map: a presigned PUT is a URL naming the
// key, and the test puts the bytes there itself.
type fakeObjects struct {
	clock   *fixedClock
	mu      sync.Mutex
	objects map[string][]byte
}

func (o *fakeObjects) PresignPut(_ context.Context, key, contentType string, size int64) (string, time.Time, error) {
	return "memory://licences/" + key + "?type=" + contentType + fmt.Sprintf("&size=%d", size), o.clock.Now().Add(15 * time.Minute), nil
}

func (o *fakeObjects) Read(_ context.Context, key string, max int64) ([]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	data, ok := o.objects[key]
	if !ok {
		return nil, operation.ErrNoObject
	}
	if int64(len(data)) > max+1 {
		data = data[:max+1]
	}
	return slices.Clone(data), nil
}

func (o *fakeObjects) put(key string, data []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.objects[key] = data
}

// queued is one message the fake queue was given.
type queued struct {
	Topic, Key string
	Value      []byte
}

// fakeQueue records published messages; it fails while err is set.
type fakeQueue struct {
	mu   sync.Mutex
	msgs []queued
	err  error
}

func (q *fakeQueue) Publish(_ context.Context, topic, key string, value []byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	q.msgs = append(q.msgs, queued{topic, key, slices.Clone(value)})
	return nil
}

func (q *fakeQueue) all() []queued {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.msgs)
}

// fakeReader stands in for the payment system's signature check: a request
// with header Wechatpay-Signature "valid" and a JSON body is a verified
// notification.
type fakeReader struct{}

func (fakeReader) Parse(_ context.Context, h http.Header, body []byte) (operation.PaymentMessage, error) {
	if h.Get("Wechatpay-Signature") != "valid" {
		return operation.PaymentMessage{}, operation.ErrNotificationSignature
	}
	var m operation.PaymentMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return operation.PaymentMessage{}, operation.ErrNotificationResource
	}
	return m, nil
}

// fakeRefunds is the payment system's refund API (operation.RefundAPI, as
// the app wires it into the Service): it records every call, fails
// temporarily while failures > 0, refuses for good while refuse is set, and
// otherwise takes the refund once per out_refund_no with the status answer
// (PROCESSING unless set). A query answers the refund's state, which a test
// moves with settle.
type fakeRefunds struct {
	clock    *fixedClock
	mu       sync.Mutex
	calls    []operation.RefundOrder
	queries  []string
	failures int
	refuse   error
	answer   string
	states   map[string]operation.RefundState
}

func (r *fakeRefunds) CreateRefund(_ context.Context, o operation.RefundOrder) (operation.RefundState, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, o)
	if r.failures > 0 {
		r.failures--
		return operation.RefundState{}, fmt.Errorf("%w: HTTP 500 SYSTEM_ERROR", operation.ErrRefundAPITemporary)
	}
	if r.refuse != nil {
		return operation.RefundState{}, r.refuse
	}
	st, seen := r.states[o.OutRefundNo]
	if !seen { // out_refund_no is the idempotency key: a repeat is the same refund
		st = operation.RefundState{RefundID: "50300" + o.OutRefundNo, Status: "PROCESSING"}
		if r.answer != "" {
			st.Status = r.answer
		}
		if st.Status == "SUCCESS" {
			st.SuccessTime = r.clock.Now()
		}
		r.states[o.OutRefundNo] = st
	}
	return st, nil
}

func (r *fakeRefunds) QueryRefund(_ context.Context, outRefundNo string) (operation.RefundState, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = append(r.queries, outRefundNo)
	st, seen := r.states[outRefundNo]
	if !seen {
		return operation.RefundState{}, operation.ErrRefundUnknown
	}
	return st, nil
}

// settle moves a refund the fake took to a final status, as the payment
// system does on its own.
func (r *fakeRefunds) settle(outRefundNo, status string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.states[outRefundNo]
	st.Status = status
	if status == "SUCCESS" {
		st.SuccessTime = r.clock.Now()
	}
	r.states[outRefundNo] = st
}

func (r *fakeRefunds) all() []operation.RefundOrder {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func (r *fakeRefunds) queried() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.queries)
}

// set changes the fake's behaviour under its lock.
func (r *fakeRefunds) set(fn func(r *fakeRefunds)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fn(r)
}

// fakeNative is the payment system's Native API: prepay answers a code_url
// per out_trade_no (the same on a repeat) unless failures > 0; a query
// answers what pay or close made of the order.
type fakeNative struct {
	mu       sync.Mutex
	failures int
	prepays  []operation.NativeOrder
	trades   map[string]operation.PaymentMessage // by out_trade_no
	closed   []string
	down     map[string]bool // out_trade_nos whose query and close fail
	onPrepay func()          // runs as a prepay is made (outside the lock)
}

func (n *fakeNative) Prepay(_ context.Context, o operation.NativeOrder) (string, error) {
	n.mu.Lock()
	hook := n.onPrepay
	n.mu.Unlock()
	if hook != nil {
		hook()
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.prepays = append(n.prepays, o)
	if n.failures > 0 {
		n.failures--
		return "", fmt.Errorf("%w: HTTP 500 SYSTEM_ERROR", operation.ErrPaymentAPI)
	}
	if _, ok := n.trades[o.OutTradeNo]; !ok {
		n.trades[o.OutTradeNo] = operation.PaymentMessage{OutTradeNo: o.OutTradeNo, Attach: o.Attach, AmountFen: o.AmountFen, TradeState: "NOTPAY"}
	}
	return "weixin://wxpay/bizpayurl?pr=" + o.OutTradeNo, nil
}

func (n *fakeNative) QueryPayment(_ context.Context, outTradeNo string) (operation.PaymentMessage, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.down[outTradeNo] {
		return operation.PaymentMessage{}, fmt.Errorf("%w: timeout", operation.ErrPaymentAPI)
	}
	if n.failures > 0 {
		n.failures--
		return operation.PaymentMessage{}, fmt.Errorf("%w: HTTP 500 SYSTEM_ERROR", operation.ErrPaymentAPI)
	}
	m, ok := n.trades[outTradeNo]
	if !ok {
		return m, operation.ErrPaymentUnknown
	}
	return m, nil
}

func (n *fakeNative) ClosePayment(_ context.Context, outTradeNo string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.down[outTradeNo] {
		return fmt.Errorf("%w: timeout", operation.ErrPaymentAPI)
	}
	if n.failures > 0 {
		n.failures--
		return fmt.Errorf("%w: HTTP 500 SYSTEM_ERROR", operation.ErrPaymentAPI)
	}
	m := n.trades[outTradeNo]
	m.TradeState = "CLOSED"
	n.trades[outTradeNo] = m
	n.closed = append(n.closed, outTradeNo)
	return nil
}

// pay is the buyer paying at the payment system, with no notification.
func (n *fakeNative) pay(outTradeNo, transactionID string, at time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	m := n.trades[outTradeNo]
	m.TransactionID, m.TradeState, m.SuccessTime = transactionID, "SUCCESS", at
	n.trades[outTradeNo] = m
}

func (n *fakeNative) set(fn func(n *fakeNative)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	fn(n)
}

// fixture is one test's world.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	svc     *operation.Service
	st      *store.Store
	clock   *fixedClock
	sender  *fakeSender
	objects *fakeObjects
	queue   *fakeQueue
	refunds *fakeRefunds
	native  *fakeNative
}

// newFixture starts a Service on a fresh memory store with the clock at now
// (Asia/Shanghai, see sh).
func newFixture(t *testing.T, now string) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(ctx) })
	clk := &fixedClock{now: sh(t, now)}
	f := &fixture{t: t, ctx: ctx, st: st, clock: clk, sender: &fakeSender{},
		objects: &fakeObjects{clock: clk, objects: map[string][]byte{}}, queue: &fakeQueue{},
		refunds: &fakeRefunds{clock: clk, states: map[string]operation.RefundState{}}, native: &fakeNative{trades: map[string]operation.PaymentMessage{}}}
	f.svc = &operation.Service{
		Store: st, Clock: clk, Calendar: workday.New(), Objects: f.objects, Sender: f.sender, Queue: f.queue,
		Notifications: fakeReader{}, Refunds: f.refunds, Native: f.native,
		Config: operation.Config{
			ReviewerPhones: []string{reviewerPhone}, FinancePhones: []string{financePhone}, RiskPhones: []string{riskPhone},
			Products:        market.ProductRules{AllowedDomains: market.DefaultAllowedDomains, MaxPriceFen: market.DefaultMaxPriceFen},
			ConsignmentRate: 2000,
		},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return f
}

// setClock moves the fixture's clock to a Shanghai time.
func (f *fixture) setClock(s string) { f.t.Helper(); f.clock.Set(sh(f.t, s)) }

// --- licence images ---

func pngBytes(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := 0; x < 40; x++ {
		img.Set(x, x%30, color.RGBA{200, 30, 30, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func jpegBytes(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 16, 16)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload asks for a licence upload URL as who and puts data at its key.
func (f *fixture) upload(who market.Actor, contentType string, data []byte) string {
	f.t.Helper()
	up, err := f.svc.CreateLicenseUpload(f.ctx, who, market.PurposeLicense, contentType, int64(len(data)))
	ok(f.t, err)
	f.objects.put(up.ObjectKey, data)
	return up.ObjectKey
}

// --- onboarding ---

func applicationForm(key, org string) market.ApplicationForm {
	capital := int64(200_000_000)
	return market.ApplicationForm{
		CompanyName: companyName, CompanyType: "private", OrgCode: org, LicenseNo: "914403007152672600",
		LicenseObjectKey: key, MainBusiness: "云上数据库运维", RegisteredCapitalFen: &capital, FoundedOn: "2015-03-01",
		Categories: []string{"software", "ops"}, CooperationMode: "platform",
		SupportHours: &market.SupportHours{Days: 5, HoursPerDay: 8},
		Contact:      &market.Contact{Name: "张三", Phone: contactPhone, QQ: "123456", Email: contactEmail},
	}
}

// apply submits a valid application of org as account, with the given
// categories (default software and ops).
func (f *fixture) apply(account, org string, categories ...string) *market.Application {
	f.t.Helper()
	return f.applyWith(account, org, func(a *market.ApplicationForm) {
		if len(categories) > 0 {
			a.Categories = categories
		}
	})
}

// applyWith submits the valid form of org as account, changed by edit.
func (f *fixture) applyWith(account, org string, edit func(*market.ApplicationForm)) *market.Application {
	f.t.Helper()
	who := providerActor(account)
	form := applicationForm(f.upload(who, "image/png", pngBytes(f.t)), org)
	edit(&form)
	v, err := f.svc.SubmitApplication(f.ctx, who, form)
	ok(f.t, err)
	return v
}

// approvedProvider runs an application through approval (R-ON2: contract
// pending).
func (f *fixture) approvedProvider(account, org string, categories ...string) *market.Provider {
	f.t.Helper()
	return f.approve(f.apply(account, org, categories...))
}

func (f *fixture) approve(a *market.Application) *market.Provider {
	f.t.Helper()
	a, err := f.svc.DecideApplication(f.ctx, reviewer, a.ID, "approve", "")
	ok(f.t, err)
	return f.provider(a.ProviderID)
}

// signedProvider is an active provider without a deposit.
func (f *fixture) signedProvider(account, org string, categories ...string) *market.Provider {
	f.t.Helper()
	return f.sign(f.approvedProvider(account, org, categories...))
}

func (f *fixture) sign(p *market.Provider) *market.Provider {
	f.t.Helper()
	v, err := f.svc.SignContract(f.ctx, market.Actor{Account: p.AccountID, Roles: []string{market.RoleProvider}}, p.ID, "张三")
	ok(f.t, err)
	return v
}

// depositedProvider is an active provider whose deposit is held in full.
func (f *fixture) depositedProvider(account, org string, categories ...string) *market.Provider {
	f.t.Helper()
	return f.payInFull(f.signedProvider(account, org, categories...))
}

func (f *fixture) payInFull(p *market.Provider) *market.Provider {
	f.t.Helper()
	return f.pay(p.ID, int64(p.Deposit.RequiredFen), "DEP-"+p.ID).Provider
}

// wire is a bank transfer from the provider's corporate account, paid an hour
// before the clock.
func (f *fixture) wire(amount int64, ref string) market.Payment {
	return market.Payment{AmountFen: money.Fen(amount), Channel: "wire", Reference: ref, PayerAccountName: companyName, PaidAt: f.clock.Now().Add(-time.Hour)}
}

// pay records a wire transfer as finance.
func (f *fixture) pay(providerID string, amount int64, ref string) operation.PaymentResult {
	f.t.Helper()
	v, err := f.svc.RecordDepositPayment(f.ctx, finance, providerID, f.wire(amount, ref))
	ok(f.t, err)
	return v
}

// deduct takes amount from a deposit as risk.
func (f *fixture) deduct(providerID string, amount int64, reason string) *market.Provider {
	f.t.Helper()
	res, err := f.svc.DeductDeposit(f.ctx, risk, providerID, operation.Deduction{AmountFen: money.Fen(amount), Reason: reason})
	ok(f.t, err)
	return res.Provider
}

// --- products and orders ---

func content(category, name string, priceFen int64) market.ProductContent {
	return market.ProductContent{
		Category: market.Category(category), Name: name, Summary: "每日自动备份云数据库",
		Description: "支持 MySQL 与 MongoDB，详见 https://cloud.tencent.com/product/cdb",
		Plans:       []market.Plan{{ID: "std", Name: "标准版", PriceFen: money.Fen(priceFen), Period: "month", DurationDays: 30}},
	}
}

// listed creates, submits and approves a product of who; with the deposit
// received it is listed (R-ON3).
func (f *fixture) listed(who market.Actor, category string, priceFen int64) *market.Product {
	f.t.Helper()
	p, err := f.svc.CreateProduct(f.ctx, who, content(category, "商品-"+category, priceFen))
	ok(f.t, err)
	_, err = f.svc.SubmitProduct(f.ctx, who, p.ID)
	ok(f.t, err)
	v, err := f.svc.ReviewProduct(f.ctx, reviewer, p.ID, "approve", "SEC-1", "")
	ok(f.t, err)
	return v
}

// onSale is a deposited provider of account with one listed product of the
// category at priceFen a month.
func (f *fixture) onSale(account, org, category string, priceFen int64) (*market.Product, *market.Provider) {
	f.t.Helper()
	prov := f.depositedProvider(account, org, category)
	return f.listed(providerActor(account), category, priceFen), prov
}

// payOrder is the payment system's path: the verified notification is stored
// and queued (AcceptPayment), and the consumer applies the queued message.
func (f *fixture) payOrder(o *market.Order, amountFen int64, transactionID string) error {
	f.t.Helper()
	return f.deliverPayment(operation.PaymentMessage{TransactionID: transactionID, OutTradeNo: o.OutTradeNo, AmountFen: amountFen,
		TradeState: "SUCCESS", SuccessTime: f.clock.Now()})
}

// deliverPayment accepts a notification and applies what it put on the queue.
func (f *fixture) deliverPayment(m operation.PaymentMessage) error {
	f.t.Helper()
	if err := f.svc.AcceptPayment(f.ctx, m); err != nil {
		f.t.Fatal(err)
	}
	msgs := f.queue.all()
	last := msgs[len(msgs)-1]
	var got operation.PaymentMessage
	if err := json.Unmarshal(last.Value, &got); err != nil || last.Key != m.TransactionID {
		f.t.Fatalf("queued %q: %v", last.Value, err)
	}
	return f.svc.ApplyPayment(f.ctx, got)
}

// paidOrder places an order of the product's std plan and pays it.
func (f *fixture) paidOrder(productID string, transactionID string) *market.Order {
	f.t.Helper()
	o, err := f.svc.PlaceOrder(f.ctx, buyer, productID, "std", 1)
	ok(f.t, err)
	if err := f.payOrder(o, int64(o.AmountFen), transactionID); err != nil {
		f.t.Fatal(err)
	}
	return f.order(o.ID)
}

// --- reading back ---

func (f *fixture) provider(id string) *market.Provider {
	f.t.Helper()
	v, err := f.st.Provider(f.ctx, id)
	ok(f.t, err)
	return v
}

func (f *fixture) order(id string) *market.Order {
	f.t.Helper()
	v, err := f.st.Order(f.ctx, id)
	ok(f.t, err)
	return v
}

// visible tells whether buyers can see and order a product now.
func (f *fixture) visible(productID string) bool {
	f.t.Helper()
	rec, err := f.st.Product(f.ctx, productID)
	ok(f.t, err)
	return rec.OnSale()
}

// eventTypes lists the types of the events of a provider (or, with
// providerID "", of everything), sorted: events of one operation share their
// time, so the audit trail's order among them is not asserted.
func (f *fixture) eventTypes(providerID string) []string {
	f.t.Helper()
	evs, err := f.st.Events(f.ctx, store.EventQuery{ProviderID: providerID})
	ok(f.t, err)
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = string(e.Type)
	}
	sort.Strings(out)
	return out
}

// countEvents counts the events of a type, of everything.
func (f *fixture) countEvents(eventType string) int {
	f.t.Helper()
	n := 0
	for _, typ := range f.eventTypes("") {
		if typ == eventType {
			n++
		}
	}
	return n
}

// eventData is the data of the one event of a type about subject.
func (f *fixture) eventData(subject, eventType string) map[string]any {
	f.t.Helper()
	var found []map[string]any
	evs, err := f.st.Events(f.ctx, store.EventQuery{Subject: subject})
	ok(f.t, err)
	for _, e := range evs {
		if string(e.Type) == eventType {
			found = append(found, plainData(e.Data))
		}
	}
	if len(found) != 1 {
		f.t.Fatalf("%d %s events about %s, want 1", len(found), eventType, subject)
	}
	return found[0]
}

// eventActor is the actor of the one event of a type about subject.
func (f *fixture) eventActor(subject, eventType string) string {
	f.t.Helper()
	evs, err := f.st.Events(f.ctx, store.EventQuery{Subject: subject})
	ok(f.t, err)
	for _, e := range evs {
		if string(e.Type) == eventType {
			return e.Actor
		}
	}
	f.t.Fatalf("no %s event about %s", eventType, subject)
	return ""
}

// sent lists what was delivered to one address, template by template, in
// delivery order.
func (f *fixture) sent(to string) []string {
	var out []string
	for _, m := range f.sender.all() {
		if m.To == to {
			out = append(out, m.Template)
		}
	}
	return out
}

// message is the one delivered message of a template to an address.
func (f *fixture) message(to, template string) sentMessage {
	f.t.Helper()
	var found []sentMessage
	for _, m := range f.sender.all() {
		if m.To == to && m.Template == template {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		f.t.Fatalf("%d %s messages to %s, want 1 (all: %v)", len(found), template, to, f.sender.all())
	}
	return found[0]
}

// pending counts notifications still waiting in the outbox.
func (f *fixture) pending() int {
	f.t.Helper()
	ns, err := f.st.DeliverableNotifications(f.ctx, f.clock.Now(), 1000)
	ok(f.t, err)
	return len(ns)
}

// ledger sums a provider's deposit entries: the balance change, what is owed,
// and how many entries of each kind there are.
type ledgerSum struct {
	BalanceFen, OwedFen int64
	Kinds               map[string]int
	Receipts            []string
}

func (f *fixture) ledger(providerID string) ledgerSum {
	f.t.Helper()
	l := ledgerSum{Kinds: map[string]int{}}
	entries, err := f.st.DepositEntries(f.ctx, providerID)
	ok(f.t, err)
	for _, e := range entries {
		l.BalanceFen += int64(e.AmountFen)
		l.OwedFen += int64(e.OwedFen)
		l.Kinds[string(e.Kind)]++
		if e.ReceiptNo != "" {
			l.Receipts = append(l.Receipts, e.ReceiptNo)
		}
	}
	sort.Strings(l.Receipts)
	return l
}

// wantLedgerMatches checks the deposit invariant: the balance is the sum of
// the entries, and so is what is owed.
func (f *fixture) wantLedgerMatches(providerID string) ledgerSum {
	f.t.Helper()
	l, p := f.ledger(providerID), f.provider(providerID)
	if l.BalanceFen != int64(p.Deposit.BalanceFen) || l.OwedFen != int64(p.Deposit.OwedFen) {
		f.t.Fatalf("balance %d owed %d, entries sum to %d owed %d", p.Deposit.BalanceFen, p.Deposit.OwedFen, l.BalanceFen, l.OwedFen)
	}
	return l
}

// paymentStatus is what became of a stored payment notification.
func (f *fixture) paymentStatus(transactionID string) (status, outcome string) {
	f.t.Helper()
	n, err := f.st.PaymentNotification(f.ctx, transactionID)
	if errors.Is(err, store.ErrNotFound) {
		return "", ""
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return string(n.Status), n.Outcome
}

// change runs fn on a provider record directly, for states that other
// features (penalties) will set.
func (f *fixture) change(providerID string, fn func(p *market.Provider)) {
	f.t.Helper()
	_, err := store.Transact(f.ctx, f.st, func(tx *store.Tx) (struct{}, error) {
		p, err := tx.Provider(providerID)
		if err != nil {
			return struct{}{}, err
		}
		fn(p)
		return struct{}{}, tx.SaveProvider(p)
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// expel marks an organisation expelled (R-EN7), as the penalty feature will.
func (f *fixture) expel(organisation string) {
	f.t.Helper()
	_, err := store.Transact(f.ctx, f.st, func(tx *store.Tx) (struct{}, error) {
		if _, err := tx.Organisation(organisation); err != nil {
			return struct{}{}, err
		}
		return struct{}{}, tx.SetOrganisation(organisation, store.OrganisationRef{Standing: market.OrganisationExpelled, Reason: "R-VI2"}, f.clock.Now())
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// joined renders a list for comparison in messages.
func joined(s []string) string { return strings.Join(s, " ") }

// message of a fault, to check it names what to fix.
func faultMessage(err error) string {
	if e, ok := fault.As(err); ok {
		return e.Message
	}
	return ""
}

// faultOf is the fault code in err's chain, if any.
func faultOf(err error) (string, bool) {
	if e, ok := fault.As(err); ok {
		return e.Code, true
	}
	return "", false
}

// plainData flattens a typed event payload into its json names, with named
// strings as plain strings and integers as int64, so tests compare values.
func plainData(data any) map[string]any {
	out := map[string]any{}
	v := reflect.ValueOf(data)
	if !v.IsValid() {
		return out
	}
	for i := 0; i < v.NumField(); i++ {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			out[name] = f.String()
		case reflect.Int, reflect.Int64:
			out[name] = f.Int()
		default:
			out[name] = f.Interface()
		}
	}
	return out
}
