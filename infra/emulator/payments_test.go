package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"cloudmarket/shared/app"
	"cloudmarket/shared/market"
	"cloudmarket/shared/payments/simulator"
)

// scan pays a placed order as a buyer scanning its code would.
func scan(e *env, outTradeNo, transactionID string, withhold bool) result {
	body := map[string]any{"outTradeNo": outTradeNo, "scan": true, "transactionId": transactionID}
	if withhold {
		body["withhold"] = true
	}
	return e.call("POST", "/_local/payments/simulate", "", body)
}

func notificationStatus(e *env, transactionID string) market.PaymentNotificationStatus {
	n, err := e.emu.App.Store.PaymentNotification(context.Background(), transactionID)
	if err != nil {
		return ""
	}
	return n.Status
}

// order → prepay → codeUrl → paid by a scan → applied once.
func TestJourney_PrepayScanPaidOnce(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-07-01T09:30:00+08:00"}), 200)
	buyer := e.token("300001", market.RoleBuyer)
	prd, _, _ := onSale(e, "100001", creditCode, "software", 1000)
	first := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std"}, "Idempotency-Key", "order-1"), 201)
	// The order is stored with its code: a replay is the first answer, code and all.
	if again := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std"}, "Idempotency-Key", "order-1"), 201); again.Raw != first.Raw {
		t.Fatalf("replay differs:\n%s\n%s", first.Raw, again.Raw)
	}
	o := first.Body
	pay := o["payment"].(map[string]any)
	if code, _ := pay["codeUrl"].(string); !strings.HasPrefix(code, "weixin://wxpay/bizpayurl?pr=") || pay["expiresAt"] != o["expiresAt"] || !strings.HasPrefix(pay["expiresAt"].(string), "2026-07-01T11:30:00") {
		t.Fatalf("payment: %v", pay)
	}
	trade, id := o["outTradeNo"].(string), o["id"].(string)
	e.must(scan(e, trade, "4200000000SCAN", false), 204)
	got := waitOrder(e, id, buyer, "in_service")
	if got["transactionId"] != "4200000000SCAN" || got["payment"].(map[string]any)["codeUrl"] != nil {
		t.Fatalf("paid order: %v", got)
	}
	// The code cannot be paid twice; the notification redelivered changes nothing.
	if r := scan(e, trade, "4200000000SCAN2", false); r.Status != 409 || r.code() != "FailedOperation.OrderPaid" {
		t.Fatalf("second scan: %d %s", r.Status, r.Raw)
	}
	e.must(simulate(e, trade, 1000, "4200000000SCAN"), 204)
	fire(e)
	if n := countEvents(e, market.EventOrderPaid); n != 1 {
		t.Fatalf("paid %d times", n)
	}
}

// A failed prepay is retried: the order is placed without a code and gets
// one from the timer.
func TestJourney_PrepayRetried(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-07-01T09:30:00+08:00"}), 200)
	buyer := e.token("300001", market.RoleBuyer)
	prd, _, _ := onSale(e, "100001", creditCode, "software", 1000)
	e.must(e.call("POST", "/_local/payments/prepay-outcome", "", map[string]any{"next": "error"}), 200)
	o := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std"}), 201).Body
	if pay := o["payment"].(map[string]any); pay["codeUrl"] != nil {
		t.Fatalf("payment after a failed prepay: %v", pay)
	}
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"advance": "1m1s"}), 200)
	if rep := fire(e); rep["paymentsPrepaid"] != float64(1) {
		t.Fatalf("timer: %v", rep)
	}
	got := e.must(e.call("GET", "/v1/orders/"+o["id"].(string), buyer, nil), 200).Body
	if code, _ := got["payment"].(map[string]any)["codeUrl"].(string); code == "" {
		t.Fatalf("no codeUrl after the retry: %v", got["payment"])
	}
}

// A payment whose notification is withheld is found by the query and paid
// once.
func TestJourney_WithheldNotificationFoundByQuery(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-07-01T09:30:00+08:00"}), 200)
	buyer := e.token("300001", market.RoleBuyer)
	prd, _, _ := onSale(e, "100001", creditCode, "software", 1000)
	o := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std"}), 201).Body
	r := e.must(scan(e, o["outTradeNo"].(string), "4200000000QUIET", true), 200).Body
	if r["notified"] != false || r["amountFen"] != float64(1000) {
		t.Fatalf("withheld scan: %v", r)
	}
	time.Sleep(100 * time.Millisecond)
	if got := e.must(e.call("GET", "/v1/orders/"+o["id"].(string), buyer, nil), 200).Body; got["status"] != "pending_payment" {
		t.Fatalf("paid without a notification or a query: %v", got["status"])
	}
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"advance": "5m1s"}), 200)
	if rep := fire(e); rep["paymentsFoundPaid"] != float64(1) {
		t.Fatalf("timer: %v", rep)
	}
	got := waitOrder(e, o["id"].(string), buyer, "in_service")
	if got["transactionId"] != "4200000000QUIET" || got["paidAt"] != "2026-07-01T09:30:00+08:00" && !strings.HasPrefix(got["paidAt"].(string), "2026-07-01T09:30") {
		t.Fatalf("order: %v", got)
	}
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"advance": "5m1s"}), 200)
	if rep := fire(e); rep["paymentsQueried"] != float64(0) {
		t.Fatalf("a paid order was queried: %v", rep)
	}
	if n := countEvents(e, market.EventOrderPaid); n != 1 {
		t.Fatalf("paid %d times", n)
	}
}

