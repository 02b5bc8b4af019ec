import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {dockerObjectsOf, eventually, initE2eNetwork, rpc, throwawayNetworks} from '../helpers/e2e-network.js'
import {e2ePrerequisites} from '../helpers/e2e-prerequisites.js'
import {medrecIn, runMedrec} from '../helpers/run-medrec.js'

const prerequisites = await e2ePrerequisites()
const created = throwawayNetworks()

// Skipped only outside CI, with its reason printed, when a prerequisite (Docker, the geth image) is missing;
// under CI the check throws instead (test/helpers/e2e-prerequisites.ts, hosts.ts): nothing is skipped there.
describe.skipIf(!prerequisites.ok)('adding and removing a sealer on a running network', () => {
  it('adds a 4th sealer that joins the signers and seals, keeps it across down and up, \
and removes it while the others seal on', async () => {
    // Given a running network of 3 sealers
    const net = await initE2eNetwork('e2e-member')
    created.push(net.name)
    const medrec = medrecIn(net.dir)
    await medrec('network', 'up')

    // When a 4th sealer is added
    const added = await medrec('sealer', 'add', 'sealer-4', '--light-kdf')

    // Then it is a signer that has sealed, every sealer is connected to all 4 other nodes, and Clique needs 3 of 4
    expect(added).toMatchObject({
      name: 'sealer-4',
      votesFrom: ['sealer-1', 'sealer-2', 'sealer-3'],
      firstSealedBlock: expect.any(Number),
    })
    expect(added.signers.map((s: string) => s.toLowerCase())).toContain(added.address.toLowerCase())
    expect(
      (
        await rpc(net.rpcUrl, 'clique_getSigner', [`0x${added.firstSealedBlock.toString(16)}`])
      ).body.result.toLowerCase(),
    ).toBe(added.address.toLowerCase())
    const status = await medrec('network', 'status')
    expect(status.liveness).toMatchObject({signers: 4, online: 4, needed: 3, stalled: false})
    expect(status.sealers.map((s: {peers: number}) => s.peers)).toEqual([4, 4, 4, 4])
    expect(await readFile(join(net.dir, 'medrec.yaml'), 'utf8')).toContain('name: sealer-4')
    const afterAdd = await medrec('sealer', 'list')
    expect(afterAdd.votes).toEqual([])
    expect(afterAdd.sealers.map((s: {proposals: object}) => s.proposals)).toEqual([{}, {}, {}, {}])

    // When the network is stopped and started again, all 4 find each other from their config.toml
    await medrec('network', 'down')
    const restarted = await medrec('network', 'up')
    expect(restarted.action).toBe('started')
    expect((await medrec('network', 'status')).sealers.map((s: {peers: number}) => s.peers)).toEqual([4, 4, 4, 4])

    // When it is removed
    const removed = await medrec('sealer', 'remove', 'sealer-4')

    // Then it has left the signers and the network, and the other three seal on
    expect(removed.signers.map((s: string) => s.toLowerCase())).not.toContain(added.address.toLowerCase())
    expect(removed.signers).toHaveLength(3)
    expect((await dockerObjectsOf(net.name)).containers.sort()).toEqual(
      [
        `/medrec-${net.name}_reconciler`,
        `/medrec-${net.name}_rpc`,
        `/medrec-${net.name}_sealer-1`,
        `/medrec-${net.name}_sealer-2`,
        `/medrec-${net.name}_sealer-3`,
      ].sort(),
    )
    expect(await readFile(join(net.dir, 'medrec.yaml'), 'utf8')).not.toContain('sealer-4')
    expect((await medrec('sealer', 'list')).votes).toEqual([])
    const head = Number((await rpc(net.rpcUrl, 'eth_blockNumber')).body.result)
    await eventually('three more blocks', async () =>
      Number((await rpc(net.rpcUrl, 'eth_blockNumber')).body.result) >= head + 3 ? true : undefined,
    )
    expect((await medrec('network', 'status')).liveness).toMatchObject({
      signers: 3,
      online: 3,
      needed: 2,
      stalled: false,
    })

    // And bad requests are refused by name
    const duplicate = await runMedrec(['sealer', 'add', 'sealer-2', '--dir', net.dir, '--json'])
    expect(duplicate.json.error).toMatchObject({
      code: 'MEDREC_INVALID_ARGUMENT',
      message: expect.stringContaining('already a sealer named sealer-2'),
    })
    const unknown = await runMedrec(['sealer', 'remove', 'sealer-9', '--dir', net.dir, '--json'])
    expect(unknown.json.error.code).toBe('MEDREC_NODE_NOT_FOUND')
  })
})
