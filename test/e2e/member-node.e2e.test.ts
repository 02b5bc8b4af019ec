import {rm} from 'node:fs/promises'

import {afterEach, describe, expect, it} from 'vitest'

import {DockerodeEngine} from '../../src/docker/dockerode-engine.js'
import {errorCodes} from '../../src/errors/error-codes.js'
import type {MedrecError} from '../../src/errors/medrec-error.js'
import {startMemberNode} from '../../src/member/member-node.js'
import {memberResourceNames} from '../../src/member/member-resources.js'
import {docker, dockerObjectsOf, forceRemoveNetwork, freePort} from '../helpers/e2e-network.js'
import {e2ePrerequisites} from '../helpers/e2e-prerequisites.js'
import {founderSpec, makeTestConsortium, type TestConsortium} from '../helpers/member-founders.js'

const prerequisites = await e2ePrerequisites()
const engine = new DockerodeEngine()

const nothing = {containers: [], volumes: [], networks: []}

const made: {consortium: TestConsortium; extra: string[]}[] = []
afterEach(async () => {
  for (const {consortium, extra} of made.splice(0)) {
    await forceRemoveNetwork(consortium.network.name)
    for (const v of extra)
      await docker
        .getVolume(v)
        .remove()
        .catch(() => {})
    for (const f of consortium.founders) await rm(f.dir, {recursive: true, force: true})
  }
})

/** A throwaway two-founder consortium whose first founder runs on this machine's engine. */
async function consortiumOnThisEngine(): Promise<TestConsortium> {
  const consortium = await makeTestConsortium({
    name: `multihost-${Math.random().toString(36).slice(2, 8)}`,
    founders: [
      {name: 'st-anne', host: '127.0.0.1'},
      {name: 'riverside', host: '127.0.0.1'},
    ],
    port: await freePort(),
  })
  made.push({consortium, extra: []})
  return consortium
}

// Skipped only outside CI, with its reason printed, when a prerequisite (Docker, the geth image) is missing;
// under CI the check throws instead (test/helpers/e2e-prerequisites.ts, hosts.ts): nothing is skipped there.
describe.skipIf(!prerequisites.ok)("a member's node refuses to start on bad input and leaves nothing", () => {
  it('names the member whose key does not unlock, and removes what its first start made', async () => {
    // Given a founder whose password file does not open its keystore
    const consortium = await consortiumOnThisEngine()
    const founder = consortium.founders[0]!
    const spec = await founderSpec(consortium, founder)
    spec.keys.password = 'not-the-password'
    // When its node is started
    const error = await startMemberNode({engine, spec, timeoutMs: 60_000}).then(
      () => undefined,
      (e: unknown) => e as MedrecError,
    )
    // Then it fails fast, named, with geth's reason
    expect(error?.code).toBe(errorCodes.NODE_FAILED)
    expect(error?.message).toContain('st-anne')
    expect(error?.details.join('\n')).toMatch(/could not decrypt key with given password/)
    // And nothing of it is left on the engine
    expect(await dockerObjectsOf(consortium.network.name, founder.name)).toEqual(nothing)
  })

  it('refuses a volume of its name that is not its own, and creates nothing', async () => {
    // Given a volume with the member's volume name, made by someone else
    const consortium = await consortiumOnThisEngine()
    const founder = consortium.founders[0]!
    const volume = memberResourceNames({network: consortium.network.name, member: founder.name}).sealerVolume
    await docker.createVolume({Name: volume})
    made.at(-1)!.extra.push(volume)
    // When its node is started
    const error = await startMemberNode({engine, spec: await founderSpec(consortium, founder), timeoutMs: 60_000}).then(
      () => undefined,
      (e: unknown) => e as MedrecError,
    )
    // Then the conflict is named, and the tool made nothing (the foreign volume is untouched)
    expect(error?.code).toBe(errorCodes.NAME_CONFLICT)
    expect(error?.details).toEqual([`volume ${volume}`])
    expect(await dockerObjectsOf(consortium.network.name, founder.name)).toEqual(nothing)
    expect((await docker.getVolume(volume).inspect()).Labels ?? {}).toEqual({})
  })
})
