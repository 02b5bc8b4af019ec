import {cp, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {docker, dockerObjectsOf, eventually, freePort, rpc, throwawayNetworks} from '../helpers/e2e-network.js'
import {e2ePrerequisites} from '../helpers/e2e-prerequisites.js'
import {runMedrec} from '../helpers/run-medrec.js'

const prerequisites = await e2ePrerequisites()
const created = throwawayNetworks()

/** Every container, volume and network on the engine labelled with this network's name, with its labels. */
async function labelledObjects(name: string) {
  const filters = {label: [`org.medrec.network=${name}`]}
  const [containers, volumes, networks] = await Promise.all([
    docker.listContainers({all: true, filters}),
    docker.listVolumes({filters}),
    docker.listNetworks({filters}),
  ])
  return [
    ...containers.map((c) => ({kind: 'container', id: c.Id, labels: c.Labels})),
    ...(volumes.Volumes ?? []).map((v) => ({kind: 'volume', id: v.Name, labels: v.Labels ?? {}})),
    ...networks.map((n) => ({kind: 'network', id: n.Id, labels: n.Labels ?? {}})),
  ]
}

const headOf = async (url: string) => Number((await rpc(url, 'eth_blockNumber')).body.result)

describe.skipIf(!prerequisites.ok)('a throwaway network (--profile throwaway)', () => {
  it('keeps its chain in memory, labelled, not restarted; destroy --all-throwaway removes it alone', async () => {
    // Given a throwaway network, and an ordinary network made from a copy of its directory
    // (same genesis and keys), both named with one prefix, so that only the profile tells them apart
    const prefix = `e2etw-${Math.random().toString(36).slice(2, 8)}-`
    const throwaway = {name: `${prefix}t`, dir: await mkdtemp(join(tmpdir(), 'medrec-e2e-tw-')), port: await freePort()}
    const ordinary = {name: `${prefix}s`, dir: await mkdtemp(join(tmpdir(), 'medrec-e2e-tw-')), port: await freePort()}
    created.push(throwaway.name, ordinary.name)
    const init = await runMedrec([
      'network',
      'init',
      '--dir',
      throwaway.dir,
      '--name',
      throwaway.name,
      '--profile',
      'throwaway',
      '--rpc-port',
      String(throwaway.port),
      '--json',
    ])
    expect(init.exitCode, init.stderr).toBe(0)
    expect(init.json).toMatchObject({profile: 'throwaway', kdf: 'light'})
    await cp(throwaway.dir, ordinary.dir, {recursive: true})
    await rm(join(ordinary.dir, '.medrec', 'state.json'))
    const yaml = await readFile(join(ordinary.dir, 'medrec.yaml'), 'utf8')
    await writeFile(
      join(ordinary.dir, 'medrec.yaml'),
      yaml
        .replace('profile: throwaway\n', '')
        .replace(`name: ${throwaway.name}`, `name: ${ordinary.name}`)
        .replace(`port: ${throwaway.port}`, `port: ${ordinary.port}`),
    )
    const throwawayUrl = `http://127.0.0.1:${throwaway.port}`
    const ordinaryUrl = `http://127.0.0.1:${ordinary.port}`

    // When both are brought up
    const up = await runMedrec(['network', 'up', '--dir', throwaway.dir, '--json'])
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0)
    expect(up.json).toMatchObject({action: 'created', profile: 'throwaway', chainRecreated: false, restarts: 0})
    const upOrdinary = await runMedrec(['network', 'up', '--dir', ordinary.dir, '--json'])
    expect(upOrdinary.exitCode, `${upOrdinary.stdout}\n${upOrdinary.stderr}`).toBe(0)
    expect(upOrdinary.json.profile).toBe('standard')

    // Then every object of the throwaway network carries the network's labels and the profile's
    const objects = await labelledObjects(throwaway.name)
    expect(objects.map((o) => o.kind).sort()).toEqual(['container', 'container', 'container', 'container', 'network'])
    const networkId = objects[0]!.labels['org.medrec.network-id']
    for (const o of objects) {
      expect(o.labels, o.kind).toMatchObject({
        'org.medrec.managed': 'true',
        'org.medrec.network': throwaway.name,
        'org.medrec.network-id': networkId,
        'org.medrec.profile': 'throwaway',
      })
    }
    // And none of the ordinary network's does
    for (const o of await labelledObjects(ordinary.name)) expect(o.labels).not.toHaveProperty(['org.medrec.profile'])

    // And each node has no restart policy, and its chain on a tmpfs, not on a volume or the container's disk
    for (const container of objects.filter((o) => o.kind === 'container')) {
      const info = await docker.getContainer(container.id).inspect()
      expect(info.HostConfig.RestartPolicy?.Name).toBe('no')
      expect(info.Mounts).toEqual([expect.objectContaining({Type: 'tmpfs', Destination: '/data/geth'})])
      // What the container wrote to its own disk (`docker diff`): its files, never chain data
      const changes = ((await docker.getContainer(container.id).changes()) ?? []) as {Path: string}[]
      const written = changes.map((c) => c.Path)
      expect(written).toContain('/data/config.toml')
      expect(written.filter((path) => path.startsWith('/data/geth/'))).toEqual([])
    }
    const logs = (await docker.getContainer(`medrec-${throwaway.name}_sealer-1`).logs({stdout: true, stderr: true}))
      .toString()
      .split('\n')
    expect(logs.some((line) => line.includes('Writing custom genesis block'))).toBe(true)

    // And it is the chain genesis.json describes: the same block 0 as the ordinary network's, made by `geth init`
    const genesisOf = async (url: string) => (await rpc(url, 'eth_getBlockByNumber', ['0x0', false])).body.result.hash
    expect(await genesisOf(throwawayUrl)).toBe(await genesisOf(ordinaryUrl))
    const firstHead = await eventually('3 blocks', async () => ((await headOf(throwawayUrl)) >= 3 ? true : undefined))
    expect(firstHead).toBe(true)

    // When it is asked to stop, it refuses (stopping would lose the chain), and keeps running
    const down = await runMedrec(['network', 'down', '--dir', throwaway.dir, '--json'])
    expect(down.exitCode).toBe(1)
    expect(down.json.error.code).toBe('MEDREC_THROWAWAY_CANNOT_STOP')
    const states = await docker.listContainers({all: true, filters: {label: [`org.medrec.network=${throwaway.name}`]}})
    expect(states.map((c) => c.State)).toEqual(['running', 'running', 'running', 'running'])

    // When its nodes are stopped anyway (as by a Docker restart) and it is brought up again
    await Promise.all(states.map((c) => docker.getContainer(c.Id).stop({t: 5})))
    const again = await runMedrec(['network', 'up', '--dir', throwaway.dir, '--json'])
    // Then it says that it starts a new chain from genesis, in new containers
    expect(again.exitCode, `${again.stdout}\n${again.stderr}`).toBe(0)
    expect(again.json).toMatchObject({action: 'created', chainRecreated: true, restarts: 0})
    const newIds = (await labelledObjects(throwaway.name)).filter((o) => o.kind === 'container').map((o) => o.id)
    expect(newIds.some((id) => states.some((c) => c.Id === id))).toBe(false)

    // When every throwaway network with the prefix is destroyed, by one command, from no network's directory
    const ordinaryBefore = (await labelledObjects(ordinary.name)).map((o) => o.id).sort()
    const destroy = await runMedrec(['network', 'destroy', '--all-throwaway', '--prefix', prefix, '--json'])
    expect(destroy.exitCode, `${destroy.stdout}\n${destroy.stderr}`).toBe(0)
    expect(destroy.json).toEqual({networks: [throwaway.name], removed: {containers: 4, volumes: 0, networks: 1}})

    // Then nothing of the throwaway network is left
    expect(await dockerObjectsOf(throwaway.name)).toEqual({containers: [], volumes: [], networks: []})
    // And the ordinary network is untouched (same objects, every one) and still sealing
    expect((await labelledObjects(ordinary.name)).map((o) => o.id).sort()).toEqual(ordinaryBefore)
    expect(ordinaryBefore).toHaveLength(4 + 4 + 1)
    const ordinaryHead = await headOf(ordinaryUrl)
    await eventually('the ordinary network to seal on', async () =>
      (await headOf(ordinaryUrl)) > ordinaryHead ? true : undefined,
    )
    const destroyOrdinary = await runMedrec(['network', 'destroy', '--dir', ordinary.dir, '--force', '--json'])
    expect(destroyOrdinary.exitCode).toBe(0)
  })
})
