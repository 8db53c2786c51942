// Package notify delivers the outbox's notifications: Tencent Cloud SMS through
// tencentcloud-sdk-go when credentials are configured, otherwise the outbox
// sender, which only records and logs (local runs and tests).
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"cloudmarket/shared/ops"
	"cloudmarket/shared/store"
)

// Templates are the message texts, in Tencent Cloud SMS template syntax ({1},
// {2}, …). Production sends the template's ID and the parameters; the outbox
// renders the text so a person can read what would have gone out.
var Templates = map[string]string{
	"application_approved": "【云市场】{1}的入驻申请({2})已通过审核，合同将发送至联系人邮箱，请签署后开通服务商账号。",
	"application_rejected": "【云市场】{1}的入驻申请({2})未通过审核，原因：{3}。修改后可重新提交。",
	"review_overdue":       "【云市场】入驻申请{1}({2})已超过7个工作日审核时限，请尽快处理。",
}

// Render fills a template's parameters.
func Render(template string, params []string) (string, error) {
	text, ok := Templates[template]
	if !ok {
		return "", fmt.Errorf("notify: unknown template %q", template)
	}
	for i, p := range params {
		text = strings.ReplaceAll(text, fmt.Sprintf("{%d}", i+1), p)
	}
	return text, nil
}

// Outbox is the sender used when no real channel is configured: it records
// the message (the notification row itself becomes the outbox entry) and logs
// it with the number masked.
type Outbox struct{ Log *slog.Logger }

// Send implements ops.Sender.
func (o Outbox) Send(_ context.Context, n store.Notification) (string, error) {
	text, err := Render(n.Template, n.Params)
	if err != nil {
		return "", err
	}
	o.Log.Info("outbox: message recorded", "channel", n.Channel, "to", ops.MaskPhone(n.To), "template", n.Template, "text", text)
	return "outbox", nil
}
