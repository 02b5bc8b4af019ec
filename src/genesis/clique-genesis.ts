import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {getAddress, toHex, type Address, type Hex} from 'viem'

import {wellKnownChainIds} from '../chain/well-known-chain-ids.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {parseJson} from '../errors/parse-json.js'
import {buildCliqueExtraData, parseCliqueExtraData} from './clique-extra-data.js'

export const genesisFileName = 'genesis.json'

/** The genesis subset the tool writes and checks. Unknown fields are kept as they are. */
export type CliqueGenesis = {
  config: Record<string, unknown> & {chainId: number; clique?: {period: number; epoch: number}}
  nonce: Hex
  timestamp: Hex
  extraData: Hex
  gasLimit: Hex
  difficulty: Hex
  mixHash: Hex
  coinbase: Address
  alloc: Record<string, {balance: Hex}>
  [key: string]: unknown
}

export type BuildCliqueGenesisOptions = {
  chainId: number
  period: number
  epoch: number
  gasLimit: number
  signers: readonly string[]
  /** Accounts funded at genesis (the deployer), in wei. */
  alloc?: Record<string, bigint>
}

const templatePath = fileURLToPath(new URL('../../genesis/clique-london.json', import.meta.url))

/** Builds a Clique genesis with every fork up to London at block 0 and nothing later. */
export async function buildCliqueGenesis(options: BuildCliqueGenesisOptions): Promise<CliqueGenesis> {
  const template = JSON.parse(await readFile(templatePath, 'utf8')) as CliqueGenesis
  const alloc: CliqueGenesis['alloc'] = {}
  for (const [address, wei] of Object.entries(options.alloc ?? {})) {
    alloc[getAddress(address).slice(2).toLowerCase()] = {balance: toHex(wei)}
  }
  return {
    ...template,
    config: {...template.config, chainId: options.chainId, clique: {period: options.period, epoch: options.epoch}},
    extraData: buildCliqueExtraData(options.signers),
    gasLimit: toHex(options.gasLimit),
    alloc,
  }
}

const forbiddenTimeForks = ['shanghaiTime', 'cancunTime', 'pragueTime', 'osakaTime', 'verkleTime'] as const

/**
 * Lists every reason geth 1.13 would not seal this genesis as a Clique chain, or would
 * seal it with a different signer set than intended. Empty when it is sound.
 */
export function findGenesisProblems(genesis: unknown, options: {allowWellKnownChainId?: boolean} = {}): string[] {
  const problems: string[] = []
  if (typeof genesis !== 'object' || genesis === null) return ['is not a JSON object']
  const g = genesis as Record<string, unknown>
  const config = g.config as Record<string, unknown> | undefined
  if (typeof config !== 'object' || config === null) return ['config: missing']

  const chainId = config.chainId
  if (typeof chainId !== 'number' || !Number.isSafeInteger(chainId) || chainId < 1)
    problems.push('config.chainId: missing or not a positive integer')
  else if (wellKnownChainIds.has(chainId) && !options.allowWellKnownChainId) {
    problems.push(
      `config.chainId: ${chainId} belongs to ${wellKnownChainIds.get(chainId)}; use the network's own chain id`,
    )
  }

  const clique = config.clique as Record<string, unknown> | undefined
  if (typeof clique !== 'object' || clique === null)
    problems.push('config.clique: missing; this is not a Clique genesis')
  else {
    if (typeof clique.period !== 'number' || !Number.isInteger(clique.period) || clique.period < 1) {
      problems.push('config.clique.period: must be a whole number of seconds, at least 1 (0 stalls an idle chain)')
    }
    if (typeof clique.epoch !== 'number' || !Number.isInteger(clique.epoch) || clique.epoch < 1)
      problems.push('config.clique.epoch: must be a positive whole number')
  }

  for (const fork of forbiddenTimeForks) {
    if (config[fork] !== undefined)
      problems.push(
        `config.${fork}: geth 1.13's Clique rejects post-London headers; remove it (genesis stops at London)`,
      )
  }
  if (config.terminalTotalDifficultyPassed === true) {
    problems.push('config.terminalTotalDifficultyPassed: true silently disables Clique sealing; remove it')
  }
  if (config.terminalTotalDifficulty !== undefined)
    problems.push('config.terminalTotalDifficulty: a Clique chain never merges; remove it')
  if (config.londonBlock === undefined)
    problems.push('config.londonBlock: missing; forks up to London must be enabled at block 0')

  const extraData = g.extraData ?? g.extradata
  if (typeof extraData !== 'string') problems.push('extraData: missing')
  else problems.push(...parseCliqueExtraData(extraData).problems.map((p) => `extraData: ${p}`))
  return problems
}

/** Reads genesis.json from `dir`, refusing one geth would misread; returns it with its signers. */
export async function loadCliqueGenesis(
  dir: string,
): Promise<{genesis: CliqueGenesis; signers: Address[]; text: string}> {
  const path = join(dir, genesisFileName)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new MedrecError(errorCodes.CONFIG_NOT_FOUND, `No ${genesisFileName} in ${dir}.`, {
      hint: 'Run `medrec network init` to write one.',
      cause: error,
    })
  }
  const genesis = parseJson(
    text,
    (cause) =>
      new MedrecError(errorCodes.GENESIS_INVALID, `${path} is not valid JSON.`, {
        hint: 'Regenerate it with `medrec network init --force`.',
        cause,
      }),
  )
  const problems = findGenesisProblems(genesis)
  if (problems.length > 0) {
    throw new MedrecError(errorCodes.GENESIS_INVALID, `${path} is not a genesis geth 1.13 can seal as intended.`, {
      details: problems,
      hint: 'Fix the fields listed, or regenerate it with `medrec network init --force` (keys are kept).',
    })
  }
  const typed = genesis as CliqueGenesis
  return {
    genesis: typed,
    signers: parseCliqueExtraData(typed.extraData ?? (typed as {extradata?: Hex}).extradata!).signers,
    text,
  }
}
