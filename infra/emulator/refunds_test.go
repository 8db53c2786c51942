package emulator

import (
	"sync"
	"testing"
	"time"

	"cloudmarket/shared/market"
)

// refundShop is a provider with its deposit paid, in the given categories.
func refundShop(e *env, sub, org string, categories ...string) (string, string) {
	e.t.Helper()
	pid, prov := approved(e, sub, org, categories...)
	e.must(e.call("POST", "/v1/providers/"+pid+"/contract/sign", prov, map[string]string{"signatoryName": "张三"}), 200)
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", e.token("800001", market.RoleFinance), payment(500000, "DEP-"+pid)), 201)
	return pid, prov
}

// listedProduct lists a product with one plan.
func listedProduct(e *env, prov, category string, tool bool, period string, days int, price int64, policy map[string]any) string {
	e.t.Helper()
	b := productBody("商品-" + category)
	b["category"], b["tool"] = category, tool
	b["plans"] = []map[string]any{{"id": "std", "name": "标准版", "priceFen": price, "period": period, "durationDays": days}}
	if policy != nil {
		b["refundPolicy"] = policy
	}
	id := e.must(e.call("POST", "/v1/products", prov, b), 201).Body["id"].(string)
	e.must(e.call("POST", "/v1/products/"+id+"/submit", prov, nil), 200)
	e.must(e.call("POST", "/v1/products/"+id+"/review", e.token("900001", market.RoleReviewer), map[string]string{"decision": "approve", "securityReportRef": "S"}), 200)
	return id
}

// paidOrder buys one unit and pays it through the local payment system.
func paidOrder(e *env, buyer, product string, status string) map[string]any {
	e.t.Helper()
	o := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": product, "planId": "std"}), 201).Body
	e.must(simulate(e, o["outTradeNo"].(string), int64(o["amountFen"].(float64)), ""), 204)
	return waitOrder(e, o["id"].(string), buyer, status)
}

