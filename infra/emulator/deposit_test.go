package emulator

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"cloudmarket/shared/market"
)

const companyName = "深圳示例科技有限公司"

// approved runs an application through approval and returns the provider's
// ID and token.
func approved(e *env, sub, org string, categories ...string) (string, string) {
	e.t.Helper()
	prov := e.token(sub, market.RoleProvider)
	key := e.upload(prov, pngBytes(e.t), len(pngBytes(e.t)))
	f := form(key, org)
	if len(categories) > 0 {
		f["categories"] = categories
	}
	id := e.must(e.call("POST", "/v1/applications", prov, f), 201).Body["id"].(string)
	dec := e.must(e.call("POST", "/v1/applications/"+id+"/decision", e.token("900001", market.RoleReviewer), map[string]string{"decision": "approve"}), 200).Body
	return dec["providerId"].(string), prov
}

func payment(amount int64, ref string) map[string]any {
	return map[string]any{"amountFen": amount, "channel": "wire", "reference": ref, "payerAccountName": companyName, "paidAt": "2026-01-05T10:00:00+08:00"}
}

func deposit(r result) map[string]any {
	if d, ok := r.Body["deposit"].(map[string]any); ok {
		return d
	}
	return r.Body
}

func storeStatus(e *env, pid, tok string) string {
	return e.must(e.call("GET", "/v1/providers/"+pid, tok, nil), 200).Body["store"].(map[string]any)["status"].(string)
}

