// The plain-words texts of API errors: `npm test` (node's own test runner, no
// dependencies), run by `make console` and by CI's console check.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { explain, detail, fieldOf } from './errors.js'

const contactChannel = { code: 'InvalidParameterValue.Channel', message: 'channel must be one of phone, sms, email, im, qq, got "fax".' }
const depositChannel = { code: 'InvalidParameterValue.Channel', message: 'channel "cloud_balance" is not one of wire, online_banking, bank_counter; the cloud account balance cannot pay a deposit (R-DP3).' }

test('a refused channel reads as a contact method on the contact form, a payment channel on the deposit forms', () => {
  assert.equal(fieldOf(contactChannel), 'channel')
  assert.match(explain(contactChannel, 'contact'), /联系方式/)
  assert.doesNotMatch(explain(contactChannel, 'contact'), /付款/)
  assert.equal(detail(contactChannel, 'contact'), contactChannel.message)
  assert.match(explain(depositChannel, 'deposit'), /付款渠道/)
  assert.equal(detail(depositChannel, 'deposit'), depositChannel.message)
})

test('a code worded per form keeps the API message on a form that is not named', () => {
  assert.equal(explain(contactChannel), contactChannel.message)
  assert.equal(detail(contactChannel), '')
  assert.equal(explain(contactChannel, 'refund'), contactChannel.message)
})

test('codes the API raises only for a too-long value do not ask to fill the field in', () => {
  for (const [code, message] of [
    ['InvalidParameterValue.Reason', 'reason is longer than 500 characters.'],
    ['InvalidParameterValue.Reference', 'reference is longer than 64 characters.'],
    ['InvalidParameterValue.Evidence', 'evidence is longer than 5000 characters.'],
    ['InvalidParameterValue.Response', 'response is longer than 2000 characters.'],
  ]) {
    const text = explain({ code, message })
    assert.match(text, /太长/, code)
    assert.doesNotMatch(text, /请填写/, code)
  }
})

test('a missing value is the same short text everywhere; an unknown code shows the API message', () => {
  assert.equal(explain({ code: 'MissingParameter', message: 'reason is required.' }, 'contact'), '此项为必填。')
  assert.equal(fieldOf({ code: 'MissingParameter', message: 'reason is required.' }), 'reason')
  assert.equal(explain({ code: 'InvalidParameterValue.Nonsense', message: 'nonsense is wrong.' }), 'nonsense is wrong.')
  assert.equal(explain({ code: 'UnauthorizedOperation.NotOwner', message: 'not yours.' }), '当前角色无权进行此操作。')
})
