package emulator

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"cloudmarket/shared/market"
	"cloudmarket/shared/workday"
)

// The journey over HTTP: an order settled in October by the monthly
// timer and paid out; a platform-ruled refund of it in November clawed back,
// carried forward, payout 0; the same period settled twice gives the same
// statement; the statement and the payout batch as CSV (R-FE1, R-RF7).
func TestJourney_SettlementOctoberNovember_R_FE1_R_RF7(t *testing.T) {
	e := start(t, true, "")
	setClock(e, "2026-10-08T09:30:00+08:00")
	buyer, fin := e.token("300001", market.RoleBuyer), e.token("800001", market.RoleFinance)
	risk := e.token("700001", market.RoleRisk)
	pid, prov := refundShop(e, "100001", creditCode, "software")
	prd := listedProduct(e, prov, "software", false, "month", 30, 30000, nil)
	id := paidOrder(e, buyer, prd, "in_service")["id"].(string)
	setClock(e, "2026-10-13T10:00:00+08:00")
	fire(e)
	waitOrder(e, id, buyer, "completed")

	// Too early, and not for providers.
	if r := e.call("POST", "/v1/settlements", fin, map[string]string{"period": "2026-10"}); r.Status != 409 || r.code() != "FailedOperation.PeriodNotEnded" {
		t.Fatalf("October before its end: %d %s", r.Status, r.Raw)
	}
	if r := e.call("POST", "/v1/settlements", prov, map[string]string{"period": "2026-10"}); r.Status != 403 {
		t.Fatalf("a provider settled: %d %s", r.Status, r.Raw)
	}

	// The monthly timer settles October on the 1st.
	setClock(e, "2026-11-01T00:10:00+08:00")
	rep := e.must(e.call("POST", "/_local/timers/settle-providers/fire", "", nil), 200).Body
	if fen(rep["providers"]) != 1 || fen(rep["payoutFen"]) != 27000 {
		t.Fatalf("timer: %v", rep)
	}
	oct := e.must(e.call("GET", "/v1/providers/"+pid+"/statements/2026-10", prov, nil), 200).Body
	lines := oct["lines"].([]any)
	if len(lines) != 2 || fen(oct["closingBalanceFen"]) != 27000 || fen(oct["payoutFen"]) != 27000 || lines[0].(map[string]any)["orderId"] != id {
		t.Fatalf("October: %v", oct)
	}
	if o := e.must(e.call("GET", "/v1/orders/"+id, buyer, nil), 200).Body; o["settledIn"] != "2026-10" || o["settledAt"] == nil {
		t.Fatalf("the order does not show its settlement: %v", o)
	}
	payout := oct["payoutId"].(string)
	batch := e.must(e.call("GET", "/v1/payouts?status=pending&format=csv", fin, nil), 200)
	if !strings.HasPrefix(batch.Raw, "\ufeffpayoutId,") || !strings.Contains(batch.Raw, payout+","+pid+",") || !strings.Contains(batch.Raw, ",27000,270.00,") {
		t.Fatalf("payout batch: %q", batch.Raw)
	}
	if r := e.call("GET", "/v1/payouts?format=csv", prov, nil); r.Status != 403 {
		t.Fatalf("a provider exported the batch: %d", r.Status)
	}
	paid := e.must(e.call("POST", "/v1/payouts/"+payout+"/result", fin, map[string]string{"status": "paid", "reference": "CMB2026110200001"}), 200).Body
	if paid["status"] != "paid" || paid["reference"] != "CMB2026110200001" {
		t.Fatalf("paid: %v", paid)
	}
	if r := e.call("POST", "/v1/payouts/"+payout+"/result", fin, map[string]string{"status": "failed", "reason": "退票"}); r.Status != 409 || r.code() != "FailedOperation.PayoutNotPending" {
		t.Fatalf("a paid payout failed afterwards: %d %s", r.Status, r.Raw)
	}

	// November: the risk team rules the unused 5 of 30 days refunded; the
	// platform pays, and the provider's share is clawed back.
	setClock(e, "2026-11-02T10:00:00+08:00")
	rid := e.must(e.call("POST", "/v1/orders/"+id+"/refunds", buyer, map[string]any{"reason": "未按约定交付"}), 201).Body["id"].(string)
	e.must(e.call("POST", "/v1/refunds/"+rid+"/response", prov, map[string]string{"decision": "decline", "reason": "已交付"}), 200)
	e.must(e.call("POST", "/v1/refunds/"+rid+"/arbitration", risk, map[string]any{"decision": "partial", "amountFen": 5000, "reason": "部分未交付", "providerFault": "cannot_deliver"}), 200)
	waitRefund(e, rid, buyer, "paid")

	setClock(e, "2026-12-01T00:10:00+08:00")
	run := e.must(e.call("POST", "/v1/settlements", fin, map[string]string{"period": "2026-11"}), 200).Body
	if run["period"] != "2026-11" || fen(run["providers"]) != 1 || fen(run["payoutFen"]) != 0 || run["status"] != "completed" {
		t.Fatalf("November run: %v", run)
	}
	path := "/v1/providers/" + pid + "/statements/2026-11"
	nov := e.must(e.call("GET", path, prov, nil), 200)
	b := nov.Body
	line := b["lines"].([]any)[0].(map[string]any)
	if fen(b["openingBalanceFen"]) != 0 || fen(b["closingBalanceFen"]) != -4500 || fen(b["payoutFen"]) != 0 || fen(b["carriedForwardFen"]) != -4500 ||
		line["type"] != "refund_clawback" || line["refundId"] != rid || line["orderId"] != id || fen(line["amountFen"]) != -4500 {
		t.Fatalf("November: %v", b)
	}
	again := e.must(e.call("POST", "/v1/settlements", fin, map[string]string{"period": "2026-11"}), 200).Body
	if fen(again["providers"]) != 1 || again["completedAt"] != run["completedAt"] {
		t.Fatalf("settled twice: %v then %v", run, again)
	}
	if same := e.must(e.call("GET", path, fin, nil), 200); same.Raw != nov.Raw {
		t.Fatalf("the statement changed:\n%s\n%s", nov.Raw, same.Raw)
	}

	// CSV: header, fen and yuan, UTF-8 with BOM; by ?format=csv or Accept.
	for _, r := range []result{e.call("GET", path+"?format=csv", prov, nil), e.call("GET", path, prov, nil, "Accept", "text/csv")} {
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(r.Raw, "\ufeff") {
			t.Fatalf("CSV: %d %s %q", r.Status, r.Header.Get("Content-Type"), r.Raw)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.Raw, "\ufeff"))).ReadAll()
		if err != nil || len(rows) != 2 || rows[0][0] != "type" || rows[0][5] != "amountFen" || rows[0][6] != "amountYuan" ||
			rows[1][0] != "refund_clawback" || rows[1][5] != "-4500" || rows[1][6] != "-45.00" || rows[1][8] != "已结算订单退款追回" {
			t.Fatalf("CSV rows: %v %v", rows, err)
		}
	}
	list := e.must(e.call("GET", "/v1/providers/"+pid+"/statements", prov, nil), 200).Body["items"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["period"] != "2026-11" {
		t.Fatalf("statements: %v", list)
	}
	if r := e.call("GET", "/v1/providers/"+pid+"/statements/2026-11", e.token("100002", market.RoleProvider), nil); r.Status != 403 {
		t.Fatalf("another provider read the statement: %d", r.Status)
	}
	if countEvents(e, market.EventStatementIssued) != 2 {
		t.Fatalf("statement events: %d", countEvents(e, market.EventStatementIssued))
	}
}

