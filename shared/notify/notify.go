// Package notify delivers the outbox's notifications: Tencent Cloud SMS through
// tencentcloud-sdk-go when credentials are configured, otherwise the outbox
// sender, which only records and logs (local runs and tests).
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"cloudmarket/shared/market"
	"cloudmarket/shared/operation"
)

// Templates are the message texts, in Tencent Cloud SMS template syntax ({1},
// {2}, …). Production sends the template's ID and the parameters; the outbox
// renders the text so a person can read what would have gone out.
var Templates = map[string]string{
	"application_approved":      "【云市场】{1}的入驻申请({2})已通过审核，合同将发送至联系人邮箱，请签署后开通服务商账号。",
	"application_rejected":      "【云市场】{1}的入驻申请({2})未通过审核，原因：{3}。修改后可重新提交。",
	"review_overdue":            "【云市场】入驻申请{1}({2})已超过7个工作日审核时限，请尽快处理。",
	"contract_sent":             "{3}您好：{1}的入驻申请已通过审核。请阅读附件《云市场服务商接入协议》与《服务商管理规范》，并通过 POST /v1/providers/{2}/contract/sign 签署，签署后开通服务商账号。",
	"deposit_received":          "【云市场】已收到{1}的保证金{2}，收据号{3}，当前保证金余额{4}。",
	"deposit_deducted":          "【云市场】{1}的保证金已扣除{2}，原因：{3}。",
	"deposit_deducted_short":    "【云市场】{1}的保证金已扣除{2}，原因：{3}。保证金尚缺{4}，请于{5}前补足，逾期将关闭店铺。",
	"deposit_owed":              "【云市场】服务商{1}({2})扣款超出保证金余额，欠款{3}，将从下次结算中扣回。",
	"store_closed_deposit":      "【云市场】{1}未在7个工作日内补足保证金（尚缺{2}），店铺已关闭，补足后自动恢复。",
	"store_reopened":            "【云市场】{1}的保证金已补足，店铺已恢复开放。",
	"change_reported_late":      "【云市场】服务商{1}({2})变更{3}（变更日{4}）未在30天内报备，请核查。",
	"deposit_return_due":        "【云市场】服务商{1}({2})已退出并交回收据，保证金{3}应于{4}前退还。",
	"product_listed":            "【云市场】您的商品《{1}》({2})已通过安全审核并上架。",
	"product_edit_published":    "【云市场】您的商品《{1}》({2})的修改已通过安全审核并发布。",
	"product_approved_deposit":  "【云市场】您的商品《{1}》({2})已通过审核，保证金到账后自动上架。",
	"product_rejected":          "【云市场】您的商品《{1}》({2})未通过审核，原因：{3}。",
	"payment_needs_review":      "【云市场】支付{1}（订单{2}）未自动入账：{3}，请财务核查。",
	"order_start_overdue":       "【云市场】订单{1}已超过2个工作日未开始服务（服务商{2}），请核查。",
	"deposit_return_overdue":    "【云市场】服务商{1}({2})的保证金{3}已超过15个工作日未退还，请尽快处理。",
	"deposit_payer_unverified":  "【云市场】服务商{1}({2})的保证金{3}（流水号{4}）非对公账户付款，付款方：{5}。款项已入账，请核实付款方。",
	"deposit_payment_unapplied": "【云市场】支付系统保证金{1}（交易号{2}，服务商{3}）无法入账（{4}），款项已记录，请财务处理。",
	"deposit_notice_filed":      "【云市场】服务商{1}({2})提交了保证金缴纳通知{3}，金额{4}，请核对到账并登记。",
	"receipt_dispatched":        "【云市场】{1}的保证金收据{2}已由{3}寄出，运单号{4}。退出云市场时请寄回收据。",
	"fee_invoice_requested":     "【云市场】服务商{1}申请开具{2}结算期平台服务费发票，金额{3}。",
}

// Subjects of the e-mail templates.
var Subjects = map[string]string{
	"contract_sent": "云市场服务商入驻合同",
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

// Send implements operation.Sender.
func (o Outbox) Send(_ context.Context, n market.Notification) (string, error) {
	text, err := Render(n.Template, n.Params)
	if err != nil {
		return "", err
	}
	o.Log.Info("outbox: message recorded", "channel", n.Channel, "to", operation.MaskPhone(n.To), "template", n.Template, "text", text)
	return "outbox", nil
}
