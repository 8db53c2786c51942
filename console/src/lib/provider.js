import { all } from './api.js'

// myProviderId finds the signed-in provider's record id: GET /v1/providers
// lists a provider's own records, oldest first; the newest is the current one
// (an organisation that exited may be admitted again).
export async function myProviderId() {
  const mine = await all('/v1/providers')
  return mine.length ? mine[mine.length - 1].id : ''
}
