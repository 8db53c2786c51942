// Display helpers. Money arrives as integer fen and is only ever formatted
// here with integer arithmetic; times arrive as RFC 3339 and are shown in
// Asia/Shanghai whatever the browser's own zone.

export function yuan(fen) {
  if (fen === null || fen === undefined || fen === '') return '—'
  let n = BigInt(fen)
  const neg = n < 0n
  if (neg) n = -n
  const whole = (n / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const cents = (n % 100n).toString().padStart(2, '0')
  return `${neg ? '-' : ''}¥${whole}.${cents}`
}

// parseYuan turns what a person typed ("5000", "5,000.5", "0.01") into integer
// fen without floating point; null when it is not an amount.
export function parseYuan(text) {
  const s = String(text ?? '').replace(/[,，\s¥]/g, '')
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(s)
  if (!m) return null
  const fen = BigInt(m[2]) * 100n + BigInt((m[3] || '').padEnd(2, '0') || '0')
  const v = m[1] ? -fen : fen
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) return null
  return Number(v)
}

// fenToYuanText is the editable text of an amount (no symbol, no grouping).
export function fenToYuanText(fen) {
  if (fen === null || fen === undefined) return ''
  return yuan(fen).replace(/[¥,]/g, '')
}

const shanghai = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hour12: false,
})
const shanghaiDay = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
})
const shanghaiMonth = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' })

