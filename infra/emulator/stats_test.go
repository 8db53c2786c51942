package emulator

import (
	"strings"
	"testing"

	"cloudmarket/shared/market"
)

// The dashboard through the API: what the journey did is what GET /v1/stats
// counts — a paid order refunded in full, another paid, an application
// waiting past its 7-working-day due date (R-ON1), a deposit short after a
// deduction (R-DP5); operators only, months checked.
func TestJourney_Stats_R_ON1_R_DP5(t *testing.T) {
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	buyer := e.token("300001", market.RoleBuyer)
	finance := e.token("800001", market.RoleFinance)
	pid, prov := refundShop(e, "100001", creditCode, "software")
	prd := listedProduct(e, prov, "software", false, "month", 30, 29999, nil)
	first := paidOrder(e, buyer, prd, "in_service")
	paidOrder(e, buyer, prd, "in_service")
	r := e.must(e.call("POST", "/v1/orders/"+first["id"].(string)+"/refunds", buyer, map[string]any{"reason": "不需要了"}), 201).Body
	e.must(e.call("POST", "/v1/refunds/"+r["id"].(string)+"/response", prov, map[string]string{"decision": "accept"}), 200)
	waitRefund(e, r["id"].(string), buyer, "paid")

	setClock(e, "2026-09-29T10:00:00+08:00")
	applicant := e.token("100002", market.RoleProvider)
	png := pngBytes(t)
	e.must(e.call("POST", "/v1/applications", applicant, form(e.upload(applicant, png, len(png)), otherOrg)), 201)
	setClock(e, "2026-10-15T09:00:00+08:00")
	e.must(e.call("POST", "/v1/providers/"+pid+"/deposit/deductions", finance, map[string]any{"amountFen": 100000, "reason": "赔付买家"}), 201)

	st := e.must(e.call("GET", "/v1/stats?months=4", e.token("900001", market.RoleReviewer), nil), 200).Body
	if st["from"] != "2026-07-01T00:00:00+08:00" {
		t.Errorf("from: %v", st["from"])
	}
	apps := st["applications"].(map[string]any)
	if apps["waiting"] != 1.0 || apps["overdue"] != 1.0 || !strings.HasPrefix(apps["oldestSubmittedAt"].(string), "2026-09-29T10:00:00") { // the sandbox clock ticks on
		t.Errorf("R-ON1 queue: %v", apps)
	}
	rv := st["reviews"].(map[string]any)
	if rv["slaWorkingDays"] != 7.0 || rv["decided"] != 1.0 || rv["withinSla"] != 1.0 || len(rv["byWorkingDays"].([]any)) != 9 {
		t.Errorf("reviews: %v", rv)
	}
	dep := st["deposits"].(map[string]any)
	if dep["providers"] != 1.0 || dep["short"] != 1.0 || fen(dep["shortfallFen"]) != 100000 || dep["byStatus"].(map[string]any)["short"] != 1.0 || dep["byStatus"].(map[string]any)["held"] != 0.0 {
		t.Errorf("R-DP5 deposits: %v", dep)
	}
	months := st["months"].([]any)
	if len(months) != 4 {
		t.Fatalf("months: %v", months)
	}
	july := months[0].(map[string]any)
	if july["month"] != "2026-07" || july["orders"] != 2.0 || fen(july["gmvFen"]) != 59998 || fen(july["refundedFen"]) != 29999 || july["refundRateBps"] != 5000.0 || july["refundedOrders"] != 1.0 {
		t.Errorf("July: %v", july)
	}
	if o := st["orders"].(map[string]any); o["orders"] != 2.0 || fen(o["gmvFen"]) != 59998 {
		t.Errorf("totals: %v", o)
	}

	for _, c := range []struct {
		path, token string
		status      int
		code        string
	}{
		{"/v1/stats", prov, 403, "UnauthorizedOperation"},
		{"/v1/stats", buyer, 403, "UnauthorizedOperation"},
		{"/v1/stats?months=abc", finance, 400, "InvalidParameterValue.Months"},
		{"/v1/stats?months=0", finance, 400, "InvalidParameterValue.Months"},
		{"/v1/stats?months=37", finance, 400, "InvalidParameterValue.Months"},
	} {
		if got := e.must(e.call("GET", c.path, c.token, nil), c.status); got.code() != c.code {
			t.Errorf("%s: %s, want %s", c.path, got.code(), c.code)
		}
	}
	if got := e.must(e.call("GET", "/v1/stats", e.token("700001", market.RoleRisk), nil), 200).Body; len(got["months"].([]any)) != 12 {
		t.Errorf("default span: %d months", len(got["months"].([]any)))
	}
}
