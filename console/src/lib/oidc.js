// Production sign-in: the identity provider's OAuth 2.0 authorization code
// flow with PKCE (RFC 7636), configured in config.js beside the build:
//   oidc: { authorizeUrl, tokenUrl, clientId, scope, redirectUri (optional),
//           tokenField: 'access_token' | 'id_token' (which token the API takes) }
// The console is a public client: it holds no secret. The code verifier and
// state live in sessionStorage for the round trip only; the code is removed
// from the address bar before it is exchanged, and the token never enters a
// URL.
const FLIGHT = 'cloudmarket.oidc'

export const oidcConfig = () => {
  const c = (window.cloudmarketConfig || {}).oidc
  return c && c.authorizeUrl && c.tokenUrl && c.clientId ? c : null
}

const redirectUri = (c) => c.redirectUri || `${location.origin}/console/signin`

function base64url(bytes) {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

const randomString = () => base64url(crypto.getRandomValues(new Uint8Array(32)))

// startSignIn goes to the identity provider; next is the console page to
// return to.
export async function startSignIn(next) {
  const c = oidcConfig()
  const verifier = randomString()
  const state = randomString()
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))))
  sessionStorage.setItem(FLIGHT, JSON.stringify({ verifier, state, next: next || '' }))
  const u = new URL(c.authorizeUrl)
  u.searchParams.set('response_type', 'code')
  u.searchParams.set('client_id', c.clientId)
  u.searchParams.set('redirect_uri', redirectUri(c))
  u.searchParams.set('scope', c.scope || 'openid')
  u.searchParams.set('state', state)
  u.searchParams.set('code_challenge', challenge)
  u.searchParams.set('code_challenge_method', 'S256')
  location.assign(u.toString())
}

// finishSignIn handles the return from the identity provider: null when this
// page load is not one; otherwise the token and the page to go to, or an
// Error saying what went wrong.
export async function finishSignIn() {
  const params = new URLSearchParams(location.search)
  const code = params.get('code')
  const problem = params.get('error')
  if (!code && !problem) return null
  // Off the address bar (and out of history) before anything else.
  history.replaceState(history.state, '', location.pathname)
  const flight = JSON.parse(sessionStorage.getItem(FLIGHT) || 'null')
  sessionStorage.removeItem(FLIGHT)
  const c = oidcConfig()
  if (problem) throw new Error(`身份提供方拒绝了登录：${params.get('error_description') || problem}`)
  if (!c || !flight || flight.state !== params.get('state')) throw new Error('登录回调无效或已过期（state 不符），请重新登录。')
  const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri(c), client_id: c.clientId, code_verifier: flight.verifier })
  let resp
  try {
    resp = await fetch(c.tokenUrl, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' }, body })
  } catch {
    throw new Error('无法连接到身份提供方，请稍后重试。')
  }
  const data = await resp.json().catch(() => ({}))
  const token = data[c.tokenField || 'access_token']
  if (!resp.ok || !token) throw new Error(`身份提供方未签发令牌：${data.error_description || data.error || resp.status}`)
  return { token, next: flight.next }
}
