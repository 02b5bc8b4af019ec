import type {Hex} from 'viem'
import {generatePrivateKey, privateKeyToAccount} from 'viem/accounts'
import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {decodeEncryptedResponse, encodeEncryptedResponse, encryptedResponseContentType} from './payload-encryption.js'

function keyPair(): {privateKey: Hex; publicKey: Hex} {
  const privateKey = generatePrivateKey()
  return {privateKey, publicKey: privateKeyToAccount(privateKey).publicKey}
}

function expectMedrecError(run: () => unknown, message: RegExp): void {
  let thrown: unknown
  try {
    run()
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(MedrecError)
  expect(thrown).toMatchObject({code: errorCodes.INVALID_ARGUMENT, message: expect.stringMatching(message)})
}

describe('encodeEncryptedResponse / decodeEncryptedResponse', () => {
  it('carries the ECIES payload under the MedRec content type', () => {
    const {privateKey, publicKey} = keyPair()
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
    const {privateKey} = keyPair()
    const body = new TextEncoder().encode('{"error":"forbidden"}')
    expectMedrecError(
      () => decodeEncryptedResponse(privateKey, {contentType: 'application/json', body}),
      /application\/json, not an encrypted response/,
    )
    expectMedrecError(() => decodeEncryptedResponse(privateKey, {contentType: null, body}), /no content type/)
  })
})
