import { get } from './api.js'
import { remember, remembered } from './session.js'

// myProviderId finds the signed-in provider's record id: the API has no
// "my provider" route, so it comes from the approved application.
export async function myProviderId() {
  const known = remembered('providers')
  if (known.length) return known[0]
  for (const id of remembered('applications')) {
    const a = await get(`/v1/applications/${encodeURIComponent(id)}`)
    if (a.providerId) {
      remember('providers', a.providerId)
      return a.providerId
    }
  }
  return ''
}
