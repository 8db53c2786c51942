package emulator

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloudmarket/shared/market"
)

// onSale sets up a provider with its deposit paid and one listed product of
// the given category; it returns the product ID and the provider's token.
func onSale(e *env, sub, org, category string, price int64) (string, string, string) {
	e.t.Helper()
	pid, prov := approved(e, sub, org, category)
	e.must(e.call("POST", "/v1/providers/"+pid+"/contract/sign", prov, map[string]string{"signatoryName": "张三"}), 200)
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", e.token("800001", market.RoleFinance), payment(500000, "DEP-"+pid)), 201)
	b := productBody("商品-" + category)
	b["category"] = category
	b["plans"] = []map[string]any{{"id": "std", "name": "标准版", "priceFen": price, "period": "month", "durationDays": 30}}
	id := e.must(e.call("POST", "/v1/products", prov, b), 201).Body["id"].(string)
	e.must(e.call("POST", "/v1/products/"+id+"/submit", prov, nil), 200)
	e.must(e.call("POST", "/v1/products/"+id+"/review", e.token("900001", market.RoleReviewer), map[string]string{"decision": "approve", "securityReportRef": "S"}), 200)
	return id, pid, prov
}

// waitOrder polls until the order reaches status (the consumer runs apart).
func waitOrder(e *env, id, token, status string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		o := e.must(e.call("GET", "/v1/orders/"+id, token, nil), 200).Body
		if o["status"] == status {
			return o
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("order %s stayed %v, want %s", id, o["status"], status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func simulate(e *env, outTradeNo string, amount int64, txID string) result {
	body := map[string]any{"outTradeNo": outTradeNo, "amountFen": amount}
	if txID != "" {
		body["transactionId"] = txID
	}
	return e.call("POST", "/_local/payments/simulate", "", body)
}

func TestJourney_OrderPaidThroughQueue_R_FE1_R_RF1_R_SV2(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-07-01T09:30:00+08:00"}), 200)
	buyer := e.token("300001", market.RoleBuyer)
	prd, _, prov := onSale(e, "100001", creditCode, "software", 99999)

	o := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std", "quantity": 3}, "Idempotency-Key", "buy-1"), 201).Body
	again := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std", "quantity": 3}, "Idempotency-Key", "buy-1"), 201).Body
	if again["id"] != o["id"] {
		t.Fatal("a retried POST made a second order")
	}
	// 299,997 fen at 10%: 29,999.7 → 30,000 fee (half up), 269,997 net; they sum back (R-FE1).
	if o["status"] != "pending_payment" || o["amountFen"] != float64(299997) || o["platformFeeFen"] != float64(30000) || o["providerNetFen"] != float64(269997) {
		t.Fatalf("order: %v", o)
	}
	inv := o["invoicing"].([]any)
	if inv[0].(map[string]any)["issuer"] != "provider" || inv[1].(map[string]any)["subject"] != "service_fee" || inv[1].(map[string]any)["amountFen"] != float64(30000) {
		t.Fatalf("invoicing (R-FE2): %v", inv)
	}
	id, trade := o["id"].(string), o["outTradeNo"].(string)

	r := e.must(simulate(e, trade, 299997, "4200000000202607010001"), 204)
	if r.Raw != "" {
		t.Fatalf("notify body: %q", r.Raw)
	}
	paid := waitOrder(e, id, buyer, "in_service")
	if paid["paidAt"] != "2026-07-01T09:30:00+08:00" && !strings.HasPrefix(paid["paidAt"].(string), "2026-07-01T09:30") {
		t.Fatalf("paidAt %v", paid["paidAt"])
	}
	if paid["reviewPeriodEndsAt"] != "2026-07-05T23:59:59.999+08:00" || paid["startDueAt"] != "2026-07-03T23:59:59.999+08:00" {
		t.Fatalf("deadlines: %v %v", paid["reviewPeriodEndsAt"], paid["startDueAt"])
	}
	code, _ := paid["redemptionCode"].(string)
	if len(code) != 19 {
		t.Fatalf("software order without a redemption code: %v", paid)
	}
	// The same transaction again changes nothing.
	e.must(simulate(e, trade, 299997, "4200000000202607010001"), 204)
	time.Sleep(300 * time.Millisecond)
	if o2 := e.must(e.call("GET", "/v1/orders/"+id, prov, nil), 200).Body; o2["redemptionCode"] != code || o2["transactionId"] != "4200000000202607010001" {
		t.Fatalf("second delivery changed the order: %v", o2)
	}
	paidEvents := 0
	for _, ev := range e.must(e.call("GET", "/v1/events?providerId="+paid["providerId"].(string), prov, nil), 200).Body["items"].([]any) {
		if ev.(map[string]any)["type"] == "order.paid" {
			paidEvents++
		}
	}
	if paidEvents != 1 {
		t.Fatalf("%d order.paid events", paidEvents)
	}
	// Another buyer may not read it.
	if r := e.call("GET", "/v1/orders/"+id, e.token("300002", market.RoleBuyer), nil); r.Status != 403 {
		t.Fatalf("stranger: %d", r.Status)
	}
	// After the review period the timer completes the order.
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-07-06T00:00:01+08:00"}), 200)
	if rep := e.must(e.call("POST", "/_local/timers/enforce-deadlines/fire", "", nil), 200).Body; rep["ordersCompleted"] != float64(1) {
		t.Fatalf("timer: %v", rep)
	}
	waitOrder(e, id, buyer, "completed")
}

func TestOpsOrderFlowAndLateStart_R_SV2(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-07-01T09:30:00+08:00"}), 200)
	buyer := e.token("300001", market.RoleBuyer)
	prd, _, prov := onSale(e, "100001", creditCode, "ops", 50000)
	prd2 := prd
	mk := func() (string, string) {
		o := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd2, "planId": "std"}), 201).Body
		return o["id"].(string), o["outTradeNo"].(string)
	}
	id, trade := mk()
	if r := e.call("POST", "/v1/orders/"+id+"/start", prov, nil); r.Status != 409 || r.code() != "FailedOperation.OrderNotPaid" {
		t.Fatalf("start before payment: %d %s", r.Status, r.Raw)
	}
	e.must(simulate(e, trade, 50000, ""), 204)
	o := waitOrder(e, id, buyer, "paid")
	if o["reviewPeriodEndsAt"] != nil || o["redemptionCode"] != nil {
		t.Fatalf("ops order: %v", o)
	}
	e.must(e.call("POST", "/v1/orders/"+id+"/requirements", buyer, map[string]string{"text": "请帮我把 MySQL 迁移到云数据库"}), 200)
	if r := e.call("POST", "/v1/orders/"+id+"/start", buyer, nil); r.Status != 403 {
		t.Fatalf("buyer starting: %d", r.Status)
	}
	st := e.must(e.call("POST", "/v1/orders/"+id+"/start", prov, nil), 200).Body
	if st["status"] != "in_service" || st["requirements"] == nil {
		t.Fatalf("started: %v", st)
	}
	done := e.must(e.call("POST", "/v1/orders/"+id+"/confirm", buyer, nil), 200).Body
	if done["status"] != "completed" || done["reviewPeriodEndsAt"] == nil {
		t.Fatalf("confirmed: %v", done)
	}

	// A second order not started within 2 working days of its requirement
	// form (R-SV2 for ops) is flagged once for risk.
	id2, trade2 := mk()
	e.must(simulate(e, trade2, 50000, ""), 204)
	waitOrder(e, id2, buyer, "paid")
	e.must(e.call("POST", "/v1/orders/"+id2+"/requirements", buyer, map[string]string{"text": "巡检主库"}), 200)
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-07-04T00:00:01+08:00"}), 200)
	if rep := e.must(e.call("POST", "/_local/timers/enforce-deadlines/fire", "", nil), 200).Body; rep["startsOverdue"] != float64(1) {
		t.Fatalf("late start: %v", rep)
	}
	if rep := e.must(e.call("POST", "/_local/timers/enforce-deadlines/fire", "", nil), 200).Body; rep["startsOverdue"] != float64(0) {
		t.Fatalf("late start twice: %v", rep)
	}
	if alerts := countOutbox(e, func(m map[string]any) bool { return m["template"] == "order_start_overdue" }); alerts != 1 {
		t.Fatalf("%d risk alerts", alerts)
	}
}