// waitRefund polls until the refund reaches status (results arrive through
// the queue).
func waitRefund(e *env, id, token, status string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := e.must(e.call("GET", "/v1/refunds/"+id, token, nil), 200).Body
		if r["status"] == status {
			return r
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("refund %s stayed %v, want %s: %v", id, r["status"], status, r)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func setClock(e *env, at string) {
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": at}), 200)
}

func fire(e *env) map[string]any {
	return e.must(e.call("POST", "/_local/timers/enforce-deadlines/fire", "", nil), 200).Body
}

func fen(v any) int64 { return int64(v.(float64)) }

// Day 5 (to its last minutes) is inside the review period: the whole amount,
// accepted by the provider, paid back by the platform through the payment
// system (R-RF1, R-RF7).
func TestJourney_Day5FullRefundPaid_R_RF1_R_RF7(t *testing.T) {
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	buyer := e.token("300001", market.RoleBuyer)
	_, prov := refundShop(e, "100001", creditCode, "software")
	prd := listedProduct(e, prov, "software", false, "month", 30, 29999, nil)
	o := paidOrder(e, buyer, prd, "in_service")
	id := o["id"].(string)

	setClock(e, "2026-07-05T23:59:00+08:00")
	q := e.must(e.call("GET", "/v1/orders/"+id+"/refund-quote", buyer, nil), 200).Body
	if q["refundable"] != true || q["basis"] != "review_period" || fen(q["maxRefundFen"]) != 29999 || q["reviewPeriodEndsAt"] != "2026-07-05T23:59:59.999+08:00" {
		t.Fatalf("quote: %v", q)
	}
	r := e.must(e.call("POST", "/v1/orders/"+id+"/refunds", buyer, map[string]any{"reason": "不需要了"}), 201).Body
	if r["status"] != "requested" || fen(r["amountFen"]) != 29999 || r["respondBy"] != "2026-07-07T23:59:59.999+08:00" || r["invoiceAction"] != "between_provider_and_buyer" {
		t.Fatalf("refund: %v", r)
	}
	rid := r["id"].(string)
	if countOutbox(e, func(m map[string]any) bool { return m["template"] == "refund_requested" }) != 1 {
		t.Fatal("the provider was not told by SMS")
	}
	acc := e.must(e.call("POST", "/v1/refunds/"+rid+"/response", prov, map[string]string{"decision": "accept"}), 200).Body
	if acc["payer"] != "platform" || acc["outRefundNo"] == nil {
		t.Fatalf("accepted: %v", acc)
	}
	paid := waitRefund(e, rid, buyer, "paid")
	if fen(paid["platformFeeReversedFen"])+fen(paid["providerNetReversedFen"]) != 29999 || fen(paid["platformFeeReversedFen"]) != 3000 || paid["paidAt"] == nil {
		t.Fatalf("paid: %v", paid)
	}
	ord := waitOrder(e, id, buyer, "refunded")
	if fen(ord["refundedFen"]) != 29999 {
		t.Fatalf("order: %v", ord)
	}
	if q := e.must(e.call("GET", "/v1/orders/"+id+"/refund-quote", buyer, nil), 200).Body; q["refundable"] != false || fen(q["alreadyRefundedFen"]) != 29999 {
		t.Fatalf("quote after: %v", q)
	}
	for _, typ := range []market.EventType{market.EventRefundRequested, market.EventRefundAccepted, market.EventRefundPaid} {
		if countEvents(e, typ) != 1 {
			t.Errorf("%s recorded %d times", typ, countEvents(e, typ))
		}
	}
}

// Day 6 of a month plan: the pro rata share; the order completed at the end
// of its review period, so the provider pays and records its transfer
// (R-RF4, R-RF6, R-RF7).
func TestJourney_Day6ProRataPaidByProvider_R_RF4_R_RF7(t *testing.T) {
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	buyer := e.token("300001", market.RoleBuyer)
	_, prov := refundShop(e, "100001", creditCode, "software")
	prd := listedProduct(e, prov, "software", false, "month", 30, 30000, nil)
	id := paidOrder(e, buyer, prd, "in_service")["id"].(string)

	setClock(e, "2026-07-06T00:00:00+08:00")
	fire(e) // the review period ended: the order completes
	waitOrder(e, id, buyer, "completed")
	q := e.must(e.call("GET", "/v1/orders/"+id+"/refund-quote", buyer, nil), 200).Body
	if q["basis"] != "pro_rata" || fen(q["maxRefundFen"]) != 24000 {
		t.Fatalf("day 6 quote: %v", q)
	}
	if r := e.call("POST", "/v1/orders/"+id+"/refunds", buyer, map[string]any{"reason": "r", "amountFen": 24001}); r.Status != 400 || r.code() != "InvalidParameterValue.AmountFen" {
		t.Fatalf("above the quote: %d %s", r.Status, r.Raw)
	}
	r := e.must(e.call("POST", "/v1/orders/"+id+"/refunds", buyer, map[string]any{"reason": "不再使用"}), 201).Body
	rid := r["id"].(string)
	acc := e.must(e.call("POST", "/v1/refunds/"+rid+"/response", prov, map[string]string{"decision": "accept"}), 200).Body
	if acc["payer"] != "provider" || acc["status"] != "accepted" {
		t.Fatalf("after completion the provider pays: %v", acc)
	}
	if r := e.call("POST", "/v1/refunds/"+rid+"/provider-payment", prov, map[string]string{"paidAt": "2026-07-06T00:00:00+08:00"}); r.Status != 400 || r.code() != "MissingParameter" {
		t.Fatalf("no reference: %d %s", r.Status, r.Raw)
	}
	paid := e.must(e.call("POST", "/v1/refunds/"+rid+"/provider-payment", prov, map[string]string{"reference": "BANK-20260706-1", "paidAt": "2026-07-06T00:00:00+08:00"}), 200).Body
	if paid["status"] != "paid" || fen(paid["amountFen"]) != 24000 || fen(paid["platformFeeReversedFen"]) != 2400 {
		t.Fatalf("provider paid: %v", paid)
	}
	if o := waitOrder(e, id, buyer, "partially_refunded"); fen(o["refundedFen"]) != 24000 {
		t.Fatalf("order: %v", o)
	}
}

// A tool product is never refundable (R-RF2), and shows no review period.
func TestJourney_ToolNotRefundable_R_RF2(t *testing.T) {
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	buyer := e.token("300001", market.RoleBuyer)
	_, prov := refundShop(e, "100001", creditCode, "software")
	prd := listedProduct(e, prov, "software", true, "month", 30, 30000, nil)
	o := paidOrder(e, buyer, prd, "in_service")
	if o["reviewPeriodEndsAt"] != nil {
		t.Fatalf("tool order shows a review period: %v", o)
	}
	q := e.must(e.call("GET", "/v1/orders/"+o["id"].(string)+"/refund-quote", buyer, nil), 200).Body
	if q["refundable"] != false || q["basis"] != "not_refundable" || q["reviewPeriodEndsAt"] != nil {
		t.Fatalf("tool quote: %v", q)
	}
	if r := e.call("POST", "/v1/orders/"+o["id"].(string)+"/refunds", buyer, map[string]any{"reason": "r"}); r.Status != 409 || r.code() != "FailedOperation.NotRefundable" {
		t.Fatalf("tool refund: %d %s", r.Status, r.Raw)
	}
}

// An ops provider declines; the risk team rules a partial refund, which the
// platform pays (R-RF3, R-RF4, R-RF7).
func TestJourney_DeclineArbitrationPartialPaid_R_RF3(t *testing.T) {
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	buyer, risk := e.token("300001", market.RoleBuyer), e.token("700001", market.RoleRisk)
	_, prov := refundShop(e, "100001", creditCode, "ops")
	prd := listedProduct(e, prov, "ops", false, "once", 0, 50000, map[string]any{"afterReviewPeriod": "none", "text": "确认完成后不退款"})
	id := paidOrder(e, buyer, prd, "paid")["id"].(string)
	rid := e.must(e.call("POST", "/v1/orders/"+id+"/refunds", buyer, map[string]any{"reason": "服务商一直未联系"}), 201).Body["id"].(string)
	if r := e.call("POST", "/v1/refunds/"+rid+"/response", prov, map[string]string{"decision": "decline"}); r.Status != 400 || r.code() != "MissingParameter" {
		t.Fatalf("decline without reason: %d %s", r.Status, r.Raw)
	}
	d := e.must(e.call("POST", "/v1/refunds/"+rid+"/response", prov, map[string]string{"decision": "decline", "reason": "已开始服务"}), 200).Body
	if d["status"] != "arbitrating" || d["providerResponse"].(map[string]any)["decision"] != "decline" {
		t.Fatalf("declined: %v", d)
	}
	queue := e.must(e.call("GET", "/v1/refunds?status=arbitrating", risk, nil), 200).Body["items"].([]any)
	if len(queue) != 1 {
		t.Fatalf("risk queue: %v", queue)
	}
	if r := e.call("POST", "/v1/refunds/"+rid+"/arbitration", prov, map[string]any{"decision": "full", "reason": "r"}); r.Status != 403 {
		t.Fatalf("provider arbitrating: %d", r.Status)
	}
	ruled := e.must(e.call("POST", "/v1/refunds/"+rid+"/arbitration", risk, map[string]any{"decision": "partial", "amountFen": 20000, "reason": "部分服务已完成", "providerFault": "late_service"}), 200).Body
	if ruled["payer"] != "platform" || ruled["arbitration"].(map[string]any)["providerFault"] != "late_service" {
		t.Fatalf("ruled: %v", ruled)
	}
	paid := waitRefund(e, rid, buyer, "paid")
	if fen(paid["amountFen"]) != 20000 || fen(paid["platformFeeReversedFen"])+fen(paid["providerNetReversedFen"]) != 20000 || paid["providerShare"] != "withheld_from_settlement" {
		t.Fatalf("paid: %v", paid)
	}
	waitOrder(e, id, buyer, "partially_refunded")
}

// A provider that does not answer by respondBy: the sweep sends the refund to
// arbitration and tells the risk team, once.
func TestJourney_SilenceGoesToArbitration(t *testing.T) {
	e := start(t, true, "")
	setClock(e, "2026-09-30T10:00:00+08:00")
	buyer := e.token("300001", market.RoleBuyer)
	_, prov := refundShop(e, "100001", creditCode, "software")
	prd := listedProduct(e, prov, "software", false, "month", 30, 30000, nil)
	id := paidOrder(e, buyer, prd, "in_service")["id"].(string)
	r := e.must(e.call("POST", "/v1/orders/"+id+"/refunds", buyer, map[string]any{"reason": "r"}), 201).Body
	if r["respondBy"] != "2026-10-09T23:59:59.999+08:00" { // National Day: 10-8, 10-9
		t.Fatalf("respondBy: %v", r["respondBy"])
	}
	setClock(e, "2026-10-09T23:59:00+08:00")
	fire(e)
	if got := waitRefund(e, r["id"].(string), buyer, "requested"); got["status"] != "requested" {
		t.Fatal("escalated early")
	}
	setClock(e, "2026-10-10T00:00:01+08:00")
	if rep := fire(e); rep["refundsEscalated"] != float64(1) {
		t.Fatalf("sweep: %v", rep)
	}
	fire(e)
	got := waitRefund(e, r["id"].(string), buyer, "arbitrating")
	if got["arbitrationCause"] != "no_response" || countEvents(e, market.EventRefundArbitrating) != 1 {
		t.Fatalf("arbitrating: %v", got)
	}
	if countOutbox(e, func(m map[string]any) bool { return m["template"] == "refund_arbitration" }) != 1 {
		t.Fatal("the risk team was not told once")
	}
}

// The refund API fails twice (500): enforce-deadlines retries with backoff and
// the same out_refund_no; the third call succeeds and the money goes out once.
func TestJourney_TwoAPIErrorsThenPaid(t *testing.T) {
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	buyer := e.token("300001", market.RoleBuyer)
	_, prov := refundShop(e, "100001", creditCode, "software")
	prd := listedProduct(e, prov, "software", false, "month", 30, 30000, nil)
	id := paidOrder(e, buyer, prd, "in_service")["id"].(string)
	e.must(e.call("POST", "/_local/payments/refund-outcome", "", map[string]any{"next": "error", "count": 2}), 200)
	rid := e.must(e.call("POST", "/v1/orders/"+id+"/refunds", buyer, map[string]any{"reason": "r"}), 201).Body["id"].(string)
	acc := e.must(e.call("POST", "/v1/refunds/"+rid+"/response", prov, map[string]string{"decision": "accept"}), 200).Body
	tr := acc["transfer"].(map[string]any)
	if acc["status"] != "accepted" || tr["state"] != "pending" || tr["attempts"] != float64(1) || tr["lastError"] == nil {
		t.Fatalf("after the first error: %v", acc)
	}
	if rep := fire(e); rep["refundsSubmitted"] != float64(0) {
		t.Fatalf("retried before the backoff: %v", rep)
	}
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"advance": "61s"}), 200)
	if rep := fire(e); rep["refundsSubmitted"] != float64(1) {
		t.Fatalf("second attempt: %v", rep)
	}
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"advance": "121s"}), 200)
	fire(e)
	paid := waitRefund(e, rid, buyer, "paid")
	if paid["transfer"].(map[string]any)["attempts"] != float64(3) || countEvents(e, market.EventRefundTransferRetry) != 2 {
		t.Fatalf("paid: %v", paid)
	}
	if n := len(e.emu.refundAPI().refunds); n != 1 {
		t.Fatalf("the payment system holds %d refunds, want 1", n)
	}
}

