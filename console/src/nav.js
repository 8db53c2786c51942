// The console's pages: one row each, with the roles that see it. The menu and
// the routes are built from this table, so a new capability of the API
// (refunds, violations, settlement…) is one component and one row here.
export const pages = [
  { path: '/dashboard', title: '运营概览', group: '概览', roles: ['operator:reviewer', 'operator:finance', 'operator:risk'], component: () => import('./pages/Dashboard.vue') },

  { path: '/provider/apply', title: '入驻申请', group: '入驻', roles: ['provider'], component: () => import('./pages/provider/Apply.vue') },
  { path: '/provider/applications', title: '申请进度', group: '入驻', roles: ['provider'], component: () => import('./pages/provider/Applications.vue') },
  { path: '/provider/account', title: '合同与保证金', group: '入驻', roles: ['provider'], component: () => import('./pages/provider/Account.vue') },
  { path: '/provider/products', title: '我的商品', group: '经营', roles: ['provider'], component: () => import('./pages/provider/Products.vue') },
  { path: '/provider/deposit-notice', title: '缴纳保证金', group: '入驻', roles: ['provider'], component: () => import('./pages/provider/DepositNotice.vue') },
  { path: '/provider/orders', title: '订单', group: '经营', roles: ['provider'], component: () => import('./pages/provider/Orders.vue') },
  { path: '/provider/refunds', title: '退款', group: '经营', roles: ['provider'], component: () => import('./pages/provider/Refunds.vue') },

  { path: '/review/applications', title: '入驻审核', group: '审核', roles: ['operator:reviewer'], component: () => import('./pages/review/Applications.vue') },
  { path: '/review/applications/:id', title: '申请详情', roles: ['operator:reviewer', 'operator:finance', 'operator:risk'], hidden: true, component: () => import('./pages/review/Application.vue') },
  { path: '/review/products', title: '商品审核', group: '审核', roles: ['operator:reviewer'], component: () => import('./pages/review/Products.vue') },

  { path: '/finance/deposits', title: '保证金', group: '资金', roles: ['operator:finance', 'operator:risk'], component: () => import('./pages/finance/Deposits.vue') },
  { path: '/finance/notices', title: '缴纳通知', group: '资金', roles: ['operator:finance'], component: () => import('./pages/finance/Notices.vue') },
  { path: '/risk/refunds', title: '退款仲裁', group: '风控', roles: ['operator:risk'], component: () => import('./pages/risk/Refunds.vue') },
  { path: '/finance/deposits/:id', title: '服务商保证金', roles: ['operator:finance', 'operator:risk'], hidden: true, component: () => import('./pages/finance/Deposit.vue') },

  { path: '/market', title: '商品市场', group: '购买', roles: ['buyer'], component: () => import('./pages/buyer/Market.vue') },
  { path: '/buyer/orders', title: '我的订单', group: '购买', roles: ['buyer'], component: () => import('./pages/buyer/Orders.vue') },

  { path: '/risk/violations', title: '违规处理', group: '风控', roles: ['operator:risk'], component: () => import('./pages/risk/Violations.vue') },
  { path: '/risk/contact-reports', title: '联系不上', group: '风控', roles: ['operator:risk'], component: () => import('./pages/risk/ContactReports.vue') },
  { path: '/provider/violations', title: '违规与联系', group: '经营', roles: ['provider'], component: () => import('./pages/provider/Violations.vue') },
  { path: '/provider/statements', title: '结算单', group: '经营', roles: ['provider'], component: () => import('./pages/provider/Statements.vue') },
  { path: '/finance/settlements', title: '结算', group: '资金', roles: ['operator:finance'], component: () => import('./pages/finance/Settlements.vue') },
  { path: '/finance/consignment-rates', title: '代销费率', group: '资金', roles: ['operator:finance'], component: () => import('./pages/finance/ConsignmentRates.vue') },
  { path: '/finance/payouts', title: '付款', group: '资金', roles: ['operator:finance'], component: () => import('./pages/finance/Payouts.vue') },
  { path: '/events', title: '操作记录', group: '记录', roles: ['provider', 'operator:reviewer', 'operator:finance', 'operator:risk'], component: () => import('./pages/Events.vue') },
]

export function pagesFor(role) {
  return pages.filter((p) => p.roles.includes(role))
}

export function homeOf(role) {
  return { provider: '/provider/apply', buyer: '/market' }[role] || '/dashboard'
}