func TestOrderRefusals(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	buyer := e.token("300001", market.RoleBuyer)
	prd, _, prov := onSale(e, "100001", creditCode, "software", 1000)
	for _, c := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"productId": prd, "planId": "nope"}, 400, "InvalidParameterValue.PlanId"},
		{map[string]any{"productId": prd, "planId": "std", "quantity": 101}, 400, "InvalidParameterValue.Quantity"},
		{map[string]any{"productId": prd, "planId": "std", "quantity": 0}, 400, "InvalidParameterValue.Quantity"},
		{map[string]any{"productId": prd, "planId": "std", "amountFen": 1}, 400, "InvalidParameter"},
		{map[string]any{"planId": "std"}, 400, "MissingParameter"},
	} {
		if r := e.call("POST", "/v1/orders", buyer, c.body); r.Status != c.status || r.code() != c.code {
			t.Errorf("%v: %d %s", c.body, r.Status, r.Raw)
		}
	}
	if r := e.call("POST", "/v1/orders", prov, map[string]any{"productId": prd, "planId": "std"}); r.Status != 403 {
		t.Errorf("provider ordering: %d", r.Status)
	}
	// An order left unpaid lapses after its payment window; a late payment is
	// refunded at once, never applied to a service.
	o := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std"}), 201).Body
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"advance": "2h1m"}), 200)
	if rep := e.must(e.call("POST", "/_local/timers/enforce-deadlines/fire", "", nil), 200).Body; rep["ordersCancelled"] != float64(1) {
		t.Fatalf("expiry: %v", rep)
	}
	e.must(simulate(e, o["outTradeNo"].(string), 1000, "4200000000LATE"), 204)
	if n := waitApplied(e, "4200000000LATE"); n.Outcome != "refunded_after_lapse" {
		t.Fatalf("late payment outcome %s", n.Outcome)
	}
	if got := waitOrder(e, o["id"].(string), buyer, "refunded"); got["startedAt"] != nil || got["redemptionCode"] != nil {
		t.Fatalf("a late payment was served: %v", got)
	}
	e.must(e.call("POST", "/v1/products/"+prd+"/delist", prov, nil), 200)
	if r := e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std"}); r.Status != 409 || r.code() != "FailedOperation.ProductNotOnSale" {
		t.Errorf("delisted product: %d %s", r.Status, r.Raw)
	}
}

