import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {type Address, hashStruct, keccak256, stringToBytes} from 'viem'
import {generatePrivateKey, privateKeyToAccount} from 'viem/accounts'
import {describe, expect, it} from 'vitest'

import {canonicalJson} from '../encoding/canonical-json.js'
import {errorCodes} from '../errors/error-codes.js'
import {parseCliqueExtraData, sortSigners} from '../genesis/clique-extra-data.js'
import {
  bundleContentHash,
  bundleFiles,
  bundleTypedData,
  bundleTypes,
  genesisDigest,
  verifyBundle,
  type UnsignedBundle,
} from './consortium-bundle.js'
import {founderGenesisBalance} from './founding-bundle.js'
import {decryptIdentityKey} from './identity-key-secret.js'
import {bundleJson, foundTestConsortium, resign} from './testing/member-fixtures.js'

describe('consortium bundles', () => {
  it('founds from cards: founders seal from genesis, each is funded, each decrypts one identity key', async () => {
    // Given a founding bundle of three members' cards
    const {bundle, members, identityKey} = await foundTestConsortium()
    // When a member reads it from its file
    const read = await bundleFiles.parse(bundleFiles.render(bundle), 'carenet.bundle.json')
    // Then the genesis signers are exactly the founders' signers, in Clique's order
    const signers = members.map((m) => m.card.signer)
    expect(parseCliqueExtraData(read.genesis.extraData).signers).toEqual(sortSigners(signers))
    // And each founder's account is funded, and the digest is the genesis's
    expect(Object.keys(read.genesis.alloc).sort()).toEqual(signers.map((s) => s.slice(2).toLowerCase()).sort())
    for (const {balance} of Object.values(read.genesis.alloc)) expect(BigInt(balance)).toBe(founderGenesisBalance)
    expect(read.genesisDigest).toBe(keccak256(stringToBytes(canonicalJson(read.genesis))))
    expect(read.members.map((c) => c.name)).toEqual(['st-anne', 'st-bart', 'st-clare'])
    expect(read.exportedBy).toBe(signers[0])
    // And every founder, and only it, decrypts the one identity key with its own key
    for (const member of members)
      expect(decryptIdentityKey(read, member.card.signer, member.privateKey, 'b')).toEqual(identityKey)
    const stranger = generatePrivateKey()
    expect(() => decryptIdentityKey(read, members[1]!.card.signer, stranger, 'carenet.bundle.json')).toThrow(
      expect.objectContaining({code: errorCodes.BUNDLE_SECRET_INVALID}),
    )
  })

  it('hashes a genesis by its canonical JSON, whatever the key order or layout of the file', async () => {
    const {bundle} = await foundTestConsortium()
    // Given the same genesis with every object's keys in reverse order, laid out differently
    const reverseKeys = (value: unknown): unknown =>
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(
            Object.entries(value)
              .reverse()
              .map(([k, v]) => [k, reverseKeys(v)]),
          )
        : value
    const reordered = JSON.parse(JSON.stringify(reverseKeys(bundle.genesis), null, 4))
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(bundle.genesis))
    // Then it has the same digest, and any change of a value gives another
    expect(genesisDigest(reordered)).toBe(bundle.genesisDigest)
    expect(genesisDigest({...bundle.genesis, timestamp: '0x1'})).not.toBe(bundle.genesisDigest)
  })

  it('refuses a bundle whose genesis was edited after export, naming both digests', async () => {
    // Given a bundle where someone added an allocation to the genesis
    const {bundle} = await foundTestConsortium()
    const edited = bundleJson(bundle)
    edited.genesis.alloc[`${'ab'.repeat(20)}`] = {balance: '0x1'}
    // When it is verified, Then it is refused as a changed genesis
    const error = await verifyBundle(edited, 'carenet.bundle.json').catch((e: unknown) => e)
    expect(error).toMatchObject({code: errorCodes.BUNDLE_GENESIS_CHANGED})
    expect((error as Error).message).toContain(bundle.genesisDigest)
  })

  it('refuses an edited genesis whose digest was updated too, because the signature no longer holds', async () => {
    const {bundle} = await foundTestConsortium()
    const edited = bundleJson(bundle)
    edited.genesis.alloc[`${'ab'.repeat(20)}`] = {balance: '0x1'}
    edited.genesisDigest = genesisDigest(edited.genesis)
    await expect(verifyBundle(edited, 'carenet.bundle.json')).rejects.toMatchObject({
      code: errorCodes.BUNDLE_SIGNATURE,
      message: expect.stringContaining(`expected a signature by ${bundle.exportedBy}`),
    })
  })

  it('refuses a bundle re-signed by a stranger as its own export: the exporter is not a member', async () => {
    // Given the founding bundle, signed again by a key that is no member's
    const {bundle} = await foundTestConsortium()
    const stranger = generatePrivateKey()
    const {signature: _signature, ...unsigned} = bundle
    const strangers = await resign(unsigned, stranger, privateKeyToAccount(stranger).address).catch((e: unknown) => e)
    // Then it is refused, naming the exporter
    expect(strangers).toMatchObject({
      code: errorCodes.BUNDLE_SIGNER_NOT_MEMBER,
      message: expect.stringContaining(privateKeyToAccount(stranger).address),
    })
  })

  it("refuses a stranger's signature on a bundle that still names a member as its exporter", async () => {
    const {bundle} = await foundTestConsortium()
    const stranger = privateKeyToAccount(generatePrivateKey())
    const {signature: _signature, ...unsigned} = bundle
    const forged = {...bundleJson(bundle), signature: await stranger.signTypedData(bundleTypedData(unsigned))}
    await expect(verifyBundle(forged, 'carenet.bundle.json')).rejects.toMatchObject({
      code: errorCodes.BUNDLE_SIGNATURE,
      message: `carenet.bundle.json is not signed by its exporter: expected a signature by ${bundle.exportedBy}, \
recovered ${stranger.address}.`,
    })
  })

  it('refuses a bundle with a tampered card in it, naming where the card is', async () => {
    // Given a member's card whose address was changed, in a bundle its exporter then signed again
    const {bundle, members} = await foundTestConsortium()
    const edited = bundleJson(bundle)
    edited.members[2]!.host = '198.51.100.99'
    const error = await resign(edited, members[0]!.privateKey).catch((e: unknown) => e)
    // Then the card's own signature catches it
    expect(error).toMatchObject({
      code: errorCodes.CARD_SIGNATURE,
      message: expect.stringContaining('(members[2])'),
    })
  })

  it.each([
    ['a chain id other than the genesis one', (b: UnsignedBundle) => ({...b, network: {...b.network, chainId: 77}})],
    ['a period other than the genesis one', (b: UnsignedBundle) => ({...b, network: {...b.network, period: 2}})],
    [
      'an image that cannot seal Clique',
      (b: UnsignedBundle) => ({...b, network: {...b.network, image: 'geth:latest'}}),
    ],
    [
      'a member without its identity key',
      (b: UnsignedBundle) => {
        const [first, ...rest] = Object.entries(b.secrets.identityHmacKey)
        return {...b, secrets: {identityHmacKey: Object.fromEntries(rest)}, exportedBy: first![0] as Address}
      },
    ],
    ['a card listed twice', (b: UnsignedBundle) => ({...b, joining: [b.members[1]!]})],
  ])('refuses a signed bundle with %s, as inconsistent', async (_, change) => {
    // Given a bundle its (member) exporter signed with an inconsistency in it
    const {bundle, members} = await foundTestConsortium()
    const {signature: _signature, ...unsigned} = bundle
    const changed = change(unsigned)
    const signer = members.find((m) => m.card.signer === changed.exportedBy) ?? members[0]!
    // Then it is refused with the problem named
    const error = await resign(changed, signer.privateKey, changed.exportedBy).catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: errorCodes.BUNDLE_INVALID,
      details: expect.arrayContaining([expect.any(String)]),
    })
  })

  it('refuses a founding bundle whose genesis seals with a signer that has no card', async () => {
    // Given a founder who built the genesis with an extra, unseen signer (digest and signature redone)
    const {bundle, members} = await foundTestConsortium(['st-anne', 'st-bart'])
    const hidden = privateKeyToAccount(generatePrivateKey()).address
    const {signature: _signature, ...unsigned} = bundleJson(bundle)
    const signers = sortSigners([...members.map((m) => m.card.signer), hidden])
    const signerBytes = signers.map((s) => s.slice(2).toLowerCase()).join('')
    unsigned.genesis.extraData = `0x${'00'.repeat(32)}${signerBytes}${'00'.repeat(65)}`
    unsigned.genesisDigest = genesisDigest(unsigned.genesis)
    // Then the founders see it
    await expect(resign(unsigned, members[0]!.privateKey)).rejects.toMatchObject({
      code: errorCodes.BUNDLE_INVALID,
      details: [`genesis.extraData: signer ${hidden} has no card among the members`],
    })
  })

  it('reports every schema problem at once: no members, an unknown field, a bad revision', async () => {
    const {bundle} = await foundTestConsortium()
    const broken = {...bundleJson(bundle), members: [], revision: 0, extra: true}
    const error = await verifyBundle(broken, 'b.json').catch((e: unknown) => e)
    expect(error).toMatchObject({code: errorCodes.BUNDLE_INVALID, message: 'b.json is not a valid consortium bundle.'})
    const details = (error as {details: string[]}).details
    expect(details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^members: a consortium has at least one member/),
        expect.stringMatching(/^revision: /),
        '(top level): unknown field "extra"',
      ]),
    )
    await expect(bundleFiles.parse('not json', 'b.json')).rejects.toMatchObject({code: errorCodes.BUNDLE_INVALID})
  })

  it('reads a bundle file as exported, and refuses a file that is not there or not JSON', async () => {
    // Given a bundle written to a file, a half-written one, and a path with no file
    const {bundle} = await foundTestConsortium()
    const dir = await mkdtemp(join(tmpdir(), 'medrec-bundle-'))
    await writeFile(join(dir, 'carenet.bundle.json'), bundleFiles.render(bundle))
    await writeFile(join(dir, 'half.bundle.json'), bundleFiles.render(bundle).slice(0, 100))
    // Then the file reads back as the bundle, and the others are refused, each with its own code
    expect(await bundleFiles.read(join(dir, 'carenet.bundle.json'))).toEqual(bundle)
    await expect(bundleFiles.read(join(dir, 'half.bundle.json'))).rejects.toMatchObject({
      code: errorCodes.BUNDLE_INVALID,
      message: `${join(dir, 'half.bundle.json')} is not JSON, so not a consortium bundle.`,
      hint: "Pass the bundle file a member's `medrec consortium export` wrote, unchanged.",
    })
    await expect(bundleFiles.read(join(dir, 'none.bundle.json'))).rejects.toMatchObject({
      code: errorCodes.BUNDLE_MISSING,
      message: `There is no consortium bundle at ${join(dir, 'none.bundle.json')}.`,
      hint: "Check the path: a consortium bundle is the bundle file a member's `medrec consortium export` wrote.",
    })
  })

  it('covers every field but the signature with its signature, through the canonical content hash', async () => {
    const {bundle} = await foundTestConsortium()
    const reread = bundleJson(bundle)
    expect(bundleContentHash(reread)).toBe(bundleContentHash(bundle))
    for (const field of ['exportedAt', 'revision', 'contracts'] as const) {
      const changed = {...reread, [field]: field === 'revision' ? 2 : field === 'contracts' ? {} : 'x'}
      expect(bundleContentHash(changed)).not.toBe(bundleContentHash(bundle))
      await expect(verifyBundle(changed, 'b.json')).rejects.toMatchObject({
        code: field === 'exportedAt' ? errorCodes.BUNDLE_INVALID : errorCodes.BUNDLE_SIGNATURE,
      })
    }
  })

  it('keeps the signed struct of bundles already exported: its EIP-712 struct hash is pinned', () => {
    // Given the signed fields of a bundle
    const data = {
      network: 'medrec-test',
      revision: 3n,
      exportedBy: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      contentHash: `0x${'ab'.repeat(32)}`,
    } as const
    // When its struct is hashed, Then the hash is the one bundle signatures were made over so far
    expect(hashStruct({types: bundleTypes, primaryType: 'ConsortiumBundle', data})).toBe(
      '0x237448a5c9f5f426a1babfb163caaabd2e085118c371206d1e74d406602f8239',
    )
  })
})
