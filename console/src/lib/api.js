import { session, signOut } from './session.js'

// The one door to the API. Every rule is the API's: the console sends what the
// person entered and shows what comes back, errors included.
const config = window.cloudmarketConfig || { apiBase: '', local: null }
export const apiBase = (config.apiBase || '').replace(/\/$/, '')

export class ApiError extends Error {
  constructor(status, code, message, requestId) {
    super(message)
    this.status = status
    this.code = code
    this.requestId = requestId
  }
}

let keySeq = 0
// idempotencyKey makes one key per intended action: a retried click of the
// same form sends the same key, so the API does it once.
export function idempotencyKey(prefix) {
  keySeq += 1
  const rnd = crypto.getRandomValues(new Uint32Array(2))
  return `${prefix}-${Date.now().toString(36)}-${rnd[0].toString(36)}${rnd[1].toString(36)}-${keySeq}`
}

export async function call(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' }
  if (session.token && !opts.anonymous) headers.Authorization = `Bearer ${session.token}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey
  let resp
  try {
    resp = await fetch(apiBase + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  } catch {
    throw new ApiError(0, 'Network', '无法连接到服务，请检查网络后重试。')
  }
  const text = await resp.text()
  let data = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = null
  }
  if (!resp.ok) {
    const e = (data && data.error) || {}
    if (resp.status === 401 && !opts.anonymous) signOut()
    throw new ApiError(resp.status, e.code || `HTTP${resp.status}`, e.message || text || resp.statusText, e.requestId)
  }
  return data
}

export const get = (path) => call('GET', path)
export const post = (path, body = {}, opts) => call('POST', path, body, opts)
export const patch = (path, body) => call('PATCH', path, body)

// all follows nextCursor to the end (bounded: dashboards and queues).
export async function all(path, max = 2000) {
  const items = []
  let cursor = ''
  for (;;) {
    const sep = path.includes('?') ? '&' : '?'
    const page = await get(`${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    items.push(...page.items)
    if (!page.nextCursor || items.length >= max) return items
    cursor = page.nextCursor
  }
}

// upload PUTs a file to a presigned URL with exactly the headers it was signed
// with (the browser sets Content-Length itself).
export async function upload(u, file) {
  const headers = {}
  for (const [k, v] of Object.entries(u.headers || {})) {
    if (k.toLowerCase() !== 'content-length') headers[k] = v
  }
  let resp
  try {
    resp = await fetch(u.uploadUrl, { method: u.method || 'PUT', headers, body: file })
  } catch {
    throw new ApiError(0, 'Upload', '上传失败：无法连接到对象存储。')
  }
  if (!resp.ok) throw new ApiError(resp.status, 'Upload', `上传失败（${resp.status}），请重新选择文件。`)
}

// Local emulator: is it there? (config.local null = ask it)
let localProbe = null
export function isLocal() {
  if (config.local === true || config.local === false) return Promise.resolve(config.local)
  if (!localProbe) {
    localProbe = fetch(apiBase + '/_local/clock').then((r) => r.ok).catch(() => false)
  }
  return localProbe
}

// now is the time the API lives in: the emulator's adjustable clock locally,
// the browser's clock otherwise.
export async function serverNow() {
  if (await isLocal()) {
    try {
      const r = await call('GET', '/_local/clock', undefined, { anonymous: true })
      return new Date(r.now)
    } catch {
      /* fall through */
    }
  }
  return new Date()
}
