import {mkdir, readdir, readFile, writeFile} from 'node:fs/promises'
import {join, relative, sep} from 'node:path'
import {fileURLToPath} from 'node:url'

import {keccak256, stringToBytes, type Abi, type Hex} from 'viem'

import {MedrecError} from '../errors/medrec-error.js'
import {errorCodes} from '../errors/error-codes.js'
import {runStep, type ProgressListener} from '../progress/progress-events.js'
import {buildSolcInput, compileSolidity, solcVersion, type SolcSettings} from './solc-standard-json.js'

/** A deployable contract, ready for viem. */
export type ContractArtifact = {
  contractName: string
  abi: Abi
  bytecode: Hex
  deployedBytecode: Hex
  /** Byte ranges of deployedBytecode the constructor fills in (zeros in the artifact). */
  immutableRanges: {start: number; length: number}[]
  /** keccak256 of the whole standard-JSON input (all sources and settings). */
  sourceHash: Hex
}

/** What compileMedrecContracts returns. */
export type MedrecCompileResult = {
  artifacts: Record<string, ContractArtifact>
  solcVersion: string
  settings: SolcSettings
}

/** London is what geth 1.13 Clique runs; solc ≥0.8.20 would otherwise emit PUSH0. */
export const medrecSolcSettings: SolcSettings = {evmVersion: 'london', optimizerRuns: 200}

/** The Solidity sources shipped with the tool. */
export const packagedContractsDir = fileURLToPath(new URL('../../contracts', import.meta.url))

/** Compiles every `.sol` under contractsDir; contracts in its top level become artifacts. */
export async function compileMedrecContracts(options: {contractsDir: string}): Promise<MedrecCompileResult> {
  const sources = await readSoliditySources(options.contractsDir)
  if (Object.keys(sources).length === 0) {
    throw new MedrecError(errorCodes.COMPILE_FAILED, `No .sol files found in ${options.contractsDir}.`, {
      hint: 'Point contractsDir at the folder holding Registrar.sol, Relationship.sol and Summary.sol.',
    })
  }
  const sourceHash = keccak256(stringToBytes(buildSolcInput(sources, medrecSolcSettings)))
  const outputs = compileSolidity(sources, medrecSolcSettings)

  const artifacts: Record<string, ContractArtifact> = {}
  for (const [key, output] of Object.entries(outputs)) {
    const [path = '', contractName = ''] = key.split(':')
    // Libraries and interfaces live in subfolders; only top-level contracts are deployed.
    if (path.includes('/') || output.bytecode === '0x') continue
    if (artifacts[contractName] !== undefined) {
      throw new MedrecError(errorCodes.COMPILE_FAILED, `Two contracts are named ${contractName}.`, {
        hint: 'Give every top-level contract a unique name.',
      })
    }
    artifacts[contractName] = {
      contractName,
      abi: output.abi as Abi,
      bytecode: output.bytecode as Hex,
      deployedBytecode: output.deployedBytecode as Hex,
      immutableRanges: output.immutableRanges,
      sourceHash,
    }
  }
  return {artifacts, solcVersion: solcVersion(), settings: medrecSolcSettings}
}

/** Compiles the packaged contracts as the `compile` step every deploy starts with. */
export function compilePackagedContracts(progress: ProgressListener): Promise<MedrecCompileResult> {
  return runStep(
    progress,
    'compile',
    `Compiling the contracts (solc, evmVersion ${medrecSolcSettings.evmVersion})`,
    () => compileMedrecContracts({contractsDir: packagedContractsDir}),
    (c) => `solc ${c.solcVersion}`,
  )
}

/** Writes `<Name>.json` artifacts and the `abi/<name>.ts` modules viem types from. */
export async function writeContractArtifacts(
  result: MedrecCompileResult,
  options: {artifactsDir: string; abiModuleDir: string},
): Promise<string[]> {
  await mkdir(options.artifactsDir, {recursive: true})
  await mkdir(options.abiModuleDir, {recursive: true})
  const written: string[] = []
  for (const artifact of Object.values(result.artifacts)) {
    const jsonPath = join(options.artifactsDir, `${artifact.contractName}.json`)
    const json = {...artifact, solcVersion: result.solcVersion, settings: result.settings}
    await writeFile(jsonPath, `${JSON.stringify(json, null, 2)}\n`)
    const modulePath = join(options.abiModuleDir, abiModuleFileName(artifact.contractName))
    await writeFile(modulePath, renderAbiModule(artifact.contractName, artifact.abi))
    written.push(jsonPath, modulePath)
  }
  return written
}

/** `Registrar` → `registrar.ts`; kebab-case like every file in the repo. */
export function abiModuleFileName(contractName: string): string {
  return `${contractName.replaceAll(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}.ts`
}

/** The TypeScript source of an ABI module: `export const registrarAbi = [...] as const`. */
export function renderAbiModule(contractName: string, abi: Abi): string {
  const constName = `${contractName.charAt(0).toLowerCase()}${contractName.slice(1)}Abi`
  return [
    `// Generated from contracts/${contractName}.sol by src/contracts/compile-contracts.ts. Do not edit;`,
    '// regenerate with MEDREC_UPDATE_ABI=1 npx vitest run --project unit src/contracts/compile-contracts.test.ts',
    `export const ${constName} = ${JSON.stringify(abi, null, 2)} as const`,
    '',
  ].join('\n')
}

async function readSoliditySources(contractsDir: string): Promise<Record<string, string>> {
  const entries = await readdir(contractsDir, {recursive: true, withFileTypes: true})
  const sources: Record<string, string> = {}
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.sol')) continue
    const fullPath = join(entry.parentPath, entry.name)
    // solc resolves `./lib/X.sol` against the importing unit's name, so names are
    // paths relative to contractsDir with forward slashes.
    sources[relative(contractsDir, fullPath).split(sep).join('/')] = await readFile(fullPath, 'utf8')
  }
  return sources
}
