// Where an API error belongs on a form, and what it means in plain words.
// The API's codes name the field (InvalidParameterValue.OrgCode, "orgCode is
// required." for MissingParameter); the console only places and translates
// them, it never decides. A code whose meaning depends on the form (the
// channel of a deposit payment or of a contact attempt) is worded per form:
// see byForm.

const plain = {
  'InvalidParameterValue.OrgCode': '代码校验位不正确：请按营业执照逐字填写 9 位组织机构代码（XXXXXXXX-X）或 18 位统一社会信用代码。',
  'InvalidParameterValue.LicenseNo': '营业执照注册号应为执照上印的 15 位注册号或 18 位统一社会信用代码。',
  'InvalidParameterValue.LicenseImage': '营业执照图片无效：请上传不超过 2 MB 的真实 JPG 或 PNG 图片。',
  'InvalidParameterValue.FoundedOn': '成立日期无效：应为 YYYY-MM-DD 格式且不晚于今天。',
  'InvalidParameterValue.Categories': '经营类目无效或重复。',
  'InvalidParameterValue.SupportHours': '在线支持时间应为每周 1–7 天、每天 1–24 小时。',
  'InvalidParameterValue.RegisteredCapitalFen': '注册资本不能为负数。',
  'InvalidParameterValue.CompanyType': '请选择公司类型。',
  'InvalidParameterValue.CooperationMode': '请选择合作模式。',
  'InvalidParameterValue.Plans': '套餐有误。',
  'InvalidParameterValue.ExternalLink': '商品介绍中含有外部链接，请删除或改为平台内链接。',
  'InvalidParameterValue.AmountFen': '金额无效。',
  'InvalidParameterValue.PaidAt': '到账时间无效（不能晚于当前时间）。',
  'InvalidParameterValue.Quantity': '数量无效。',
  'FailedOperation.InsufficientExperience': '成立未满 2 年，暂不能入驻（R-EN3）。',
  'FailedOperation.SupportHoursTooLow': '在线支持时间低于每周 5 天 × 每天 8 小时的要求（R-EN2）。',
  'FailedOperation.MiniProgramRequirementsNotMet': '小程序类目要求注册资本高于 100 万元（R-EN5）。',
  'FailedOperation.AlreadyApplied': '该组织已有进行中的申请或已是服务商。',
  'FailedOperation.OrganisationBanned': '该组织已被清退，不能再次入驻。',
  'FailedOperation.ContractNotSigned': '请先签署合同。',
  'FailedOperation.PublishingRestricted': '当前处于限制发布期，暂不能提交审核。',
  'FailedOperation.DepositNotReceived': '保证金尚未到账。',
  'FailedOperation.ReferenceAlreadyRecorded': '该银行流水号已登记过。',
  'FailedOperation.ProductNotOnSale': '该商品当前不可购买。',
  'InvalidParameterValue.Voucher': '转账凭证无效：请上传不超过 5 MB 的 JPG、PNG 或 PDF 文件。',
  'InvalidParameterValue.TrackingNo': '快递单号应为 6–40 位字母、数字或连字符。',
  'FailedOperation.NoReceiptToDispatch': '没有待寄出的收据：请先登记到账。',
  'FailedOperation.NoReceiptAddress': '没有收据邮寄地址：请按缴纳通知登记到账。',
  'InvalidParameterValue.Reason': '原因太长，请精简。',
  'InvalidParameterValue.Decision': '请选择处理结果。',
  'InvalidParameterValue.ProviderFault': '服务商过错类型无效。',
  'InvalidParameterValue.Reference': '流水号太长，请核对。',
  'InvalidParameterValue.ReceiptMailing': '收据邮寄信息有误。',
  'FailedOperation.NotRefundable': '该订单当前没有可退款的金额。',
  'FailedOperation.RefundInProgress': '该订单已有进行中的退款。',
  'FailedOperation.OrderNotPaid': '订单尚未支付，不能退款。',
  'FailedOperation.RefundNotAwaitingResponse': '该退款已不在等待服务商处理的状态。',
  'FailedOperation.RefundNotInArbitration': '该退款不在仲裁中。',
  'FailedOperation.RefundNotProviderPaid': '该退款不由服务商自行转账。',
  'FailedOperation.DepositReturning': '保证金退还中，不能再提交缴纳通知。',
  'FailedOperation.IdempotencyKeyReused': '重复提交的内容与上次不同，请刷新后重试。',
  'FailedOperation.AppealAlreadyFiled': '该违规已提交过申诉。',
  'FailedOperation.AppealWindowClosed': '已过申诉期限（处罚后 7 个工作日）。',
  'FailedOperation.NoPendingAppeal': '该违规没有待裁决的申诉。',
  'FailedOperation.ViolationNotProposed': '该违规已不是待确认状态。',
  'FailedOperation.ViolationNotApplied': '该违规未处罚，不能申诉。',
  'FailedOperation.ContactReportClosed': '该联系记录已关闭。',
  'FailedOperation.PeriodNotEnded': '该月尚未结束，不能结算。',
  'FailedOperation.PeriodOutOfOrder': '请先结算更早的月份。',
  'FailedOperation.PayoutNotPending': '该付款已登记过结果。',
  'InvalidParameterValue.Period': '期间应为 YYYY-MM，例如 2026-10。',
  'InvalidParameterValue.Type': '请选择违规情形。',
  'InvalidParameterValue.Evidence': '证据说明太长，请精简。',
  'InvalidParameterValue.ExtraActions': '附加处罚有误：扣保证金填金额，屏蔽店铺或限制发布填天数（1 天起），下架商品填本服务商的商品编号。',
  'InvalidParameterValue.ProductId': '该商品不是此服务商的：请填写该服务商的商品编号（prd_…）。',
  'InvalidParameterValue.Response': '回应内容太长，请精简。',
  'InvalidParameterValue.ConsignmentRateBps': '费率应为 0.01%–100% 之间的百分比（最多两位小数），例如 15 表示 15%。',
  'FailedOperation.NotConsignment': '该服务商为平台模式，代销费率只适用于代销模式的服务商（R-FE1）。',
  'FailedOperation.NoProviderInvoice': '该结算单不需要服务商开具发票（平台模式由平台开具服务费发票）。',
  'FailedOperation.InvoiceAlreadyReceived': '该结算单的服务商发票已登记收到。',
  'FailedOperation.NoFeeInvoice': '该结算单没有可开具的平台服务费发票（代销模式由平台向买家开票，或本期无服务费）。',
  'FailedOperation.InvoiceAlreadyRequested': '已索取过该结算单的服务费发票。',
  AuthFailure: '登录已失效，请重新登录。',
  UnauthorizedOperation: '当前角色无权进行此操作。',
}

