import { createApp } from 'vue'
import { createRouter, createWebHistory } from 'vue-router'
import {
  Alert, Aside, Button, Card, Checkbox, CheckboxGroup, Col, Content, DatePicker, Descriptions, DescriptionsItem, Dialog,
  Divider, Dropdown, Empty, Footer, Form, FormItem, Header, Image, Input, InputNumber, Layout, Link, Loading, Menu,
  MenuGroup, MenuItem, Option, Popconfirm, Radio, RadioButton, RadioGroup, Row, Select, Space, Statistic, Table, Tag,
  Textarea, Tooltip,
} from 'tdesign-vue-next'
import 'tdesign-vue-next/es/style/index.css'
import App from './App.vue'
import { pages, homeOf } from './nav.js'
import { session, restore } from './lib/session.js'
import './style.css'

restore()

const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/', redirect: () => (session.token ? homeOf(session.role) : '/signin') },
    { path: '/signin', component: () => import('./pages/SignIn.vue'), meta: { title: '登录', public: true } },
    ...pages.map((p) => ({ path: p.path, component: p.component, meta: { title: p.title, roles: p.roles } })),
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

router.beforeEach((to) => {
  if (to.meta.public) return true
  if (!session.token) return { path: '/signin', query: { next: to.fullPath } }
  if (to.meta.roles && !to.meta.roles.includes(session.role)) return homeOf(session.role)
  return true
})
router.afterEach((to) => {
  document.title = `${to.meta.title || ''} · 云市场服务商管理台`
})

const app = createApp(App)
for (const c of [
  Alert, Aside, Button, Card, Checkbox, CheckboxGroup, Col, Content, DatePicker, Descriptions, DescriptionsItem, Dialog,
  Divider, Dropdown, Empty, Footer, Form, FormItem, Header, Image, Input, InputNumber, Layout, Link, Loading, Menu,
  MenuGroup, MenuItem, Option, Popconfirm, Radio, RadioButton, RadioGroup, Row, Select, Space, Statistic, Table, Tag,
  Textarea, Tooltip,
]) {
  app.use(c)
}
app.use(router)
app.mount('#app')
