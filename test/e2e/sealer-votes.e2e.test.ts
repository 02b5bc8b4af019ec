import {describe, expect, it} from 'vitest'

import {docker, eventually, initE2eNetwork, rpc, throwawayNetworks} from '../helpers/e2e-network.js'
import {e2ePrerequisites} from '../helpers/e2e-prerequisites.js'
import {medrecIn, runMedrec} from '../helpers/run-medrec.js'

const prerequisites = await e2ePrerequisites()
const created = throwawayNetworks()

async function signersOf(rpcUrl: string): Promise<string[]> {
  return ((await rpc(rpcUrl, 'clique_getSigners', ['latest'])).body.result as string[])
    .map((s) => s.toLowerCase())
    .sort()
}

// Skipped only outside CI, with its reason printed, when a prerequisite (Docker, the geth image) is missing;
// under CI the check throws instead (test/helpers/e2e-prerequisites.ts, hosts.ts): nothing is skipped there.
describe.skipIf(!prerequisites.ok)('Clique votes cast by the sealers, kept by the tool', () => {
  it('changes nothing below the threshold, re-issues a vote a restart wiped, \
and applies it once a majority votes', async () => {
    // Given a running network of 3 sealers, without the vote reconciler: this is the tool's own
    // re-issue, which a network without one relies on (the reconciler would re-cast it first)
    const net = await initE2eNetwork('e2e-vote', [], {reconciler: false})
    created.push(net.name)
    const medrec = medrecIn(net.dir)
    await medrec('network', 'up')
    const sealers = (await medrec('network', 'status')).sealers as {name: string; address: string}[]
    const target = sealers.find((s) => s.name === 'sealer-3')!.address.toLowerCase()

    // When only sealer-1 votes to remove sealer-3 (2 of 3 votes are needed)
    const vote = await medrec('sealer', 'propose', target, '--remove', '--from', 'sealer-1')
    expect(vote).toMatchObject({castBy: ['sealer-1'], votesNeeded: 2, authorize: false})
    const head = Number((await rpc(net.rpcUrl, 'eth_blockNumber')).body.result)
    await eventually('eight more blocks', async () =>
      Number((await rpc(net.rpcUrl, 'eth_blockNumber')).body.result) >= head + 8 ? true : undefined,
    )

    // Then the signer set is unchanged, and sealer-1 holds the proposal
    expect(await signersOf(net.rpcUrl)).toHaveLength(3)
    const listed = await medrec('sealer', 'list')
    expect(listed.sealers.find((s: {name: string}) => s.name === 'sealer-1').proposals).toEqual({[target]: false})
    expect(listed.votes).toEqual([{address: expect.any(String), authorize: false, castBy: ['sealer-1'], lostOn: []}])

    // When sealer-1 restarts, geth forgets the proposal: the tool reports it and up casts it again
    const [container] = await docker.listContainers({
      filters: {label: [`org.medrec.network=${net.name}`, 'org.medrec.node=sealer-1']},
    })
    await docker.getContainer(container!.Id).restart({t: 30})
    await eventually('sealer-1 to answer over IPC', async () =>
      (await runMedrec(['sealer', 'list', '--dir', net.dir, '--json'])).json?.sealers?.[0]?.proposals
        ? true
        : undefined,
    )
    const drifted = await medrec('sealer', 'list')
    expect(drifted.votes[0].lostOn).toEqual(['sealer-1'])
    expect(drifted.drift).toEqual([expect.stringContaining('sealer-1 lost the vote to remove')])
    const up = await medrec('network', 'up')
    expect(up.reconciler).toEqual({action: 'disabled', image: null})
    expect(up.votes.reissued).toEqual([{address: expect.any(String), sealers: ['sealer-1']}])
    expect((await medrec('sealer', 'list')).votes[0].lostOn).toEqual([])

    // When sealer-2 votes too, the change passes
    expect((await medrec('sealer', 'propose', target, '--remove', '--from', 'sealer-2')).castBy).toEqual([
      'sealer-1',
      'sealer-2',
    ])
    await eventually('sealer-3 to leave the signers', async () =>
      (await signersOf(net.rpcUrl)).includes(target) ? undefined : true,
    )

    // Then the tool forgets the vote that passed, and status shows two signers, both needed
    expect((await medrec('network', 'up')).votes.passed.map((a: string) => a.toLowerCase())).toEqual([target])
    expect((await medrec('sealer', 'list')).votes).toEqual([])
    const status = await medrec('network', 'status')
    expect(status.liveness).toMatchObject({signers: 2, online: 2, needed: 2, stalled: false})
    expect(status.sealers.find((s: {name: string}) => s.name === 'sealer-3').isSigner).toBe(false)
    // And a vote that would change nothing is refused
    const pointless = await runMedrec(['sealer', 'propose', target, '--remove', '--dir', net.dir, '--json'])
    expect(pointless.exitCode).toBe(1)
    expect(pointless.json.error.message).toContain('is not a signer')

    // When every sealer votes sealer-3 back in, it rejoins and seals again
    await medrec('sealer', 'propose', target, '--add')
    await eventually('sealer-3 to rejoin the signers', async () =>
      (await signersOf(net.rpcUrl)).includes(target) ? true : undefined,
    )
    const rejoinedAt = Number((await rpc(net.rpcUrl, 'eth_blockNumber')).body.result)
    let next = rejoinedAt + 1
    await eventually('sealer-3 to seal a block after rejoining', async () => {
      const head = Number((await rpc(net.rpcUrl, 'eth_blockNumber')).body.result)
      for (; next <= head; next++) {
        if (
          (
            (await rpc(net.rpcUrl, 'clique_getSigner', [`0x${next.toString(16)}`])).body.result as string
          ).toLowerCase() === target
        )
          return true
      }
      return undefined
    })
    expect((await medrec('sealer', 'status')).signers.map((s: {name: string}) => s.name)).toEqual([
      'sealer-1',
      'sealer-2',
      'sealer-3',
    ])
  })
})
