import {z} from 'zod'

import {wellKnownChainIds} from '../chain/well-known-chain-ids.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {explainUnsupportedImageTag, pinnedGethImage} from '../geth/geth-version.js'
import {networkProfiles} from './network-profile.js'

export const configFileName = 'medrec.yaml'
export const configSchemaFileName = 'medrec.schema.json'
export const configVersion = 1

/** Key names the tool uses itself under .medrec/keys. */
export const reservedNodeNames = ['rpc', 'deployer', 'identity', 'reconciler']
/** Every name that becomes a key folder, a container or a provider: sealers, accounts, providers. */
export const nodeNamePattern = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/

/** Refuses a name for a new sealer or provider: the pattern above, and none of the tool's own keys. */
export function assertNodeName(name: string, what: string): void {
  if (!nodeNamePattern.test(name) || reservedNodeNames.includes(name)) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, `"${name}" is not a valid ${what} name.`, {
      hint: `Use 2-32 lowercase letters, digits or dashes, starting with a letter; ${reservedNodeNames.join(', ')} \
are taken.`,
    })
  }
}
const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address')
  .describe("The sealer's Clique signer address (its keystore account).")
export const portSchema = z.number().int().min(1).max(65_535)
export const ipv4Pattern = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/
/** Host address the keyless RPC node's JSON-RPC port is published on: loopback unless chosen otherwise. */
export const rpcHostSchema = z
  .string()
  .regex(ipv4Pattern, 'must be an IPv4 address such as 127.0.0.1')
  .default('127.0.0.1')
  .describe("Host address the keyless RPC node's JSON-RPC port is published on.")
/** Host port of the keyless RPC node's JSON-RPC. */
export const rpcPortSchema = portSchema.default(8545).describe("Host port of the keyless RPC node's JSON-RPC.")
const subnetPattern = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){2}\.0\/24$/

export const sealerConfigSchema = z.strictObject({
  name: z
    .string()
    .regex(nodeNamePattern, 'must be 2-32 lowercase letters, digits or dashes, starting with a letter')
    .describe("Name of the provider's sealer node; names its container, volume and key files."),
  address: addressSchema,
  p2pPort: portSchema.describe('Devp2p listening port inside the Docker network (never published on the host).'),
})

/** The fields that define a chain, shared by medrec.yaml and a consortium bundle's `network`. */
export const networkNameSchema = z
  .string()
  .regex(nodeNamePattern, 'must be 2-32 lowercase letters, digits or dashes, starting with a letter')
  .describe('Network name; prefixes every Docker container, volume and network the tool creates.')
export const chainIdSchema = z
  .number()
  .int()
  .min(1)
  .max(Number.MAX_SAFE_INTEGER)
  .describe('EIP-155 chain id of this network; must be its own.')
export const periodSchema = z
  .number()
  .int()
  // Period 0 ("seal only with transactions") is refused rather than supported: an idle
  // chain makes no block, so nothing proves a signer can seal, the keyless RPC node
  // (which drops propagated blocks until it has synced once) never syncs, and every
  // sealer seals its own block for the same first transaction: the contested block 1
  // that start-whole-network.ts exists to prevent (clique.go:624 pauses sealing on no txs).
  .min(
    1,
    'must be at least 1 second: period 0 seals only when a transaction is waiting, so an idle chain stalls: ' +
      'no block proves the sealers work, the RPC node cannot sync, and block-based waits never end',
  )
  .max(3600)
  .describe('Clique block period in seconds.')
export const epochSchema = z
  .number()
  .int()
  .min(1)
  .describe('Blocks between Clique checkpoints; pending votes are cleared at each.')
export const gasLimitSchema = z
  .number()
  .int()
  .min(5_000_000)
  .max(2_000_000_000)
  .describe("Gas limit of the genesis block and the sealers' target.")

