package notify

// The violation and contact-report messages (R-VI1..R-VI11), kept apart from
// the main table so features add their own.
var violationTemplates = map[string]string{
	"violation_applied":        "您因违规受到处罚，违规类型与处罚内容请登录云市场控制台在“操作记录”中查看。如有异议请于{1}前提出申诉。",
	"violation_proposed":       "有待确认的服务商违规，请登录云市场控制台在“操作记录”中确认或驳回。",
	"violation_appealed":       "有服务商对违规处罚提出申诉，请登录云市场控制台在“操作记录”中处理。",
	"violation_appeal_decided": "您对违规处罚的申诉已有结果，结果与理由请登录云市场控制台在“操作记录”中查看。",
	"store_unblocked":          "您的店铺屏蔽期已结束，店铺已恢复开放。",
	"contact_report_filed":     "{1}：有用户或平台反映无法联系到您（编号{2}），请于{3}前回复，逾期将按失联处理。",
	// The SMS of a contact report; its e-mail (contact_report_filed) names
	// the report.
	"contact_report_sms": "有用户或平台反映无法联系到您，请于{1} {2}前登录云市场控制台回复，逾期将按失联处理。",
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
