package notify

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"cloudmarket/shared/market"
)

// A local stand-in for Tencent Cloud SES: checks SendEmail as the API reads it
// and answers the documented JSON.
func TestTencentSESSender(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-TC-Action") != "SendEmail" || r.Header.Get("X-TC-Version") != "2020-10-02" || !strings.HasPrefix(r.Header.Get("Authorization"), "TC3-HMAC-SHA256 ") {
			t.Errorf("headers: %v", r.Header)
		}
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &got)
		w.Header().Set("Content-Type", "application/json")
		if got["Destination"].([]any)[0] == "bounce@example.com" {
			_, _ = io.WriteString(w, `{"Response":{"Error":{"Code":"FailedOperation.EmailAddrInBlacklist","Message":"the address is blacklisted"},"RequestId":"r2"}}`)
			return
		}
		_, _ = io.WriteString(w, `{"Response":{"MessageId":"qcloudses-30-4123414323-date-20210101094334-syNARhMTbKI1","RequestId":"r1"}}`)
	}))
	defer srv.Close()
	e, err := NewEmail(EmailConfig{SecretID: "AKIDtest", SecretKey: "k", Region: "ap-guangzhou", From: "market@mail.example.com", ReplyTo: "kefu@example.com",
		TemplateIDs: map[string]string{"contract_sent": "30001"}, Endpoint: strings.TrimPrefix(srv.URL, "http://"), Scheme: "HTTP"})
	if err != nil {
		t.Fatal(err)
	}
	n := market.Notification{Channel: "email", To: "zhang@example.com", Template: "contract_sent", Params: []string{"示例公司", "prv_1", "张三"}}
	if via, err := e.Send(context.Background(), n); err != nil || via != "tencentcloud-ses" {
		t.Fatalf("%q %v", via, err)
	}
	tpl := got["Template"].(map[string]any)
	if got["FromEmailAddress"] != "market@mail.example.com" || tpl["TemplateID"] != float64(30001) || !strings.Contains(tpl["TemplateData"].(string), `"2":"prv_1"`) || got["Subject"] != Subjects["contract_sent"] ||
		got["TriggerType"] != float64(1) || got["ReplyToAddresses"] != "kefu@example.com" {
		t.Fatalf("request: %v", got)
	}
	n.To = "bounce@example.com"
	if _, err := e.Send(context.Background(), n); err == nil || !strings.Contains(err.Error(), "EmailAddrInBlacklist") {
		t.Fatalf("refusal not reported: %v", err)
	}
}

type recorder struct{ got []string }

func (r *recorder) Send(_ context.Context, n market.Notification) (string, error) {
	r.got = append(r.got, n.Channel)
	return "rec", nil
}

func TestRouterSendsEachChannelToItsSender(t *testing.T) {
	t.Parallel()
	sms := &recorder{}
	r := Router{SMS: sms, Outbox: Outbox{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	if via, _ := r.Send(context.Background(), market.Notification{Channel: "sms", Template: "review_overdue"}); via != "rec" {
		t.Fatal("sms not routed")
	}
	if via, _ := r.Send(context.Background(), market.Notification{Channel: "email", Template: "contract_sent"}); via != "outbox" {
		t.Fatal("unconfigured e-mail not sent to the outbox")
	}
}