func TestPaymentRefusalsChangeNothing(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	buyer := e.token("300001", market.RoleBuyer)
	prd, _, _ := onSale(e, "100001", creditCode, "software", 1000)
	o := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std"}), 201).Body
	id, trade := o["id"].(string), o["outTradeNo"].(string)

	// One flipped byte: 401 in the payment system's terms, nothing stored or queued.
	sim, err := e.emu.Simulator()
	if err != nil {
		t.Fatal(err)
	}
	header, body, err := sim.Notification(paymentsTx(trade, 1000, "4200000000FLIP"), e.emu.Clock.Now(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	body[len(body)/3] ^= 1
	hs := []string{}
	for k := range header {
		hs = append(hs, k, header.Get(k))
	}
	r := e.call("POST", "/v1/payments/notify", "", string(body), hs...)
	if r.Status != 401 || r.Body["code"] != "FAIL" || r.code() != "AuthFailure.Signature" {
		t.Fatalf("flipped byte: %d %s", r.Status, r.Raw)
	}
	if _, err := e.emu.App.Store.PaymentNotification(context.Background(), "4200000000FLIP"); err == nil {
		t.Fatal("a refused notification was stored")
	}
	// A wrong amount is recorded for finance, the order stays unpaid.
	e.must(simulate(e, trade, 999, "4200000000SHORT"), 204)
	if n := waitApplied(e, "4200000000SHORT"); n.Outcome != "mismatch" {
		t.Fatalf("outcome %s", n.Outcome)
	}
	if got := e.must(e.call("GET", "/v1/orders/"+id, buyer, nil), 200).Body; got["status"] != "pending_payment" {
		t.Fatalf("mismatched payment marked the order: %v", got)
	}
	// Delivery follows the commit: poll the outbox briefly.
	found := false
	for wait := time.Now().Add(5 * time.Second); !found && time.Now().Before(wait); time.Sleep(20 * time.Millisecond) {
		found = countOutbox(e, func(m map[string]any) bool {
			return m["template"] == "payment_needs_review" && m["to"] == "+8613900000001"
		}) > 0
	}
	if !found {
		t.Fatal("finance not told of the mismatch")
	}
	// A payment for no known order is recorded for finance (there is no
	// dead-letter topic); the queue moves on.
	e.must(simulate(e, "CMNOSUCHORDER", 1000, "4200000000NOORDER"), 204)
	e.must(simulate(e, trade, 1000, "4200000000GOOD"), 204)
	waitOrder(e, id, buyer, "in_service")
	if n, err := e.emu.App.Store.PaymentNotification(context.Background(), "4200000000NOORDER"); err != nil || n.Status != market.NotificationUnapplied {
		t.Fatalf("unknown order: %+v %v", n, err)
	}
	if countEvents(e, market.EventPaymentUnapplied) != 1 {
		t.Fatal("finance was not shown the unapplied payment")
	}
}

func TestHundredConcurrentNotifications(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	buyer := e.token("300001", market.RoleBuyer)
	prd, _, _ := onSale(e, "100001", creditCode, "api", 500)
	type ord struct{ id, trade string }
	orders := make([]ord, 100)
	for i := range orders {
		o := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std"}), 201).Body
		orders[i] = ord{o["id"].(string), o["outTradeNo"].(string)}
	}
	var wg sync.WaitGroup
	for i, o := range orders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := simulate(e, o.trade, 500, fmt.Sprintf("42000000%020d", i)); r.Status != 204 {
				t.Errorf("notify %d: %d %s", i, r.Status, r.Raw)
			}
		}()
	}
	wg.Wait()
	for _, o := range orders {
		got := waitOrder(e, o.id, buyer, "in_service")
		if got["apiKeyRef"] == nil {
			t.Fatalf("api order without key reference: %v", got)
		}
	}
	if paid := countEvents(e, "order.paid"); paid != 100 {
		t.Fatalf("%d order.paid events for 100 orders", paid)
	}
}

