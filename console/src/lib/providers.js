import { all, get } from './api.js'

// knownProviders lists provider records for operators. The API has no provider
// list route yet (and the application queue is the reviewers' alone), so the
// ids come from the audit trail every operator may read, then each provider
// and its deposit are read.
export async function knownProviders(events) {
  const evs = events || (await all('/v1/events', 5000))
  const ids = [...new Set(evs.map((e) => e.providerId || (typeof e.subject === 'string' && e.subject.startsWith('prv_') ? e.subject : '')).filter(Boolean))]
  return Promise.all(ids.map(async (id) => {
    const [p, d] = await Promise.all([get(`/v1/providers/${id}`), get(`/v1/providers/${id}/deposit`)])
    return { ...p, depositFull: d }
  }))
}
