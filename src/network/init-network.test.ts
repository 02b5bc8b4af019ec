import {mkdtemp, readFile, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {loadNetworkConfig} from '../config/load-network-config.js'
import {errorCodes} from '../errors/error-codes.js'
import {loadCliqueGenesis} from '../genesis/clique-genesis.js'
import {initNetwork} from './init-network.js'
import {networkPaths, unlockNodeKey} from '../workspace/network-files.js'

async function freshDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'medrec-init-'))
}

describe('initNetwork', () => {
  it('writes a config, a genesis whose signers are the sealers, and private key files', async () => {
    // Given an empty directory
    const dir = await freshDir()
    // When the network is initialised
    const result = await initNetwork({dir, sealers: 3, chainId: 4_242_424, period: 1, lightKdf: true})
    // Then medrec.yaml and genesis.json agree on the sealers
    const config = await loadNetworkConfig(dir)
    const {signers} = await loadCliqueGenesis(dir)
    expect(config.sealers.map((s) => s.address).sort()).toEqual(result.sealers.map((s) => s.address).sort())
    expect(signers.map((s) => s.toLowerCase()).sort()).toEqual(
      result.sealers.map((s) => s.address.toLowerCase()).sort(),
    )
    expect(config.network).toMatchObject({chainId: 4_242_424, period: 1, epoch: 30_000})
    // And every key file is private to the user, the keys open with their passwords
    const paths = networkPaths(dir)
    for (const sealer of result.sealers) {
      const files = paths.node(sealer.name)
      for (const file of [files.keystore, files.password, files.nodeKey])
        expect((await stat(file)).mode & 0o777).toBe(0o600)
      expect((await unlockNodeKey(paths, sealer.name)).address).toBe(sealer.address)
    }
    expect((await stat(paths.stateDir)).mode & 0o777).toBe(0o700)
    expect(await readFile(join(paths.stateDir, '.gitignore'), 'utf8')).toContain('*')
    // And the deployer is funded at genesis
    const genesis = JSON.parse(await readFile(join(dir, 'genesis.json'), 'utf8')) as {alloc: Record<string, unknown>}
    expect(Object.keys(genesis.alloc)).toEqual([result.deployer.slice(2).toLowerCase()])
    // And the schema modeline points at the JSON Schema written beside it
    expect(await readFile(join(dir, 'medrec.yaml'), 'utf8')).toMatch(
      /^# yaml-language-server: \$schema=\.\/medrec\.schema\.json/,
    )
    expect(JSON.parse(await readFile(join(dir, 'medrec.schema.json'), 'utf8'))).toHaveProperty('properties.sealers')
  })

  it('refuses to run again without --force, and changes nothing', async () => {
    const dir = await freshDir()
    await initNetwork({dir, lightKdf: true})
    const before = await readFile(join(dir, 'medrec.yaml'), 'utf8')
    await expect(initNetwork({dir, lightKdf: true})).rejects.toMatchObject({code: errorCodes.CONFIG_EXISTS})
    expect(await readFile(join(dir, 'medrec.yaml'), 'utf8')).toBe(before)
  })

  it('keeps existing keys when forced, and adds keys only for new sealers', async () => {
    const dir = await freshDir()
    const first = await initNetwork({dir, sealers: 2, lightKdf: true})
    const keystoreBefore = await readFile(networkPaths(dir).node('sealer-1').keystore, 'utf8')
    const second = await initNetwork({dir, sealers: 3, force: true, lightKdf: true})
    expect(second.sealers.slice(0, 2)).toEqual(first.sealers.map((s) => ({...s, keyCreated: false})))
    expect(second.sealers[2]?.keyCreated).toBe(true)
    expect(second.deployer).toBe(first.deployer)
    expect(await readFile(networkPaths(dir).node('sealer-1').keystore, 'utf8')).toBe(keystoreBefore)
  })

  it('never writes a new genesis over a chain that was created, even with --force or without medrec.yaml', async () => {
    // Given a directory whose chain was created (state records its genesis)
    const dir = await freshDir()
    await initNetwork({dir, sealers: 1, lightKdf: true})
    const paths = networkPaths(dir)
    const {updateNetworkState} = await import('../workspace/network-state.js')
    await updateNetworkState(paths, (state) => state && {...state, genesisSha256: 'ab'.repeat(32)})
    const genesisBefore = await readFile(join(dir, 'genesis.json'), 'utf8')
    // When init is forced, or medrec.yaml went missing and init runs again
    await expect(initNetwork({dir, force: true, lightKdf: true})).rejects.toMatchObject({
      code: errorCodes.CONFIG_EXISTS,
    })
    const {rm} = await import('node:fs/promises')
    await rm(join(dir, 'medrec.yaml'))
    await expect(initNetwork({dir, lightKdf: true})).rejects.toMatchObject({
      code: errorCodes.CONFIG_EXISTS,
      hint: expect.stringContaining('restore medrec.yaml'),
    })
    // Then genesis.json is untouched
    expect(await readFile(join(dir, 'genesis.json'), 'utf8')).toBe(genesisBefore)
  })

  it('refuses to replace a genesis.json it did not write unless forced', async () => {
    const dir = await freshDir()
    await writeFile(join(dir, 'genesis.json'), '{"mine": true}')
    await expect(initNetwork({dir, sealers: 1, lightKdf: true})).rejects.toMatchObject({code: errorCodes.CONFIG_EXISTS})
    expect(await readFile(join(dir, 'genesis.json'), 'utf8')).toBe('{"mine": true}')
  })

  it('refuses an orphaned password file instead of replacing the key', async () => {
    const dir = await freshDir()
    await initNetwork({dir, sealers: 1, lightKdf: true})
    const {rm} = await import('node:fs/promises')
    await rm(networkPaths(dir).node('sealer-1').keystore)
    await expect(initNetwork({dir, sealers: 1, force: true, lightKdf: true})).rejects.toMatchObject({
      code: errorCodes.KEY_FILE_MISSING,
    })
  })

  it('refuses options that make an invalid network before writing anything', async () => {
    const dir = await freshDir()
    await expect(initNetwork({dir, chainId: 31_337})).rejects.toMatchObject({
      code: errorCodes.INVALID_ARGUMENT,
      details: [expect.stringMatching(/Hardhat/)],
    })
    await expect(initNetwork({dir, sealers: 0})).rejects.toMatchObject({code: errorCodes.INVALID_ARGUMENT})
    await expect(stat(join(dir, 'medrec.yaml'))).rejects.toThrow()
    await expect(stat(networkPaths(dir).stateDir)).rejects.toThrow()
  })

  it("picks a chain id of the network's own when none is given", async () => {
    const dir = await freshDir()
    const {chainId} = await initNetwork({dir, sealers: 1, lightKdf: true})
    expect(chainId).toBeGreaterThanOrEqual(1_000_000)
    await writeFile(join(dir, 'unrelated.txt'), 'x')
  })
})
