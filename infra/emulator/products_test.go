package emulator

import (
	"context"
	"strings"
	"testing"
	"time"

	"cloudmarket/shared/market"
	"cloudmarket/shared/store"
)

func productBody(name string) map[string]any {
	return map[string]any{
		"category": "software", "name": name, "summary": "每日自动备份云数据库", "description": "支持 MySQL 与 MongoDB，详见 https://cloud.tencent.com/product/cdb",
		"tool": false, "plans": []map[string]any{{"id": "std", "name": "标准版", "priceFen": 100000, "period": "month", "durationDays": 30}},
	}
}

// signed returns an active provider (contract signed) with no deposit yet.
func signed(e *env, sub, org string) (string, string) {
	e.t.Helper()
	pid, prov := approved(e, sub, org)
	e.must(e.call("POST", "/v1/providers/"+pid+"/contract/sign", prov, map[string]string{"signatoryName": "张三"}), 200)
	return pid, prov
}

func TestJourney_ListingWaitsForDeposit_R_ON3_R_LS1(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	reviewer := e.token("900001", market.RoleReviewer)
	finance := e.token("800001", market.RoleFinance)
	buyer := e.token("300001", market.RoleBuyer)
	pid, prov := signed(e, "100001", creditCode)

	prd := e.must(e.call("POST", "/v1/products", prov, productBody("云数据库备份")), 201).Body
	id := prd["id"].(string)
	if prd["status"] != "draft" || !strings.HasPrefix(id, "prd_") || prd["providerId"] != pid {
		t.Fatalf("created: %v", prd)
	}
	e.must(e.call("POST", "/v1/products/"+id+"/submit", prov, nil), 200)
	if r := e.call("POST", "/v1/products/"+id+"/review", reviewer, map[string]string{"decision": "approve"}); r.Status != 400 || r.code() != "MissingParameter" {
		t.Fatalf("approve without security report: %d %s", r.Status, r.Raw)
	}
	rev := e.must(e.call("POST", "/v1/products/"+id+"/review", reviewer, map[string]string{"decision": "approve", "securityReportRef": "SEC-2026-001"}), 200).Body
	if rev["status"] != "approved" || rev["lastReview"].(map[string]any)["reviewer"] != "900001" {
		t.Fatalf("approved without deposit: %v", rev)
	}
	if r := e.call("GET", "/v1/products/"+id, buyer, nil); r.Status != 404 {
		t.Fatalf("buyer sees an unlisted product: %d", r.Status)
	}
	// The deposit arrives: listed in the same transaction (R-ON3).
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, payment(500000, "WIRE-P1")), 201)
	got := e.must(e.call("GET", "/v1/products/"+id, buyer, nil), 200).Body
	if got["status"] != "listed" || got["onSale"] != true || got["name"] != "云数据库备份" {
		t.Fatalf("after deposit: %v", got)
	}

	// An edit with an external link is refused, naming the link (R-LS3).
	e.must(e.call("PATCH", "/v1/products/"+id, prov, map[string]any{"description": "购买请访问 www.my-shop.cn 或 sales@my-shop.cn"}), 200)
	r := e.call("POST", "/v1/products/"+id+"/submit", prov, nil)
	if r.Status != 400 || r.code() != "InvalidParameterValue.ExternalLink" || !strings.Contains(r.Raw, "www.my-shop.cn") || !strings.Contains(r.Raw, "sales@my-shop.cn") {
		t.Fatalf("external link: %d %s", r.Status, r.Raw)
	}
	// A clean edit waits for review while buyers keep the listed version.
	edited := e.must(e.call("PATCH", "/v1/products/"+id, prov, map[string]any{"name": "云数据库备份 专业版", "description": "全新版本"}), 200).Body
	if edited["status"] != "listed" || edited["editStatus"] != "draft" || edited["listedVersion"].(map[string]any)["name"] != "云数据库备份" {
		t.Fatalf("edit: %v", edited)
	}
	sub := e.must(e.call("POST", "/v1/products/"+id+"/submit", prov, nil), 200).Body
	if sub["editStatus"] != "pending_review" {
		t.Fatalf("submitted edit: %v", sub)
	}
	if got := e.must(e.call("GET", "/v1/products/"+id, buyer, nil), 200).Body; got["name"] != "云数据库备份" || got["editStatus"] != nil {
		t.Fatalf("buyer sees the pending edit: %v", got)
	}
	if r := e.call("PATCH", "/v1/products/"+id, prov, map[string]any{"name": "x"}); r.Status != 409 || r.code() != "FailedOperation.ProductUnderReview" {
		t.Fatalf("edit during review: %d %s", r.Status, r.Raw)
	}
	// The queue shows it; approval publishes the edit.
	q := e.must(e.call("GET", "/v1/products?status=pending_review", reviewer, nil), 200).Body["items"].([]any)
	if len(q) != 1 || q[0].(map[string]any)["id"] != id {
		t.Fatalf("queue: %v", q)
	}
	e.must(e.call("POST", "/v1/products/"+id+"/review", reviewer, map[string]string{"decision": "approve", "securityReportRef": "SEC-2026-002"}), 200)
	if got := e.must(e.call("GET", "/v1/products/"+id, buyer, nil), 200).Body; got["name"] != "云数据库备份 专业版" {
		t.Fatalf("edit not published: %v", got)
	}
	// A later product of this provider lists directly: the deposit was received.
	id2 := e.must(e.call("POST", "/v1/products", prov, productBody("日志审计")), 201).Body["id"].(string)
	e.must(e.call("POST", "/v1/products/"+id2+"/submit", prov, nil), 200)
	if r := e.must(e.call("POST", "/v1/products/"+id2+"/review", reviewer, map[string]string{"decision": "approve", "securityReportRef": "SEC-3"}), 200); r.Body["status"] != "listed" {
		t.Fatalf("second product: %s", r.Raw)
	}
	// Buyers list what is on sale only; the provider sees its own in any status.
	id3 := e.must(e.call("POST", "/v1/products", prov, productBody("草稿")), 201).Body["id"].(string)
	if items := e.must(e.call("GET", "/v1/products", buyer, nil), 200).Body["items"].([]any); len(items) != 2 {
		t.Fatalf("buyer list: %v", items)
	}
	if items := e.must(e.call("GET", "/v1/products?providerId="+pid, prov, nil), 200).Body["items"].([]any); len(items) != 3 {
		t.Fatalf("own list: %d", len(items))
	}
	if items := e.must(e.call("GET", "/v1/products?status=draft", buyer, nil), 200).Body["items"].([]any); len(items) != 0 {
		t.Fatalf("buyer sees drafts: %v", items)
	}
	_ = id3

	// Events record each change and the reviewer of each decision.
	evs := e.must(e.call("GET", "/v1/events?providerId="+pid, prov, nil), 200).Body["items"].([]any)
	var listed, published int
	for _, ev := range evs {
		m := ev.(map[string]any)
		switch m["type"] {
		case "product.listed":
			listed++
		case "product.edit_published":
			published++
			if m["data"].(map[string]any)["reviewer"] != "900001" {
				t.Fatalf("reviewer not recorded: %v", m)
			}
		}
	}
	if listed != 2 || published != 1 {
		t.Fatalf("listed %d published %d", listed, published)
	}
}

