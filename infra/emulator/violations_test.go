package emulator

import (
	"strings"
	"testing"

	"cloudmarket/shared/market"
)

// buyable tells whether a buyer can see the product.
func buyable(e *env, product string) bool {
	e.t.Helper()
	r := e.call("GET", "/v1/products/"+product, e.token("300009", market.RoleBuyer), nil)
	return r.Status == 200
}

func penalise(e *env, pid string, body map[string]any) map[string]any {
	e.t.Helper()
	return e.must(e.call("POST", "/v1/providers/"+pid+"/violations", e.token("700001", market.RoleRisk), body), 201).Body
}

func actionOf(v map[string]any, action string) map[string]any {
	for _, a := range v["actions"].([]any) {
		if m := a.(map[string]any); m["action"] == action {
			return m
		}
	}
	return nil
}

// The catalogue is served with its version; spam_ads delists the named
// product and only it (R-VI1).
func TestJourney_SpamAdsDelistsNamedProduct_R_VI1(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	cat := e.must(e.call("GET", "/v1/violation-types", e.token("300001", market.RoleBuyer), nil), 200).Body
	if cat["version"] == "" || len(cat["items"].([]any)) != 19 {
		t.Fatalf("catalogue: %v", cat)
	}
	pid, prov := refundShop(e, "100001", creditCode, "software")
	spam := listedProduct(e, prov, "software", false, "month", 30, 10000, nil)
	other := listedProduct(e, prov, "software", false, "month", 30, 20000, nil)
	if r := e.call("POST", "/v1/providers/"+pid+"/violations", e.token("700001", market.RoleRisk), map[string]any{"type": "spam_ads", "evidence": "x"}); r.Status != 400 || r.code() != "MissingParameter" {
		t.Fatalf("product-scoped without product: %d %s", r.Status, r.Raw)
	}
	v := penalise(e, pid, map[string]any{"type": "spam_ads", "productId": spam, "evidence": "商品详情页插入无关广告"})
	if v["status"] != "applied" || v["catalogueVersion"] != cat["version"] || !strings.HasPrefix(v["id"].(string), "vio_") || v["appealDueAt"] != "2026-07-10T23:59:59.999+08:00" {
		t.Fatalf("violation: %v", v)
	}
	if buyable(e, spam) || !buyable(e, other) {
		t.Fatalf("spam on sale %v, other %v", buyable(e, spam), buyable(e, other))
	}
	list := e.must(e.call("GET", "/v1/providers/"+pid+"/violations", prov, nil), 200).Body["items"].([]any)
	if len(list) != 1 || countOutbox(e, func(m map[string]any) bool { return m["template"] == "violation_applied" }) != 1 {
		t.Fatalf("the owner's list %v, or no SMS", list)
	}
}

// fake_trading blocks the store for 15×24 hours and refuses submissions and
// approvals (a product submitted before too); the timer lifts it at until
// (R-VI3, R-WD4).
func TestJourney_FakeTradingBlocksAndTimerLifts_R_VI3_R_WD4(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	reviewer := e.token("900001", market.RoleReviewer)
	pid, prov := refundShop(e, "100001", creditCode, "software")
	listed := listedProduct(e, prov, "software", false, "month", 30, 10000, nil)
	waiting := e.must(e.call("POST", "/v1/products", prov, productBody("待审")), 201).Body["id"].(string)
	e.must(e.call("POST", "/v1/products/"+waiting+"/submit", prov, nil), 200)
	draft := e.must(e.call("POST", "/v1/products", prov, productBody("草稿")), 201).Body["id"].(string)

	v := penalise(e, pid, map[string]any{"type": "fake_trading", "evidence": "以买家身份购买自己的商品"})
	// The sandbox clock ticks on: until is 15×24 hours after the penalty.
	if a := actionOf(v, "block_store"); !strings.HasPrefix(a["until"].(string), "2026-07-16T09:30:00") || a["days"] != 15.0 {
		t.Fatalf("block: %v", a)
	}
	p := e.must(e.call("GET", "/v1/providers/"+pid, prov, nil), 200).Body
	if p["store"].(map[string]any)["status"] != "blocked" || p["canPublish"] != false || !strings.HasPrefix(p["publishRestrictedUntil"].(string), "2026-07-16T09:30:00") || buyable(e, listed) {
		t.Fatalf("provider: %v", p)
	}
	if r := e.call("POST", "/v1/products/"+draft+"/submit", prov, nil); r.Status != 409 || r.code() != "FailedOperation.PublishingRestricted" {
		t.Fatalf("submit: %d %s", r.Status, r.Raw)
	}
	if r := e.call("POST", "/v1/products/"+waiting+"/review", reviewer, map[string]string{"decision": "approve", "securityReportRef": "S"}); r.Status != 409 || r.code() != "FailedOperation.PublishingRestricted" {
		t.Fatalf("approve: %d %s", r.Status, r.Raw)
	}
	setClock(e, "2026-07-16T09:31:00+08:00")
	fire(e)
	fire(e)
	if storeStatus(e, pid, prov) != "open" || !buyable(e, listed) {
		t.Fatal("not lifted")
	}
	if countEvents(e, market.EventStoreReopened) != 1 || countEvents(e, market.EventPublishingRestored) != 1 {
		t.Fatal("lift events not recorded exactly once")
	}
	e.must(e.call("POST", "/v1/products/"+waiting+"/review", reviewer, map[string]string{"decision": "approve", "securityReportRef": "S"}), 200)
}

