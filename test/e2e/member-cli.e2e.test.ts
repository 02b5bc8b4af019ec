import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {describe, expect, it} from 'vitest'

import {gethIpcEval} from '../../src/geth/geth-ipc.js'
import {pinnedGethImage} from '../../src/geth/geth-version.js'
import {readNodeChainView} from '../../src/clique/node-chain-view.js'
import {memberPaths} from '../../src/member/member-files.js'
import {memberResourceNames} from '../../src/member/member-resources.js'
import {eventually, sameBlockOnEvery} from '../helpers/e2e-network.js'
import {createTestHosts, multiHostPrerequisites, printHostLogs, type TestHost} from '../helpers/hosts.js'
import {assertNoForeignSecrets} from '../helpers/member-secrets.js'
import {runMedrec, type ParsedJson} from '../helpers/run-medrec.js'

const prerequisites = await multiHostPrerequisites(pinnedGethImage)

/** How long a person takes between starting one founder's node and the next one's, on another host. */
const pauseBetweenFounders = 15_000

type Member = {name: string; dir: string; host: TestHost}

// Skipped only outside CI, with its reason printed, when a prerequisite (Docker, the geth image) is missing;
// under CI the check throws instead (test/helpers/e2e-prerequisites.ts, hosts.ts): nothing is skipped there.
describe.skipIf(!prerequisites.ok)('a consortium formed through the CLI, each provider on its own host', () => {
  it('founds from cards, starts each member with `member up`, deploys once, verifies the code elsewhere, ' +
    'survives a cut-off host and restores the same head', async () => {
    const testHosts = await createTestHosts(4, {image: pinnedGethImage})
    const root = await mkdtemp(join(tmpdir(), 'medrec-member-cli-'))
    const [h1, h2, h3, h4] = testHosts.hosts as [TestHost, TestHost, TestHost, TestHost]
    const members: Member[] = [
      {name: 'st-anne', dir: join(root, 'st-anne'), host: h1},
      {name: 'riverside', dir: join(root, 'riverside'), host: h2},
      {name: 'north-clinic', dir: join(root, 'north-clinic'), host: h3},
    ]
    const [anne, river, north] = members as [Member, Member, Member]
    // Each member's commands run against its own host's engine, from its own directory only.
    const run = (m: Member, ...args: string[]) =>
      runMedrec([...args, '--dir', m.dir, '--json'], {env: {DOCKER_HOST: m.host.endpoint.host}, timeoutMs: 400_000})
    const medrec = async (m: Member, ...args: string[]): Promise<ParsedJson> => {
      const result = await run(m, ...args)
      if (result.exitCode !== 0)
        throw new Error(`[${m.name}] medrec ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`)
      return result.json
    }
    const network = `mc-${testHosts.runId}`
    const sealerOf = (m: Member) => memberResourceNames({network, member: m.name}).sealer
    const viewOf = (m: Member, window = 1) =>
      readNodeChainView(m.host.engine, memberResourceNames({network, member: m.name}).sealer, m.name, window)
    const hashAt = (m: Member, height: number) =>
      gethIpcEval<string | null>(
        m.host.engine,
        memberResourceNames({network, member: m.name}).sealer,
        m.name,
        `(eth.getBlock(${height}) || {hash: null}).hash`,
      )
    try {
      // Given three providers, each making its own workspace on its own host, its RPC node on that host's address
      for (const m of members) {
        await medrec(m, 'member', 'init', m.name, '--advertise', m.host.ip, '--rpc-host', m.host.ip, '--light-kdf')
      }
      // When st-anne founds the consortium from the others' cards, and they import the bundle it sent
      const bundle1 = join(root, 'carenet.bundle.json')
      const found = await medrec(
        anne,
        'consortium',
        'found',
        '--name',
        network,
        '--period',
        '1',
        '--card',
        join(river.dir, 'riverside.card.json'),
        '--card',
        join(north.dir, 'north-clinic.card.json'),
        '--out',
        bundle1,
      )
      expect(found.revision).toBe(1)
      for (const m of [river, north])
        expect(await medrec(m, 'consortium', 'import', bundle1)).toMatchObject({role: 'member'})

      // When the first founder runs `member up` while nobody else runs
      const first = await medrec(anne, 'member', 'up', '--timeout', '180')
      // Then it seals alone, and names each peer it cannot reach, with its advertised address
      expect(first).toMatchObject({state: 'sealing-alone', started: true, role: 'signer'})
      expect(first.peers).toEqual([
        expect.objectContaining({name: 'riverside', address: `${h2.ip}:30303`, reachable: false}),
        expect.objectContaining({name: 'north-clinic', address: `${h3.ip}:30303`, reachable: false}),
      ])
      // When the others start theirs on their own hosts, one after another
      await delay(pauseBetweenFounders)
      expect(await medrec(river, 'member', 'up', '--timeout', '180')).toMatchObject({state: 'sealing'})
      await delay(pauseBetweenFounders)
      const third = await medrec(north, 'member', 'up', '--timeout', '180')
      expect(third).toMatchObject({state: 'sealing'})
      // Then every founder seals after the last start
      await eventually(
        'every founder to seal after the last start',
        async () => {
          const view = await viewOf(anne, 24)
          const sealers = new Set(view.recent.filter((b) => b.number > third.blockNumber).map((b) => b.signer))
          return sealers.size === 3 ? true : undefined
        },
        60_000,
      )
      // And `member status` shows each one's own nodes and its peers connected
      const status = await medrec(river, 'member', 'status')
      expect(status.chain).toMatchObject({signer: true, mining: true, signers: 3})
      expect(status.peers.map((p: ParsedJson) => [p.name, p.connected])).toEqual([
        ['st-anne', true],
        ['north-clinic', true],
      ])

      // When st-anne deploys the contracts with its own account through its own RPC node
      const bundle2 = join(root, 'carenet.rev2.bundle.json')
      const deployed = await medrec(anne, 'contracts', 'deploy', '--out', bundle2)
      expect(deployed.revision).toBe(2)
      expect(deployed.founders.map((f: ParsedJson) => f.name)).toEqual(['st-anne', 'riverside', 'north-clinic'])
      // Then the others, importing the refreshed bundle, check the code on their own nodes and trust it
      for (const m of [river, north]) {
        const imported = await medrec(m, 'consortium', 'import', bundle2)
        expect(imported.revision).toBe(2)
        expect(imported.contracts.length).toBe(Object.keys(deployed.addresses).length)
        expect(imported.contracts.every((c: ParsedJson) => c.trusted)).toBe(true)
      }

      // When the third host's link is cut
      await testHosts.cutLink(h3)
      const atCut = (await viewOf(anne)).head.number
      // Then the two others keep sealing, both of them
      await eventually(
        'the two connected founders to seal 8 more blocks',
        async () => {
          const view = await viewOf(anne, 24)
          const sealers = new Set(view.recent.filter((b) => b.number > atCut + 1).map((b) => b.signer))
          return view.head.number >= atCut + 8 && sealers.size >= 2 ? true : undefined
        },
        90_000,
      )
      // When it is restored, it catches up: at a height past the restore, all three hold the same block
      await testHosts.restoreLink(h3)
      const atRestore = (await viewOf(anne)).head.number
      await sameBlockOnEvery(
        'the cut-off founder to hold the same chain as the others',
        members,
        {head: async (m) => (await viewOf(m)).head.number, hashAt},
        atRestore + 3,
        120_000,
      )

      // Given a fourth provider on a fourth host, with its own workspace
      const joiner: Member = {name: 'lakeside', dir: join(root, 'lakeside'), host: h4}
      await medrec(joiner, 'member', 'init', joiner.name, '--advertise', h4.ip, '--light-kdf')
      const joinerCard = join(joiner.dir, 'lakeside.card.json')
      const joinerSigner = (JSON.parse(await readFile(joinerCard, 'utf8')) as {signer: string}).signer.toLowerCase()
      // When it is sent the current bundle, which does not list it: refused
      const foreign = await run(joiner, 'consortium', 'import', bundle2)
      expect([foreign.exitCode, foreign.json?.error?.code]).toEqual([1, 'MEDREC_BUNDLE_NOT_FOR_MEMBER'])
      // When it starts its node before anyone proposed it: refused, and nothing is created on its engine
      const early = await run(joiner, 'member', 'up', '--timeout', '60')
      expect(early.exitCode).toBe(1)
      expect(early.json?.error?.code).toMatch(/^MEDREC_/)
      expect(await h4.docker.listContainers({all: true})).toEqual([])
      expect((await h4.docker.listVolumes()).Volumes ?? []).toEqual([])

      // When st-anne proposes it from its card (st-anne's votes), and it imports the bundle st-anne sent
      const bundle3 = join(root, 'carenet.rev3.bundle.json')
      const proposed = await medrec(anne, 'provider', 'propose', '--card', joinerCard, '--out', bundle3)
      expect(proposed).toMatchObject({action: 'admit', name: 'lakeside', status: 'awaiting-votes', votes: 1})
      expect(proposed.threshold).toBe(2)
      expect(await medrec(joiner, 'consortium', 'import', bundle3)).toMatchObject({revision: 3, role: 'joining'})
      // Then its node syncs and waits for the members' votes
      const waiting = await medrec(joiner, 'member', 'up', '--timeout', '180')
      expect(waiting).toMatchObject({state: 'waiting-for-votes', role: 'candidate'})
      expect(waiting.votes).toMatchObject({signers: 3, needed: 2})
      expect(waiting.summary).toMatch(/waiting for votes: \d of 3/)

      // When st-anne approves what it proposed: refused, nothing sent (its account's nonce stays)
      const anneCard = JSON.parse(await readFile(join(anne.dir, 'st-anne.card.json'), 'utf8')) as {signer: string}
      const nonceOf = `eth.getTransactionCount(${JSON.stringify(anneCard.signer)}, "pending")`
      const nonce = () => gethIpcEval<number>(anne.host.engine, sealerOf(anne), anne.name, nonceOf)
      const nonceBefore = await nonce()
      const twice = await run(anne, 'provider', 'approve', 'lakeside')
      expect([twice.exitCode, twice.json?.error?.code]).toEqual([1, 'MEDREC_ALREADY_VOTED'])
      expect(await nonce()).toBe(nonceBefore)
      // When st-anne's sealer restarts before the decision (geth keeps Clique votes in memory only)
      await h1.docker.getContainer(sealerOf(anne)).restart()
      // Then its watchdog casts st-anne's recorded Clique vote again: it cannot vote again on chain
      await eventually(
        "st-anne's restarted sealer to hold its vote for the joiner again",
        async () => {
          const held = await gethIpcEval<Record<string, boolean>>(
            h1.engine,
            sealerOf(anne),
            anne.name,
            'clique.proposals',
          )
          return Object.entries(held).some(([address, add]) => address.toLowerCase() === joinerSigner && add)
            ? true
            : undefined
        },
        90_000,
      )

      // When riverside imports the bundle and approves from its own directory: the deciding vote
      const bundle4 = join(root, 'carenet.rev4.bundle.json')
      expect(await medrec(river, 'consortium', 'import', bundle3)).toMatchObject({revision: 3})
      const approvedAt = Date.now()
      const decided = await medrec(river, 'provider', 'approve', 'lakeside', '--out', bundle4)
      expect(decided).toMatchObject({status: 'executed', votes: 2, threshold: 2, bundle: {revision: 4}})
      const rev4 = JSON.parse(await readFile(bundle4, 'utf8')) as {members: {name: string}[]; joining: unknown[]}
      expect(rev4.members.map((c) => c.name)).toEqual(['st-anne', 'riverside', 'north-clinic', 'lakeside'])
      expect(rev4.joining).toEqual([])
      // Then the joiner seals a block: its signer signs one, as every node sees it
      await eventually(
        'the joiner to seal a block',
        async () => {
          const view = await viewOf(joiner, 24)
          return view.recent.some((b) => b.signer.toLowerCase() === joinerSigner) ? true : undefined
        },
        120_000,
      )
      console.info(`deciding approval → joiner's first sealed block seen: ${Date.now() - approvedAt} ms`)
      // And every member's node counts it among the signers (st-anne's, restarted shortly before, once it caught up)
      await eventually(
        "every member's node to count the joiner among the signers",
        async () => {
          const views = await Promise.all(members.map((m) => viewOf(m)))
          return views.every((v) => v.signers.some((s) => s.toLowerCase() === joinerSigner)) ? true : undefined
        },
        60_000,
      )
      // And north-clinic, approving from the proposal's bundle after the decision, is told it is done: nothing sent
      expect(await medrec(north, 'consortium', 'import', bundle3)).toMatchObject({revision: 3})
      const late = await run(north, 'provider', 'approve', 'lakeside')
      expect([late.exitCode, late.json?.error?.code]).toEqual([1, 'MEDREC_INVALID_ARGUMENT'])
      for (const m of [anne, north, joiner])
        expect(await medrec(m, 'consortium', 'import', bundle4)).toMatchObject({revision: 4, role: 'member'})

      // And no directory holds another member's keys; no card or bundle holds a secret or the identity key
      const identityHex = (await readFile(join(anne.dir, '.medrec/keys/identity/hmac.key'), 'utf8')).trim()
      const identity = Buffer.from(identityHex, 'hex')
      await assertNoForeignSecrets(root, [...members, joiner], [identityHex, identity.toString('base64'), identity])

      // (st-anne's keyless RPC node, which its commands read, follows its restarted sealer: its watchdog redials it)
      await eventually(
        "st-anne's RPC node to follow its restarted sealer",
        async () => {
          const rpc = memberResourceNames({network, member: anne.name}).rpc
          const [own, sealer] = await Promise.all([
            gethIpcEval<number>(h1.engine, rpc, anne.name, 'eth.blockNumber'),
            viewOf(anne),
          ])
          return own >= sealer.head.number - 1 ? true : undefined
        },
        60_000,
      )
      // When st-anne proposes to remove the joiner again, and the two others approve from their own directories
      const bundle5 = join(root, 'carenet.rev5.bundle.json')
      const removal = await medrec(anne, 'provider', 'remove', 'lakeside')
      expect(removal).toMatchObject({action: 'remove', status: 'awaiting-votes', votes: 1, threshold: 3})
      expect(await medrec(river, 'provider', 'approve', 'lakeside')).toMatchObject({votes: 2, status: 'awaiting-votes'})
      // When riverside takes its votes back: one vote less on chain, and its sealer neither holds nor records its own
      const riverHolds = async () =>
        Object.keys(
          await gethIpcEval<Record<string, boolean>>(h2.engine, sealerOf(river), river.name, 'clique.proposals'),
        ).map((address) => address.toLowerCase())
      expect(await riverHolds()).toContain(joinerSigner)
      const withdrawn = await medrec(river, 'provider', 'withdraw', 'lakeside')
      expect(withdrawn).toMatchObject({action: 'remove', voter: 'riverside', whitelist: {votes: 1, threshold: 3}})
      expect(withdrawn.clique).toEqual({discarded: true})
      expect(await riverHolds()).not.toContain(joinerSigner)
      // (its watchdog looks every 5 s and casts a recorded vote the sealer lacks: after a look, still not held)
      await delay(7_000)
      expect(await riverHolds()).not.toContain(joinerSigner)
      const riverState = JSON.parse(await readFile(memberPaths(river.dir).memberStateFile, 'utf8'))
      expect(Object.keys(riverState.cliqueVotes)).not.toContain(joinerSigner)
      // And a second withdrawal has nothing left to take back
      const again = await run(river, 'provider', 'withdraw', 'lakeside')
      expect([again.exitCode, again.json?.error?.code]).toEqual([1, 'MEDREC_NOT_VOTED'])
      // When it approves again, the removal goes on
      expect(await medrec(river, 'provider', 'approve', 'lakeside')).toMatchObject({votes: 2, status: 'awaiting-votes'})
      expect(await riverHolds()).toContain(joinerSigner)
      const removed = await medrec(north, 'provider', 'approve', 'lakeside', '--out', bundle5)
      expect(removed).toMatchObject({action: 'remove', status: 'executed', votes: 3, bundle: {revision: 5}})
      const rev5 = JSON.parse(await readFile(bundle5, 'utf8')) as {members: {name: string}[]}
      expect(rev5.members.map((c) => c.name)).toEqual(['st-anne', 'riverside', 'north-clinic'])
      // Then Clique drops it too, on every remaining member's node, and the three seal on without it
      await eventually(
        'the removed member to leave the signers on every remaining node',
        async () => {
          const views = await Promise.all(members.map((m) => viewOf(m)))
          return views.every((v) => v.signers.length === 3 && !v.signers.some((s) => s.toLowerCase() === joinerSigner))
            ? true
            : undefined
        },
        120_000,
      )
      const atRemoval = (await viewOf(anne)).head.number
      await eventually(
        'the three remaining members to seal on',
        async () => ((await viewOf(anne)).head.number >= atRemoval + 4 ? true : undefined),
        60_000,
      )

      // When one member stops and destroys its node: only its own objects go, on its own engine
      expect((await medrec(river, 'member', 'down')).stopped).toEqual(['rpc', 'sealer', 'watchdog'])
      const destroyed = await medrec(river, 'member', 'destroy', '--force')
      expect(destroyed.removed).toMatchObject({containers: 3, volumes: 2})
      expect((await viewOf(anne)).head.number).toBeGreaterThan(atRestore)
    } catch (error) {
      await printHostLogs(testHosts.hosts, 40)
      throw error
    } finally {
      const left = await testHosts.teardown()
      await rm(root, {recursive: true, force: true})
      expect(left).toEqual([])
    }
  }, 900_000)
})
