import secp256k1 from 'secp256k1'
import {getAddress, hexToBytes, parseAbiParameters, recoverTypedDataAddress, type Address, type Hex} from 'viem'
import {privateKeyToAccount, publicKeyToAddress} from 'viem/accounts'
import {z} from 'zod'

import {hostSchema, memberNameSchema} from '../config/member-config.js'
import {portSchema} from '../config/network-config.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {describeIssues} from '../errors/zod-issues.js'
import {nodeIdFromNodeKey} from '../keys/node-key.js'
import {documentSignatureSchema, receivedDocumentFile} from './received-document.js'

/**
 * A node card: the public, signed description of one provider's node that it sends to the
 * others (the convener, to found a consortium; a member, to be proposed as a joiner). It holds
 * no secret: a name, the signer address (also the provider's account), the signer's public key
 * (so consortium secrets can be encrypted to it), the node key's public key (the enode id) and
 * where the node is reachable. The signer key signs it with EIP-712, so a changed field or
 * another key's signature is caught by whoever receives it.
 */
export const nodeCardFormat = 1

/** The file a member's card is written to in its workspace, and the name it is sent around under. */
export function nodeCardFileName(memberName: string): string {
  return `${memberName}.card.json`
}

const checksummedAddressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address')
  .refine((address) => address === getAddress(address), 'must be written with its EIP-55 checksum')
  .transform((address) => address as Address)

export const nodeCardSchema = z.strictObject({
  medrecNodeCard: z.literal(nodeCardFormat),
  name: memberNameSchema,
  signer: checksummedAddressSchema,
  publicKey: z
    .string()
    .regex(/^0x04[0-9a-f]{128}$/, "must be the signer's uncompressed public key: 0x04 and 128 lowercase hex digits")
    .refine((key) => secp256k1.publicKeyVerify(hexToBytes(key as Hex)), 'is not a point on secp256k1')
    .transform((key) => key as Hex),
  enode: z
    .string()
    .regex(/^[0-9a-f]{128}$/, 'must be the node id of an enode URL: 128 lowercase hex digits')
    .refine((id) => secp256k1.publicKeyVerify(hexToBytes(`0x04${id}`)), 'is not a point on secp256k1'),
  host: hostSchema,
  port: portSchema,
  issuedAt: z.iso.datetime({offset: true}),
  signature: documentSignatureSchema,
})

export type NodeCard = z.output<typeof nodeCardSchema>
export type UnsignedNodeCard = Omit<NodeCard, 'signature'>

/** EIP-712 domain of node cards: no chainId, since a card exists before any chain does. */
export const nodeCardDomain = {name: 'MedRec node card', version: '1'} as const

/** Every field but the signature is signed. */
export const nodeCardTypes = {
  NodeCard: parseAbiParameters([
    'uint8 medrecNodeCard, string name, address signer, bytes publicKey',
    'bytes enode, string host, uint16 port, string issuedAt',
  ]),
} as const

/** The EIP-712 typed data a card's signature is over. */
export function nodeCardTypedData(card: UnsignedNodeCard) {
  return {
    domain: nodeCardDomain,
    types: nodeCardTypes,
    primaryType: 'NodeCard',
    message: {
      medrecNodeCard: card.medrecNodeCard,
      name: card.name,
      signer: card.signer,
      publicKey: card.publicKey,
      enode: `0x${card.enode}` as Hex,
      host: card.host,
      port: card.port,
      issuedAt: card.issuedAt,
    },
  } as const
}

export type BuildNodeCardParameters = {
  name: string
  /** The member's signer key (its sealer keystore's key). */
  privateKey: Hex
  /** The member's devp2p node key, as in its nodekey file (64 hex digits). */
  nodeKey: string
  host: string
  port: number
  issuedAt: Date
}

/** Builds and signs a member's card; checks it the way a receiver will before returning it. */
export async function buildNodeCard(parameters: BuildNodeCardParameters): Promise<NodeCard> {
  const account = privateKeyToAccount(parameters.privateKey)
  const unsigned: UnsignedNodeCard = {
    medrecNodeCard: nodeCardFormat,
    name: parameters.name,
    signer: account.address,
    publicKey: account.publicKey,
    enode: nodeIdFromNodeKey(parameters.nodeKey),
    host: parameters.host,
    port: parameters.port,
    issuedAt: parameters.issuedAt.toISOString(),
  }
  const signature = await account.signTypedData(nodeCardTypedData(unsigned))
  return verifyNodeCard({...unsigned, signature}, `the card of ${parameters.name}`)
}

/**
 * Checks a card as received: its fields (every problem named), that its public key is its
 * signer's, and that its signer signed exactly these fields. `source` (a file, or a place in
 * a bundle) names the card in messages.
 */
export async function verifyNodeCard(value: unknown, source: string): Promise<NodeCard> {
  const parsed = nodeCardSchema.safeParse(value)
  if (!parsed.success) {
    throw new MedrecError(errorCodes.CARD_INVALID, `${source} is not a valid node card.`, {
      details: describeIssues(parsed.error, 'field'),
      hint: 'Ask its provider for a fresh card (`medrec member card` writes one); a card is never edited by hand.',
    })
  }
  const card = parsed.data
  const keyOwner = publicKeyToAddress(card.publicKey)
  if (keyOwner !== card.signer) {
    throw new MedrecError(errorCodes.CARD_INVALID, `${source} is not a valid node card.`, {
      details: [`publicKey: is the key of ${keyOwner}, not of the card's signer ${card.signer}`],
      hint:
        "Secrets are encrypted to this key, so it must be the signer's own. Ask its provider for a fresh card " +
        '(`medrec member card`).',
    })
  }
  const {signature, ...unsigned} = card
  const recovered = await recoverTypedDataAddress({...nodeCardTypedData(unsigned), signature})
  if (recovered !== card.signer) {
    throw new MedrecError(
      errorCodes.CARD_SIGNATURE,
      `${source} is not signed by its signer: expected a signature by ${card.signer}, recovered ${recovered}.`,
      {
        details: [
          `card of "${card.name}", signer ${card.signer}`,
          'a field was changed after signing, or another key signed it',
        ],
        hint:
          'Do not use this card. Ask its provider, over a channel you trust, for a fresh one ' +
          '(`medrec member card`), and compare the signer address with them.',
      },
    )
  }
  return card
}

/** Card files: `nodeCardFiles.read(path)`, `.parse(text, source)`, `.render(card)`. */
export const nodeCardFiles = receivedDocumentFile({
  kind: 'node card',
  verify: verifyNodeCard,
  codes: {invalid: errorCodes.CARD_INVALID, missing: errorCodes.CARD_MISSING},
  origin: "the NAME.card.json file its provider's `medrec member init` wrote",
})

/** The URL other nodes dial this card's node at. */
export function nodeCardEnodeUrl(card: Pick<NodeCard, 'enode' | 'host' | 'port'>): string {
  const host = card.host.includes(':') ? `[${card.host}]` : card.host
  return `enode://${card.enode}@${host}:${card.port}`
}
