package emulator

import (
	"fmt"
	"testing"

	"cloudmarket/shared/market"
	"cloudmarket/shared/orgcode"
)

// orgCodes makes n distinct valid organisation codes.
func orgCodes(n int) []string {
	out := make([]string, n)
	for i := range out {
		body := fmt.Sprintf("%08d", 10000000+i)
		d, _ := orgcode.OrganisationCheckDigit(body)
		out[i] = body + "-" + string(d)
	}
	return out
}

// BenchmarkSubmitApplication measures POST /v1/applications end to end over
// HTTP on the emulator (embedded engine in memory): parse, auth, licence
// re-read from the fake S3, checks, one transaction.
func BenchmarkSubmitApplication(b *testing.B) {
	e := start(b, true, "")
	t := b
	prov := e.token("100001", market.RoleProvider)
	key := e.upload(prov, pngBytes(t), len(pngBytes(t)))
	codes := orgCodes(b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := e.call("POST", "/v1/applications", prov, form(key, codes[i])); r.Status != 201 {
			b.Fatalf("%d %s", r.Status, r.Raw)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "applications/s")
}

// BenchmarkGetApplication measures a read: GET /v1/applications/{id}.
func BenchmarkGetApplication(b *testing.B) {
	e := start(b, true, "")
	t := b
	prov := e.token("100001", market.RoleProvider)
	key := e.upload(prov, pngBytes(t), len(pngBytes(t)))
	id := e.must(e.call("POST", "/v1/applications", prov, form(key, creditCode)), 201).Body["id"].(string)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := e.call("GET", "/v1/applications/"+id, prov, nil); r.Status != 200 {
			b.Fatalf("%d", r.Status)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}

// BenchmarkPlaceOrder measures POST /v1/orders over HTTP on the emulator.
func BenchmarkPlaceOrder(b *testing.B) {
	e := start(b, true, "")
	buyer := e.token("300001", market.RoleBuyer)
	prd, _, _ := onSale(e, "100001", creditCode, "software", 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std"}); r.Status != 201 {
			b.Fatalf("%d %s", r.Status, r.Raw)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}

// BenchmarkNotifyToPaid measures the payment path end to end: signed
// notification → verify → store → Kafka → consumer → order paid, for b.N
// orders sent back to back, timed until the last one is paid.
func BenchmarkNotifyToPaid(b *testing.B) {
	e := start(b, true, "")
	buyer := e.token("300001", market.RoleBuyer)
	prd, _, _ := onSale(e, "100001", creditCode, "software", 1000)
	ids := make([]string, b.N)
	trades := make([]string, b.N)
	for i := range ids {
		o := e.must(e.call("POST", "/v1/orders", buyer, map[string]any{"productId": prd, "planId": "std"}), 201).Body
		ids[i], trades[i] = o["id"].(string), o["outTradeNo"].(string)
	}
	b.ResetTimer()
	for i := range ids {
		if r := simulate(e, trades[i], 1000, fmt.Sprintf("4200BENCH%020d", i)); r.Status != 204 {
			b.Fatalf("%d %s", r.Status, r.Raw)
		}
	}
	for _, id := range ids {
		waitOrder(e, id, buyer, "in_service")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "paid/s")
}