// The journey: approve → sign → deposit 5,000 → deduct 1,200 → store
// still open → +7 working days → timer → closed → top up 1,200 → open → exit →
// receipt returned → return due 15 working days later.
func TestJourney_DepositLedger_R_DP(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-10-08T09:00:00+08:00"}), 200)
	finance := e.token("800001", market.RoleFinance)
	risk := e.token("700001", market.RoleRisk)
	pid, prov := approved(e, "100001", creditCode)

	p := e.must(e.call("GET", "/v1/providers/"+pid, prov, nil), 200).Body
	if p["status"] != "contract_pending" || deposit(result{Body: p})["status"] != "unpaid" || deposit(result{Body: p})["requiredFen"] != float64(500000) {
		t.Fatalf("new provider: %v", p)
	}
	// Before signing nothing else the provider does succeeds (R-ON2).
	if r := e.call("POST", "/v1/providers/"+pid+"/exit", prov, map[string]string{"reason": "x"}); r.Status != 409 || r.code() != "FailedOperation.ContractNotSigned" {
		t.Fatalf("exit before signing: %d %s", r.Status, r.Raw)
	}
	if r := e.call("POST", "/v1/providers/"+pid+"/changes", prov, map[string]string{"field": "contact.name", "newValue": "李四", "changedOn": "2026-10-01"}); r.Status != 409 || r.code() != "FailedOperation.ContractNotSigned" {
		t.Fatalf("change before signing: %d %s", r.Status, r.Raw)
	}
	if r := e.call("POST", "/v1/providers/"+pid+"/contract/sign", e.token("100009", market.RoleProvider), map[string]string{"signatoryName": "张三"}); r.Status != 403 {
		t.Fatalf("someone else signing: %d", r.Status)
	}
	signed := e.must(e.call("POST", "/v1/providers/"+pid+"/contract/sign", prov, map[string]string{"signatoryName": "张三"}), 200).Body
	if signed["status"] != "active" || signed["contract"].(map[string]any)["signatoryName"] != "张三" {
		t.Fatalf("signed: %v", signed)
	}
	if r := e.call("POST", "/v1/providers/"+pid+"/contract/sign", prov, map[string]string{"signatoryName": "张三"}); r.Status != 409 {
		t.Fatalf("second signature: %d", r.Status)
	}

	// Deposit 5,000 CNY received: a receipt, status held.
	paid := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, payment(500000, "WIRE-0001")), 201).Body
	if !strings.HasPrefix(paid["receiptNo"].(string), "SJ2026") || deposit(result{Body: paid})["status"] != "held" || paid["balanceAfterFen"] != float64(500000) {
		t.Fatalf("payment: %v", paid)
	}
	// The same reference again records once.
	again := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, payment(500000, "WIRE-0001")), 200).Body
	if again["id"] != paid["id"] || again["receiptNo"] != paid["receiptNo"] {
		t.Fatalf("repeat: %v", again)
	}

	// Deduction of 1,200 CNY: short, 7-working-day clock, SMS to the provider.
	ded := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/deductions", risk, map[string]any{"amountFen": 120000, "reason": "R-VI5 未按时开始服务"}), 201).Body
	d := deposit(result{Body: ded})
	if d["status"] != "short" || d["shortfallFen"] != float64(120000) || d["topUpDueAt"] != "2026-10-16T23:59:59.999+08:00" {
		t.Fatalf("after deduction: %v", d)
	}
	if storeStatus(e, pid, prov) != "open" {
		t.Fatal("store closed before the top-up deadline")
	}
	// Timer on the last day: still open. Past the deadline: closed, once.
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-10-16T23:00:00+08:00"}), 200)
	e.must(e.call("POST", "/_local/timers/enforce-deadlines/fire", "", nil), 200)
	if storeStatus(e, pid, prov) != "open" {
		t.Fatal("store closed on the last day of the top-up window")
	}
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-10-17T00:00:30+08:00"}), 200)
	if r := e.must(e.call("POST", "/_local/timers/enforce-deadlines/fire", "", nil), 200); r.Body["storesClosed"] != float64(1) {
		t.Fatalf("timer: %s", r.Raw)
	}
	if r := e.must(e.call("POST", "/_local/timers/enforce-deadlines/fire", "", nil), 200); r.Body["storesClosed"] != float64(0) {
		t.Fatalf("timer twice: %s", r.Raw)
	}
	p = e.must(e.call("GET", "/v1/providers/"+pid, prov, nil), 200).Body
	if st := p["store"].(map[string]any); st["status"] != "closed" || st["reason"] != "deposit_short" {
		t.Fatalf("store: %v", st)
	}

	// Top-up of 1,200 CNY: whole again, store open.
	top := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, payment(120000, "WIRE-0002")), 201).Body
	if d := deposit(result{Body: top}); d["status"] != "held" || d["topUpDueAt"] != nil {
		t.Fatalf("after top-up: %v", d)
	}
	if storeStatus(e, pid, prov) != "open" {
		t.Fatal("store not reopened by the top-up")
	}

	// Exit, receipt back, return due 15 working days later.
	ex := e.must(e.call("POST", "/v1/providers/"+pid+"/exit", prov, map[string]string{"reason": "业务调整"}), 200).Body
	if ex["status"] != "exiting" || len(ex["returnBlockers"].([]any)) != 1 || ex["returnBlockers"].([]any)[0].(map[string]any)["code"] != "ReceiptNotReturned" {
		t.Fatalf("exit: %v", ex)
	}
	if st := ex["store"].(map[string]any); st["status"] != "closed" || st["reason"] != "exit" {
		t.Fatalf("store during exit (R-EX2): %v", st)
	}
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-10-21T10:00:00+08:00"}), 200)
	rr := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/receipt-returned", finance, nil), 200).Body
	if rr["status"] != "returning" || rr["returnDueAt"] != "2026-11-11T23:59:59.999+08:00" || len(rr["returnBlockers"].([]any)) != 0 {
		t.Fatalf("receipt returned: %v", rr)
	}
	// Overdue returns are flagged once for finance.
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-11-12T08:00:00+08:00"}), 200)
	if r := e.must(e.call("POST", "/_local/timers/enforce-deadlines/fire", "", nil), 200); r.Body["returnsOverdue"] != float64(1) {
		t.Fatalf("overdue return: %s", r.Raw)
	}
	if r := e.must(e.call("POST", "/_local/timers/enforce-deadlines/fire", "", nil), 200); r.Body["returnsOverdue"] != float64(0) {
		t.Fatalf("overdue return twice: %s", r.Raw)
	}
	done := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/return", finance, map[string]string{"reference": "WIRE-BACK-1"}), 200).Body
	if done["status"] != "exited" || deposit(result{Body: done})["status"] != "returned" || deposit(result{Body: done})["balanceFen"] != float64(0) {
		t.Fatalf("returned: %v", done)
	}

	// The ledger: balance always equals the sum of its entries.
	led := e.must(e.call("GET", "/v1/providers/"+pid+"/deposit", prov, nil), 200).Body
	var sum float64
	for _, it := range led["entries"].([]any) {
		sum += it.(map[string]any)["amountFen"].(float64)
	}
	if len(led["entries"].([]any)) != 4 || sum != led["balanceFen"].(float64) {
		t.Fatalf("ledger: %v", led)
	}

	// The audit trail, oldest first, to the owner.
	evs := e.must(e.call("GET", "/v1/events?providerId="+pid, prov, nil), 200).Body["items"].([]any)
	var types []string
	for _, ev := range evs {
		types = append(types, ev.(map[string]any)["type"].(string))
	}
	want := []string{"provider.created", "application.approved", "provider.contract_signed", "deposit.paid", "deposit.held", "deposit.deducted", "deposit.short",
		"store.closed", "deposit.paid", "store.reopened", "provider.exit_requested", "store.closed", "deposit.receipt_returned", "deposit.return_scheduled",
		"deposit.return_overdue", "deposit.returned", "provider.exited"}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Fatalf("events:\n%v\nwant\n%v", types, want)
	}
	if r := e.call("GET", "/v1/events?providerId="+pid, e.token("100009", market.RoleProvider), nil); r.Status != 403 {
		t.Fatalf("another provider's events: %d", r.Status)
	}
	page := e.must(e.call("GET", "/v1/events?providerId="+pid+"&limit=3", finance, nil), 200).Body
	next := e.must(e.call("GET", "/v1/events?providerId="+pid+"&after="+page["nextCursor"].(string), finance, nil), 200).Body
	if len(page["items"].([]any)) != 3 || next["items"].([]any)[0].(map[string]any)["type"] != "deposit.paid" {
		t.Fatalf("paging: %v / %v", page, next)
	}

	// What the provider was told.
	var templates []string
	for _, m := range outbox(e) {
		if m["to"] == "+8613800000000" {
			templates = append(templates, m["template"].(string))
		}
	}
	if fmt.Sprint(templates) != "[application_approved deposit_received deposit_deducted_short store_closed_deposit deposit_received store_reopened]" {
		t.Fatalf("provider SMS: %v", templates)
	}
}

