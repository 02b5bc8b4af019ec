import {cp, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {createTarArchive} from '../../src/docker/tar-archive.js'
import {pinnedGethImage} from '../../src/geth/geth-version.js'
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

/** The genesis hash `geth init` reports for this genesis.json ("6fe26b..87d5e0"), from a one-off container. */
async function gethInitHash(genesisJson: string): Promise<string> {
  const container = await docker.createContainer({
    Image: pinnedGethImage,
    Cmd: ['--datadir', '/init-check', 'init', '/genesis.json'],
    Labels: {'org.medrec.managed': 'true', 'org.medrec.role': 'probe'},
  })
  try {
    await container.putArchive(createTarArchive([{path: 'genesis.json', content: genesisJson, mode: 0o644}]), {
      path: '/',
    })
    await container.start()
    await container.wait()
    const logs = (await container.logs({stdout: true, stderr: true})).toString()
    return /Successfully wrote genesis state\s+database=chaindata\s+hash=(\S+)/.exec(logs)?.[1] ?? logs
  } finally {
    await container.remove({force: true})
  }
}

// Skipped only outside CI, with its reason printed, when a prerequisite (Docker, the geth image) is missing;
// under CI the check throws instead (test/helpers/e2e-prerequisites.ts, hosts.ts): nothing is skipped there.
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
    // A throwaway network runs no vote reconciler, although medrec.yaml leaves reconciler.enabled at true
    expect(up.json.reconciler).toEqual({action: 'disabled', image: null})
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

    // And it is the chain genesis.json describes: the block 0 `geth init` makes of it (both networks take the
    // genesis from config.toml now, so this is the check that the translation is exact)
    const genesisOf = async (url: string) => (await rpc(url, 'eth_getBlockByNumber', ['0x0', false])).body.result.hash
    const blockZero = await genesisOf(throwawayUrl)
    expect(await genesisOf(ordinaryUrl)).toBe(blockZero)
    const initHash = await gethInitHash(await readFile(join(throwaway.dir, 'genesis.json'), 'utf8'))
    expect(initHash).toBe(`${blockZero.slice(2, 8)}..${blockZero.slice(-6)}`)
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
    // (4 nodes' containers and volumes, the Docker network, and the vote reconciler's container and volume:
    // a standard network runs one)
    expect(ordinaryBefore).toHaveLength(4 + 4 + 1 + 2)
    const ordinaryHead = await headOf(ordinaryUrl)
    await eventually('the ordinary network to seal on', async () =>
      (await headOf(ordinaryUrl)) > ordinaryHead ? true : undefined,
    )
    // And it keeps its chain across down and up: its volumes got the genesis at their first start, not from a
    // `geth init` container, and hold every block since
    const kept = (await rpc(ordinaryUrl, 'eth_getBlockByNumber', [`0x${ordinaryHead.toString(16)}`, false])).body.result
    expect((await runMedrec(['network', 'down', '--dir', ordinary.dir, '--json'])).exitCode).toBe(0)
    const restarted = await runMedrec(['network', 'up', '--dir', ordinary.dir, '--json'])
    expect(restarted.exitCode, `${restarted.stdout}\n${restarted.stderr}`).toBe(0)
    expect(restarted.json).toMatchObject({action: 'started', restarts: 0})
    const again0 = (await rpc(ordinaryUrl, 'eth_getBlockByNumber', [`0x${ordinaryHead.toString(16)}`, false])).body
    expect(again0.result.hash).toBe(kept.hash)
    expect(await genesisOf(ordinaryUrl)).toBe(blockZero)
    const destroyOrdinary = await runMedrec(['network', 'destroy', '--dir', ordinary.dir, '--force', '--json'])
    expect(destroyOrdinary.exitCode).toBe(0)
  })
})