// dishonest_behaviour with an extra deduction, appealed and overturned: the
// block is lifted and the deduction credited back as its own ledger entry.
func TestJourney_AppealOverturned(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	risk := e.token("700001", market.RoleRisk)
	pid, prov := refundShop(e, "100001", creditCode, "software")
	listed := listedProduct(e, prov, "software", false, "month", 30, 10000, nil)
	v := penalise(e, pid, map[string]any{"type": "dishonest_behaviour", "evidence": "承诺的功能未兑现",
		"extraActions": []map[string]any{{"action": "deduct_deposit", "amountFen": 100000}}})
	id := v["id"].(string)
	if d := actionOf(v, "deduct_deposit"); d["takenFen"] != 100000.0 || d["extra"] != true {
		t.Fatalf("deduction: %v", d)
	}
	setClock(e, "2026-07-02T10:00:00+08:00")
	e.must(e.call("POST", "/v1/violations/"+id+"/appeal", prov, map[string]string{"statement": "功能已上线，附截图"}), 200)
	d := e.must(e.call("POST", "/v1/violations/"+id+"/appeal/decision", risk, map[string]string{"decision": "overturn", "reason": "截图证明已兑现"}), 200).Body
	if d["status"] != "overturned" || d["appeal"].(map[string]any)["status"] != "overturned" {
		t.Fatalf("decision: %v", d)
	}
	if storeStatus(e, pid, prov) != "open" || !buyable(e, listed) {
		t.Fatal("block not lifted")
	}
	dep := e.must(e.call("GET", "/v1/providers/"+pid+"/deposit", prov, nil), 200).Body
	entries := dep["entries"].([]any)
	last := entries[len(entries)-1].(map[string]any)
	if dep["balanceFen"] != 500000.0 || dep["status"] != "held" || last["kind"] != "credit" || last["amountFen"] != 100000.0 || last["violationId"] != id {
		t.Fatalf("deposit: %v", dep)
	}
}

// offline_trading expels: 5,000 deducted, every product off sale, the
// unfinished order refunded in full, the organisation refused under either
// code (R-VI2, R-EX2, R-EN7).
func TestJourney_OfflineTradingExpels_R_VI2_R_EX2_R_EN7(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	buyer := e.token("300001", market.RoleBuyer)
	pid, prov := refundShop(e, "100001", creditCode, "software")
	a := listedProduct(e, prov, "software", false, "month", 30, 10000, nil)
	b := listedProduct(e, prov, "software", false, "month", 30, 20000, nil)
	o := paidOrder(e, buyer, a, "in_service")

	v := penalise(e, pid, map[string]any{"type": "offline_trading", "evidence": "引导买家线下转账"})
	if d := actionOf(v, "deduct_deposit"); d["takenFen"] != 500000.0 || d["owedFen"] != 0.0 {
		t.Fatalf("deduction: %v", v)
	}
	p := e.must(e.call("GET", "/v1/providers/"+pid, prov, nil), 200).Body
	if p["status"] != "expelled" || p["deposit"].(map[string]any)["balanceFen"] != 0.0 || buyable(e, a) || buyable(e, b) {
		t.Fatalf("provider: %v", p)
	}
	waitOrder(e, o["id"].(string), buyer, "refunded")
	for i, org := range []string{creditCode, orgCodeSame} {
		tok := e.token("10000"+string(rune('5'+i)), market.RoleProvider)
		key := e.upload(tok, pngBytes(t), len(pngBytes(t)))
		if r := e.call("POST", "/v1/applications", tok, form(key, org)); r.Status != 409 || r.code() != "FailedOperation.OrganisationBanned" {
			t.Fatalf("%s: %d %s", org, r.Status, r.Raw)
		}
	}
	if r := e.call("POST", "/v1/products", prov, productBody("新")); r.Status != 409 {
		t.Fatalf("an expelled provider created a product: %d %s", r.Status, r.Raw)
	}
}