// Codes that mean different things on different forms, worded per form (the
// form prop of FieldError and ApiError). Shown on a form not named here, such
// a code keeps the API's own message: a wrong guess would mislead.
const byForm = {
  'InvalidParameterValue.Channel': {
    deposit: '请选择付款渠道（云账户余额不能缴纳保证金，R-DP3）。',
    contact: '请选择联系方式：电话、短信、邮件、在线消息或 QQ。',
  },
}

// Codes whose field is not spelled in the code itself.
const fieldOfCode = {
  'InvalidParameterValue.LicenseImage': 'licenseObjectKey',
  'FailedOperation.InsufficientExperience': 'foundedOn',
  'FailedOperation.SupportHoursTooLow': 'supportHours',
  'FailedOperation.MiniProgramRequirementsNotMet': 'categories',
  'FailedOperation.AlreadyApplied': 'orgCode',
  'FailedOperation.OrganisationBanned': 'orgCode',
  'InvalidParameterValue.ExternalLink': 'description',
}

// fieldOf names the request field an error is about ("orgCode",
// "contact.phone"), or '' when it is about the whole request.
export function fieldOf(err) {
  if (!err || !err.code) return ''
  if (fieldOfCode[err.code]) return fieldOfCode[err.code]
  const msg = err.message || ''
  if (err.code === 'MissingParameter') {
    const m = /^([A-Za-z.]+) is required/.exec(msg)
    return m ? m[1] : ''
  }
  const [category, detail] = err.code.split('.')
  if (!detail || (category !== 'InvalidParameterValue' && category !== 'InvalidParameter')) return ''
  const lower = detail[0].toLowerCase() + detail.slice(1)
  // "Contact" covers contact.phone / contact.email / contact.qq: the message names which.
  const nested = new RegExp(`\\b(${lower}\\.[a-zA-Z]+)`).exec(msg)
  return nested ? nested[1] : lower
}

const missing = '此项为必填。'

// explain is the plain-words text of an error, in Chinese where the code is
// known, with the API's own message kept for the specifics. form names the
// form it is shown on ('deposit', 'contact'), for the codes of byForm.
export function explain(err, form = '') {
  if (!err) return ''
  if (err.code === 'MissingParameter') return missing
  const zh = worded(err.code, form) || plain[(err.code || '').split('.')[0]]
  if (zh) return zh
  return err.message || '操作失败。'
}

// detail is the API's own message when the Chinese text is a generic one.
export function detail(err, form = '') {
  if (!err || err.code === 'MissingParameter') return ''
  return worded(err.code, form) ? err.message : ''
}

// worded is the Chinese text for exactly this code on this form, or ''.
function worded(code, form) {
  if (byForm[code]) return byForm[code][form] || ''
  return plain[code] || ''
}
