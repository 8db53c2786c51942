package notify

// The violation and contact-report messages (R-VI1..R-VI11), kept apart from
// the main table so features add their own.
var violationTemplates = map[string]string{
	"violation_applied":        "【云市场】{1}因违规（{3}，编号{2}）受到处罚：{4}。如有异议请于{5}前提出申诉。",
	"violation_proposed":       "【云市场】服务商{1}({2})有待确认的违规{3}（{4}），请风控人员确认或驳回。",
	"violation_appealed":       "【云市场】服务商{1}({2})对违规处罚{3}（{4}）提出申诉，请处理。",
	"violation_appeal_decided": "【云市场】{1}对违规处罚{2}的申诉结果：{3}，理由：{4}。",
	"store_unblocked":          "【云市场】{1}的店铺屏蔽期已结束，店铺已恢复开放。",
	"contact_report_filed":     "【云市场】{1}：有用户或平台反映无法联系到您（编号{2}），请于{3}前回复，逾期将按失联处理。",
}

var violationSubjects = map[string]string{
	"contact_report_filed": "云市场：请尽快回复联系反馈",
}

func init() {
	for k, v := range violationTemplates {
		Templates[k] = v
	}
	for k, v := range violationSubjects {
		Subjects[k] = v
	}
}
