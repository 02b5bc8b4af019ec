import {readdir, readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {describe, expect, it} from 'vitest'

import {DockerodeEngine} from '../../src/docker/dockerode-engine.js'
import {gethIpcEval} from '../../src/geth/geth-ipc.js'
import {pinnedGethImage} from '../../src/geth/geth-version.js'
import {readNodeChainView} from '../../src/clique/node-chain-view.js'
import {destroyMemberNode, stopMemberNode} from '../../src/member/member-node-lifecycle.js'
import {memberNodeStatus} from '../../src/member/member-node-status.js'
import {startMemberNode, type StartMemberNodeResult} from '../../src/member/member-node.js'
import {memberResourceNames} from '../../src/member/member-resources.js'
import {enodeId} from '../../src/member/probe-peers.js'
import {sshArguments} from '../../src/docker/ssh-connection.js'
import {networkPaths} from '../../src/workspace/network-files.js'
import {eventually, rpc, sameBlockOnEvery} from '../helpers/e2e-network.js'
import {createTestHosts, fakeSshClient, multiHostPrerequisites, printHostLogs, type TestHost} from '../helpers/hosts.js'
import {
  founderSpec,
  makeTestConsortium,
  makeTestMember,
  type TestConsortium,
  type TestFounder,
} from '../helpers/member-founders.js'

const prerequisites = await multiHostPrerequisites(pinnedGethImage)

/** How long a person takes between starting one founder's node and the next one's, on another host. */
const pauseBetweenFounders = 15_000

/** Every file under a directory, recursively, with its content. */
async function filesUnder(dir: string): Promise<{path: string; content: string}[]> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true})
  return Promise.all(
    entries
      .filter((e) => e.isFile())
      .map(async (e) => {
        const path = join(e.parentPath, e.name)
        return {path, content: await readFile(path, 'utf8')}
      }),
  )
}

/** Fails when a founder's directory holds anything of another founder's keystore, password or node key. */
async function assertOwnKeysOnly(founders: TestFounder[]): Promise<void> {
  const secrets = await Promise.all(
    founders.map(async (f) => {
      const files = networkPaths(f.dir).node(f.name)
      const keystore = JSON.parse(await readFile(files.keystore, 'utf8')) as {crypto: {ciphertext: string}}
      return {
        name: f.name,
        values: [
          keystore.crypto.ciphertext,
          (await readFile(files.password, 'utf8')).trim(),
          (await readFile(files.nodeKey, 'utf8')).trim(),
        ],
      }
    }),
  )
  for (const founder of founders) {
    expect(await readdir(networkPaths(founder.dir).keysDir)).toEqual([founder.name])
    const files = await filesUnder(founder.dir)
    for (const other of secrets.filter((s) => s.name !== founder.name)) {
      for (const value of other.values) {
        const holders = files.filter((f) => f.content.includes(value)).map((f) => f.path)
        expect(holders, `${founder.name}'s directory holds a secret of ${other.name}`).toEqual([])
      }
    }
  }
}