// The payment system notifies the same result twice: paid once.
func TestJourney_DuplicateRefundNotificationPaidOnce(t *testing.T) {
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	buyer := e.token("300001", market.RoleBuyer)
	_, prov := refundShop(e, "100001", creditCode, "software")
	prd := listedProduct(e, prov, "software", false, "month", 30, 30000, nil)
	id := paidOrder(e, buyer, prd, "in_service")["id"].(string)
	e.must(e.call("POST", "/_local/payments/refund-outcome", "", map[string]any{"next": "success", "notifications": 3}), 200)
	rid := e.must(e.call("POST", "/v1/orders/"+id+"/refunds", buyer, map[string]any{"reason": "r", "amountFen": 10000}), 201).Body["id"].(string)
	e.must(e.call("POST", "/v1/refunds/"+rid+"/response", prov, map[string]string{"decision": "accept"}), 200)
	waitRefund(e, rid, buyer, "paid")
	e.emu.refundAPI().delivery.Wait()
	time.Sleep(300 * time.Millisecond) // let the queue deliver the repeats
	if n := countEvents(e, market.EventRefundPaid); n != 1 {
		t.Fatalf("refund.paid %d times", n)
	}
	if o := waitOrder(e, id, buyer, "partially_refunded"); fen(o["refundedFen"]) != 10000 {
		t.Fatalf("order: %v", o)
	}
}

