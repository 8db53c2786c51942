import { apiBase, ApiError } from './api.js'
import { session } from './session.js'

// download fetches a file of the API with the signed-in person's token (a
// token never goes into a link) and hands it to the browser as a download.
export async function download(path, fallbackName) {
  let resp
  try {
    resp = await fetch(apiBase + path, { headers: { Authorization: `Bearer ${session.token}`, Accept: 'text/csv' } })
  } catch {
    throw new ApiError(0, 'Network', '无法连接到服务，请检查网络后重试。')
  }
  if (!resp.ok) {
    const data = await resp.json().catch(() => ({}))
    const e = data.error || {}
    throw new ApiError(resp.status, e.code || `HTTP${resp.status}`, e.message || resp.statusText, e.requestId)
  }
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(resp.headers.get('Content-Disposition') || '')
  const name = m ? decodeURIComponent(m[1]) : fallbackName
  const url = URL.createObjectURL(await resp.blob())
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
  return name
}
