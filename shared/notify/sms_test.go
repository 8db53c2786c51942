package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"cloudmarket/shared/market"
)

// fakeSMS is a local stand-in for the Tencent Cloud SMS endpoint: it checks
// the request as the real API would read it and answers the documented JSON,
// refusing one number with a per-number error code.
func fakeSMS(t *testing.T) (*httptest.Server, *[]map[string]any) {
	var seen []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-TC-Action") != "SendSms" || r.Header.Get("X-TC-Version") != "2021-01-11" ||
			!strings.HasPrefix(r.Header.Get("Authorization"), "TC3-HMAC-SHA256 Credential=AKIDtest/") || r.Header.Get("X-TC-Token") != "session-token" {
			t.Errorf("unexpected request headers: %v", r.Header)
		}
		body, _ := io.ReadAll(r.Body)
		var req map[string]any
		_ = json.Unmarshal(body, &req)
		seen = append(seen, req)
		phone := req["PhoneNumberSet"].([]any)[0].(string)
		code, msg := "Ok", "send success"
		if phone == "+8613300000000" {
			code, msg = "LimitExceeded.PhoneNumberDailyLimit", "the number reached its daily limit"
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"Response":{"SendStatusSet":[{"SerialNo":"5000:1045710669157053657849499619","PhoneNumber":"`+phone+`","Fee":1,"SessionContext":"","Code":"`+code+`","Message":"`+msg+`","IsoCode":"CN"}],"RequestId":"a0aabda6-cf91-4f3e-a81f-9198114a2279"}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func TestTencentSMSSender(t *testing.T) {
	srv, seen := fakeSMS(t)
	s, err := NewSMS(SMSConfig{
		SecretID: "AKIDtest", SecretKey: "secret", Token: "session-token", Region: "ap-guangzhou",
		SdkAppID: "1400000000", SignName: "云市场", TemplateIDs: map[string]string{"deposit_return_due": "449739"},
		Endpoint: strings.TrimPrefix(srv.URL, "http://"), Scheme: "HTTP",
	})
	if err != nil {
		t.Fatal(err)
	}
	n := market.Notification{ID: "ntf_1", Channel: "sms", To: "+8613800000000", Template: "deposit_return_due", Params: []string{"10月14日"}}
	via, err := s.Send(context.Background(), n)
	if err != nil || via != "tencentcloud-sms" {
		t.Fatalf("send: %q %v", via, err)
	}
	req := (*seen)[0]
	if req["SmsSdkAppId"] != "1400000000" || req["SignName"] != "云市场" || req["TemplateId"] != "449739" {
		t.Fatalf("request: %v", req)
	}
	if params := req["TemplateParamSet"].([]any); len(params) != 1 || params[0] != "10月14日" {
		t.Fatalf("params: %v", params)
	}
	calls := len(*seen)

	// A parameter SMS would refuse never reaches it.
	long := n
	long.Params = []string{"2026-10-14"}
	if _, err := s.Send(context.Background(), long); err == nil || !strings.Contains(err.Error(), `"deposit_return_due" parameter {1}`) {
		t.Fatalf("long parameter: %v", err)
	}
	if len(*seen) != calls {
		t.Fatal("a refused SMS was sent")
	}

	// The call succeeds but the number is refused: that is a failed delivery.
	n.To = "+8613300000000"
	if _, err := s.Send(context.Background(), n); err == nil || !strings.Contains(err.Error(), "LimitExceeded.PhoneNumberDailyLimit") {
		t.Fatalf("per-number failure not reported: %v", err)
	}
	n.Template = "no_such_template"
	if _, err := s.Send(context.Background(), n); err == nil {
		t.Fatal("unknown template sent")
	}
}

func TestRenderEveryTemplate(t *testing.T) {
	t.Parallel()
	for name := range Templates {
		text, err := Render(name, []string{"A", "B", "C"})
		if err != nil || strings.Contains(text, "{1}") || strings.Contains(text, "{2}") {
			t.Errorf("%s: %q %v", name, text, err)
		}
	}
}