// A notification that never arrives: the sweep queries the payment system
// after a while (QueryByOutRefundNo) and applies what it says.
func TestJourney_LostNotificationReconciled(t *testing.T) {
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	buyer := e.token("300001", market.RoleBuyer)
	_, prov := refundShop(e, "100001", creditCode, "software")
	prd := listedProduct(e, prov, "software", false, "month", 30, 30000, nil)
	id := paidOrder(e, buyer, prd, "in_service")["id"].(string)
	e.must(e.call("POST", "/_local/payments/refund-outcome", "", map[string]any{"next": "silent"}), 200)
	rid := e.must(e.call("POST", "/v1/orders/"+id+"/refunds", buyer, map[string]any{"reason": "r"}), 201).Body["id"].(string)
	e.must(e.call("POST", "/v1/refunds/"+rid+"/response", prov, map[string]string{"decision": "accept"}), 200)
	e.emu.refundAPI().delivery.Wait()
	waitRefund(e, rid, buyer, "accepted")
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"advance": "11m"}), 200)
	if rep := fire(e); rep["refundsReconciled"] != float64(1) {
		t.Fatalf("sweep: %v", rep)
	}
	waitRefund(e, rid, buyer, "paid")
	waitOrder(e, id, buyer, "refunded")
}

// An abnormal refund fails, finance is told, and the order may be asked again.
func TestJourney_AbnormalRefundFails(t *testing.T) {
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	buyer := e.token("300001", market.RoleBuyer)
	_, prov := refundShop(e, "100001", creditCode, "software")
	prd := listedProduct(e, prov, "software", false, "month", 30, 30000, nil)
	id := paidOrder(e, buyer, prd, "in_service")["id"].(string)
	e.must(e.call("POST", "/_local/payments/refund-outcome", "", map[string]any{"next": "abnormal"}), 200)
	rid := e.must(e.call("POST", "/v1/orders/"+id+"/refunds", buyer, map[string]any{"reason": "r"}), 201).Body["id"].(string)
	e.must(e.call("POST", "/v1/refunds/"+rid+"/response", prov, map[string]string{"decision": "accept"}), 200)
	if f := waitRefund(e, rid, buyer, "failed"); f["failureReason"] != "REFUND.ABNORMAL" {
		t.Fatalf("failed: %v", f)
	}
	for deadline := time.Now().Add(5 * time.Second); countOutbox(e, func(m map[string]any) bool { return m["template"] == "refund_failed" }) != 1; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) { // delivered right after the commit that failed it
			t.Fatal("finance was not told")
		}
	}
	e.must(e.call("POST", "/v1/orders/"+id+"/refunds", buyer, map[string]any{"reason": "again"}), 201)
}

