package openapi_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"cloudmarket/infra/emulator/emulatortest"
	"cloudmarket/shared/app"
	"cloudmarket/shared/httpapi"
)

// The document the emulator serves at /openapi.json describes what the API
// really takes and answers: real requests and answers, successes and errors,
// validate against it.
func TestServedDocumentMatchesRealAnswers(t *testing.T) {
	emu := emulatortest.Start(t)

	resp, err := http.Get(emu.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("/openapi.json: %d %s", resp.StatusCode, raw)
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	token := func(sub string, roles ...string) string {
		s, err := httpapi.Mint([]byte(app.DefaultJWTSecret), sub, roles, time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	provider, buyer := token("100001", "provider"), token("300001", "buyer")
	for _, c := range []struct {
		name, method, path, token, body string
		status                          int
	}{
		{"upload URL", "POST", "/v1/license-uploads", provider, `{"contentType":"image/png","sizeBytes":175}`, 201},
		{"product draft", "POST", "/v1/products", provider, `{"category":"software","name":"数据库巡检","summary":"每月一次","description":"巡检报告","tool":false,"plans":[{"id":"std","name":"标准","priceFen":100000,"billing":"one_time"}]}`, 0},
		{"products list", "GET", "/v1/products?limit=5", buyer, "", 200},
		{"unknown product", "GET", "/v1/products/prd_01JZZZZZZZZZZZZZZZZZZZZZZZ", buyer, "", 404},
		{"unknown field", "POST", "/v1/orders", buyer, `{"productId":"prd_x","planId":"std","quantity":1,"coupon":"x"}`, 400},
	} {
		req, _ := http.NewRequest(c.method, emu.URL+c.path, bytes.NewReader([]byte(c.body)))
		req.Header.Set("Authorization", "Bearer "+c.token)
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if c.status != 0 && resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, resp.StatusCode, c.status, body)
			continue
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		req.Body = io.NopCloser(bytes.NewReader([]byte(c.body)))
		// The request is checked as sent only where it is valid: the 400 case
		// is one the document itself forbids.
		if resp.StatusCode < 400 {
			if ok, verrs := v.ValidateHttpRequest(req); !ok {
				for _, e := range verrs {
					t.Errorf("%s: request: %s: %s", c.name, e.Message, e.Reason)
				}
			}
		}
		if ok, verrs := v.ValidateHttpResponse(req, resp); !ok {
			for _, e := range verrs {
				t.Errorf("%s: answer %d: %s: %s %v", c.name, resp.StatusCode, e.Message, e.Reason, e.SchemaValidationErrors)
			}
			t.Logf("%s", body)
		}
	}
}
