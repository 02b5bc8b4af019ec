import {randomBytes} from 'node:crypto'

import {keccak256} from 'viem'
import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {decryptIdentityKey} from './identity-key-secret.js'
import {foundTestConsortium, newTestMember, resign} from './testing/member-fixtures.js'
import {prepareBundleExport, updateBundle} from './update-bundle.js'

const now = new Date('2025-03-01T00:00:00.000Z')

describe('updateBundle', () => {
  it('proposes a joiner, admits it with the identity key encrypted to it, and the result verifies', async () => {
    // Given a founded consortium and a provider's card
    const {bundle, members, identityKey} = await foundTestConsortium()
    const dora = await newTestMember('st-dora')
    // When it is proposed, the bundle lists it as joining, without any secret
    const proposed = updateBundle(bundle, {type: 'propose', card: dora.card})
    expect(proposed.joining).toEqual([dora.card])
    expect(decryptIdentityKey(proposed, dora.card.signer, dora.privateKey, 'b')).toBeUndefined()
    // When it is admitted, it becomes a member and decrypts the consortium's identity key
    const admitted = updateBundle(proposed, {type: 'admit', signer: dora.card.signer, identityKey})
    expect(admitted.members.map((c) => c.name)).toEqual(['st-anne', 'st-bart', 'st-clare', 'st-dora'])
    expect(admitted.joining).toEqual([])
    expect(decryptIdentityKey(admitted, dora.card.signer, dora.privateKey, 'b')).toEqual(identityKey)
    // And the next revision, signed by a member, verifies as a whole
    const next = await resign(
      prepareBundleExport(bundle, {
        changes: [
          {type: 'propose', card: dora.card},
          {type: 'admit', signer: dora.card.signer, identityKey},
        ],
        exportedBy: members[2]!.card.signer,
        exportedAt: now,
      }),
      members[2]!.privateKey,
    )
    expect(next).toMatchObject({revision: 2, exportedBy: members[2]!.card.signer, exportedAt: now.toISOString()})
    // And the bundle it started from is unchanged
    expect(bundle.joining).toEqual([])
    expect(bundle.members).toHaveLength(3)
  })

  it('removes a member and its secret, withdraws a joiner, and lists contracts', async () => {
    const {bundle, members} = await foundTestConsortium()
    const removed = updateBundle(bundle, {type: 'remove', signer: members[1]!.card.signer})
    expect(removed.members.map((c) => c.name)).toEqual(['st-anne', 'st-clare'])
    expect(Object.keys(removed.secrets.identityHmacKey)).not.toContain(members[1]!.card.signer)
    const dora = await newTestMember('st-dora')
    const withdrawn = updateBundle(updateBundle(bundle, {type: 'propose', card: dora.card}), {
      type: 'withdraw',
      signer: dora.card.signer,
    })
    expect(withdrawn.joining).toEqual([])
    const contracts = {Registrar: {address: members[0]!.card.signer, codeHash: keccak256('0x6001')}}
    expect(updateBundle(bundle, {type: 'contracts', contracts}).contracts).toEqual(contracts)
  })

  it('refuses changes that make no sense, leaving the bundle as it was', async () => {
    const {bundle, members} = await foundTestConsortium(['st-anne'])
    const dora = await newTestMember('st-dora')
    const twin = await newTestMember('st-anne')
    const key = new Uint8Array(randomBytes(32))
    expect(() => updateBundle(bundle, {type: 'admit', signer: dora.card.signer, identityKey: key})).toThrow(
      expect.objectContaining({code: errorCodes.INVALID_ARGUMENT}),
    )
    expect(() => updateBundle(bundle, {type: 'propose', card: twin.card})).toThrow(
      expect.objectContaining({code: errorCodes.CARD_DUPLICATE}),
    )
    expect(() => updateBundle(bundle, {type: 'remove', signer: members[0]!.card.signer})).toThrow(
      expect.objectContaining({code: errorCodes.CONSORTIUM_NO_FOUNDERS}),
    )
    expect(() => updateBundle(bundle, {type: 'contracts', contracts: {}})).toThrow(
      expect.objectContaining({code: errorCodes.INVALID_ARGUMENT}),
    )
    // (a contract listed wrongly is named, with what is wrong in it)
    const badHash = {Registrar: {address: dora.card.signer, codeHash: '0x12' as const}}
    expect(() => updateBundle(bundle, {type: 'contracts', contracts: badHash})).toThrow(
      expect.objectContaining({details: [expect.stringMatching(/^Registrar\.codeHash: /)]}),
    )
    expect(bundle.members).toHaveLength(1)
  })

  it('lets only a member export: a joiner waits until it is admitted', async () => {
    const {bundle} = await foundTestConsortium()
    const dora = await newTestMember('st-dora')
    expect(() =>
      prepareBundleExport(bundle, {
        changes: [{type: 'propose', card: dora.card}],
        exportedBy: dora.card.signer,
        exportedAt: now,
      }),
    ).toThrow(expect.objectContaining({code: errorCodes.BUNDLE_SIGNER_NOT_MEMBER}))
  })
})