// Exit refunds every paid order not completed, in full (R-EX2); open refunds
// and unfinished orders block the deposit return until they are paid (R-DP6);
// a payment that arrives afterwards is refunded, not applied.
func TestJourney_ExitRefundsUnfinishedOrders_R_EX2_R_DP6(t *testing.T) {
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	buyer, fin := e.token("300001", market.RoleBuyer), e.token("800001", market.RoleFinance)
	pid, prov := refundShop(e, "100001", creditCode, "software", "ops")
	soft := listedProduct(e, prov, "software", false, "month", 30, 30000, nil)
	ops := listedProduct(e, prov, "ops", false, "once", 0, 50000, nil)
	o1 := paidOrder(e, buyer, soft, "in_service")["id"].(string)
	o2 := paidOrder(e, buyer, ops, "paid")["id"].(string)
	pending := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": soft, "planId": "std"}), 201).Body
	open := e.must(e.call("POST", "/v1/orders/"+o2+"/refunds", buyer, map[string]any{"reason": "r", "amountFen": 100}), 201).Body["id"].(string)

	e.must(e.call("POST", "/_local/payments/refund-outcome", "", map[string]any{"next": "silent", "count": 2}), 200)
	ex := e.must(e.call("POST", "/v1/providers/"+pid+"/exit", prov, map[string]string{"reason": "业务调整"}), 200).Body
	codes := map[string]bool{}
	for _, b := range ex["returnBlockers"].([]any) {
		codes[b.(map[string]any)["code"].(string)] = true
	}
	if !codes["OpenDispute"] || !codes["UnfinishedOrder"] {
		t.Fatalf("blockers: %v", ex["returnBlockers"])
	}
	list := e.must(e.call("GET", "/v1/refunds?providerId="+pid, prov, nil), 200).Body["items"].([]any)
	if len(list) != 2 {
		t.Fatalf("refunds: %v", list)
	}
	for _, it := range list {
		r := it.(map[string]any)
		if r["status"] != "accepted" || r["payer"] != "platform" || r["basis"] != "review_period" {
			t.Fatalf("exit refund: %v", r)
		}
		if r["id"] == open && fen(r["amountFen"]) != 50000 {
			t.Fatalf("the open refund was not made whole: %v", r)
		}
	}
	r := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/receipt-returned", fin, nil), 200).Body
	if len(r["returnBlockers"].([]any)) == 0 {
		t.Fatal("the return was scheduled with refunds in progress")
	}
	// The payment system never notified (silent): reconciliation finds them paid.
	e.emu.refundAPI().delivery.Wait()
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"advance": "11m"}), 200)
	fire(e)
	waitOrder(e, o1, buyer, "refunded")
	waitOrder(e, o2, buyer, "refunded")

	// A payment for the exiting provider's pending order is refunded.
	e.must(simulate(e, pending["outTradeNo"].(string), 30000, ""), 204)
	waitOrder(e, pending["id"].(string), buyer, "refunded")
	if o := e.must(e.call("GET", "/v1/orders/"+pending["id"].(string), buyer, nil), 200).Body; o["redemptionCode"] != nil {
		t.Fatalf("a refunded payment was fulfilled: %v", o)
	}
	// Nothing blocks any more but the receipt rule's own: the return is scheduled.
	dep := e.must(e.call("GET", "/v1/providers/"+pid+"/deposit", fin, nil), 200).Body
	_ = dep
}

