import {
  getAddress,
  keccak256,
  parseAbiParameters,
  recoverTypedDataAddress,
  stringToBytes,
  toHex,
  type Address,
  type Hex,
} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'
import {z} from 'zod'

import {chainIdSchema, epochSchema, gasLimitSchema, networkNameSchema, periodSchema} from '../config/network-config.js'
import {canonicalJson} from '../encoding/canonical-json.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {describeIssues} from '../errors/zod-issues.js'
import {parseCliqueExtraData} from '../genesis/clique-extra-data.js'
import {findGenesisProblems, type CliqueGenesis} from '../genesis/clique-genesis.js'
import {explainUnsupportedImageTag} from '../geth/geth-version.js'
import {verifyNodeCard, type NodeCard} from './node-card.js'
import {documentSignatureSchema, receivedDocumentFile} from './received-document.js'

/**
 * A consortium bundle: everything a member needs to run its part of the consortium and to
 * trust what the others run, in one file that any member re-signs when it changes: the
 * network's settings, its genesis (and that genesis's digest), every member's and joiner's
 * node card, the deployed contracts once there are some, and the consortium's secrets, each
 * encrypted to one member's key. It is signed (EIP-712) by the member who exported it.
 */
export const bundleFormat = 1

/** Where a member workspace keeps the last bundle it verified. */
export const bundleFileName = 'consortium.bundle.json'

const bytes32Schema = z
  .string()
  .regex(/^0x[0-9a-f]{64}$/, 'must be 32 bytes of lowercase hex')
  .transform((value) => value as Hex)
const isChecksummedAddress = (value: string) => /^0x[0-9a-fA-F]{40}$/.test(value) && value === getAddress(value)
const addressSchema = z
  .string()
  .refine(isChecksummedAddress, 'must be a 0x-prefixed address written with its EIP-55 checksum')
  .transform((value) => value as Address)

/** Contracts listed by the name of the compiled contract (Registrar, Consortium, …), as in state.json. */
export const bundleContractsSchema = z.record(
  z.string().regex(/^[A-Z][A-Za-z0-9]{0,63}$/, 'must be a contract name such as Registrar'),
  z.strictObject({
    address: addressSchema,
    codeHash: bytes32Schema.describe('keccak256 of the runtime code deployed at the address'),
  }),
)

export type BundleContracts = z.output<typeof bundleContractsSchema>

export const bundleNetworkSchema = z.strictObject({
  name: networkNameSchema,
  chainId: chainIdSchema,
  period: periodSchema,
  epoch: epochSchema,
  gasLimit: gasLimitSchema,
  image: z.string().min(1).describe('The geth image every member runs.'),
})

export type BundleNetwork = z.output<typeof bundleNetworkSchema>

const consortiumBundleSchema = z.strictObject({
  medrecConsortiumBundle: z.literal(bundleFormat),
  revision: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  network: bundleNetworkSchema,
  genesis: z.record(z.string(), z.unknown()),
  genesisDigest: bytes32Schema,
  // Cards are checked one by one afterwards, so that a bad one is named with its own problems.
  members: z.array(z.unknown()).min(1, 'a consortium has at least one member (its founder)'),
  joining: z.array(z.unknown()),
  contracts: bundleContractsSchema.nullable(),
  secrets: z.strictObject({
    identityHmacKey: z.record(
      z.string().refine(isChecksummedAddress, 'must be a member signer address with its EIP-55 checksum'),
      z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64'),
    ),
  }),
  exportedBy: addressSchema,
  exportedAt: z.iso.datetime({offset: true}),
  signature: documentSignatureSchema,
})

/** A verified bundle. */
export type ConsortiumBundle = {
  medrecConsortiumBundle: typeof bundleFormat
  /** Grows by one with every export; a member never accepts a lower one than it holds. */
  revision: number
  network: BundleNetwork
  genesis: CliqueGenesis
  /** keccak256 of the genesis's canonical JSON. */
  genesisDigest: Hex
  /** Founders and admitted providers: the members whose signers seal. */
  members: NodeCard[]
  /** Proposed providers, not yet admitted: their nodes may start and sync. */
  joining: NodeCard[]
  contracts: BundleContracts | null
  /** Each secret as base64 ECIES ciphertext, by the signer address of the member it is encrypted to. */
  secrets: {identityHmacKey: Record<Address, string>}
  exportedBy: Address
  exportedAt: string
  signature: Hex
}

export type UnsignedBundle = Omit<ConsortiumBundle, 'signature'>

/** What a bundle says, apart from who exported it, when, and its revision. */
export type BundleContent = Omit<ConsortiumBundle, 'revision' | 'exportedBy' | 'exportedAt' | 'signature'>