// settlementKeyed sends the settlement feature's POSTs under an
// Idempotency-Key (TestEveryPOSTWithIdempotencyKey): a consignment provider
// sells one order; once its month has ended, the month is settled, the
// platform-mode provider's payout recorded paid and its fee invoice requested,
// the consignment provider's invoice recorded received and its contract rate
// set.
func settlementKeyed(e *env, covered map[string]bool, pid, finance string) {
	e.t.Helper()
	cons := e.token("100002", market.RoleProvider)
	f := form(e.upload(cons, pngBytes(e.t), len(pngBytes(e.t))), otherOrg)
	f["cooperationMode"], f["categories"] = "consignment", []string{"software"}
	app := e.must(e.call("POST", "/v1/applications", cons, f), 201).Body["id"].(string)
	cid := e.must(e.call("POST", "/v1/applications/"+app+"/decision", e.token("900001", market.RoleReviewer), map[string]string{"decision": "approve"}), 200).Body["providerId"].(string)
	e.must(e.call("POST", "/v1/providers/"+cid+"/contract/sign", cons, map[string]string{"signatoryName": "王五"}), 200)
	e.must(e.call("POST", "/v1/providers/"+cid+"/deposit/payments", finance, payment(500000, "DEP-"+cid)), 201)
	buyer := e.token("300001", market.RoleBuyer)
	id := paidOrder(e, buyer, listedProduct(e, cons, "software", false, "month", 30, 30000, nil), "in_service")["id"].(string)
	now, err := time.Parse(time.RFC3339Nano, e.must(e.call("GET", "/_local/clock", "", nil), 200).Body["now"].(string))
	if err != nil {
		e.t.Fatal(err)
	}
	done := now.Add(6 * 24 * time.Hour).In(workday.Shanghai) // the review period has ended (R-RF1)
	setClock(e, done.Format(time.RFC3339))
	fire(e)
	waitOrder(e, id, buyer, "completed")
	period := done.Format("2006-01")
	setClock(e, time.Date(done.Year(), done.Month()+1, 1, 0, 10, 0, 0, workday.Shanghai).Format(time.RFC3339))

	keyed(e, covered, "/v1/settlements", finance, map[string]string{"period": period}, 200)
	st := e.must(e.call("GET", "/v1/providers/"+pid+"/statements/"+period, finance, nil), 200).Body
	keyed(e, covered, "/v1/payouts/"+st["payoutId"].(string)+"/result", finance, map[string]string{"status": "paid", "reference": "CMB-IDEM-1"}, 200)
	keyed(e, covered, "/v1/providers/"+cid+"/statements/"+period+"/invoice-received", finance, nil, 200)
	keyed(e, covered, "/v1/providers/"+pid+"/statements/"+period+"/fee-invoice-request", e.token("100001", market.RoleProvider), nil, 200)
	keyed(e, covered, "/v1/providers/"+cid+"/consignment-rate", finance, map[string]int{"consignmentRateBps": 1500}, 200)
}

