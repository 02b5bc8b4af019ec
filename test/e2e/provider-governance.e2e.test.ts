import {describe, expect, it} from 'vitest'

import {docker, eventually, initE2eNetwork, rpc, throwawayNetworks} from '../helpers/e2e-network.js'
import {e2ePrerequisites} from '../helpers/e2e-prerequisites.js'
import {medrecIn, runMedrec} from '../helpers/run-medrec.js'

const prerequisites = await e2ePrerequisites()
const created = throwawayNetworks()

const headOf = async (rpcUrl: string): Promise<number> => Number((await rpc(rpcUrl, 'eth_blockNumber')).body.result)
const snapshotAt = async (
  rpcUrl: string,
  block: number,
): Promise<{votes: unknown[] | null; tally: Record<string, unknown>}> =>
  (await rpc(rpcUrl, 'clique_getSnapshot', [`0x${block.toString(16)}`])).body.result

// Skipped only outside CI, with its reason printed, when a prerequisite (Docker, the geth image) is missing;
// under CI the check throws instead (test/helpers/e2e-prerequisites.ts, hosts.ts): nothing is skipped there.
describe.skipIf(!prerequisites.ok)(
  'the provider whitelist and the Clique signers, governed by the sealing providers',
  () => {
    it('clears pending Clique votes at a checkpoint as geth does, \
and the tool re-issues a vote a restart wiped', async () => {
      // Given 3 sealers with a checkpoint every 6 blocks, without the vote reconciler: this is
      // the tool's own re-issue (test/e2e/vote-reconciler.e2e.test.ts has the reconciler's)
      const net = await initE2eNetwork('e2e-epoch', ['--epoch', '6'], {reconciler: false})
      created.push(net.name)
      const medrec = medrecIn(net.dir)
      await medrec('network', 'up')
      const target = ((await medrec('network', 'status')).sealers as {name: string; address: string}[]).find(
        (s) => s.name === 'sealer-3',
      )!.address

      // When only sealer-1 votes to remove sealer-3 (below the threshold of 2)
      await medrec('sealer', 'propose', target, '--remove', '--from', 'sealer-1')

      // Then a block sealed by sealer-1 carries the vote into the tally, and the next checkpoint clears it
      const tallied = await eventually('the vote to be tallied', async () => {
        const head = await headOf(net.rpcUrl)
        return Object.keys((await snapshotAt(net.rpcUrl, head)).tally).length > 0 && head % 6 !== 0 ? head : undefined
      })
      const checkpoint = Math.ceil((tallied + 1) / 6) * 6
      await eventually('the checkpoint block', async () =>
        (await headOf(net.rpcUrl)) >= checkpoint ? true : undefined,
      )
      const cleared = await snapshotAt(net.rpcUrl, checkpoint)
      expect(cleared.votes ?? []).toEqual([])
      expect(cleared.tally).toEqual({})
      // And the signer set is unchanged, while sealer-1 still holds its proposal and votes again after the checkpoint
      expect((await rpc(net.rpcUrl, 'clique_getSigners', ['latest'])).body.result).toHaveLength(3)
      expect((await medrec('sealer', 'list')).sealers[0].proposals).toEqual({[target.toLowerCase()]: false})

      // When sealer-1 restarts, it forgets the proposal: status reports the drift and up re-issues the vote
      const [container] = await docker.listContainers({
        filters: {label: [`org.medrec.network=${net.name}`, 'org.medrec.node=sealer-1']},
      })
      await docker.getContainer(container!.Id).restart({t: 30})
      await eventually('sealer-1 to answer over IPC', async () =>
        (await runMedrec(['sealer', 'list', '--dir', net.dir, '--json'])).json?.sealers?.[0]?.proposals
          ? true
          : undefined,
      )
      expect((await medrec('network', 'status')).drift).toEqual([
        expect.stringContaining('sealer-1 lost the vote to remove'),
      ])
      expect((await medrec('network', 'up')).votes.reissued).toEqual([
        {address: expect.any(String), sealers: ['sealer-1']},
      ])
      expect((await medrec('sealer', 'list')).sealers[0].proposals).toEqual({[target.toLowerCase()]: false})
      // And the re-issued vote lands in the tally again after the next checkpoint
      const next = (Math.floor((await headOf(net.rpcUrl)) / 6) + 1) * 6
      await eventually('the re-issued vote to be tallied after a checkpoint', async () => {
        const head = await headOf(net.rpcUrl)
        return head > next && Object.keys((await snapshotAt(net.rpcUrl, head)).tally).length > 0 ? true : undefined
      })
    })

    it('admits a sealing provider by majority, keeps whitelist and signers in step, \
and removes it while the others seal on', async () => {
      // Given 3 sealers and the contracts deployed: the 3 sealers found the consortium
      const net = await initE2eNetwork('e2e-prov')
      created.push(net.name)
      const medrec = medrecIn(net.dir)
      await medrec('network', 'up')
      const deployed = await medrec('contracts', 'deploy')
      expect(deployed.governance).toBe(deployed.addresses.Consortium)
      expect(deployed.founders.map((f: {name: string}) => f.name)).toEqual(['sealer-1', 'sealer-2', 'sealer-3'])
      const start = await medrec('provider', 'list')
      expect(start).toMatchObject({members: 3, threshold: 2, drift: [], pending: []})
      expect(
        start.providers.map((p: {name: string; sealing: boolean; signer: boolean}) => [p.name, p.sealing, p.signer]),
      ).toEqual([
        ['sealer-1', true, true],
        ['sealer-2', true, true],
        ['sealer-3', true, true],
      ])

      // When a clinic without a node is added, every sealing provider here votes and it is whitelisted
      const clinic = await medrec('provider', 'add', 'clinic', '--light-kdf')
      expect(clinic).toMatchObject({status: 'done', sealer: false, whitelist: {passed: true, votes: 2, threshold: 2}})
      expect(await medrec('registrar', 'show', '--account', 'clinic')).toMatchObject({
        kind: 'provider',
        certified: true,
      })

      // When st-anne is proposed as a sealer with only sealer-1's votes
      const proposed = await medrec('provider', 'add', 'st-anne', '--sealer', '--vote-as', 'sealer-1', '--light-kdf')
      // Then it waits for more votes: nothing has changed on the whitelist or in Clique
      expect(proposed).toMatchObject({
        status: 'awaiting-votes',
        whitelist: {passed: false, votes: 1, threshold: 2},
        clique: {votesFrom: ['sealer-1'], votesNeeded: 2},
      })
      const waiting = await medrec('provider', 'list')
      expect(waiting.pending).toEqual([
        expect.objectContaining({name: 'st-anne', action: 'admit', sealer: true, votes: 1, threshold: 2}),
      ])
      expect(waiting.drift).toEqual([])
      // When sealer-1 takes its votes back: no vote is left on chain, and its sealer no longer votes in Clique
      const withdrawn = await medrec('provider', 'withdraw', 'st-anne', '--as', 'sealer-1')
      expect(withdrawn).toMatchObject({action: 'admit', voter: 'sealer-1', whitelist: {votes: 0, threshold: 2}})
      expect(withdrawn.clique).toEqual({discarded: true})
      expect((await medrec('provider', 'list')).pending).toEqual([])
      const proposalsOf = async (name: string) =>
        (await medrec('sealer', 'list')).sealers.find((s: {name: string}) => s.name === name).proposals
      expect(await proposalsOf('sealer-1')).toEqual({})
      // When it votes again, the proposal is back where it was
      const again = await medrec('provider', 'approve', 'st-anne', '--as', 'sealer-1')
      expect(again).toMatchObject({status: 'awaiting-votes', whitelist: {votes: 1, passed: false}})
      expect(await proposalsOf('sealer-1')).toEqual({[proposed.account.toLowerCase()]: true})

      // When sealer-2 approves with its own key, both votes pass and st-anne seals
      const approved = await medrec('provider', 'approve', 'st-anne', '--as', 'sealer-2')
      expect(approved).toMatchObject({
        status: 'done',
        action: 'admit',
        whitelist: {passed: true},
        clique: {firstSealedBlock: expect.any(Number)},
      })
      const signer = (await rpc(net.rpcUrl, 'clique_getSigner', [`0x${approved.clique.firstSealedBlock.toString(16)}`]))
        .body.result as string
      expect(signer.toLowerCase()).toBe(approved.account.toLowerCase())
      const four = await medrec('provider', 'list')
      expect(four).toMatchObject({members: 4, threshold: 3, drift: [], pending: []})
      expect(four.providers.find((p: {name: string}) => p.name === 'st-anne')).toMatchObject({
        certified: true,
        sealing: true,
        signer: true,
      })
      expect((await medrec('network', 'status')).liveness).toMatchObject({signers: 4, needed: 3, stalled: false})

      // When a signer leaves Clique behind the whitelist's back, the drift is reported
      await medrec('sealer', 'propose', approved.account, '--remove')
      await eventually('st-anne to leave the signers', async () =>
        (await medrec('provider', 'list')).drift.length > 0 ? true : undefined,
      )
      expect((await medrec('network', 'status')).drift).toEqual([
        expect.stringContaining('st-anne is a sealing provider on the whitelist but not a Clique signer'),
      ])
      await medrec('sealer', 'propose', approved.account, '--add')
      await eventually('st-anne to rejoin the signers', async () =>
        (await medrec('provider', 'list')).drift.length === 0 ? true : undefined,
      )

      // When st-anne is removed, it leaves the whitelist and the signers, its node goes, and the others seal on
      const removed = await medrec('provider', 'remove', 'st-anne')
      expect(removed).toMatchObject({status: 'done', action: 'remove', whitelist: {passed: true}})
      const after = await medrec('provider', 'list')
      expect(after).toMatchObject({members: 3, threshold: 2, drift: []})
      expect(after.providers.find((p: {name: string}) => p.name === 'st-anne')).toMatchObject({
        certified: false,
        sealing: false,
        signer: false,
      })
      expect((await medrec('network', 'status')).sealers.map((s: {name: string}) => s.name)).toEqual([
        'sealer-1',
        'sealer-2',
        'sealer-3',
      ])
      const head = await headOf(net.rpcUrl)
      await eventually('three more blocks', async () => ((await headOf(net.rpcUrl)) >= head + 3 ? true : undefined))

      // And the former admin cannot certify anyone behind the consortium's back
      const bypass = await runMedrec([
        'registrar',
        'register',
        'provider',
        '--local-id',
        'rogue',
        '--account',
        'clinic',
        '--as',
        'deployer',
        '--dir',
        net.dir,
        '--json',
      ])
      expect(bypass.exitCode).toBe(1)
      expect(bypass.json.error.message).toContain('NotGovernance')
    })
  },
)
