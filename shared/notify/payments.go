package notify

// The payment system's messages to finance (kept apart from the main table
// so features add their own).
var paymentTemplates = map[string]string{
	"payment_conflicting":          "有一笔支付交易收到内容不一致的通知，已记录，请登录云市场控制台在“操作记录”中核查。",
	"payment_unapplied":            "有一笔支付交易无法入账，款项已记录，请登录云市场控制台在“操作记录”中处理。",
	"payment_after_lapse_refunded": "有一笔支付在订单超时关闭后到账，已自动全额退款，详情请登录云市场控制台在“操作记录”中查看。",
}

func init() {
	for k, v := range paymentTemplates {
		Templates[k] = v
	}
}