export function dateTime(iso) {
  if (!iso) return '—'
  return shanghai.format(new Date(iso)).replace(/\//g, '-')
}

export function day(iso) {
  if (!iso) return '—'
  return shanghaiDay.format(new Date(iso)).replace(/\//g, '-')
}

// month is "YYYY-MM" in Asia/Shanghai, for grouping.
export function month(iso) {
  return shanghaiMonth.format(new Date(iso)).slice(0, 7)
}

// nowInShanghaiDate is today's date as YYYY-MM-DD in Asia/Shanghai.
export function todayShanghai(now = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(now)
}

export const labels = {
  role: {
    provider: '服务商', buyer: '买家', 'operator:reviewer': '运营·审核', 'operator:finance': '运营·财务', 'operator:risk': '运营·风控',
  },
  companyType: {
    state_owned: '国有企业', joint_venture: '合资企业', joint_stock: '股份制企业', listed: '上市公司',
    private: '民营企业', foreign: '外资企业', other: '其他',
  },
  category: { image: '镜像', software: '软件', ops: '运维服务', api: 'API', miniprogram: '小程序' },
  cooperationMode: { platform: '平台模式', consignment: '代销模式' },
  orgCodeKind: { organisation_code: '组织机构代码', unified_credit_code: '统一社会信用代码' },
  applicationStatus: { submitted: '待审核', approved: '已通过', rejected: '已驳回' },
  providerStatus: { contract_pending: '待签合同', active: '正常', exiting: '退出中', exited: '已退出', expelled: '已清退' },
  storeStatus: { open: '营业中', closed: '已关闭', blocked: '已屏蔽' },
  depositStatus: { unpaid: '未缴纳', held: '已足额', short: '不足', returning: '退还中', returned: '已退还' },
  entryKind: { payment: '缴纳', deduction: '扣除', return: '退还', credit: '申诉退回', owed_recovered: '结算抵扣欠款', settlement_topup: '结算款补足' },
  channel: { tenpay: '财付通', bank_counter: '银行柜台', cheque: '支票', wire: '电汇', online_banking: '网银', settlement: '结算款' },
  productStatus: { draft: '草稿', pending_review: '待审核', approved: '已通过（待保证金）', listed: '已上架', rejected: '已驳回', delisted: '已下架' },
  editStatus: { draft: '修改草稿', pending_review: '修改待审核', rejected: '修改被驳回' },
  period: { month: '按月', year: '按年', once: '一次性' },
  orderStatus: {
    pending_payment: '待支付', paid: '已支付', in_service: '服务中', completed: '已完成', refunding: '退款中',
    refunded: '已退款', partially_refunded: '部分退款', cancelled: '已取消',
  },
  refundStatus: { requested: '待服务商处理', accepted: '已同意（待退款）', arbitrating: '平台仲裁中', denied: '已驳回', paid: '已退款', failed: '退款失败' },
  refundBasis: { review_period: '审核期内全额', pro_rata: '按未使用时长', not_refundable: '不可退款' },
  payer: { platform: '平台经支付系统退款', provider: '服务商自行转账' },
  ruling: { full: '全额退款', partial: '部分退款', deny: '驳回' },
  providerFault: {
    late_service: '未按时提供服务', not_as_described: '与描述不符', cannot_deliver: '无法交付', business_ended: '停止经营',
    unreachable: '无法联系', quality_loss: '质量问题造成损失', missed_delivery: '未按约交付',
  },
  invoiceAction: { return_invoice: '退回发票', red_letter_form: '开具红字信息表', none: '无需处理', between_provider_and_buyer: '由服务商与买家自行处理' },
  noticeStatus: { open: '待核对', matched: '已到账' },
  violationStatus: { proposed: '待确认', applied: '已处罚', dismissed: '已撤销', overturned: '申诉改判' },
  appealStatus: { pending: '申诉待裁决', upheld: '申诉维持', overturned: '申诉改判' },
  violationLevel: { general: '一般', severe: '严重' },
  penaltyAction: {
    block_content: '屏蔽内容', delist_product: '下架商品', block_store: '屏蔽店铺', restrict_publishing: '限制发布',
    expel: '清退', ban_account: '永久封号', deduct_deposit: '扣保证金',
  },
  contactStatus: { open: '待回应', answered: '已回应', unanswered: '未回应' },
  contactChannel: { phone: '电话', sms: '短信', email: '邮件', im: '在线消息', qq: 'QQ' },
  payoutStatus: { pending: '待付款', paid: '已付款', failed: '付款失败' },
  lineType: { sale: '销售', platform_fee: '平台服务费', refund_clawback: '退款追回', deposit_owed: '保证金欠缴', payout_returned: '付款退回', deposit_topup: '补足保证金' },
  party: { provider: '服务商', platform: '平台', buyer: '买家' },
  invoiceSubject: { sale: '销售', service_fee: '平台服务费', settlement: '结算款' },
  invoiceStatus: { to_issue: '待平台开具', awaiting_provider_invoice: '待服务商开具', received: '已收到', requested: '已索取', between_provider_and_buyer: '服务商与买家之间' },
}

export function label(kind, v) {
  return (labels[kind] && labels[kind][v]) || v || '—'
}

export const statusTheme = {
  submitted: 'warning', approved: 'success', rejected: 'danger', listed: 'success', pending_review: 'warning',
  draft: 'default', delisted: 'default', held: 'success', short: 'danger', unpaid: 'warning', returning: 'primary',
  returned: 'default', active: 'success', contract_pending: 'warning', exiting: 'primary', exited: 'default', expelled: 'danger',
  pending_payment: 'warning', paid: 'success', in_service: 'primary', completed: 'success', cancelled: 'default',
  open: 'success', closed: 'danger', blocked: 'danger',
  requested: 'warning', accepted: 'primary', arbitrating: 'warning', denied: 'danger', failed: 'danger',
  refunding: 'warning', refunded: 'default', partially_refunded: 'primary', matched: 'success',
  proposed: 'warning', applied: 'danger', dismissed: 'default', overturned: 'success', pending: 'warning', upheld: 'danger',
  answered: 'success', unanswered: 'danger',
  to_issue: 'warning', awaiting_provider_invoice: 'warning', received: 'success', between_provider_and_buyer: 'default',
}

// shanghaiText is a date-picker value (YYYY-MM-DD HH:mm:ss) in Asia/Shanghai.
export function shanghaiText(date) {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(date)
  return parts.replace(',', '').replace(/^(\d{4}-\d{2}-\d{2}) 24:/, '$1 00:')
}
