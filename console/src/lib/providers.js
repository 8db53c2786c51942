import { all, get } from './api.js'

// knownProviders lists every provider record (GET /v1/providers, operators)
// with its deposit.
export async function knownProviders() {
  const list = await all('/v1/providers')
  return Promise.all(list.map(async (p) => ({ ...p, depositFull: await get(`/v1/providers/${p.id}/deposit`) })))
}