// Bad inputs each get their documented code.
func TestRefundBadInputs(t *testing.T) {
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	buyer, other := e.token("300001", market.RoleBuyer), e.token("300002", market.RoleBuyer)
	_, prov := refundShop(e, "100001", creditCode, "software")
	prd := listedProduct(e, prov, "software", false, "month", 30, 30000, nil)
	id := paidOrder(e, buyer, prd, "in_service")["id"].(string)
	unpaid := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std"}), 201).Body["id"].(string)
	path := "/v1/orders/" + id + "/refunds"
	for _, c := range []struct {
		name, path, token string
		body              map[string]any
		status            int
		code              string
	}{
		{"amount 0", path, buyer, map[string]any{"reason": "r", "amountFen": 0}, 400, "InvalidParameterValue.AmountFen"},
		{"negative", path, buyer, map[string]any{"reason": "r", "amountFen": -5}, 400, "InvalidParameterValue.AmountFen"},
		{"above quote", path, buyer, map[string]any{"reason": "r", "amountFen": 30001}, 400, "InvalidParameterValue.AmountFen"},
		{"no reason", path, buyer, map[string]any{"amountFen": 100}, 400, "MissingParameter"},
		{"unknown field", path, buyer, map[string]any{"reason": "r", "amount": 1}, 400, "InvalidParameter"},
		{"unknown order", "/v1/orders/ord_01M8AP2Y8SCK8BWNJEDY9YE5W8/refunds", buyer, map[string]any{"reason": "r"}, 404, "ResourceNotFound.Order"},
		{"someone else's order", path, other, map[string]any{"reason": "r"}, 403, "UnauthorizedOperation"},
		{"wrong role", path, prov, map[string]any{"reason": "r"}, 403, "UnauthorizedOperation"},
		{"not paid", "/v1/orders/" + unpaid + "/refunds", buyer, map[string]any{"reason": "r"}, 409, "FailedOperation.OrderNotPaid"},
	} {
		if r := e.call("POST", c.path, c.token, c.body); r.Status != c.status || r.code() != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.Status, r.Raw, c.status, c.code)
		}
	}
	if r := e.call("GET", "/v1/orders/"+id+"/refund-quote", other, nil); r.Status != 403 {
		t.Errorf("someone else's quote: %d", r.Status)
	}
	if r := e.call("GET", "/v1/refunds", prov, nil); r.Status != 400 || r.code() != "MissingParameter" {
		t.Errorf("provider list without providerId: %d %s", r.Status, r.Raw)
	}
	if r := e.call("GET", "/v1/refunds?status=lost", e.token("700001", market.RoleRisk), nil); r.Status != 400 {
		t.Errorf("bad status: %d", r.Status)
	}
}

// Concurrent requests on one order: exactly one wins.
func TestConcurrentRefundRequestsOneWins(t *testing.T) {
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	buyer := e.token("300001", market.RoleBuyer)
	_, prov := refundShop(e, "100001", creditCode, "software")
	prd := listedProduct(e, prov, "software", false, "month", 30, 30000, nil)
	id := paidOrder(e, buyer, prd, "in_service")["id"].(string)
	var wg sync.WaitGroup
	statuses := make([]result, 10)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = e.call("POST", "/v1/orders/"+id+"/refunds", buyer, map[string]any{"reason": "r", "amountFen": 100 + i})
		}()
	}
	wg.Wait()
	won := 0
	for _, r := range statuses {
		switch {
		case r.Status == 201:
			won++
		case r.Status != 409 || r.code() != "FailedOperation.RefundInProgress":
			t.Errorf("loser: %d %s", r.Status, r.Raw)
		}
	}
	if won != 1 {
		t.Fatalf("%d requests won", won)
	}
}
