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
// renders the text so a person can read what would have gone out. No text
// carries the signature: SMS puts the approved one (SMS_SIGN_NAME) in front of
// every message, and review refuses a template that repeats it. An SMS
// parameter is at most MaxSMSParam characters (CheckSMS), so SMS texts say
// what happened and where in the console to look; names, IDs, reasons and
// amounts stay in the e-mails, the events and the console.
var Templates = map[string]string{
	"application_approved":      "您的入驻申请已通过审核，合同已发送至联系人邮箱，请登录云市场控制台签署，签署后开通服务商账号。",
	"application_rejected":      "您的入驻申请未通过审核，原因请登录云市场控制台在“申请进度”中查看，修改后可重新提交。",
	"review_overdue":            "有入驻申请已超过7个工作日审核时限，请登录云市场控制台在“入驻审核”队列尽快处理。",
	"contract_sent":             "{3}您好：{1}的入驻申请已通过审核。请阅读附件《云市场服务商接入协议》与《服务商管理规范》，并通过 POST /v1/providers/{2}/contract/sign 签署，签署后开通服务商账号。",
	"deposit_received":          "云市场已收到您缴纳的保证金，收据号与当前余额请登录云市场控制台在“合同与保证金”中查看。",
	"deposit_deducted":          "您的保证金已被扣除一笔款项，金额与原因请登录云市场控制台在“合同与保证金”中查看。",
	"deposit_deducted_short":    "您的保证金已被扣除一笔款项，余额已低于应缴金额，请于{1} {2}前补足，逾期将关闭店铺。金额与原因请登录云市场控制台在“合同与保证金”中查看。",
	"deposit_owed":              "有服务商的扣款超出保证金余额，欠款将从下次结算中扣回，请登录云市场控制台在“保证金”队列查看。",
	"store_closed_deposit":      "您未在7个工作日内补足保证金，店铺已关闭，补足后自动恢复。尚缺金额请登录云市场控制台在“合同与保证金”中查看。",
	"store_reopened":            "您的保证金已补足，店铺已恢复开放。",
	"change_reported_late":      "有服务商的信息变更未在30天内报备，请登录云市场控制台在“操作记录”中核查。",
	"deposit_return_due":        "有服务商已退出并交回保证金收据，保证金应于{1}前退还，请登录云市场控制台在“保证金”队列处理。",
	"product_listed":            "您的商品已通过安全审核并上架，详情请登录云市场控制台在“我的商品”中查看。",
	"product_edit_published":    "您的商品修改已通过安全审核并发布，详情请登录云市场控制台在“我的商品”中查看。",
	"product_approved_deposit":  "您的商品已通过审核，保证金到账后自动上架，详情请登录云市场控制台在“我的商品”中查看。",
	"product_rejected":          "您的商品未通过审核，原因请登录云市场控制台在“我的商品”中查看。",
	"payment_needs_review":      "有一笔支付未自动入账，请登录云市场控制台在“操作记录”中核查。",
	"order_start_overdue":       "有订单已超过2个工作日未开始服务，请登录云市场控制台在“操作记录”中核查。",
	"deposit_return_overdue":    "有服务商的保证金已超过15个工作日未退还，请登录云市场控制台在“保证金”队列尽快处理。",
	"deposit_payer_unverified":  "有一笔保证金非对公账户付款，款项已入账，请登录云市场控制台在“保证金”队列核实付款方。",
	"deposit_payment_unapplied": "有一笔支付系统保证金付款无法入账，款项已记录，请登录云市场控制台在“操作记录”中处理。",
	"deposit_notice_filed":      "有服务商提交了保证金缴纳通知，请登录云市场控制台在“缴纳通知”队列核对到账并登记。",
	"receipt_dispatched":        "您的保证金收据已寄出，快递公司与运单号请登录云市场控制台在“合同与保证金”中查看。退出云市场时请寄回收据。",
	"fee_invoice_requested":     "有服务商申请开具平台服务费发票，请登录云市场控制台在“操作记录”中处理。",
	"deposit_settlement_topup":  "您的保证金不足，本期结算款已先用于补足，金额、收据号与当前余额请登录云市场控制台在“合同与保证金”中查看。",
}

// LocalSignName is the SMS signature the outbox shows; production's is
// SMS_SIGN_NAME, approved with Terraform's sms module.
const LocalSignName = "云市场"

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
func (o Outbox) Send(ctx context.Context, n market.Notification) (string, error) {
	if n.Channel == "sms" {
		if err := CheckSMS(n.Template, n.Params); err != nil {
			return "", err
		}
	}
	text, err := Render(n.Template, n.Params)
	if err != nil {
		return "", err
	}
	if n.Channel == "sms" {
		text = "【" + LocalSignName + "】" + text // what SMS would put in front
	}
	o.Log.InfoContext(ctx, "outbox: message recorded", "channel", n.Channel, "to", operation.MaskPhone(n.To), "template", n.Template, "text", text)
	return "outbox", nil
}
