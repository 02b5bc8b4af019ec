import {mkdtemp, readFile, rm, writeFile, mkdir} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {MedrecError} from '../errors/medrec-error.js'
import {errorCodes} from '../errors/error-codes.js'
import {
  abiModuleFileName,
  compileMedrecContracts,
  renderAbiModule,
  writeContractArtifacts,
} from './compile-contracts.js'

const contractsDir = new URL('../../contracts', import.meta.url).pathname

async function withTempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'medrec-compile-'))
  try {
    return await use(dir)
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

describe('compileMedrecContracts', () => {
  it('compiles the five contracts for London with ABI, bytecode and one source hash', async () => {
    // Given the shipped sources
    // When compiled
    const result = await compileMedrecContracts({contractsDir})
    // Then AuditAnchors, Consortium, Registrar, Relationship and Summary come out with London settings
    const names = ['AuditAnchors', 'Consortium', 'Registrar', 'Relationship', 'Summary']
    expect(Object.keys(result.artifacts).sort()).toEqual(names)
    expect(result.settings).toEqual({evmVersion: 'london', optimizerRuns: 200})
    expect(result.solcVersion).toMatch(/^0\.8\.37/)
    const registrar = result.artifacts.Registrar
    expect(registrar?.abi.some((item) => item.type === 'function' && item.name === 'canAccess')).toBe(true)
    expect(registrar?.bytecode).toMatch(/^0x[0-9a-f]+$/)
    expect(registrar?.immutableRanges.length).toBeGreaterThan(0)
    const hashes = new Set(Object.values(result.artifacts).map((a) => a.sourceHash))
    expect(hashes.size).toBe(1)
  })

  it('lists every solc error when sources do not compile', async () => {
    await withTempDir(async (dir) => {
      // Given two sources with type errors
      await writeFile(join(dir, 'A.sol'), 'pragma solidity ^0.8.24; contract A { bool y = 5; }')
      await writeFile(join(dir, 'B.sol'), 'pragma solidity ^0.8.24; contract B { uint x = "not a number"; }')
      // When compiled
      const error = await compileMedrecContracts({contractsDir: dir}).catch((e: unknown) => e)
      // Then COMPILE_FAILED names both problems
      expect(error).toBeInstanceOf(MedrecError)
      expect((error as MedrecError).code).toBe(errorCodes.COMPILE_FAILED)
      const details = (error as MedrecError).details.join('\n')
      expect(details).toContain('A.sol')
      expect(details).toContain('B.sol')
    })
  })

  it('reports a missing import as a compile error', async () => {
    await withTempDir(async (dir) => {
      // Given a source importing a file that is not there
      await writeFile(join(dir, 'A.sol'), 'pragma solidity ^0.8.24; import "./lib/Missing.sol"; contract A {}')
      // When compiled, Then the missing file is named
      const error = (await compileMedrecContracts({contractsDir: dir}).catch((e: unknown) => e)) as MedrecError
      expect(error.code).toBe(errorCodes.COMPILE_FAILED)
      expect(error.details.join('\n')).toContain('lib/Missing.sol')
    })
  })

  it('refuses an empty contracts folder', async () => {
    await withTempDir(async (dir) => {
      // Given no sources, When compiled, Then COMPILE_FAILED says so
      await expect(compileMedrecContracts({contractsDir: dir})).rejects.toMatchObject({code: errorCodes.COMPILE_FAILED})
    })
  })

  it('deploys only top-level contracts, not libraries in subfolders', async () => {
    await withTempDir(async (dir) => {
      // Given a contract using a library in lib/
      await mkdir(join(dir, 'lib'))
      await writeFile(
        join(dir, 'lib', 'L.sol'),
        'pragma solidity ^0.8.24; library L { function twice(uint x) internal pure returns (uint) { return 2 * x; } }',
      )
      await writeFile(
        join(dir, 'C.sol'),
        'pragma solidity ^0.8.24; import "./lib/L.sol"; ' +
          'contract C { function f(uint x) external pure returns (uint) { return L.twice(x); } }',
      )
      // When compiled, Then only C is an artifact
      expect(Object.keys((await compileMedrecContracts({contractsDir: dir})).artifacts)).toEqual(['C'])
    })
  })
})

describe('writeContractArtifacts', () => {
  it('writes a JSON artifact and an `as const` ABI module per contract', async () => {
    await withTempDir(async (dir) => {
      // Given compiled contracts
      const result = await compileMedrecContracts({contractsDir})
      // When written
      const written = await writeContractArtifacts(result, {
        artifactsDir: join(dir, 'artifacts'),
        abiModuleDir: join(dir, 'abi'),
      })
      // Then each contract has both files, and the JSON round-trips
      expect(written).toHaveLength(10)
      const json = JSON.parse(await readFile(join(dir, 'artifacts', 'Registrar.json'), 'utf8')) as {
        bytecode: string
        solcVersion: string
        sourceHash: string
      }
      expect(json.bytecode).toBe(result.artifacts.Registrar?.bytecode)
      expect(json.solcVersion).toBe(result.solcVersion)
      const module = await readFile(join(dir, 'abi', 'registrar.ts'), 'utf8')
      expect(module).toContain('export const registrarAbi = [')
      expect(module.trimEnd().endsWith('] as const')).toBe(true)
    })
  })

  it('names ABI module files in kebab-case', () => {
    // Given contract names, When turned into file names, Then they are kebab-case
    expect(abiModuleFileName('Registrar')).toBe('registrar.ts')
    expect(abiModuleFileName('AccessLog2Reader')).toBe('access-log2-reader.ts')
  })
})

describe('checked-in ABI modules', () => {
  it('are byte-identical to what the current sources compile to', async () => {
    // Given the sources as they are now
    const {artifacts} = await compileMedrecContracts({contractsDir})
    const abiDir = new URL('./abi/', import.meta.url).pathname
    for (const artifact of Object.values(artifacts)) {
      const path = join(abiDir, abiModuleFileName(artifact.contractName))
      const expected = renderAbiModule(artifact.contractName, artifact.abi)
      // Regenerate on request (like a snapshot update), never silently.
      if (process.env.MEDREC_UPDATE_ABI === '1') await writeFile(path, expected)
      // When the checked-in module is compared, Then it matches byte for byte
      const actual = await readFile(path, 'utf8').catch(() => '(missing)')
      expect(
        actual,
        `${path} is stale: regenerate with ` +
          `MEDREC_UPDATE_ABI=1 npx vitest run --project unit src/contracts/compile-contracts.test.ts`,
      ).toBe(expected)
    }
  })
})