func TestDepositBadInputs_R_DP(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	finance := e.token("800001", market.RoleFinance)
	pid, prov := approved(e, "100001", creditCode)
	e.must(e.call("POST", "/v1/providers/"+pid+"/contract/sign", prov, map[string]string{"signatoryName": "张三"}), 200)
	pay := func(f func(map[string]any)) map[string]any { p := payment(500000, "REF-1"); f(p); return p }
	cases := []struct {
		name, path, token string
		body              any
		status            int
		code              string
	}{
		{"zero amount", "/deposit/payments", finance, pay(func(p map[string]any) { p["amountFen"] = 0 }), 400, "InvalidParameterValue.AmountFen"},
		{"negative amount", "/deposit/payments", finance, pay(func(p map[string]any) { p["amountFen"] = -100 }), 400, "InvalidParameterValue.AmountFen"},
		{"fractional amount", "/deposit/payments", finance, pay(func(p map[string]any) { p["amountFen"] = 10.5 }), 400, "InvalidParameterValue"},
		{"unknown channel", "/deposit/payments", finance, pay(func(p map[string]any) { p["channel"] = "balance" }), 400, "InvalidParameterValue.Channel"},
		{"missing reference", "/deposit/payments", finance, pay(func(p map[string]any) { delete(p, "reference") }), 400, "MissingParameter"},
		{"future paidAt", "/deposit/payments", finance, pay(func(p map[string]any) { p["paidAt"] = "2099-01-01T00:00:00+08:00" }), 400, "InvalidParameterValue.PaidAt"},
		{"provider paying its own deposit", "/deposit/payments", prov, payment(500000, "REF-2"), 403, "UnauthorizedOperation"},
		{"deduction without reason", "/deposit/deductions", finance, map[string]any{"amountFen": 100}, 400, "MissingParameter"},
		{"zero deduction", "/deposit/deductions", finance, map[string]any{"amountFen": 0, "reason": "x"}, 400, "InvalidParameterValue.AmountFen"},
		{"provider deducting", "/deposit/deductions", prov, map[string]any{"amountFen": 100, "reason": "x"}, 403, "UnauthorizedOperation"},
		{"receipt before exit", "/deposit/receipt-returned", finance, nil, 409, "FailedOperation.ProviderNotExiting"},
		{"return before exit", "/deposit/return", finance, map[string]string{"reference": "X"}, 409, "FailedOperation.DepositNotReturnable"},
		{"unknown field", "/deposit/payments", finance, pay(func(p map[string]any) { p["amount"] = 1 }), 400, "InvalidParameter"},
	}
	for _, c := range cases {
		r := e.call("POST", "/v1/providers/"+pid+c.path, c.token, c.body)
		if r.Status != c.status || r.code() != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.Status, r.Raw, c.status, c.code)
		}
	}
	if r := e.call("POST", "/v1/providers/prv_01M8AP2Y8SCK8BWNJEDY9YE5W8/deposit/payments", finance, payment(500000, "REF-9")); r.Status != 404 || r.code() != "ResourceNotFound.Provider" {
		t.Errorf("unknown provider: %d %s", r.Status, r.Raw)
	}
	// None of them touched the ledger.
	led := e.must(e.call("GET", "/v1/providers/"+pid+"/deposit", prov, nil), 200).Body
	if len(led["entries"].([]any)) != 0 || led["status"] != "unpaid" {
		t.Fatalf("ledger after refused requests: %v", led)
	}
	// A reference recorded for one amount cannot be reused for another.
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, payment(200000, "REF-1")), 201)
	if r := e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, payment(300000, "REF-1")); r.Status != 409 || r.code() != "FailedOperation.ReferenceAlreadyRecorded" {
		t.Fatalf("reused reference: %d %s", r.Status, r.Raw)
	}
	// A partial first payment leaves the deposit unpaid with its shortfall.
	if d := e.must(e.call("GET", "/v1/providers/"+pid+"/deposit", prov, nil), 200).Body; d["status"] != "unpaid" || d["shortfallFen"] != float64(300000) {
		t.Fatalf("partial: %v", d)
	}
}

