package notify

// The refund messages, each to the party who must act next (kept apart from
// the main table so features add their own).
var refundTemplates = map[string]string{
	"refund_requested":       "订单{1}（{2}）的买家申请退款{3}，原因：{4}。请于{5}前同意或拒绝，逾期将转平台仲裁。",
	"refund_arbitration":     "退款{1}（订单{2}，{3}）待仲裁：{4}。",
	"refund_provider_to_pay": "您已同意退款{1}（订单{2}），请向买家退还{3}后登记转账凭证。",
	"refund_ruled":           "平台已对退款{1}（订单{2}）作出裁决：{3}，退款金额{4}，理由：{5}。",
	"refund_failed":          "退款{1}（订单{2}，{3}）退款失败：{4}，请财务处理。",
}

func init() {
	for k, v := range refundTemplates {
		Templates[k] = v
	}
}
