import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {ensureGethImage} from './geth-image.js'

/**
 * The slice of an engine `ensureGethImage` uses: one image, whose `geth version` prints
 * `version`. It counts the probe containers it is asked to run.
 */
function engineWithImage(imageId: string, version: string) {
  const calls = {probes: 0}
  const engine = {
    inspectImage: async () => ({id: imageId, labels: {}}),
    createContainer: async () => {
      calls.probes++
      return 'probe'
    },
    startContainer: async () => {},
    waitContainer: async () => 0,
    logsText: async () => `Geth\nVersion: ${version}\nArchitecture: amd64\n`,
    removeContainer: async () => {},
  } as unknown as ContainerEngine
  return {engine, calls}
}

describe('ensureGethImage', () => {
  const saved = process.env.MEDREC_CACHE_DIR
  let cacheDir: string
  beforeEach(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'medrec-cache-'))
    process.env.MEDREC_CACHE_DIR = cacheDir
  })
  afterEach(() => {
    if (saved === undefined) delete process.env.MEDREC_CACHE_DIR
    else process.env.MEDREC_CACHE_DIR = saved
  })

  it('runs `geth version` in an image once per user, not once per network directory', async () => {
    const {engine, calls} = engineWithImage('sha256:aaa', '1.13.15-stable')
    // A first network directory (no versions in its state) probes the image
    expect(await ensureGethImage(engine, 'ethereum/client-go:v1.13.15', {knownVersions: {}})).toMatchObject({
      imageId: 'sha256:aaa',
      version: '1.13.15-stable',
    })
    expect(calls.probes).toBe(1)
    // A second one finds it checked
    expect((await ensureGethImage(engine, 'ethereum/client-go:v1.13.15', {knownVersions: {}})).version).toBe(
      '1.13.15-stable',
    )
    expect(calls.probes).toBe(1)
    expect(JSON.parse(await readFile(join(cacheDir, 'checked-geth-images.json'), 'utf8'))).toEqual({
      'sha256:aaa': '1.13.15-stable',
    })
  })

  it('never lets the cache vouch for a geth that cannot seal Clique: such an entry is probed again', async () => {
    // Given a cache that claims a 1.14 image was checked
    await writeFile(join(cacheDir, 'checked-geth-images.json'), JSON.stringify({'sha256:bbb': '1.14.0-stable'}))
    const {engine, calls} = engineWithImage('sha256:bbb', '1.14.0-stable')
    // Then the image is run again, and refused
    await expect(ensureGethImage(engine, 'ethereum/client-go:v1.13.15', {knownVersions: {}})).rejects.toMatchObject({
      code: errorCodes.IMAGE_WRONG_VERSION,
    })
    expect(calls.probes).toBe(1)
  })

  it('probes as before when the cache cannot be read', async () => {
    await writeFile(join(cacheDir, 'checked-geth-images.json'), 'not json')
    const {engine, calls} = engineWithImage('sha256:ccc', '1.13.15-stable')
    await ensureGethImage(engine, 'ethereum/client-go:v1.13.15', {knownVersions: {}})
    expect(calls.probes).toBe(1)
  })
})