// Skipped only outside CI, with its reason printed, when a prerequisite (Docker, the geth image) is missing;
// under CI the check throws instead (test/helpers/e2e-prerequisites.ts, hosts.ts): nothing is skipped there.
describe.skipIf(!prerequisites.ok)('a consortium whose founders run their nodes on three separate hosts', () => {
  it('seals once every founder started on its own engine minutes apart, keeps sealing without a cut-off host, ' +
    'and brings it back to the same head', async () => {
    const testHosts = await createTestHosts(3, {image: pinnedGethImage})
    let consortium: TestConsortium | undefined
    const dirs: string[] = []
    try {
      const [h1, h2, h3] = testHosts.hosts as [TestHost, TestHost, TestHost]
      // Given three founders, each with a key directory of its own, one per host
      consortium = await makeTestConsortium({
        name: `mh-${testHosts.runId}`,
        founders: [
          {name: 'st-anne', host: h1.ip},
          {name: 'riverside', host: h2.ip},
          {name: 'north-clinic', host: h3.ip},
        ],
      })
      const founders = consortium.founders
      const [anne, river, north] = founders as [TestFounder, TestFounder, TestFounder]
      await assertOwnKeysOnly(founders)
      // And the third host's engine reached as ssh://, through the tool's ssh connection path (a stand-in
      // ssh client that bridges to that engine's socket, as `ssh HOST docker system dial-stdio` would)
      const ssh = await fakeSshClient(h3)
      const northEngine = new DockerodeEngine(
        {host: 'ssh://medrec@north-clinic.test:2222', from: 'the test'},
        {sshCommand: ssh.command},
      )
      const engineOf = new Map([
        [anne.name, h1.engine],
        [river.name, h2.engine],
        [north.name, northEngine],
      ])
      const container = (f: TestFounder) =>
        memberResourceNames({network: consortium!.network.name, member: f.name}).sealer
      const viewOf = (f: TestFounder, window = 1) =>
        readNodeChainView(engineOf.get(f.name)!, container(f), f.name, window)
      const hashAt = (f: TestFounder, height: number) =>
        gethIpcEval<string | null>(
          engineOf.get(f.name)!,
          container(f),
          f.name,
          `(eth.getBlock(${height}) || {hash: null}).hash`,
        )
      // A failure shows its details (the node's last log lines), which vitest would not print.
      const start = async (f: TestFounder, extra: Parameters<typeof founderSpec>[2] = {}) =>
        startMemberNode({
          engine: engineOf.get(f.name)!,
          spec: await founderSpec(consortium!, f, extra),
          timeoutMs: 180_000,
          progress: (event) => {
            if (event.type === 'warning') console.info(`[${f.name}] ${event.message}`)
          },
        }).catch((error: unknown) => {
          const details = (error as {details?: string[]}).details ?? []
          throw new Error(`${(error as Error).message}\n${details.join('\n')}`, {cause: error})
        })

      // When the first founder starts its node, with a keyless RPC node, while nobody else runs
      const first = await start(anne, {rpc: {hostIp: h1.ip, port: 8545}})
      // Then it seals alone, and names each peer it cannot reach, with its address
      expect(first).toMatchObject({state: 'sealing-alone', started: true})
      expect(first.peers).toEqual([
        expect.objectContaining({name: river.name, address: `${h2.ip}:30303`, reachable: false, connected: false}),
        expect.objectContaining({name: north.name, address: `${h3.ip}:30303`, reachable: false, connected: false}),
      ])
      expect(first.enode).toBe(anne.enode)
      // And its RPC node answers on that host with the sealer's chain
      const chainId = await rpc(`http://${h1.ip}:8545`, 'eth_chainId')
      expect(Number((chainId.body as {result: string}).result)).toBe(consortium.network.chainId)

      // When the second founder starts on its host a while later
      await delay(pauseBetweenFounders)
      const second = await start(river)
      // Then it seals together with the first (2 of 3 signers suffice), whichever remedy it needed
      expect(second.state).toBe('sealing')
      expect(second.peers.find((p) => p.name === anne.name)).toMatchObject({reachable: true})
      // And the two are connected. The report's `connected` is one instant, and st-anne's watchdog may be
      // redialling just then: it redials after 15 s without a new block, which st-anne, alone at block 1
      // until riverside's start-up remedy, can reach as riverside seals block 2 (seen in CI). So wait for it.
      await eventually(
        'riverside to be connected to st-anne',
        async () => ((await viewOf(river)).peers.includes(enodeId(anne.enode)) ? true : undefined),
        30_000,
      )

      // When the third founder starts a while later, on an engine reached over ssh://
      await delay(pauseBetweenFounders)
      const third = await start(north)
      expect(third.state).toBe('sealing')
      expect(JSON.parse(await readFile(ssh.argsFile, 'utf8'))).toEqual(
        sshArguments('ssh://medrec@north-clinic.test:2222'),
      )
      // Then every founder seals: each signer's block follows the third's start on the first's chain
      const afterAll = third.blockNumber
      await eventually(
        'every founder to seal after the last start',
        async () => {
          const view = await viewOf(anne, 24)
          const sealers = new Set(view.recent.filter((b) => b.number > afterAll).map((b) => b.signer))
          return founders.every((f) => sealers.has(f.address.toLowerCase())) ? true : undefined
        },
        60_000,
      )
      const remedies: StartMemberNodeResult['remedies'] = [...first.remedies, ...second.remedies, ...third.remedies]
      console.info(`remedies applied during start-up: ${JSON.stringify(remedies)}`)

      // When the third host's link is cut
      await testHosts.cutLink(h3)
      const atCut = (await viewOf(anne)).head.number
      // Then the two others keep sealing, both of them
      await eventually(
        'the two connected founders to seal 8 more blocks',
        async () => {
          const view = await viewOf(anne, 24)
          const sealers = new Set(view.recent.filter((b) => b.number > atCut + 1).map((b) => b.signer))
          return view.head.number >= atCut + 8 &&
            sealers.has(anne.address.toLowerCase()) &&
            sealers.has(river.address.toLowerCase())
            ? true
            : undefined
        },
        90_000,
      )
      // (What the watchdogs did meanwhile, if anything: reconnecting after a stall is their job.)
      for (const [f, host] of [
        [anne, h1],
        [river, h2],
      ] as const) {
        const names = memberResourceNames({network: consortium.network.name, member: f.name})
        const said = (await host.engine.logsText(names.watchdog, 20)).trim()
        console.info(`${f.name}'s watchdog:\n${said}`)
      }
      // And the cut-off one falls behind (it may seal once alone, then must wait for others)
      const cutOff = (await viewOf(north)).head.number
      expect(cutOff).toBeLessThan((await viewOf(anne)).head.number - 4)
      // And its status, read through its own engine, shows it cannot reach the others
      const northStatus = await memberNodeStatus(
        northEngine,
        {network: consortium.network.name, member: north.name},
        {
          address: north.address,
          peers: (await founderSpec(consortium, north)).peers,
          probeTimeoutMs: 1000,
        },
      )
      expect(northStatus.chain).toMatchObject({signer: true, mining: true})

      // When the link is restored
      await testHosts.restoreLink(h3)
      const atRestore = (await viewOf(anne)).head.number
      // Then it catches up: at a height past the restore, all three hold the same block
      await sameBlockOnEvery(
        'the cut-off founder to hold the same chain as the others',
        founders,
        {head: async (f) => (await viewOf(f)).head.number, hashAt},
        atRestore + 3,
        120_000,
      )

      // When a provider not in the genesis joins, its node on the first host beside st-anne's, and the
      // founders' nodes, running, are brought up again with it as a peer (as a refreshed bundle would)
      const joiner = await makeTestMember({name: 'lakeside', host: h1.ip, port: 30_304})
      engineOf.set(joiner.name, h1.engine)
      dirs.push(joiner.dir)
      for (const f of founders) {
        const again = await start(f, {joiners: [joiner], ...(f === anne ? {rpc: {hostIp: h1.ip, port: 8545}} : {})})
        expect(again).toMatchObject({started: false, state: 'sealing'})
      }
      const joined = await start(joiner, {role: 'candidate'})
      // Then it syncs and waits for votes: none yet, of three signers, two needed
      expect(joined).toMatchObject({
        state: 'waiting-for-votes',
        votes: {received: 0, signers: 3, needed: 2},
      })
      // When one founder votes for it (Clique, over its own node's IPC), its node sees one vote of three
      const propose = (f: TestFounder) =>
        gethIpcEval(engineOf.get(f.name)!, container(f), f.name, `clique.propose("${joiner.address}", true)`)
      await propose(anne)
      const status = () =>
        memberNodeStatus(
          h1.engine,
          {network: consortium!.network.name, member: joiner.name},
          {
            address: joiner.address,
            peers: [],
          },
        )
      await eventually('the joiner to see one vote', async () =>
        (await status()).chain?.votes?.received === 1 ? true : undefined,
      )
      // And when a second founder votes, it is a signer and seals
      await propose(river)
      await eventually(
        'the joiner to seal a block',
        async () => {
          const view = await viewOf(joiner, 24)
          return view.signers.includes(joiner.address.toLowerCase()) &&
            view.recent.some((b) => b.signer === joiner.address.toLowerCase())
            ? true
            : undefined
        },
        90_000,
      )

      // And no member's directory ever held another member's keys
      await assertOwnKeysOnly([...founders, joiner])

      // When one founder stops its node and starts it again (down, then up)
      const riverRef = {network: consortium.network.name, member: river.name}
      expect((await stopMemberNode(h2.engine, riverRef)).stopped).toEqual(['sealer', 'watchdog'])
      const resumed = await start(river, {joiners: [joiner]})
      // Then it starts from its kept chain, alone until it mines, and seals with the others again
      expect(resumed).toMatchObject({started: true, state: 'sealing'})
      expect(resumed.blockNumber).toBeGreaterThan(atRestore)

      // When it stops and destroys its node
      expect((await stopMemberNode(h2.engine, riverRef)).stopped).toEqual(['sealer', 'watchdog'])
      const removed = await destroyMemberNode(h2.engine, {network: consortium.network.name, member: river.name})
      // Then only its own objects went, on its own engine
      expect(removed).toEqual({containers: 2, volumes: 1, networks: 1})
      expect((await viewOf(anne)).head.number).toBeGreaterThan(0)
    } catch (error) {
      await printHostLogs(testHosts.hosts, 120)
      throw error
    } finally {
      const left = await testHosts.teardown()
      for (const dir of [...dirs, ...(consortium?.founders ?? []).map((f) => f.dir)])
        await rm(dir, {recursive: true, force: true})
      expect(left).toEqual([])
    }
  }, 600_000)
})