// A consumer failure past the trigger's retries: the record is skipped (as
// CKafka does), the notification stays stored, and the timer re-drives it.
func TestJourney_ConsumerFailureRedriven(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	var attempts atomic.Int32
	failing.Store(true)
	e := startWith(t, Options{FailDelivery: func(key string) bool {
		if key == "4200000000FLAKY" && failing.Load() {
			attempts.Add(1)
			return true
		}
		return false
	}})
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-07-01T09:30:00+08:00"}), 200)
	buyer := e.token("300001", market.RoleBuyer)
	prd, _, _ := onSale(e, "100001", creditCode, "software", 1000)
	o := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std"}), 201).Body
	e.must(scan(e, o["outTradeNo"].(string), "4200000000FLAKY", false), 204)

	fn, _ := app.Lookup("apply-payment")
	for deadline := time.Now().Add(10 * time.Second); attempts.Load() < int32(1+fn.Consumer.Retries); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("delivered %d times", attempts.Load())
		}
	}
	time.Sleep(300 * time.Millisecond) // no more attempts: skipped
	if n := attempts.Load(); n != int32(1+fn.Consumer.Retries) {
		t.Fatalf("delivered %d times, the trigger delivers %d", n, 1+fn.Consumer.Retries)
	}
	if st := notificationStatus(e, "4200000000FLAKY"); st != market.NotificationReceived {
		t.Fatalf("notification %s", st)
	}
	failing.Store(false)
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"advance": "5m1s"}), 200)
	if rep := fire(e); rep["paymentsRedriven"] != float64(1) {
		t.Fatalf("timer: %v", rep)
	}
	waitOrder(e, o["id"].(string), buyer, "in_service")
	if n := countEvents(e, market.EventOrderPaid); n != 1 {
		t.Fatalf("paid %d times", n)
	}
}

// An order lapses: closed at the payment system (a scan is refused there), and
// a payment that still arrives is refunded through the refund API.
func TestJourney_LapseClosedLatePaymentRefunded(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-07-01T09:30:00+08:00"}), 200)
	buyer := e.token("300001", market.RoleBuyer)
	prd, _, _ := onSale(e, "100001", creditCode, "software", 1000)
	o := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std"}), 201).Body
	id, trade := o["id"].(string), o["outTradeNo"].(string)
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"advance": "2h1m"}), 200)
	if rep := fire(e); rep["ordersCancelled"] != float64(1) || rep["paymentsClosed"] != float64(1) {
		t.Fatalf("lapse: %v", rep)
	}
	got := e.must(e.call("GET", "/v1/orders/"+id, buyer, nil), 200).Body
	if got["status"] != "cancelled" || got["payment"].(map[string]any)["closedAt"] == nil {
		t.Fatalf("lapsed order: %v", got)
	}
	if r := scan(e, trade, "4200000000TOOLATE", false); r.Status != 409 || r.code() != "FailedOperation.OrderClosed" {
		t.Fatalf("scan of a closed order: %d %s", r.Status, r.Raw)
	}
	// A payment that still arrives (a notification of a payment made at the
	// last moment) is refunded in full, and finance is told.
	e.must(simulate(e, trade, 1000, "4200000000LASTSEC"), 204)
	waitOrder(e, id, buyer, "refunded")
	if countEvents(e, market.EventPaymentAfterLapse) != 1 || countEvents(e, market.EventRefundPaid) != 1 {
		t.Fatalf("events: after_lapse %d, refund.paid %d", countEvents(e, market.EventPaymentAfterLapse), countEvents(e, market.EventRefundPaid))
	}
	fire(e)
	if countOutbox(e, func(m map[string]any) bool { return m["template"] == "payment_after_lapse_refunded" }) != 1 {
		t.Fatalf("finance not told of the refunded late payment: %v", outbox(e))
	}
}

