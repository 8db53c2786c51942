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
