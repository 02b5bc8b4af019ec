import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {parseEther, type Address} from 'viem'
import {stringify} from 'yaml'

import {pickChainId} from '../chain/well-known-chain-ids.js'
import {
  configFileName,
  configSchemaFileName,
  configVersion,
  networkConfigJsonSchema,
  networkConfigSchema,
  type NetworkConfig,
} from '../config/network-config.js'
import {profileSettings, type NetworkProfile} from '../config/network-profile.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {describeIssues} from '../errors/zod-issues.js'
import {buildCliqueGenesis, genesisFileName} from '../genesis/clique-genesis.js'
import {pinnedGethImage} from '../geth/geth-version.js'
import {ensureIdentityKey} from '../workspace/identity-key.js'
import {ensureStateDir, networkPaths, pathExists} from '../workspace/network-files.js'
import {deployerKeyName, ensureNodeKeys, rpcNodeName} from '../workspace/network-keys.js'
import {ensureNetworkState, readNetworkState} from '../workspace/network-state.js'

/** What the deployer holds at genesis: enough to deploy and fund participants for years. */
export const deployerGenesisBalance = parseEther('1000000')

export type InitNetworkOptions = {
  dir: string
  name?: string
  sealers?: number
  chainId?: number
  allowWellKnownChainId?: boolean
  period?: number
  epoch?: number
  gasLimit?: number
  rpcPort?: number
  image?: string
  /** Light scrypt (geth's LightScryptN) for throwaway chains; much faster, much weaker. */
  lightKdf?: boolean
  /** standard (default) or throwaway: period 1 s and light keys unless said otherwise, chain data in memory. */
  profile?: NetworkProfile
  /** Rewrite medrec.yaml and genesis.json. Existing keys are always kept. */
  force?: boolean
}

export type InitNetworkResult = {
  dir: string
  configFile: string
  genesisFile: string
  chainId: number
  sealers: {name: string; address: Address; keyCreated: boolean}[]
  deployer: Address
  kdf: 'standard' | 'light'
  profile: NetworkProfile
}

/** Writes medrec.yaml, its JSON Schema, genesis.json and every node's keys into `dir`. */
export async function initNetwork(options: InitNetworkOptions): Promise<InitNetworkResult> {
  const paths = networkPaths(options.dir)
  const configFile = join(options.dir, configFileName)
  const genesisFile = join(options.dir, genesisFileName)
  const previousState = await readNetworkState(paths)

  // Whatever the flags: once a chain was created from genesis.json, a new one would not match it.
  if (previousState?.firstUpCompletedAt || previousState?.genesisSha256) {
    throw new MedrecError(
      errorCodes.CONFIG_EXISTS,
      `The network in ${options.dir} has a chain; a new genesis would not match it.`,
      {
        hint: (await pathExists(configFile))
          ? 'Use it as it is (`medrec network up`). Run `medrec network destroy` first if you really want a new ' +
            'chain (its blocks are lost).'
          : `${configFileName} is missing but the chain exists: restore ${configFileName} from your backup (keys \
and genesis.json are still here).`,
      },
    )
  }
  if (!options.force) {
    for (const file of [configFile, genesisFile]) {
      if (await pathExists(file)) {
        throw new MedrecError(errorCodes.CONFIG_EXISTS, `${file} already exists.`, {
          hint:
            'Use it as it is (`medrec network up`), or pass --force to rewrite medrec.yaml and genesis.json; ' +
            'existing keys are kept either way.',
        })
      }
    }
  }

  const sealerCount = options.sealers ?? 3
  if (!Number.isInteger(sealerCount) || sealerCount < 1 || sealerCount > 64) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `--sealers must be a whole number from 1 to 64, not ${sealerCount}.`,
      {
        hint: 'Three sealers tolerate one offline; five tolerate two.',
      },
    )
  }

  const name = options.name ?? 'medrec'
  const chainId = options.chainId ?? pickChainId()
  const profile = options.profile ?? 'standard'
  const settings = profileSettings(profile)
  const lightKdf = (options.lightKdf ?? false) || settings.lightKdf
  // Validate everything the user chose before any file is written.
  const draft = {
    version: configVersion,
    // Written only when it is not the default, so a standard network's file reads as before.
    ...(profile === 'standard' ? {} : {profile}),
    network: {
      name,
      chainId,
      ...(options.allowWellKnownChainId ? {allowWellKnownChainId: true} : {}),
      period: options.period ?? settings.defaultPeriod,
      epoch: options.epoch ?? 30_000,
      gasLimit: options.gasLimit ?? 30_000_000,
    },
    image: options.image ?? pinnedGethImage,
    rpc: {host: '127.0.0.1', port: options.rpcPort ?? 8545, vhosts: ['localhost', '127.0.0.1']},
    sealers: Array.from({length: sealerCount}, (_, i) => ({
      name: `sealer-${i + 1}`,
      // Placeholder until the key exists; distinct so the duplicate check stays meaningful.
      address: `0x${(i + 1).toString(16).padStart(40, '0')}`,
      p2pPort: 30_303 + i,
    })),
  }
  const checked = networkConfigSchema.safeParse(draft)
  if (!checked.success) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'The options given would make an invalid network.', {
      details: describeIssues(checked.error),
      hint: 'Correct the flags named.',
    })
  }

  await mkdir(options.dir, {recursive: true})
  await ensureStateDir(paths)
  const sealers: InitNetworkResult['sealers'] = []
  for (const sealer of draft.sealers) {
    const {address, created} = await ensureNodeKeys(paths, sealer.name, {account: true, lightKdf})
    sealer.address = address!
    sealers.push({name: sealer.name, address: address!, keyCreated: created})
  }
  await ensureNodeKeys(paths, rpcNodeName, {account: false, lightKdf})
  const deployer = (await ensureNodeKeys(paths, deployerKeyName, {account: true, lightKdf})).address!
  await ensureIdentityKey(paths)

  const config: NetworkConfig = networkConfigSchema.parse(draft)
  const genesis = await buildCliqueGenesis({
    chainId: config.network.chainId,
    period: config.network.period,
    epoch: config.network.epoch,
    gasLimit: config.network.gasLimit,
    signers: config.sealers.map((s) => s.address),
    alloc: {[deployer]: deployerGenesisBalance},
  })
  await writeFile(join(options.dir, configSchemaFileName), `${JSON.stringify(networkConfigJsonSchema(), null, 2)}\n`)
  await writeFile(genesisFile, `${JSON.stringify(genesis, null, 2)}\n`)
  // The config is written last: its presence means "initialised".
  await writeFile(configFile, renderConfigYaml(draft))
  if (!previousState) await ensureNetworkState(paths)

  return {
    dir: options.dir,
    configFile,
    genesisFile,
    chainId,
    sealers,
    deployer,
    kdf: lightKdf ? 'light' : 'standard',
    profile,
  }
}

function renderConfigYaml(config: unknown): string {
  return [
    `# yaml-language-server: $schema=./${configSchemaFileName}`,
    '# MedRec network configuration. Keys and passwords are in .medrec/keys (never commit them).',
    '# After the first `medrec network up`, chain-defining fields (chainId, period, epoch,',
    '# sealers) are fixed by genesis.json; change sealers with `medrec provider add/remove`.',
    stringify(config, {lineWidth: 0}),
  ].join('\n')
}

/** True if `dir` holds a medrec.yaml. */
export async function isNetworkInitialised(dir: string): Promise<boolean> {
  return pathExists(join(dir, configFileName))
}
