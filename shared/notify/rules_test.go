package notify

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"cloudmarket/shared/market"
)

func TestCheckSMS(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		template string
		params   []string
		want     string // "" accepts; else a part of the error
	}{
		{"store_reopened", nil, ""},
		{"deposit_return_due", []string{"10月14日"}, ""},
		{"deposit_return_due", []string{"12月31日"}, ""},      // 6: the most a variable takes
		{"refund_requested", []string{"7月3日", "23:59"}, ""}, // date and time apart
		{"deposit_return_due", []string{"2026-10-14"}, `SMS template "deposit_return_due" parameter {1} is 10 characters`},
		{"deposit_return_due", []string{"深圳示例科技"}, ""},
		{"deposit_return_due", []string{"深圳示例科技有"}, "parameter {1} is 7 characters; a notification SMS variable is at most 6"},
		{"refund_requested", []string{"7月3日", "2026-07-03 23:59"}, "parameter {2} is 16 characters"},
		{"deposit_return_due", []string{"a://b"}, "carries a link"},
		{"deposit_return_due", nil, "takes 1 parameters, got 0"},
		{"store_reopened", []string{"示例"}, "takes 0 parameters, got 1"},
		{"contract_sent", []string{"a", "b", "c"}, "is an e-mail template"},
		{"no_such_template", nil, "unknown SMS template"},
	} {
		err := CheckSMS(c.template, c.params)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s %q refused: %v", c.template, c.params, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s %q: got %v, want an error with %q", c.template, c.params, err, c.want)
		}
	}
}

// The outbox (local runs and tests) refuses what production's sender would;
// an e-mail's parameters are not held to the SMS rule.
func TestOutboxRefusesLongSMSParameter(t *testing.T) {
	t.Parallel()
	o := Outbox{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	n := market.Notification{Channel: "sms", To: "+8613800000000", Template: "deposit_return_due", Params: []string{"5000.00 CNY"}}
	if _, err := o.Send(context.Background(), n); err == nil || !strings.Contains(err.Error(), `"deposit_return_due" parameter {1}`) {
		t.Fatalf("long SMS parameter: %v", err)
	}
	n.Params = []string{"11月11日"}
	if via, err := o.Send(context.Background(), n); err != nil || via != "outbox" {
		t.Fatalf("short SMS parameter: %q %v", via, err)
	}
	mail := market.Notification{Channel: "email", To: "a@example.com", Template: "contract_sent", Params: []string{"深圳示例科技有限公司", "prv_01KWDMR6E0S331C82F7D9ZXY3M", "张三"}}
	if _, err := o.Send(context.Background(), mail); err != nil {
		t.Fatalf("e-mail: %v", err)
	}
}
