import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {loadNetworkConfig} from '../config/load-network-config.js'
import {reconcilerEnabled} from '../config/network-profile.js'
import type {ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {lightScrypt, standardScrypt} from '../keys/keystore-v3.js'
import {loadNetwork} from '../workspace/load-network.js'
import {networkPaths} from '../workspace/network-files.js'
import {updateNetworkState} from '../workspace/network-state.js'
import {initNetwork} from './init-network.js'
import {downNetwork} from './stop-network.js'

async function freshDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'medrec-profile-'))
}

async function scryptN(dir: string, key: string): Promise<number> {
  const keystore = JSON.parse(await readFile(networkPaths(dir).node(key).keystore, 'utf8'))
  return keystore.crypto.kdfparams.n
}

/** An engine that fails the test if anything asks Docker for anything. */
const untouchableEngine = new Proxy({} as ContainerEngine, {
  get: (_, method) => () => {
    throw new Error(`Docker was asked to ${String(method)}`)
  },
})

describe('the vote reconciler and the profile', () => {
  it('runs only when medrec.yaml enables it and the profile is not throwaway', async () => {
    const throwaway = await freshDir()
    await initNetwork({dir: throwaway, sealers: 1, profile: 'throwaway'})
    const throwawayConfig = await loadNetworkConfig(throwaway)
    expect(throwawayConfig.reconciler.enabled).toBe(true)
    expect(reconcilerEnabled(throwawayConfig)).toBe(false)
    const standard = await freshDir()
    await initNetwork({dir: standard, sealers: 1})
    const standardConfig = await loadNetworkConfig(standard)
    expect(reconcilerEnabled(standardConfig)).toBe(true)
    expect(reconcilerEnabled({...standardConfig, reconciler: {enabled: false}})).toBe(false)
  })
})

describe('network init --profile throwaway', () => {
  it('records the profile in medrec.yaml, with a 1 s period and light keys for every key', async () => {
    const dir = await freshDir()
    const result = await initNetwork({dir, sealers: 2, profile: 'throwaway'})
    expect(result).toMatchObject({profile: 'throwaway', kdf: 'light'})
    const config = await loadNetworkConfig(dir)
    expect(config.profile).toBe('throwaway')
    expect(config.network.period).toBe(1)
    expect(await readFile(join(dir, 'medrec.yaml'), 'utf8')).toMatch(/^profile: throwaway$/m)
    for (const key of ['sealer-1', 'sealer-2', 'deployer']) expect(await scryptN(dir, key)).toBe(lightScrypt.n)
  })

  it('still takes an explicit period', async () => {
    const dir = await freshDir()
    await initNetwork({dir, sealers: 1, period: 3, profile: 'throwaway'})
    expect((await loadNetworkConfig(dir)).network.period).toBe(3)
  })

  it("leaves a standard network's medrec.yaml without the key, its period at 5 s and its keys standard", async () => {
    const dir = await freshDir()
    const result = await initNetwork({dir, sealers: 1})
    expect(result).toMatchObject({profile: 'standard', kdf: 'standard'})
    expect(await readFile(join(dir, 'medrec.yaml'), 'utf8')).not.toContain('profile')
    expect((await loadNetworkConfig(dir)).network.period).toBe(5)
    expect(await scryptN(dir, 'sealer-1')).toBe(standardScrypt.n)
  })
})

describe('a throwaway network', () => {
  it('refuses `down` (it would lose the chain) before asking Docker anything', async () => {
    const dir = await freshDir()
    await initNetwork({dir, sealers: 1, profile: 'throwaway'})
    await expect(downNetwork({dir, engine: untouchableEngine})).rejects.toMatchObject({
      code: errorCodes.THROWAWAY_CANNOT_STOP,
    })
  })

  it('refuses a profile changed in medrec.yaml once its chain exists, either way', async () => {
    for (const [from, to] of [
      ['throwaway', 'standard'],
      ['standard', 'throwaway'],
    ] as const) {
      // Given a network whose chain was created with one profile
      const dir = await freshDir()
      await initNetwork({dir, sealers: 1, lightKdf: true, profile: from})
      const paths = networkPaths(dir)
      const network = await loadNetwork(dir)
      await updateNetworkState(
        paths,
        (state) => state && {...state, genesisSha256: network.genesisSha256, profile: from},
      )
      // When medrec.yaml says the other
      const text = await readFile(join(dir, 'medrec.yaml'), 'utf8')
      const edited = from === 'throwaway' ? text.replace('profile: throwaway\n', '') : `profile: ${to}\n${text}`
      await writeFile(join(dir, 'medrec.yaml'), edited)
      // Then nothing loads it
      await expect(loadNetwork(dir)).rejects.toMatchObject({code: errorCodes.PROFILE_CHANGED})
    }
  })

  it('takes a chain made before profiles existed (no profile in state.json) as standard', async () => {
    const dir = await freshDir()
    await initNetwork({dir, sealers: 1, lightKdf: true})
    const paths = networkPaths(dir)
    const network = await loadNetwork(dir)
    await updateNetworkState(paths, (state) => state && {...state, genesisSha256: network.genesisSha256})
    await expect(loadNetwork(dir)).resolves.toMatchObject({config: {profile: 'standard'}})
  })
})