// A transaction for another merchant or app, though signed by the payment
// system, is refused and nothing is stored; a signed body without a
// resource is a 400, never a 500.
func TestNotificationForAnotherMerchantRefused(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	sim, err := e.emu.Simulator()
	if err != nil {
		t.Fatal(err)
	}
	post := func(h http.Header, body []byte) result {
		hs := []string{}
		for k := range h {
			hs = append(hs, k, h.Get(k))
		}
		return e.call("POST", "/v1/payments/notify", "", string(body), hs...)
	}
	for _, tx := range []simulator.Transaction{{MchID: "1900000099"}, {AppID: "wx0000000000000000"}} {
		tx.TransactionID, tx.OutTradeNo, tx.AmountFen, tx.SuccessTime = "4200000000OTHER", "CMX", 1000, time.Now()
		h, body, err := sim.Notification(tx, time.Now(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if r := post(h, body); r.Status != 400 || r.code() != "InvalidParameterValue.Merchant" || r.Body["code"] != "FAIL" {
			t.Fatalf("%+v: %d %s", tx, r.Status, r.Raw)
		}
	}
	if st := notificationStatus(e, "4200000000OTHER"); st != "" {
		t.Fatalf("stored as %s", st)
	}
	body := []byte(`{"id":"EV-1","create_time":"2026-07-01T09:30:00+08:00","event_type":"TRANSACTION.SUCCESS","resource_type":"encrypt-resource","summary":"支付成功"}`)
	h, err := sim.Sign(body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r := post(h, body); r.Status != 400 || r.code() != "InvalidParameterValue.Resource" {
		t.Fatalf("no resource: %d %s", r.Status, r.Raw)
	}
}

// The emulator's delivery loop keeps the CKafka trigger's contract, as
// serverless.yml configures it from the same catalogue row (retry:
// Consumer.Retries): a failing batch is invoked once plus Retries times,
// then skipped; nothing goes to a dead-letter topic.
func TestConsumerKeepsTheTriggersContract(t *testing.T) {
	t.Parallel()
	fn, _ := app.Lookup("apply-payment")
	h := &countingHandler{err: errors.New("down")}
	c := &consumer{name: fn.Name, topic: fn.Consumer.Topic, retries: fn.Consumer.Retries, handler: h, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	batch := []*kgo.Record{{Topic: fn.Consumer.Topic, Key: []byte("a"), Offset: 1}, {Topic: fn.Consumer.Topic, Key: []byte("b"), Offset: 2}}
	if n := c.deliver(context.Background(), batch); n != 1+fn.Consumer.Retries || h.calls() != 1+fn.Consumer.Retries {
		t.Fatalf("invoked %d times (%d), the trigger invokes %d", n, h.calls(), 1+fn.Consumer.Retries)
	}
	h.setErr(nil)
	if n := c.deliver(context.Background(), batch); n != 1 {
		t.Fatalf("a succeeding batch was invoked %d times", n)
	}
	var ev struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(h.last(), &ev); err != nil || len(ev.Records) != 2 {
		t.Fatalf("the batch is one trigger event of its records: %s", h.last())
	}
}

type countingHandler struct {
	mu      sync.Mutex
	n       int
	err     error
	payload []byte
}

func (h *countingHandler) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n++
	h.payload = bytes.Clone(payload)
	return nil, h.err
}

func (h *countingHandler) calls() int       { h.mu.Lock(); defer h.mu.Unlock(); return h.n }
func (h *countingHandler) last() []byte     { h.mu.Lock(); defer h.mu.Unlock(); return h.payload }
func (h *countingHandler) setErr(err error) { h.mu.Lock(); defer h.mu.Unlock(); h.err = err }

// make run keeps the local payment system's orders: a code shown before a
// restart can be paid after it.
func TestLocalPaymentSystemKeepsOrdersAcrossRestarts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := start(t, false, dir)
	buyer := e.token("300001", market.RoleBuyer)
	prd, _, _ := onSale(e, "100001", creditCode, "software", 1000)
	o := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std"}), 201).Body
	if err := e.emu.Close(); err != nil {
		t.Fatal(err)
	}
	// (A test's emulator listens on another port each start, where the
	// prepay's notify_url does not follow: the query finds the payment.)
	e2 := start(t, false, dir)
	e2.must(scan(e2, o["outTradeNo"].(string), "4200000000RESTART", true), 200)
	e2.must(e2.call("POST", "/_local/clock", "", map[string]string{"advance": "5m1s"}), 200)
	if rep := fire(e2); rep["paymentsFoundPaid"] != float64(1) {
		t.Fatalf("timer: %v", rep)
	}
	waitOrder(e2, o["id"].(string), buyer, "in_service")
}