/** keccak256 of a genesis's canonical JSON (RFC 8785): independent of how the file is laid out. */
export function genesisDigest(genesis: CliqueGenesis | Record<string, unknown>): Hex {
  return keccak256(stringToBytes(canonicalJson(genesis)))
}

/** keccak256 of the canonical JSON of everything the signature covers: the whole bundle but `signature`. */
export function bundleContentHash(bundle: UnsignedBundle | ConsortiumBundle): Hex {
  const {signature: _signature, ...unsigned} = bundle as ConsortiumBundle
  return keccak256(stringToBytes(canonicalJson(unsigned)))
}

/** keccak256 of what a bundle says, ignoring who exported it, when, and under which revision. */
export function bundleSubstanceHash(bundle: BundleContent | ConsortiumBundle): Hex {
  const {
    revision: _revision,
    exportedBy: _exportedBy,
    exportedAt: _exportedAt,
    signature: _signature,
    ...content
  } = bundle as ConsortiumBundle
  return keccak256(stringToBytes(canonicalJson(content)))
}

/** EIP-712 domain of bundles: bound to the consortium's chain. */
export function bundleDomain(chainId: number) {
  return {name: 'MedRec consortium bundle', version: '1', chainId} as const
}

export const bundleTypes = {
  ConsortiumBundle: parseAbiParameters('string network, uint256 revision, address exportedBy, bytes32 contentHash'),
} as const

/** The EIP-712 typed data a bundle's signature is over. */
export function bundleTypedData(bundle: UnsignedBundle) {
  return {
    domain: bundleDomain(bundle.network.chainId),
    types: bundleTypes,
    primaryType: 'ConsortiumBundle',
    message: {
      network: bundle.network.name,
      revision: BigInt(bundle.revision),
      exportedBy: bundle.exportedBy,
      contentHash: bundleContentHash(bundle),
    },
  } as const
}

/** Signs a bundle with its exporter's key (which must be `exportedBy`'s). */
export async function signBundle(bundle: UnsignedBundle, privateKey: Hex): Promise<ConsortiumBundle> {
  const account = privateKeyToAccount(privateKey)
  if (account.address !== bundle.exportedBy) {
    throw new Error(`signBundle: the key of ${account.address} cannot sign a bundle exported by ${bundle.exportedBy}`)
  }
  return {...bundle, signature: await account.signTypedData(bundleTypedData(bundle))}
}

/**
 * Checks a bundle on its own, before it is compared with anything this member already holds:
 * its fields; that its genesis is the one its digest names; that its exporter signed it and is
 * a member; every card; that network settings, genesis and signers agree; and that every
 * member, and only members, has a secret. `source` (a file) names it in messages.
 */
export async function verifyBundle(value: unknown, source: string): Promise<ConsortiumBundle> {
  const parsed = consortiumBundleSchema.safeParse(value)
  if (!parsed.success) {
    throw new MedrecError(errorCodes.BUNDLE_INVALID, `${source} is not a valid consortium bundle.`, {
      details: describeIssues(parsed.error, 'field'),
      hint:
        'Ask a member for the bundle file as `medrec consortium export` wrote it; a bundle is never edited ' +
        'by hand.',
    })
  }
  const raw = parsed.data

  const actualDigest = genesisDigest(raw.genesis)
  if (actualDigest !== raw.genesisDigest) {
    throw new MedrecError(
      errorCodes.BUNDLE_GENESIS_CHANGED,
      `The genesis in ${source} was changed after it was exported: it hashes to ${actualDigest}, the bundle names \
${raw.genesisDigest}.`,
      {
        hint:
          "A chain's genesis never changes. Do not use this bundle; ask a member for a fresh export " +
          '(`medrec consortium export`).',
      },
    )
  }

  // Cast only for hashing and signature recovery; the cards and genesis are checked below.
  const bundle = raw as unknown as ConsortiumBundle
  const recovered = await recoverTypedDataAddress({...bundleTypedData(bundle), signature: bundle.signature})
  if (recovered !== bundle.exportedBy) {
    throw new MedrecError(
      errorCodes.BUNDLE_SIGNATURE,
      `${source} is not signed by its exporter: expected a signature by ${bundle.exportedBy}, recovered ${recovered}.`,
      {
        details: ['a field was changed after signing, or another key signed it'],
        hint: 'Do not use this bundle. Ask a member for a fresh export (`medrec consortium export`).',
      },
    )
  }

  const members: NodeCard[] = []
  for (const [index, card] of raw.members.entries())
    members.push(await verifyNodeCard(card, `${source} (members[${index}])`))
  const joining: NodeCard[] = []
  for (const [index, card] of raw.joining.entries())
    joining.push(await verifyNodeCard(card, `${source} (joining[${index}])`))
  const verified: ConsortiumBundle = {...bundle, members, joining}

  if (!members.some((card) => card.signer === verified.exportedBy)) {
    throw new MedrecError(
      errorCodes.BUNDLE_SIGNER_NOT_MEMBER,
      `${source} was exported by ${verified.exportedBy}, which is not one of its members.`,
      {
        details: [`members: ${members.map((card) => `${card.name} (${card.signer})`).join(', ')}`],
        hint: 'Only a member may export the consortium bundle. Ask a member for its export.',
      },
    )
  }

  const problems = [...findBundleConsistencyProblems(verified)]
  if (problems.length > 0) {
    throw new MedrecError(errorCodes.BUNDLE_INVALID, `${source} is not a consistent consortium bundle.`, {
      details: problems,
      hint: 'Ask a member for a fresh export (`medrec consortium export`); a bundle is never edited by hand.',
    })
  }
  return verified
}