// A deposit short by 3,000.00 after a deduction, its store closed past the
// top-up deadline: October's statement makes it whole before the payout
// (deposit_topup −300,000, payout 200,000), the deposit shows the top-up as
// a settlement_topup entry with a receipt, the store reopens, and settling
// October again changes nothing (R-DP5, R-DP2).
func TestJourney_SettlementTopsUpShortDeposit_R_DP5(t *testing.T) {
	e := start(t, true, "")
	setClock(e, "2026-10-08T09:30:00+08:00")
	buyer, fin := e.token("300001", market.RoleBuyer), e.token("800001", market.RoleFinance)
	risk := e.token("700001", market.RoleRisk)
	pid, prov := refundShop(e, "100001", creditCode, "software")
	prd := listedProduct(e, prov, "software", false, "month", 30, 555556, nil) // fee 55,556: net 500,000
	id := paidOrder(e, buyer, prd, "in_service")["id"].(string)
	ded := deposit(e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/deductions", risk, map[string]any{"amountFen": 300000, "reason": "违规扣款"}), 201))
	if ded["status"] != "short" || fen(ded["shortfallFen"]) != 300000 || ded["topUpDueAt"] != "2026-10-16T23:59:59.999+08:00" {
		t.Fatalf("after the deduction: %v", ded)
	}
	setClock(e, "2026-10-13T10:00:00+08:00")
	fire(e)
	waitOrder(e, id, buyer, "completed")
	setClock(e, "2026-10-17T00:00:30+08:00")
	fire(e)
	if storeStatus(e, pid, prov) != "closed" {
		t.Fatal("the store is open past the top-up deadline")
	}

	setClock(e, "2026-11-01T00:10:00+08:00")
	run := e.must(e.call("POST", "/v1/settlements", fin, map[string]string{"period": "2026-10"}), 200).Body
	if fen(run["providers"]) != 1 || fen(run["payoutFen"]) != 200000 {
		t.Fatalf("run: %v", run)
	}
	path := "/v1/providers/" + pid + "/statements/2026-10"
	oct := e.must(e.call("GET", path, prov, nil), 200)
	lines := oct.Body["lines"].([]any)
	top := lines[len(lines)-1].(map[string]any)
	if len(lines) != 3 || top["type"] != "deposit_topup" || fen(top["amountFen"]) != -300000 ||
		fen(oct.Body["closingBalanceFen"]) != 200000 || fen(oct.Body["payoutFen"]) != 200000 || fen(oct.Body["carriedForwardFen"]) != 0 {
		t.Fatalf("statement: %s", oct.Raw)
	}
	r := e.call("GET", path+"?format=csv", fin, nil)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.Raw, "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 4 || rows[3][0] != "deposit_topup" || rows[3][5] != "-300000" || rows[3][6] != "-3000.00" {
		t.Fatalf("CSV: %v %v", rows, err)
	}

	dep := e.must(e.call("GET", "/v1/providers/"+pid+"/deposit", prov, nil), 200)
	entries := dep.Body["entries"].([]any)
	last := entries[len(entries)-1].(map[string]any)
	if dep.Body["status"] != "held" || fen(dep.Body["balanceFen"]) != 500000 || fen(dep.Body["shortfallFen"]) != 0 || dep.Body["topUpDueAt"] != nil {
		t.Fatalf("deposit: %s", dep.Raw)
	}
	if last["kind"] != "settlement_topup" || fen(last["amountFen"]) != 300000 || fen(last["balanceAfterFen"]) != 500000 ||
		last["reference"] != "stm_"+pid+"_2026-10" || last["channel"] != "settlement" || last["receiptNo"] == nil {
		t.Fatalf("the top-up entry: %v", last)
	}
	if storeStatus(e, pid, prov) != "open" {
		t.Fatal("the store closed for the shortfall did not reopen")
	}
	if countEvents(e, market.EventDepositSettlementTopUp) != 1 || countEvents(e, market.EventStoreReopened) != 1 {
		t.Fatalf("events: %d top-up, %d reopened", countEvents(e, market.EventDepositSettlementTopUp), countEvents(e, market.EventStoreReopened))
	}
	if n := countOutbox(e, func(m map[string]any) bool { return m["template"] == "deposit_settlement_topup" }); n != 1 {
		t.Fatalf("%d deposit_settlement_topup messages", n)
	}

	// Again: the same statement and deposit.
	e.must(e.call("POST", "/v1/settlements", fin, map[string]string{"period": "2026-10"}), 200)
	if same := e.must(e.call("GET", path, prov, nil), 200); same.Raw != oct.Raw {
		t.Fatalf("the statement changed:\n%s\n%s", oct.Raw, same.Raw)
	}
	if again := e.must(e.call("GET", "/v1/providers/"+pid+"/deposit", prov, nil), 200); again.Raw != dep.Raw {
		t.Fatalf("the deposit changed:\n%s\n%s", dep.Raw, again.Raw)
	}
}
