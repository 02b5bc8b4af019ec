// Test support for ECIES payloads: the keys they are encrypted to and how they are refused.
import type {Hex} from 'viem'
import {generatePrivateKey, privateKeyToAccount} from 'viem/accounts'
import {expect} from 'vitest'

import {errorCodes} from '../../errors/error-codes.js'
import {thrownRefusal} from '../../errors/testing/refusal.js'

/** A fresh account's private key and its uncompressed public key, the key ECIES encrypts to. */
export function randomKeyPair(): {privateKey: Hex; publicKey: Hex} {
  const privateKey = generatePrivateKey()
  return {privateKey, publicKey: privateKeyToAccount(privateKey).publicKey}
}

/** Expects `run` to refuse with INVALID_ARGUMENT, in a message matching `message`. */
export function expectInvalidArgument(run: () => unknown, message: RegExp): void {
  expect(thrownRefusal(run)).toMatchObject({code: errorCodes.INVALID_ARGUMENT, message: expect.stringMatching(message)})
}
