package notify

// The payment system's messages to finance (kept apart from the main table
// so features add their own).
var paymentTemplates = map[string]string{
	"payment_conflicting":          "【云市场】支付交易{1}收到内容不一致的通知：订单{2}金额{3}，先前为订单{4}金额{5}。已记录，请财务核查。",
	"payment_unapplied":            "【云市场】支付交易{1}（{2}，订单号{3}）无法入账：{4}。款项已记录，请财务处理。",
	"payment_after_lapse_refunded": "【云市场】支付交易{1}在订单{2}超时关闭后到账（{3}），已自动全额退款（退款{4}）。",
}

func init() {
	for k, v := range paymentTemplates {
		Templates[k] = v
	}
}