// fraud on a 2,000 deposit takes the balance and owes 3,000 (R-VI11).
func TestJourney_FraudOn2000Deposit_R_VI11(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	pid, prov := approved(e, "100001", creditCode, "api")
	e.must(e.call("POST", "/v1/providers/"+pid+"/contract/sign", prov, map[string]string{"signatoryName": "张三"}), 200)
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", e.token("800001", market.RoleFinance), payment(200000, "DEP-API")), 201)
	v := penalise(e, pid, map[string]any{"type": "fraud", "evidence": "冒用品牌行骗"})
	if d := actionOf(v, "deduct_deposit"); d["takenFen"] != 200000.0 || d["owedFen"] != 300000.0 {
		t.Fatalf("deduction: %v", d)
	}
	dep := e.must(e.call("GET", "/v1/providers/"+pid+"/deposit", prov, nil), 200).Body
	if dep["balanceFen"] != 0.0 || dep["owedFen"] != 300000.0 {
		t.Fatalf("deposit: %v", dep)
	}
}

// A late start (an ops order counts from the requirement form, R-SV2) and a
// contact report left unanswered 48 hours (R-VI6) become proposals; nothing
// is applied until the risk team confirms.
func TestJourney_ProposalsAppliedOnlyOnConfirmation_R_SV2_R_VI6(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	buyer := e.token("300001", market.RoleBuyer)
	risk := e.token("700001", market.RoleRisk)
	pid, prov := refundShop(e, "100001", creditCode, "ops")
	prd := listedProduct(e, prov, "ops", false, "once", 0, 50000, nil)
	o := paidOrder(e, buyer, prd, "paid")
	if o["startDueAt"] != "2026-07-03T23:59:59.999+08:00" {
		t.Fatalf("R-SV2 after payment: %v", o["startDueAt"])
	}
	c := e.must(e.call("POST", "/v1/providers/"+pid+"/contact-reports", buyer, map[string]string{"orderId": o["id"].(string), "channel": "phone", "note": "电话无人接听"}), 201).Body
	if !strings.HasPrefix(c["respondBy"].(string), "2026-07-03T09:30:00") || countOutbox(e, func(m map[string]any) bool {
		return m["channel"] == "email" && m["template"] == "contact_report_filed" ||
			m["channel"] == "sms" && m["template"] == "contact_report_sms" && m["text"] == "有用户或平台反映无法联系到您，请于7月3日 09:30前登录云市场控制台回复，逾期将按失联处理。"
	}) != 2 {
		t.Fatalf("report %v, SMS and e-mail expected", c)
	}
	// The buyer's form comes a day later: the 2 working days run from it.
	setClock(e, "2026-07-02T10:00:00+08:00")
	o = e.must(e.call("POST", "/v1/orders/"+o["id"].(string)+"/requirements", buyer, map[string]string{"text": "迁移数据库"}), 200).Body
	if o["startDueAt"] != "2026-07-06T23:59:59.999+08:00" {
		t.Fatalf("R-SV2 from the form: %v", o["startDueAt"])
	}
	setClock(e, "2026-07-04T00:00:01+08:00")
	fire(e)
	q := e.must(e.call("GET", "/v1/violations?status=proposed", risk, nil), 200).Body["items"].([]any)
	if len(q) != 1 || q[0].(map[string]any)["type"] != "lost_contact" {
		t.Fatalf("only the unanswered report is late yet: %v", q)
	}
	setClock(e, "2026-07-07T00:00:01+08:00")
	fire(e)
	q = e.must(e.call("GET", "/v1/violations?status=proposed", risk, nil), 200).Body["items"].([]any)
	if len(q) != 2 || storeStatus(e, pid, prov) != "open" || !buyable(e, prd) {
		t.Fatalf("queue %v; proposals applied by the system?", q)
	}
	types := map[string]string{}
	for _, x := range q {
		m := x.(map[string]any)
		types[m["type"].(string)] = m["id"].(string)
	}
	if types["dishonest_behaviour"] == "" || types["lost_contact"] == "" {
		t.Fatalf("proposals: %v", types)
	}
	e.must(e.call("POST", "/v1/violations/"+types["lost_contact"]+"/dismiss", risk, map[string]string{"reason": "服务商已回电"}), 200)
	v := e.must(e.call("POST", "/v1/violations/"+types["dishonest_behaviour"]+"/confirm", risk, nil), 200).Body
	if v["status"] != "applied" || storeStatus(e, pid, prov) != "blocked" || buyable(e, prd) {
		t.Fatalf("confirm: %v", v)
	}
}

