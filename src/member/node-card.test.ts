import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {hashStruct} from 'viem'
import {generatePrivateKey, privateKeyToAccount} from 'viem/accounts'
import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {nodeIdFromNodeKey} from '../keys/node-key.js'
import {
  buildNodeCard,
  nodeCardEnodeUrl,
  nodeCardFiles,
  nodeCardTypedData,
  verifyNodeCard,
  type NodeCard,
} from './node-card.js'
import {newTestMember} from './testing/member-fixtures.js'

/** The card as another member reads it from its file: plain JSON, for a test to alter. */
function cardJson(card: NodeCard): Record<string, unknown> {
  return JSON.parse(nodeCardFiles.render(card))
}

describe('node cards', () => {
  it("builds a card that verifies: the signer's address and public key, the node id of its node key", async () => {
    // Given a member's signer key and node key
    const member = await newTestMember('st-anne', {host: '203.0.113.7', port: 30_311})
    const account = privateKeyToAccount(member.privateKey)
    // When its card is read back from its file
    const card = await nodeCardFiles.parse(nodeCardFiles.render(member.card), 'st-anne.card.json')
    // Then it names the member, its signer, the signer's public key and the node's id and address
    expect(card).toMatchObject({
      medrecNodeCard: 1,
      name: 'st-anne',
      signer: account.address,
      publicKey: account.publicKey,
      enode: nodeIdFromNodeKey(member.nodeKey),
      host: '203.0.113.7',
      port: 30_311,
    })
    expect(nodeCardEnodeUrl(card)).toBe(`enode://${card.enode}@203.0.113.7:30311`)
    // And it holds neither the signer key nor the node key
    const text = nodeCardFiles.render(card)
    expect(text).not.toContain(member.privateKey.slice(2))
    expect(text).not.toContain(member.nodeKey)
  })

  it('signs its fields deterministically: the same fields and key give the same signature (RFC 6979)', async () => {
    // Given a fixed key, node key, address and time
    const fixed = {
      name: 'st-anne',
      privateKey: `0x${'11'.repeat(32)}` as const,
      nodeKey: '22'.repeat(32),
      host: '10.0.0.1',
      port: 30_303,
      issuedAt: new Date('2025-01-01T00:00:00.000Z'),
    }
    // When the card is built twice
    const [first, second] = [await buildNodeCard(fixed), await buildNodeCard(fixed)]
    // Then the signature is the same, and another time makes another one
    expect(first.signature).toBe(second.signature)
    const later = await buildNodeCard({...fixed, issuedAt: new Date('2025-01-01T00:00:01.000Z')})
    expect(later.signature).not.toBe(first.signature)
  })

  it('keeps the signed struct of cards already issued: its EIP-712 struct hash is pinned', () => {
    // Given a card's fields (their values need not form a valid card here)
    const {types, primaryType, message} = nodeCardTypedData({
      medrecNodeCard: 1,
      name: 'st-anne',
      signer: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      publicKey: `0x04${'ab'.repeat(64)}`,
      enode: 'cd'.repeat(64),
      host: '203.0.113.7',
      port: 30_311,
      issuedAt: '2025-01-01T00:00:00.000Z',
    })
    // When its struct is hashed, Then the hash is the one NodeCard signatures were made over so far
    expect(hashStruct({types, primaryType, data: message})).toBe(
      '0x37ca8da8cc9aa2cbb27af60fe933c2713930b4805404ed95bfaa8c774d692ecb',
    )
  })

  it.each([
    ['name', 'st-bart'],
    ['host', '198.51.100.66'],
    ['port', 30_304],
    ['enode', null],
    ['issuedAt', '2030-01-01T00:00:00.000Z'],
  ])('refuses a card whose %s was changed after signing, naming the card and both addresses', async (field, value) => {
    // Given a valid card with one field changed afterwards
    const member = await newTestMember('st-anne')
    const other = await newTestMember('st-bart')
    const tampered = cardJson(member.card)
    tampered[field] = value ?? other.card.enode
    // When it is verified, Then it is refused as not signed by its signer
    const error = await verifyNodeCard(tampered, 'cards/st-anne.card.json').catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: errorCodes.CARD_SIGNATURE,
      message: expect.stringContaining('cards/st-anne.card.json'),
    })
    expect((error as Error).message).toContain(`expected a signature by ${member.card.signer}, recovered 0x`)
  })

  it('refuses a card signed by another key, saying which signer was expected and which key signed', async () => {
    // Given st-anne's card fields, signed by Mallory's key instead of st-anne's
    const member = await newTestMember('st-anne')
    const mallory = privateKeyToAccount(generatePrivateKey())
    const {signature: _signature, ...fields} = member.card
    const forged = {...fields, signature: await mallory.signTypedData(nodeCardTypedData(fields))}
    // When it is verified
    const error = await verifyNodeCard(forged, 'st-anne.card.json').catch((e: unknown) => e)
    // Then the card, the expected signer and the recovered one are named
    expect(error).toMatchObject({
      code: errorCodes.CARD_SIGNATURE,
      message: `st-anne.card.json is not signed by its signer: expected a signature by ${member.card.signer}, \
recovered ${mallory.address}.`,
    })
  })

  it("refuses a card whose public key is not its signer's, so no secret is encrypted to someone else", async () => {
    // Given Mallory's public key put into st-anne's card, and the card signed again by Mallory
    const member = await newTestMember('st-anne')
    const mallory = privateKeyToAccount(generatePrivateKey())
    const {signature: _signature, ...fields} = member.card
    const swapped = {...fields, publicKey: mallory.publicKey}
    const card = {...swapped, signature: await mallory.signTypedData(nodeCardTypedData(swapped))}
    // Then it is refused, naming the field
    await expect(verifyNodeCard(card, 'st-anne.card.json')).rejects.toMatchObject({
      code: errorCodes.CARD_INVALID,
      details: [expect.stringMatching(/^publicKey: is the key of 0x\w+, not of the card's signer/)],
    })
  })

  it('reports every invalid field of a card at once, and refuses a field that is not in the format', async () => {
    // Given a card with six problems, among them a private key someone added
    const member = await newTestMember('st-anne')
    const broken = {
      ...cardJson(member.card),
      name: 'St_Anne',
      signer: member.card.signer.toLowerCase(),
      host: 'https://node.example.org',
      port: 0,
      enode: `${'00'.repeat(63)}01`,
      privateKey: member.privateKey,
    }
    // When it is verified
    const error = await verifyNodeCard(broken, 'st-anne.card.json').catch((e: unknown) => e)
    // Then each problem is named with its field
    expect(error).toMatchObject({code: errorCodes.CARD_INVALID, message: 'st-anne.card.json is not a valid node card.'})
    const details = (error as {details: string[]}).details
    for (const field of ['name', 'signer', 'host', 'port', 'enode'])
      expect(details.some((d) => d.startsWith(`${field}: `))).toBe(true)
    expect(details).toContain('(top level): unknown field "privateKey"')
    expect(JSON.stringify(error)).not.toContain(member.privateKey.slice(2))
  })

  it("refuses a name reserved for the tool's own keys, and a card that is not JSON or not there", async () => {
    const member = await newTestMember('st-anne')
    await expect(verifyNodeCard({...cardJson(member.card), name: 'identity'}, 'x')).rejects.toMatchObject({
      code: errorCodes.CARD_INVALID,
      details: [expect.stringMatching(/^name: must not be one of the tool's own key names/)],
    })
    await expect(nodeCardFiles.parse('{"medrecNodeCard": 1,', 'half.card.json')).rejects.toMatchObject({
      code: errorCodes.CARD_INVALID,
      message: expect.stringContaining('half.card.json is not JSON'),
    })
    // (the whole refusal, as a user reads it)
    await expect(nodeCardFiles.parse('', 'half.card.json')).rejects.toMatchObject({
      message: 'half.card.json is not JSON, so not a node card.',
      hint: "Pass the NAME.card.json file its provider's `medrec member init` wrote, unchanged.",
    })
    const dir = await mkdtemp(join(tmpdir(), 'medrec-card-'))
    await expect(nodeCardFiles.read(join(dir, 'none.card.json'))).rejects.toMatchObject({
      code: errorCodes.CARD_MISSING,
      message: `There is no node card at ${join(dir, 'none.card.json')}.`,
      hint: "Check the path: a node card is the NAME.card.json file its provider's `medrec member init` wrote.",
    })
    await writeFile(join(dir, 'ok.card.json'), nodeCardFiles.render(member.card))
    expect(await nodeCardFiles.read(join(dir, 'ok.card.json'))).toEqual(member.card)
  })

  it('accepts a DNS name or an IPv6 address as the host, and writes the enode URL each needs', async () => {
    const byName = await newTestMember('st-anne', {host: 'node-1.st-anne.example.org'})
    const byIpv6 = await newTestMember('st-bart', {host: '2001:db8::7', port: 30_400})
    expect(nodeCardEnodeUrl(byName.card)).toBe(`enode://${byName.card.enode}@node-1.st-anne.example.org:30303`)
    expect(nodeCardEnodeUrl(byIpv6.card)).toBe(`enode://${byIpv6.card.enode}@[2001:db8::7]:30400`)
  })
})