func TestDeductionBeyondBalanceIsOwed_R_VI11(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	finance := e.token("800001", market.RoleFinance)
	pid, prov := approved(e, "100001", creditCode, "api")
	e.must(e.call("POST", "/v1/providers/"+pid+"/contract/sign", prov, map[string]string{"signatoryName": "张三"}), 200)
	if d := e.must(e.call("GET", "/v1/providers/"+pid+"/deposit", prov, nil), 200).Body; d["requiredFen"] != float64(200000) {
		t.Fatalf("api-only deposit (R-DP1): %v", d)
	}
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, payment(200000, "R1")), 201)
	ded := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/deductions", finance, map[string]any{"amountFen": 500000, "reason": "R-VI2 线下交易", "refundId": "rfd_x"}), 201).Body
	if ded["amountFen"] != float64(-200000) || ded["owedFen"] != float64(300000) || ded["refundId"] != "rfd_x" {
		t.Fatalf("deduction entry: %v", ded)
	}
	d := deposit(result{Body: ded})
	if d["balanceFen"] != float64(0) || d["owedFen"] != float64(300000) || d["shortfallFen"] != float64(200000) || d["status"] != "short" {
		t.Fatalf("deposit: %v", d)
	}
	// The risk team hears of the debt; an exit is blocked by it (R-DP6).
	if risk := countOutbox(e, func(m map[string]any) bool { return m["template"] == "deposit_owed" && m["to"] == "+8613900000002" }); risk != 1 {
		t.Fatalf("risk alerts: %d", risk)
	}
	ex := e.must(e.call("POST", "/v1/providers/"+pid+"/exit", e.token("700001", market.RoleRisk), map[string]string{"reason": "清退"}), 200).Body
	var codes []string
	for _, b := range ex["returnBlockers"].([]any) {
		codes = append(codes, b.(map[string]any)["code"].(string))
	}
	if fmt.Sprint(codes) != "[AmountOwed ReceiptNotReturned]" {
		t.Fatalf("blockers: %v", codes)
	}
	rr := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/receipt-returned", finance, nil), 200).Body
	if rr["returnDueAt"] != nil || len(rr["returnBlockers"].([]any)) != 1 {
		t.Fatalf("receipt with debt: %v", rr)
	}
}

