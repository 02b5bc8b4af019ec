import {createRequire} from 'node:module'
import {z} from 'zod'

import {MedrecError} from '../errors/medrec-error.js'
import {describeIssues} from '../errors/zod-issues.js'
import {errorCodes} from '../errors/error-codes.js'

/** The EVM versions MedRec compiles for; `london` is what geth 1.13 Clique runs. */
export type EvmVersion = 'london' | 'paris' | 'shanghai' | 'cancun'

/** Compiler settings that go into the standard-JSON input verbatim. */
export type SolcSettings = {evmVersion: EvmVersion; optimizerRuns: number}

/** One contract as solc emits it, before MedRec turns it into an artifact. */
export type SolcContractOutput = {
  abi: readonly unknown[]
  bytecode: string
  deployedBytecode: string
  /** Byte ranges in deployedBytecode that the constructor fills with immutables. */
  immutableRanges: {start: number; length: number}[]
}

type SolcModule = {
  version(): string
  compile(input: string, callbacks?: {import(path: string): {contents: string} | {error: string}}): string
}

// solc-js is CommonJS without useful types; load it once, lazily, since its wasm is large.
let solcModule: SolcModule | undefined
function loadSolc(): SolcModule {
  solcModule ??= createRequire(import.meta.url)('solc') as SolcModule
  return solcModule
}

const solcErrorSchema = z.object({
  severity: z.string(),
  formattedMessage: z.string().optional(),
  message: z.string(),
})

const bytecodeSchema = z.object({object: z.string()})

const solcOutputSchema = z.object({
  errors: z.array(solcErrorSchema).optional(),
  contracts: z
    .record(
      z.string(),
      z.record(
        z.string(),
        z.object({
          abi: z.array(z.unknown()),
          evm: z.object({
            bytecode: bytecodeSchema,
            deployedBytecode: bytecodeSchema.extend({
              immutableReferences: z
                .record(z.string(), z.array(z.object({start: z.number(), length: z.number()})))
                .optional(),
            }),
          }),
        }),
      ),
    )
    .optional(),
})

/** The exact standard-JSON input MedRec feeds solc; also what the source hash covers. */
export function buildSolcInput(sources: Record<string, string>, settings: SolcSettings): string {
  const sortedSources = Object.fromEntries(
    Object.keys(sources)
      .sort()
      .map((path) => [path, {content: sources[path]}]),
  )
  return JSON.stringify({
    language: 'Solidity',
    sources: sortedSources,
    settings: {
      evmVersion: settings.evmVersion,
      optimizer: {enabled: true, runs: settings.optimizerRuns},
      // bytecodeHash stays the default (ipfs): it makes a source change visible on chain.
      outputSelection: {
        '*': {
          '*': [
            'abi',
            'evm.bytecode.object',
            'evm.deployedBytecode.object',
            'evm.deployedBytecode.immutableReferences',
          ],
        },
      },
    },
  })
}

/** The version string of the bundled solc-js, e.g. `0.8.37+commit.…`. */
export function solcVersion(): string {
  return loadSolc().version()
}

/**
 * Compiles in-memory sources with solc-js standard JSON. Keys of the result are
 * `<source path>:<contract name>`. Throws COMPILE_FAILED listing every solc error.
 */
export function compileSolidity(
  sources: Record<string, string>,
  settings: SolcSettings,
): Record<string, SolcContractOutput> {
  const input = buildSolcInput(sources, settings)
  // Every source is passed in, so an import solc asks for is a missing file.
  const raw = loadSolc().compile(input, {import: (path) => ({error: `File not found: ${path}`})})
  const parsed = solcOutputSchema.safeParse(JSON.parse(raw))
  if (!parsed.success) {
    throw new MedrecError(errorCodes.COMPILE_FAILED, 'solc returned output MedRec cannot read.', {
      details: describeIssues(parsed.error),
      hint: `Check that the installed solc (${solcVersion()}) is a 0.8.x release.`,
    })
  }

  const errors = (parsed.data.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) {
    throw new MedrecError(errorCodes.COMPILE_FAILED, `Solidity compilation failed with ${errors.length} error(s).`, {
      details: errors.map((e) => (e.formattedMessage ?? e.message).trim()),
      hint: 'Fix the listed errors in the contract sources and compile again.',
    })
  }

  const result: Record<string, SolcContractOutput> = {}
  for (const [path, contracts] of Object.entries(parsed.data.contracts ?? {})) {
    for (const [name, contract] of Object.entries(contracts)) {
      result[`${path}:${name}`] = {
        abi: contract.abi,
        bytecode: `0x${contract.evm.bytecode.object}`,
        deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
        immutableRanges: Object.values(contract.evm.deployedBytecode.immutableReferences ?? {}).flat(),
      }
    }
  }
  return result
}
