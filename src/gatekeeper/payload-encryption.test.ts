import {describe, expect, it} from 'vitest'

import {expectInvalidArgument, randomKeyPair} from '../keys/testing/ecies-fixtures.js'
import {decodeEncryptedResponse, encodeEncryptedResponse, encryptedResponseContentType} from './payload-encryption.js'

describe('encodeEncryptedResponse / decodeEncryptedResponse', () => {
  it('carries the ECIES payload under the MedRec content type', () => {
    const {privateKey, publicKey} = randomKeyPair()
    const plaintext = new TextEncoder().encode('{"records":[]}')
    const response = encodeEncryptedResponse(publicKey, plaintext)
    expect(response.contentType).toBe('application/vnd.medrec.ecies')
    expect(
      decodeEncryptedResponse(privateKey, {
        contentType: `${encryptedResponseContentType}; charset=binary`,
        body: response.body,
      }),
    ).toEqual(plaintext)
  })

  it('turns a plain error answer into a clear error instead of a failed tag', () => {
    const {privateKey} = randomKeyPair()
    const body = new TextEncoder().encode('{"error":"forbidden"}')
    expectInvalidArgument(
      () => decodeEncryptedResponse(privateKey, {contentType: 'application/json', body}),
      /application\/json, not an encrypted response/,
    )
    expectInvalidArgument(() => decodeEncryptedResponse(privateKey, {contentType: null, body}), /no content type/)
  })
})