func TestChangeReports_R_ON4(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-11-26T10:00:00+08:00"}), 200)
	pid, prov := approved(e, "100001", creditCode)
	e.must(e.call("POST", "/v1/providers/"+pid+"/contract/sign", prov, map[string]string{"signatoryName": "张三"}), 200)
	onTime := e.must(e.call("POST", "/v1/providers/"+pid+"/changes", prov, map[string]string{"field": "contact.phone", "newValue": "13900001111", "changedOn": "2026-10-27"}), 201).Body
	if onTime["onTime"] != true || onTime["dueBy"] != "2026-11-26T23:59:59.999+08:00" || onTime["newValue"] != "+8613900001111" {
		t.Fatalf("on time: %v", onTime)
	}
	late := e.must(e.call("POST", "/v1/providers/"+pid+"/changes", prov, map[string]string{"field": "registeredAddress", "newValue": "深圳市南山区", "changedOn": "2026-10-26"}), 201).Body
	if late["onTime"] != false {
		t.Fatalf("late: %v", late)
	}
	// The new phone is used from now on; the risk team heard of the late report.
	if p := e.must(e.call("GET", "/v1/providers/"+pid, prov, nil), 200).Body; p["contact"].(map[string]any)["phone"] != "+8613900001111" {
		t.Fatalf("contact not updated: %v", p["contact"])
	}
	if countOutbox(e, func(m map[string]any) bool {
		return m["template"] == "change_reported_late" && m["to"] == "+8613900000002"
	}) == 0 {
		t.Fatal("risk team not told of the late report")
	}
	for _, bad := range []map[string]string{
		{"field": "favouriteColour", "newValue": "red", "changedOn": "2026-11-01"},
		{"field": "registeredAddress", "newValue": "x", "changedOn": "2026-12-01"},
		{"field": "registeredAddress", "newValue": "", "changedOn": "2026-11-01"},
		{"field": "contact.phone", "newValue": "123", "changedOn": "2026-11-01"},
	} {
		if r := e.call("POST", "/v1/providers/"+pid+"/changes", prov, bad); r.Status != 400 {
			t.Errorf("%v: %d %s", bad, r.Status, r.Raw)
		}
	}
}

// 200 concurrent deductions and payments against one provider: the balance
// equals the sum of entries, never goes below zero, and every accepted request
// has exactly one entry.
func TestConcurrentLedgerInvariants(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	finance := e.token("800001", market.RoleFinance)
	pid, prov := approved(e, "100001", creditCode)
	e.must(e.call("POST", "/v1/providers/"+pid+"/contract/sign", prov, map[string]string{"signatoryName": "张三"}), 200)
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, payment(100000, "SEED")), 201)

	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := map[string]bool{}
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var r result
			if i%2 == 0 {
				r = e.call("POST", "/v1/providers/"+pid+"/deposit/deductions", finance, map[string]any{"amountFen": 1000 + i, "reason": fmt.Sprint("扣款", i)})
			} else {
				// Every payment is sent twice: the reference records once.
				ref := fmt.Sprint("CONC-", i)
				r = e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, payment(700, ref))
				e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, payment(700, ref))
			}
			mu.Lock()
			defer mu.Unlock()
			if r.Status != 201 {
				t.Errorf("request %d: %d %s", i, r.Status, r.Raw)
				return
			}
			accepted[r.Body["id"].(string)] = true
		}(i)
	}
	wg.Wait()
	entries, err := e.emu.App.Store.DepositEntries(context.Background(), pid)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := e.emu.App.Store.Provider(context.Background(), pid)
	var sum, owed int64
	seen := map[string]bool{}
	for _, en := range entries {
		sum += int64(en.AmountFen)
		owed += int64(en.OwedFen)
		if en.BalanceAfterFen < 0 {
			t.Fatalf("balance went below zero: %+v", en)
		}
		seen[en.ID] = true
	}
	if sum != int64(p.Deposit.BalanceFen) || owed != int64(p.Deposit.OwedFen) || p.Deposit.BalanceFen < 0 {
		t.Fatalf("balance %d owed %d, entries sum %d owed %d", p.Deposit.BalanceFen, p.Deposit.OwedFen, sum, owed)
	}
	if len(entries) != len(accepted)+1 {
		t.Fatalf("%d entries for %d accepted requests (+1 seed)", len(entries), len(accepted))
	}
	for id := range accepted {
		if !seen[id] {
			t.Fatalf("accepted %s has no entry", id)
		}
	}
}