func TestProductRules_R_CAT1_R_LS3(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	pid, prov := approved(e, "100001", creditCode)
	if r := e.call("POST", "/v1/products", prov, productBody("x")); r.Status != 409 || r.code() != "FailedOperation.ContractNotSigned" {
		t.Fatalf("before signing: %d %s", r.Status, r.Raw)
	}
	e.must(e.call("POST", "/v1/providers/"+pid+"/contract/sign", prov, map[string]string{"signatoryName": "张三"}), 200)
	with := func(k string, v any) map[string]any { b := productBody("x"); b[k] = v; return b }
	plan := func(id string, price int64, period string, days int) map[string]any {
		return map[string]any{"id": id, "name": "套餐", "priceFen": price, "period": period, "durationDays": days}
	}
	cases := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"category not approved", with("category", "image"), 409, "FailedOperation.CategoryNotApproved"},
		{"unknown category", with("category", "hardware"), 400, "InvalidParameterValue.Category"},
		{"no plans", with("plans", []any{}), 400, "InvalidParameterValue.Plans"},
		{"duplicate plan ids", with("plans", []any{plan("a", 100, "month", 30), plan("a", 200, "year", 365)}), 400, "InvalidParameterValue.Plans"},
		{"price over the ceiling", with("plans", []any{plan("a", 100_000_001, "once", 0)}), 400, "InvalidParameterValue.Plans"},
		{"zero price", with("plans", []any{plan("a", 0, "month", 30)}), 400, "InvalidParameterValue.Plans"},
		{"bad period", with("plans", []any{plan("a", 100, "week", 7)}), 400, "InvalidParameterValue.Plans"},
		{"monthly without duration", with("plans", []any{plan("a", 100, "month", 0)}), 400, "InvalidParameterValue.Plans"},
		{"unknown refund rule", with("refundPolicy", map[string]any{"afterReviewPeriod": "always"}), 400, "InvalidParameterValue.RefundPolicy"},
		{"refund policy as text only", with("refundPolicy", "7天无理由"), 400, "InvalidParameterValue"},
		{"missing name", with("name", ""), 400, "MissingParameter"},
		{"unknown field", with("price", 1), 400, "InvalidParameter"},
	}
	for _, c := range cases {
		if r := e.call("POST", "/v1/products", prov, c.body); r.Status != c.status || r.code() != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.Status, r.Raw, c.status, c.code)
		}
	}
	// An external link in a plan name is caught on submit too.
	bad := with("plans", []any{map[string]any{"id": "a", "name": "详见 shop.example.com", "priceFen": 100, "period": "once", "durationDays": 0}})
	id := e.must(e.call("POST", "/v1/products", prov, bad), 201).Body["id"].(string)
	if r := e.call("POST", "/v1/products/"+id+"/submit", prov, nil); r.code() != "InvalidParameterValue.ExternalLink" {
		t.Fatalf("plan-name link: %s", r.Raw)
	}
	// Another provider cannot touch it.
	_, other := signed(e, "100002", otherOrg)
	if r := e.call("PATCH", "/v1/products/"+id, other, map[string]any{"name": "y"}); r.Status != 403 {
		t.Fatalf("another provider editing: %d", r.Status)
	}
	if r := e.call("POST", "/v1/products/"+id+"/delist", other, nil); r.Status != 403 {
		t.Fatalf("another provider delisting: %d", r.Status)
	}
}