/** Every way the parts of a signed bundle disagree with each other. */
function* findBundleConsistencyProblems(bundle: ConsortiumBundle): Generator<string> {
  const {network, genesis} = bundle
  for (const problem of findGenesisProblems(genesis)) yield `genesis: ${problem}`
  const config = (genesis as Partial<CliqueGenesis>).config
  if (config?.chainId !== network.chainId)
    yield `network.chainId: ${network.chainId}, but genesis.config.chainId is ${config?.chainId}`
  if (config?.clique?.period !== network.period)
    yield `network.period: ${network.period}, but genesis.config.clique.period is ${config?.clique?.period}`
  if (config?.clique?.epoch !== network.epoch)
    yield `network.epoch: ${network.epoch}, but genesis.config.clique.epoch is ${config?.clique?.epoch}`
  if (genesis.gasLimit !== toHex(network.gasLimit))
    yield `network.gasLimit: ${network.gasLimit}, but genesis.gasLimit is ${String(genesis.gasLimit)}`
  const imageProblem = explainUnsupportedImageTag(network.image)
  if (imageProblem) yield `network.image: ${imageProblem}`

  // At its founding the genesis signers are exactly the members: nobody seals who has no card.
  if (bundle.revision === 1 && typeof genesis.extraData === 'string') {
    const signers = new Set(parseCliqueExtraData(genesis.extraData).signers)
    const founders = new Set(bundle.members.map((card) => card.signer))
    for (const signer of signers)
      if (!founders.has(signer)) yield `genesis.extraData: signer ${signer} has no card among the members`
    for (const founder of founders)
      if (!signers.has(founder)) yield `members: ${founder} is a founder but not a signer in genesis.extraData`
  }

  const cards = [
    ...bundle.members.map((card, index) => ({card, where: `members[${index}]`})),
    ...bundle.joining.map((card, index) => ({card, where: `joining[${index}]`})),
  ]
  yield* findDuplicateCards(cards)

  const memberSigners = new Set(bundle.members.map((card) => card.signer))
  const secretHolders = new Set(Object.keys(bundle.secrets.identityHmacKey) as Address[])
  for (const card of bundle.members)
    if (!secretHolders.has(card.signer))
      yield `secrets.identityHmacKey: nothing for member ${card.name} (${card.signer})`
  for (const holder of secretHolders)
    if (!memberSigners.has(holder)) yield `secrets.identityHmacKey.${holder}: not a member`
}

/** Cards that name the same signer, name, node or address as an earlier one, each with where both are. */
export function* findDuplicateCards(cards: readonly {card: NodeCard; where: string}[]): Generator<string> {
  const keys: {label: string; of: (card: NodeCard) => string}[] = [
    {label: 'signer', of: (card) => card.signer},
    {label: 'name', of: (card) => card.name},
    {label: 'node (enode)', of: (card) => card.enode},
    {label: 'address', of: (card) => `${card.host.toLowerCase()}:${card.port}`},
  ]
  for (const {label, of} of keys) {
    const first = new Map<string, string>()
    for (const {card, where} of cards) {
      const key = of(card)
      const earlier = first.get(key)
      if (earlier === undefined) first.set(key, where)
      else
        yield `${where}: the same ${label} as ${earlier} (${label === 'node (enode)' ? `${key.slice(0, 16)}…` : key})`
    }
  }
}

/** Bundle files: `bundleFiles.read(path)`, `.parse(text, source)`, `.render(bundle)`. */
export const bundleFiles = receivedDocumentFile({
  kind: 'consortium bundle',
  verify: verifyBundle,
  codes: {invalid: errorCodes.BUNDLE_INVALID, missing: errorCodes.BUNDLE_MISSING},
  origin: "the bundle file a member's `medrec consortium export` wrote",
})
