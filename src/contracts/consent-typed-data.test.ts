import {concat, encodeAbiParameters, hashStruct, keccak256, type AbiParameter, type Hex} from 'viem'
import {describe, expect, it} from 'vitest'

import {medrecConsentTypes} from './consent-typed-data.js'
import {deployMedrecWorld} from './testing/medrec-test-world.js'
import {useMedrecChain} from './testing/test-context.js'

const ctx = useMedrecChain()

const word = (byte: string): Hex => `0x${byte.repeat(32)}`
const address = (byte: string): Hex => `0x${byte.repeat(20)}`

describe('medrecConsentTypes', () => {
  it("hashes every consent struct under the Registrar's own *_TYPEHASH", async () => {
    // Given the deployed Registrar's type hashes, and one message of each struct (every field static)
    const w = await deployMedrecWorld(ctx.chain(), ctx.compiled().artifacts)
    const cases = [
      {
        primaryType: 'PatientRegistration',
        typeHash: await w.registrarRead.REGISTRATION_TYPEHASH(),
        data: {provider: word('01'), enrolmentRef: word('02'), account: address('03'), nonce: 4n, deadline: 5n},
      },
      {
        primaryType: 'RelationshipAcceptance',
        typeHash: await w.registrarRead.ACCEPTANCE_TYPEHASH(),
        data: {relationship: address('06'), round: 7, nonce: 8n, deadline: 9n},
      },
      {
        primaryType: 'PatientRecovery',
        typeHash: await w.registrarRead.RECOVERY_TYPEHASH(),
        data: {id: word('0a'), newAccount: address('0b'), nonce: 12n, deadline: 13n},
      },
    ] as const
    for (const {primaryType, typeHash, data} of cases) {
      // When viem hashes the struct as a signer's wallet does
      const ours = hashStruct({types: medrecConsentTypes, primaryType, data})
      // Then it is keccak256(abi.encode(TYPEHASH, fields...)), as the Registrar computes it
      const fields: readonly AbiParameter[] = medrecConsentTypes[primaryType]
      const values: unknown[] = fields.map((field) => (data as Record<string, unknown>)[field.name ?? ''])
      expect(ours, primaryType).toBe(keccak256(concat([typeHash, encodeAbiParameters(fields, values)])))
    }
  })
})
