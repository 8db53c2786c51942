import { reactive } from 'vue'

// The signed-in person. The token lives in sessionStorage only (gone when the
// tab closes), never in a URL; the console holds no secret and trusts nothing
// it reads from the token: the API checks every call. The claims are decoded
// only to show who is signed in.
const KEY = 'cloudmarket.session'

function decode(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
    const json = decodeURIComponent(atob(part).split('').map((c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join(''))
    const c = JSON.parse(json)
    return { sub: String(c.sub || ''), roles: Array.isArray(c.roles) ? c.roles : [], exp: c.exp || 0 }
  } catch {
    return null
  }
}

export const session = reactive({ token: '', sub: '', roles: [], role: '', exp: 0 })

export function signIn(token, role) {
  const c = decode(token)
  if (!c || !c.sub || c.roles.length === 0) throw new Error('这不是一个有效的令牌（无法读出账号与角色）。')
  Object.assign(session, { token, sub: c.sub, roles: c.roles, role: role && c.roles.includes(role) ? role : c.roles[0], exp: c.exp })
  sessionStorage.setItem(KEY, JSON.stringify({ token, role: session.role }))
}

export function signOut() {
  Object.assign(session, { token: '', sub: '', roles: [], role: '', exp: 0 })
  sessionStorage.removeItem(KEY)
}

export function restore() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null')
    if (s && s.token) signIn(s.token, s.role)
    if (session.exp && session.exp * 1000 < Date.now()) signOut()
  } catch {
    signOut()
  }
}