// A store closed for a deposit shortfall and blocked by a penalty reopens
// only when both are over (R-DP5, R-WD4).
func TestJourney_BlockDuringShortfallReopensAfterBoth_R_DP5(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	risk := e.token("700001", market.RoleRisk)
	finance := e.token("800001", market.RoleFinance)
	pid, prov := refundShop(e, "100001", creditCode, "software")
	prd := listedProduct(e, prov, "software", false, "month", 30, 10000, nil)
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/deductions", risk, map[string]any{"amountFen": 100000, "reason": "赔付买家"}), 201)
	setClock(e, "2026-07-11T09:30:00+08:00")
	fire(e)
	if storeStatus(e, pid, prov) != "closed" {
		t.Fatal("R-DP5 closure")
	}
	penalise(e, pid, map[string]any{"type": "abuse_threat", "evidence": "辱骂买家"})
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, payment(100000, "TOPUP-1")), 201)
	if storeStatus(e, pid, prov) != "blocked" || buyable(e, prd) || countEvents(e, market.EventStoreReopened) != 0 {
		t.Fatal("reopened by the top-up while blocked")
	}
	setClock(e, "2026-07-26T09:31:00+08:00")
	fire(e)
	if storeStatus(e, pid, prov) != "open" || !buyable(e, prd) || countEvents(e, market.EventStoreReopened) != 1 {
		t.Fatal("not reopened after both")
	}
}

// No provider, buyer, reviewer or finance user can apply, confirm, dismiss
// or decide, through the routes.
func TestViolationRoutes_AuthorizationMatrix(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	pid, prov := refundShop(e, "100001", creditCode, "software")
	v := penalise(e, pid, map[string]any{"type": "abuse_threat", "evidence": "x"})
	id := v["id"].(string)
	e.must(e.call("POST", "/v1/violations/"+id+"/appeal", prov, map[string]string{"statement": "申诉"}), 200)
	for _, tok := range []string{prov, e.token("300001", market.RoleBuyer), e.token("900001", market.RoleReviewer), e.token("800001", market.RoleFinance)} {
		for path, body := range map[string]any{
			"/v1/providers/" + pid + "/violations":      map[string]string{"type": "fraud", "evidence": "x"},
			"/v1/violations/" + id + "/confirm":         nil,
			"/v1/violations/" + id + "/dismiss":         map[string]string{"reason": "x"},
			"/v1/violations/" + id + "/appeal/decision": map[string]string{"decision": "overturn", "reason": "x"},
		} {
			if r := e.call("POST", path, tok, body); r.Status != 403 || r.code() != "UnauthorizedOperation" {
				t.Errorf("POST %s: %d %s", path, r.Status, r.Raw)
			}
		}
	}
	if got := e.must(e.call("GET", "/v1/violations/"+id, prov, nil), 200).Body; got["status"] != "applied" || got["appeal"].(map[string]any)["status"] != "pending" {
		t.Fatalf("changed: %v", got)
	}
	if r := e.call("GET", "/v1/violations/"+id, e.token("100002", market.RoleProvider), nil); r.Status != 404 {
		t.Fatalf("another provider read it: %d", r.Status)
	}
}