export const networkConfigSchema = z
  .strictObject({
    version: z.literal(configVersion).describe("Version of this file's format."),
    profile: z
      .enum(networkProfiles)
      .default('standard')
      .describe(
        'standard: chain data on volumes that survive down/up, restart policy, vote reconciler. throwaway (tests, ' +
          'CI): chain data in memory (tmpfs), no restarts, no reconciler, every Docker object labelled ' +
          'org.medrec.profile=throwaway; `down` is refused (it would lose the chain). Fixed at the first `up`.',
      ),
    network: z.strictObject({
      name: networkNameSchema,
      chainId: chainIdSchema,
      allowWellKnownChainId: z
        .boolean()
        .default(false)
        .describe('Allow a chain id that belongs to a public network or a development tool. Almost never right.'),
      period: periodSchema,
      epoch: epochSchema.default(30_000),
      gasLimit: gasLimitSchema,
      subnet: z
        .string()
        .regex(subnetPattern, 'must be an IPv4 /24 such as 10.213.5.0/24')
        .optional()
        .describe('Docker subnet for the nodes (a /24). Chosen automatically among free ones when absent.'),
    }),
    image: z
      .string()
      .min(1)
      .default(pinnedGethImage)
      .describe(`Geth image. Only geth 1.13.x seals Clique; the default is ${pinnedGethImage}.`),
    rpc: z.strictObject({
      host: rpcHostSchema,
      port: rpcPortSchema,
      vhosts: z
        .array(
          z
            .string()
            .regex(
              /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/,
              'must be one host name or IP address, without "*", commas or spaces',
            ),
        )
        .min(1)
        .default(['localhost', '127.0.0.1'])
        .describe('Host names the RPC node accepts in the HTTP Host header (never "*").'),
    }),
    sealers: z.array(sealerConfigSchema).min(1, 'needs at least one sealer').describe("The providers' sealer nodes."),
    reconciler: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe('Run the vote reconciler, which casts recorded Clique votes again after a sealer restarts.'),
      })
      .default({enabled: true})
      .describe('The vote reconciler: a container next to the sealers (`medrec network up` starts it).'),
  })
  .superRefine((config, ctx) => {
    const knownName = wellKnownChainIds.get(config.network.chainId)
    if (knownName !== undefined && !config.network.allowWellKnownChainId) {
      ctx.addIssue({
        code: 'custom',
        path: ['network', 'chainId'],
        message: `${config.network.chainId} is the chain id of ${knownName}; choose one of the network's own (or \
set network.allowWellKnownChainId: true)`,
      })
    }
    const imageProblem = explainUnsupportedImageTag(config.image)
    if (imageProblem) ctx.addIssue({code: 'custom', path: ['image'], message: imageProblem})
    reportDuplicates(ctx, config.sealers, (s) => s.name, 'name', 'sealer name')
    reportDuplicates(ctx, config.sealers, (s) => s.address.toLowerCase(), 'address', 'sealer address')
    reportDuplicates(ctx, config.sealers, (s) => String(s.p2pPort), 'p2pPort', 'sealer p2p port')
    for (const [index, sealer] of config.sealers.entries()) {
      if (reservedNodeNames.includes(sealer.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sealers', index, 'name'],
          message: `"${sealer.name}" is reserved (the tool's own nodes and keys use it)`,
        })
      }
    }
  })

function reportDuplicates<T>(
  ctx: z.RefinementCtx,
  items: T[],
  keyOf: (item: T) => string,
  field: string,
  label: string,
): void {
  const firstIndex = new Map<string, number>()
  for (const [index, item] of items.entries()) {
    const key = keyOf(item)
    const first = firstIndex.get(key)
    if (first === undefined) {
      firstIndex.set(key, index)
      continue
    }
    ctx.addIssue({
      code: 'custom',
      path: ['sealers', index, field],
      message: `duplicate ${label} "${key}" (also sealers.${first}.${field})`,
    })
  }
}

/** medrec.yaml after validation and defaults. */
export type NetworkConfig = z.output<typeof networkConfigSchema>
export type SealerConfig = z.output<typeof sealerConfigSchema>

/** JSON Schema of medrec.yaml for editors (yaml-language-server reads the modeline). */
export function networkConfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(networkConfigSchema, {io: 'input', unrepresentable: 'any'})
  return {...schema, title: 'MedRec network configuration (medrec.yaml)'}
}
