package emulator

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"testing"

	"cloudmarket/shared/app"
	"cloudmarket/shared/httpapi"
	"cloudmarket/shared/market"
)

// keyed sends a POST with an Idempotency-Key, then the very same request
// again: the second answer must be the first (status and body), and the
// route it hit is marked covered.
func keyed(e *env, covered map[string]bool, path, token string, body any, status int) result {
	e.t.Helper()
	key := fmt.Sprint("k-", len(covered), "-", path)
	first := e.call("POST", path, token, body, "Idempotency-Key", key)
	if first.Status != status {
		e.t.Fatalf("POST %s with a key: %d %s, want %d", path, first.Status, first.Raw, status)
	}
	again := e.call("POST", path, token, body, "Idempotency-Key", key)
	if again.Status != first.Status || again.Raw != first.Raw {
		e.t.Fatalf("POST %s replay differs:\n%d %s\n%d %s", path, first.Status, first.Raw, again.Status, again.Raw)
	}
	for _, f := range app.Catalogue {
		for _, rt := range f.Routes {
			if _, ok := (httpapi.Route{Pattern: rt.Pattern}).Match(path); ok && rt.Method == http.MethodPost {
				covered[rt.Pattern] = true
			}
		}
	}
	return first
}

// Every POST of the route table, sent with an Idempotency-Key, answers its
// documented status and replays byte for byte (API.md: "every POST accepts
// Idempotency-Key"). A deduction under a key used to answer 500 every time.
func TestEveryPOSTWithIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := start(t, true, "")
	covered := map[string]bool{}
	prov := e.token("100001", market.RoleProvider)
	reviewer := e.token("900001", market.RoleReviewer)
	finance := e.token("800001", market.RoleFinance)
	risk := e.token("700001", market.RoleRisk)
	buyer := e.token("300001", market.RoleBuyer)

	up := keyed(e, covered, "/v1/license-uploads", prov, map[string]any{"contentType": "image/png", "sizeBytes": len(pngBytes(t))}, 201)
	putTo(e, up.Body["uploadUrl"].(string), "image/png", pngBytes(t))
	application := keyed(e, covered, "/v1/applications", prov, form(up.Body["objectKey"].(string), creditCode), 201).Body
	pid := keyed(e, covered, "/v1/applications/"+application["id"].(string)+"/decision", reviewer, map[string]string{"decision": "approve"}, 200).Body["providerId"].(string)
	base := "/v1/providers/" + pid
	keyed(e, covered, base+"/contract/sign", prov, map[string]string{"signatoryName": "张三"}, 200)
	keyed(e, covered, base+"/changes", prov, map[string]string{"field": "contact.name", "newValue": "李四", "changedOn": "2026-01-01"}, 201)
	voucher := e.uploadDoc(prov, "deposit_voucher", "application/pdf", voucherPDF)
	n := keyed(e, covered, base+"/deposit/notices", prov, notice(voucher), 201).Body
	keyed(e, covered, base+"/deposit/payments", finance, map[string]any{"amountFen": 500000, "channel": "wire", "reference": "WIRE-N1",
		"payerAccountName": "李四", "paidAt": "2026-01-05T10:00:00+08:00", "noticeId": n["id"]}, 201)
	keyed(e, covered, base+"/deposit/receipt-dispatched", finance, map[string]string{"courier": "顺丰速运", "trackingNo": "SF1234567890"}, 200)
	keyed(e, covered, base+"/deposit/deductions", risk, map[string]any{"amountFen": 1000, "reason": "R-VI1"}, 201)

	b := productBody("运维服务")
	b["category"] = "ops"
	b["refundPolicy"] = map[string]string{"afterReviewPeriod": "pro_rata", "text": "确认完成后按未使用天数退款"}
	prd := keyed(e, covered, "/v1/products", prov, b, 201).Body["id"].(string)
	keyed(e, covered, "/v1/products/"+prd+"/submit", prov, nil, 200)
	keyed(e, covered, "/v1/products/"+prd+"/review", reviewer, map[string]string{"decision": "approve", "securityReportRef": "S"}, 200)
	o := keyed(e, covered, "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std"}, 201).Body
	e.must(simulate(e, o["outTradeNo"].(string), 100000, "4200000000IDEM"), 204)
	waitApplied(e, "4200000000IDEM")
	oid := o["id"].(string)
	keyed(e, covered, "/v1/orders/"+oid+"/requirements", buyer, map[string]string{"text": "请协助迁移数据库"}, 200)
	keyed(e, covered, "/v1/orders/"+oid+"/start", prov, nil, 200)

	// Refunds: a second order, declined by the provider, ruled by the risk
	// team and paid by the platform; then, after the first is confirmed, a
	// pro rata refund the provider accepts and pays itself (R-RF6, R-RF7).
	o2 := keyed(e, covered, "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std"}, 201).Body
	e.must(simulate(e, o2["outTradeNo"].(string), 100000, "4200000000IDEM2"), 204)
	waitApplied(e, "4200000000IDEM2")
	rf := keyed(e, covered, "/v1/orders/"+o2["id"].(string)+"/refunds", buyer, map[string]string{"reason": "不需要了"}, 201).Body["id"].(string)
	keyed(e, covered, "/v1/refunds/"+rf+"/response", prov, map[string]string{"decision": "decline", "reason": "已开始准备"}, 200)
	keyed(e, covered, "/v1/refunds/"+rf+"/arbitration", risk, map[string]any{"decision": "partial", "amountFen": 20000, "reason": "部分退款"}, 200)
	waitRefund(e, rf, buyer, "paid")

	keyed(e, covered, "/v1/orders/"+oid+"/confirm", buyer, nil, 200)
	rf2 := keyed(e, covered, "/v1/orders/"+oid+"/refunds", buyer, map[string]string{"reason": "提前结束服务"}, 201).Body["id"].(string)
	keyed(e, covered, "/v1/refunds/"+rf2+"/response", prov, map[string]string{"decision": "accept"}, 200)
	keyed(e, covered, "/v1/refunds/"+rf2+"/provider-payment", prov, map[string]string{"reference": "BANK-R1", "paidAt": "2026-01-06T10:00:00+08:00"}, 200)
	keyed(e, covered, "/v1/products/"+prd+"/delist", prov, map[string]string{"reason": "停售"}, 200)

	// Violations (R-VI1..R-VI11): a contact report answered; three staff
	// attempts propose lost_contact, dismissed; three more, confirmed,
	// appealed and overturned; a spam_ads penalty applied directly.
	attempt := func() {
		e.must(e.call("POST", base+"/contact-reports", risk, map[string]string{"channel": "phone", "note": "电话未接通"}), 201)
	}
	ctr := keyed(e, covered, base+"/contact-reports", risk, map[string]string{"channel": "email", "note": "邮件未回复"}, 201).Body["id"].(string)
	keyed(e, covered, "/v1/contact-reports/"+ctr+"/response", prov, map[string]string{"response": "已回复买家"}, 200)
	proposal := func() string {
		attempt()
		attempt()
		attempt()
		q := e.must(e.call("GET", "/v1/violations?status=proposed", risk, nil), 200).Body["items"].([]any)
		return q[0].(map[string]any)["id"].(string)
	}
	keyed(e, covered, "/v1/violations/"+proposal()+"/dismiss", risk, map[string]string{"reason": "已联系上"}, 200)
	vio := proposal()
	keyed(e, covered, "/v1/violations/"+vio+"/confirm", risk, nil, 200)
	keyed(e, covered, "/v1/violations/"+vio+"/appeal", prov, map[string]string{"statement": "当时在处理故障"}, 200)
	keyed(e, covered, "/v1/violations/"+vio+"/appeal/decision", risk, map[string]string{"decision": "overturn", "reason": "有故障记录"}, 200)
	keyed(e, covered, base+"/violations", risk, map[string]string{"type": "spam_ads", "productId": prd, "evidence": "描述中有广告"}, 201)

	keyed(e, covered, base+"/exit", prov, map[string]string{"reason": "业务调整"}, 200)
	// The exit refunds what is left of the partly refunded order (R-EX2); the
	// return waits for it (R-DP6).
	waitOrder(e, o2["id"].(string), buyer, "refunded")
	keyed(e, covered, base+"/deposit/receipt-returned", finance, nil, 200)
	keyed(e, covered, base+"/deposit/return", finance, map[string]string{"reference": "BACK-1"}, 200)
	settlementKeyed(e, covered, pid, finance)

	var missing []string
	for _, f := range app.Catalogue {
		for _, rt := range f.Routes {
			if rt.Method == http.MethodPost && !rt.Public && !covered[rt.Pattern] {
				missing = append(missing, rt.Pattern)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("POST routes not exercised with an Idempotency-Key: %v", missing)
	}
}

func putTo(e *env, url, contentType string, data []byte) {
	e.t.Helper()
	req, _ := http.NewRequest("PUT", url, bytes.NewReader(data))
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		e.t.Fatalf("PUT to the presigned URL: %d", resp.StatusCode)
	}
}