func blockerCodesOf(v map[string]any) string {
	var codes []string
	for _, b := range v["returnBlockers"].([]any) {
		codes = append(codes, b.(map[string]any)["code"].(string))
	}
	return strings.Join(codes, " ")
}

// An expelled provider whose deposit held 6,000.00 gets back the 1,000.00 the
// 5,000.00 deduction left (R-DP6): once the expulsion's refund is paid
// (R-EX2), the appeal window closed and the receipt back, within 15 working
// days. It stays expelled, its organisation banned (R-EN7); no exit is
// recorded.
func TestJourney_ExpelledDepositReturned_R_DP6_R_EX1_R_EN7(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	finance := e.token("800001", market.RoleFinance)
	buyer := e.token("300001", market.RoleBuyer)
	pid, prov := refundShop(e, "100001", creditCode, "software")
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, payment(100000, "WIRE-OVERPAID")), 201)
	a := listedProduct(e, prov, "software", false, "month", 30, 10000, nil)
	o := paidOrder(e, buyer, a, "in_service")

	penalise(e, pid, map[string]any{"type": "offline_trading", "evidence": "引导买家线下转账"})
	waitOrder(e, o["id"].(string), buyer, "refunded")
	dep := e.must(e.call("GET", "/v1/providers/"+pid+"/deposit", finance, nil), 200).Body
	if dep["balanceFen"] != 100000.0 || blockerCodesOf(dep) != "UnexecutedPenalty ReceiptNotReturned" {
		t.Fatalf("after the expulsion: %v", dep)
	}
	// Within the appeal window an overturn could still readmit the provider.
	rr := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/receipt-returned", finance, nil), 200).Body
	if blockerCodesOf(rr) != "UnexecutedPenalty" || rr["returnDueAt"] != nil {
		t.Fatalf("receipt within the appeal window: %v", rr)
	}
	if r := e.call("POST", "/v1/providers/"+pid+"/deposit/return", finance, map[string]string{"reference": "WIRE-BACK-1"}); r.Status != 409 || r.code() != "FailedOperation.DepositNotReturnable" {
		t.Fatalf("return before it is due: %d %s", r.Status, r.Raw)
	}

	setClock(e, "2026-07-13T09:00:00+08:00")
	rr = e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/receipt-returned", finance, nil), 200).Body
	if rr["status"] != "returning" || rr["returnDueAt"] != "2026-08-03T23:59:59.999+08:00" || blockerCodesOf(rr) != "" {
		t.Fatalf("receipt after the appeal window: %v", rr)
	}
	setClock(e, "2026-08-04T08:00:00+08:00")
	if r := fire(e); r["returnsOverdue"] != float64(1) {
		t.Fatalf("overdue return: %v", r)
	}
	done := e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/return", finance, map[string]string{"reference": "WIRE-BACK-1"}), 200).Body
	if done["status"] != "expelled" || deposit(result{Body: done})["status"] != "returned" || deposit(result{Body: done})["balanceFen"] != 0.0 {
		t.Fatalf("returned: %v", done)
	}
	led := e.must(e.call("GET", "/v1/providers/"+pid+"/deposit", prov, nil), 200).Body
	entries := led["entries"].([]any)
	last := entries[len(entries)-1].(map[string]any)
	if led["status"] != "returned" || led["returnBlockers"] != nil || last["kind"] != "return" || last["amountFen"] != -100000.0 {
		t.Fatalf("ledger: %v", led)
	}

	evs := e.must(e.call("GET", "/v1/events?providerId="+pid, finance, nil), 200).Body["items"].([]any)
	var returned map[string]any
	for _, ev := range evs {
		switch m := ev.(map[string]any); m["type"] {
		case "provider.exited":
			t.Fatal("an expelled provider was recorded as exited")
		case "deposit.returned":
			returned = m["data"].(map[string]any)
		}
	}
	if returned["amountFen"] != 100000.0 || returned["providerStatus"] != "expelled" {
		t.Fatalf("deposit.returned: %v", returned)
	}
	tok := e.token("100005", market.RoleProvider)
	key := e.upload(tok, pngBytes(t), len(pngBytes(t)))
	if r := e.call("POST", "/v1/applications", tok, form(key, creditCode)); r.Status != 409 || r.code() != "FailedOperation.OrganisationBanned" {
		t.Fatalf("an application after the return: %d %s", r.Status, r.Raw)
	}
}
