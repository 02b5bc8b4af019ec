import {generatePrivateKey, privateKeyToAccount} from 'viem/accounts'
import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {checkBundleExporter, checkBundleSuccession} from './bundle-succession.js'
import {genesisDigest} from './consortium-bundle.js'
import {bundleJson, foundTestConsortium, newTestMember, resign} from './testing/member-fixtures.js'
import {prepareBundleExport} from './update-bundle.js'

const later = new Date('2025-02-01T00:00:00.000Z')

describe('the revision rules', () => {
  it('takes a first bundle, the same one again, and a newer revision', async () => {
    // Given a founding bundle and the next revision exported by another member
    const {bundle, members} = await foundTestConsortium()
    const next = await resign(
      prepareBundleExport(bundle, {exportedBy: members[1]!.card.signer, exportedAt: later}),
      members[1]!.privateKey,
    )
    // Then each is recognised for what it is
    expect(checkBundleSuccession(undefined, bundle, 'b')).toBe('first')
    expect(checkBundleSuccession(bundle, bundleJson(bundle), 'b')).toBe('same')
    expect(checkBundleSuccession(bundle, next, 'b')).toBe('newer')
    // And the same content re-exported by someone else under the held revision is the same bundle
    const {signature: _s, ...unsigned} = bundle
    const again = await resign({...unsigned, exportedBy: members[2]!.card.signer}, members[2]!.privateKey)
    expect(checkBundleSuccession(bundle, again, 'b')).toBe('same')
  })

  it('refuses a bundle of another chain, naming both networks', async () => {
    const held = await foundTestConsortium()
    const other = await foundTestConsortium(['st-dora'], {name: 'othernet', chainId: 4_242_002})
    expect(() => checkBundleSuccession(held.bundle, other.bundle, 'other.bundle.json')).toThrow(
      expect.objectContaining({
        code: errorCodes.BUNDLE_OTHER_CHAIN,
        message: expect.stringMatching(/"othernet" \(chain id 4242002\).*"carenet" \(chain id 4242001\)/),
      }),
    )
    // The same name on another chain id is another chain too
    const sameName = await foundTestConsortium(['st-dora'], {chainId: 4_242_003})
    expect(() => checkBundleSuccession(held.bundle, sameName.bundle, 'b')).toThrow(
      expect.objectContaining({code: errorCodes.BUNDLE_OTHER_CHAIN}),
    )
  })

  it('refuses a bundle with a changed genesis under the same name and chain id, even signed by a member', async () => {
    // Given a member who edits the genesis, recomputes its digest and signs the next revision
    const {bundle, members} = await foundTestConsortium()
    const edited = bundleJson(prepareBundleExport(bundle, {exportedBy: members[0]!.card.signer, exportedAt: later}))
    edited.genesis.alloc[`${'cd'.repeat(20)}`] = {balance: '0x1000'}
    edited.genesisDigest = genesisDigest(edited.genesis)
    const {signature: _s, ...unsigned} = edited
    // The bundle holds together by itself (its revision is not 1, so no founding check)
    const signed = await resign(unsigned, members[0]!.privateKey)
    // Then a member holding the founding bundle refuses it
    expect(() => checkBundleSuccession(bundle, signed, 'edited.bundle.json')).toThrow(
      expect.objectContaining({
        code: errorCodes.BUNDLE_GENESIS_CHANGED,
        message: expect.stringContaining(bundle.genesisDigest),
      }),
    )
  })

  it('refuses an older revision, and another bundle under the revision held', async () => {
    const {bundle, members} = await foundTestConsortium()
    const two = await resign(
      prepareBundleExport(bundle, {exportedBy: members[0]!.card.signer, exportedAt: later}),
      members[0]!.privateKey,
    )
    expect(() => checkBundleSuccession(two, bundle, 'old.bundle.json')).toThrow(
      expect.objectContaining({code: errorCodes.BUNDLE_REVISION_OLD}),
    )
    // Two members export revision 2 with different content
    const joiner = await newTestMember('st-dora')
    const otherTwo = await resign(
      prepareBundleExport(bundle, {
        changes: [{type: 'propose', card: joiner.card}],
        exportedBy: members[1]!.card.signer,
        exportedAt: later,
      }),
      members[1]!.privateKey,
    )
    expect(() => checkBundleSuccession(two, otherTwo, 'b')).toThrow(
      expect.objectContaining({code: errorCodes.BUNDLE_REVISION_CONFLICT, details: expect.any(Array)}),
    )
  })
})

describe('who may export a bundle', () => {
  it('trusts a founder for a first bundle, and a member of the held bundle after that', async () => {
    const {bundle, members} = await foundTestConsortium()
    expect(() => checkBundleExporter(bundle, {}, 'b')).not.toThrow()
    // A joiner admitted in revision 2 exports revision 3: trusted by whoever holds revision 2
    const joiner = await newTestMember('st-dora')
    const two = await resign(
      prepareBundleExport(bundle, {
        changes: [
          {type: 'propose', card: joiner.card},
          {type: 'admit', signer: joiner.card.signer, identityKey: new Uint8Array(32)},
        ],
        exportedBy: members[0]!.card.signer,
        exportedAt: later,
      }),
      members[0]!.privateKey,
    )
    const three = await resign(
      prepareBundleExport(two, {exportedBy: joiner.card.signer, exportedAt: later}),
      joiner.privateKey,
    )
    expect(() => checkBundleExporter(three, {stored: two}, 'b')).not.toThrow()
    // But not, for a first bundle, without the chain's signers to vouch for it
    expect(() => checkBundleExporter(three, {}, 'b')).toThrow(
      expect.objectContaining({code: errorCodes.BUNDLE_SIGNER_NOT_MEMBER}),
    )
    expect(() => checkBundleExporter(three, {chainSigners: [joiner.card.signer]}, 'b')).not.toThrow()
  })

  it('refuses a stranger who re-signs the bundle with itself added as a member', async () => {
    // Given a stranger who adds its own card as a member, and signs the next revision
    const {bundle} = await foundTestConsortium()
    const strangerKey = generatePrivateKey()
    const stranger = await newTestMember('mallory', {privateKey: strangerKey})
    const {signature: _s, ...unsigned} = bundle
    const forged = await resign(
      {
        ...unsigned,
        revision: 2,
        members: [...unsigned.members, stranger.card],
        secrets: {identityHmacKey: {...unsigned.secrets.identityHmacKey, [stranger.card.signer]: 'AAAA'}},
      },
      strangerKey,
      privateKeyToAccount(strangerKey).address,
    )
    // Then a member holding the founding bundle refuses it, and so does a newcomer
    expect(() => checkBundleExporter(forged, {stored: bundle}, 'forged.bundle.json')).toThrow(
      expect.objectContaining({
        code: errorCodes.BUNDLE_SIGNER_NOT_MEMBER,
        message: expect.stringContaining(stranger.card.signer),
      }),
    )
    expect(() => checkBundleExporter(forged, {}, 'forged.bundle.json')).toThrow(
      expect.objectContaining({code: errorCodes.BUNDLE_SIGNER_NOT_MEMBER}),
    )
  })
})
