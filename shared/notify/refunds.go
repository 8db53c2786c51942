package notify

// The refund messages, each to the party who must act next (kept apart from
// the main table so features add their own).
var refundTemplates = map[string]string{
	"refund_requested":       "您有一笔订单的买家申请退款，请于{1} {2}前登录云市场控制台在“退款”中同意或拒绝，逾期将转平台仲裁。",
	"refund_arbitration":     "有一笔退款待平台仲裁，请登录云市场控制台在“退款仲裁”队列处理。",
	"refund_provider_to_pay": "您已同意一笔退款，请向买家退还款项后登录云市场控制台在“退款”中登记转账凭证。",
	"refund_ruled":           "平台已对您的一笔退款作出裁决，结果与退款金额请登录云市场控制台在“退款”中查看。",
	"refund_failed":          "有一笔退款失败，请登录云市场控制台在“退款仲裁”队列处理。",
}

func init() {
	for k, v := range refundTemplates {
		Templates[k] = v
	}
}