func TestPublishingRestrictionAndStoreClosure(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"set": "2026-10-08T09:00:00+08:00"}), 200)
	reviewer := e.token("900001", market.RoleReviewer)
	finance := e.token("800001", market.RoleFinance)
	buyer := e.token("300001", market.RoleBuyer)
	pid, prov := signed(e, "100001", creditCode)
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, payment(500000, "W1")), 201)
	id := e.must(e.call("POST", "/v1/products", prov, productBody("备份")), 201).Body["id"].(string)
	e.must(e.call("POST", "/v1/products/"+id+"/submit", prov, nil), 200)
	e.must(e.call("POST", "/v1/products/"+id+"/review", reviewer, map[string]string{"decision": "approve", "securityReportRef": "S1"}), 200)

	// A penalty restricting publishing (set directly: penalties come with their own feature).
	ctx := context.Background()
	until := time.Date(2026, 10, 23, 9, 0, 0, 0, time.UTC)
	if _, err := store.Transact(ctx, e.emu.App.Store, func(tx *store.Tx) (struct{}, error) {
		p, err := tx.Provider(pid)
		if err != nil {
			return struct{}{}, err
		}
		p.PublishRestrictedUntil = until
		return struct{}{}, tx.SaveProvider(p)
	}); err != nil {
		t.Fatal(err)
	}
	id2 := e.must(e.call("POST", "/v1/products", prov, productBody("新品")), 201).Body["id"].(string)
	if r := e.call("POST", "/v1/products/"+id2+"/submit", prov, nil); r.Status != 409 || r.code() != "FailedOperation.PublishingRestricted" {
		t.Fatalf("restricted submit: %d %s", r.Status, r.Raw)
	}
	if p := e.must(e.call("GET", "/v1/providers/"+pid, prov, nil), 200).Body; p["canPublish"] != false || p["publishRestrictedUntil"] == nil {
		t.Fatalf("provider: %v", p)
	}

	// The store closes for a deposit shortfall: its products leave the shelves and come back.
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/deductions", finance, map[string]any{"amountFen": 100000, "reason": "赔付"}), 201)
	e.must(e.call("POST", "/_local/clock", "", map[string]string{"advance": "240h"}), 200)
	e.must(e.call("POST", "/_local/timers/enforce-deadlines/fire", "", nil), 200)
	if r := e.call("GET", "/v1/products/"+id, buyer, nil); r.Status != 404 {
		t.Fatalf("product of a closed store visible: %d", r.Status)
	}
	if own := e.must(e.call("GET", "/v1/products/"+id, prov, nil), 200).Body; own["status"] != "listed" || own["onSale"] != false {
		t.Fatalf("owner view while closed: %v", own)
	}
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/payments", finance, payment(100000, "W2")), 201)
	if got := e.must(e.call("GET", "/v1/products/"+id, buyer, nil), 200).Body; got["onSale"] != true {
		t.Fatalf("not back after reopening: %v", got)
	}
	// Delisting by an operator.
	if d := e.must(e.call("POST", "/v1/products/"+id+"/delist", e.token("700001", market.RoleRisk), map[string]string{"reason": "R-VI1 侵权"}), 200).Body; d["status"] != "delisted" {
		t.Fatalf("delist: %v", d)
	}
	if r := e.call("GET", "/v1/products/"+id, buyer, nil); r.Status != 404 {
		t.Fatalf("delisted product visible: %d", r.Status)
	}
}
