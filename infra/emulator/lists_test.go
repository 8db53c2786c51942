package emulator

import (
	"testing"

	"cloudmarket/shared/market"
)

// The console's lists through the API: every provider for operators, a
// provider's own record and orders, a buyer's own orders; limit and cursor
// page them; strangers are refused.
func TestProviderAndOrderLists(t *testing.T) {
	e := start(t, true, "")
	setClock(e, "2026-07-01T09:30:00+08:00")
	buyer := e.token("300001", market.RoleBuyer)
	other := e.token("300002", market.RoleBuyer)
	finance := e.token("800001", market.RoleFinance)
	pid, prov := refundShop(e, "100001", creditCode, "software")
	prd := listedProduct(e, prov, "software", false, "month", 30, 29999, nil)
	o1 := paidOrder(e, buyer, prd, "in_service")
	o2 := e.must(e.call("POST", "/v1/orders", other, map[string]any{"productId": prd, "planId": "std"}), 201).Body

	items := func(r result) []map[string]any {
		var out []map[string]any
		for _, it := range r.Body["items"].([]any) {
			out = append(out, it.(map[string]any))
		}
		return out
	}
	if ps := items(e.must(e.call("GET", "/v1/providers?status=active", finance, nil), 200)); len(ps) != 1 || ps[0]["id"] != pid || ps[0]["status"] != "active" {
		t.Errorf("operators' list: %v", ps)
	}
	if ps := items(e.must(e.call("GET", "/v1/providers", prov, nil), 200)); len(ps) != 1 || ps[0]["id"] != pid {
		t.Errorf("the provider's own: %v", ps)
	}
	if ps := items(e.must(e.call("GET", "/v1/providers", e.token("100009", market.RoleProvider), nil), 200)); len(ps) != 0 {
		t.Errorf("an account with no record sees %v", ps)
	}

	page := e.must(e.call("GET", "/v1/orders?providerId="+pid+"&limit=1", prov, nil), 200)
	first := items(page)
	if len(first) != 1 || first[0]["id"] != o1["id"] || page.Body["nextCursor"] != o1["id"] {
		t.Fatalf("first page: %v", page.Body)
	}
	page = e.must(e.call("GET", "/v1/orders?providerId="+pid+"&limit=1&cursor="+o1["id"].(string), prov, nil), 200)
	if second := items(page); len(second) != 1 || second[0]["id"] != o2["id"] || second[0]["status"] != "pending_payment" || page.Body["nextCursor"] != nil {
		t.Fatalf("second page: %v", page.Body)
	}
	if mine := items(e.must(e.call("GET", "/v1/orders", other, nil), 200)); len(mine) != 1 || mine[0]["id"] != o2["id"] {
		t.Errorf("the buyer's own: %v", mine)
	}
	if all := items(e.must(e.call("GET", "/v1/orders", finance, nil), 200)); len(all) != 2 {
		t.Errorf("operators: %v", all)
	}
	for _, c := range []struct {
		path, token string
		status      int
		code        string
	}{
		{"/v1/providers", buyer, 403, "UnauthorizedOperation"},
		{"/v1/providers?status=open", finance, 400, "InvalidParameterValue.Status"},
		{"/v1/orders", prov, 400, "MissingParameter"},
		{"/v1/orders?providerId=" + pid, e.token("100002", market.RoleProvider), 403, "UnauthorizedOperation"},
		{"/v1/orders?providerId=" + pid, buyer, 403, "UnauthorizedOperation"},
		{"/v1/orders?limit=500", finance, 400, "InvalidParameterValue.Limit"},
	} {
		if got := e.must(e.call("GET", c.path, c.token, nil), c.status); got.code() != c.code {
			t.Errorf("%s: %s, want %s", c.path, got.code(), c.code)
		}
	}
}