// A consumer that dies after applying a batch but before committing its
// offsets gets the batch again: it is applied once.
func TestCrashBeforeCommitAppliesOnce(t *testing.T) {
	t.Parallel()
	var crashes atomic.Int32
	e := startWith(t, Options{CrashBeforeCommit: func() bool { return crashes.Add(1) == 1 }})
	buyer := e.token("300001", market.RoleBuyer)
	prd, _, _ := onSale(e, "100001", creditCode, "software", 700)
	o := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std"}), 201).Body
	e.must(simulate(e, o["outTradeNo"].(string), 700, "4200000000CRASH"), 204)
	got := waitOrder(e, o["id"].(string), buyer, "in_service")
	// The redelivery arrives after the crash; give it time, then check once.
	deadline := time.Now().Add(10 * time.Second)
	for crashes.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if crashes.Load() < 2 {
		t.Fatal("the batch was not redelivered after the crash")
	}
	again := e.must(e.call("GET", "/v1/orders/"+o["id"].(string), buyer, nil), 200).Body
	if again["redemptionCode"] != got["redemptionCode"] {
		t.Fatal("the redelivery applied the payment again")
	}
	if paid := countEvents(e, "order.paid"); paid != 1 {
		t.Fatalf("%d order.paid events", paid)
	}
}

func TestDepositPaidThroughPaymentSystem_R_DP2(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	pid, prov := signed(e, "100001", creditCode)
	r := e.call("POST", "/_local/payments/simulate", "", map[string]any{"attach": "deposit:" + pid, "amountFen": 500000, "transactionId": "4200000000DEP1"})
	if r.Status != 204 {
		t.Fatalf("simulate: %d %s", r.Status, r.Raw)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := e.must(e.call("GET", "/v1/providers/"+pid+"/deposit", prov, nil), 200).Body
		if d["status"] == "held" {
			entry := d["entries"].([]any)[0].(map[string]any)
			if entry["channel"] != "tenpay" || entry["reference"] != "4200000000DEP1" || entry["receiptNo"] == nil {
				t.Fatalf("entry: %v", entry)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deposit never held: %v", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
