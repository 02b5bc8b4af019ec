import {describe, expect, it} from 'vitest'

import {DockerodeEngine} from '../../src/docker/dockerode-engine.js'
import {gethIpcEval} from '../../src/geth/geth-ipc.js'
import {
  containerOf,
  docker,
  eventually,
  initE2eNetwork,
  rpc,
  type E2eNetwork,
  throwawayNetworks,
} from '../helpers/e2e-network.js'
import {e2ePrerequisites} from '../helpers/e2e-prerequisites.js'
import {medrecIn, runMedrec} from '../helpers/run-medrec.js'

const prerequisites = await e2ePrerequisites()
const engine = new DockerodeEngine()
const created = throwawayNetworks()

async function headOf(url: string): Promise<number> {
  return Number((await rpc(url, 'eth_blockNumber')).body.result)
}

/** The hash a sealer holds at a height, asked over its own IPC (sealers serve no HTTP). */
async function sealerHashAt(net: E2eNetwork, node: string, height: number): Promise<string | null> {
  return gethIpcEval<string | null>(
    engine,
    await containerOf(net, node),
    node,
    `(eth.getBlock(${height}) || {hash: null}).hash`,
  )
}

async function statusOf(net: E2eNetwork) {
  return (await runMedrec(['network', 'status', '--dir', net.dir, '--json'])).json
}

// Skipped only outside CI, with its reason printed, when a prerequisite (Docker, the geth image) is missing;
// under CI the check throws instead (test/helpers/e2e-prerequisites.ts, hosts.ts): nothing is skipped there.
describe.skipIf(!prerequisites.ok)('sealer faults on a real Clique network', () => {
  it('keeps sealing with one of three sealers killed, reports a stall with two, and resumes with every head \
matching', async () => {
    // Given a running network of 3 sealers
    const net = await initE2eNetwork('e2e-fault')
    created.push(net.name)
    await medrecIn(net.dir)('network', 'up')

    // When sealer-3 is killed (SIGKILL; a docker kill stays down)
    await docker.getContainer(await containerOf(net, 'sealer-3')).kill({signal: 'SIGKILL'})
    const afterOne = await headOf(net.rpcUrl)

    // Then the two others keep sealing, and status says 2 of 3 online, 2 needed
    await eventually('three more blocks', async () => ((await headOf(net.rpcUrl)) >= afterOne + 3 ? true : undefined))
    expect((await statusOf(net)).liveness).toMatchObject({signers: 3, online: 2, needed: 2, stalled: false})

    // When sealer-2 is killed too
    await docker.getContainer(await containerOf(net, 'sealer-2')).kill({signal: 'SIGKILL'})
    const afterTwo = await headOf(net.rpcUrl)

    // Then the chain stops (one signer may seal once more, then must wait for others), and status says why
    await new Promise((resolve) => setTimeout(resolve, 6000))
    expect(await headOf(net.rpcUrl)).toBeLessThanOrEqual(afterTwo + 1)
    const stalled = await statusOf(net)
    expect(stalled.state).toBe('partial')
    expect(stalled.liveness).toMatchObject({
      signers: 3,
      online: 1,
      needed: 2,
      stalled: true,
      reason: expect.stringContaining('only 1 of 3 signers are online'),
    })

    // When they are started again
    const up = await runMedrec(['network', 'up', '--dir', net.dir, '--json'])

    // Then sealing resumes past the stall, and every sealer holds the same chain
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0)
    expect(up.json.action).toBe('started')
    const resumed = await headOf(net.rpcUrl)
    expect(resumed).toBeGreaterThan(afterTwo + 1)
    const height = resumed - 1
    const reference = (await rpc(net.rpcUrl, 'eth_getBlockByNumber', [`0x${height.toString(16)}`, false])).body.result
      .hash
    for (const node of ['sealer-1', 'sealer-2', 'sealer-3']) {
      expect(
        await eventually(
          `${node} to hold block ${height}`,
          async () => (await sealerHashAt(net, node, height)) ?? undefined,
        ),
      ).toBe(reference)
    }
    expect((await statusOf(net)).liveness).toMatchObject({online: 3, stalled: false})
  })

  it("lets a sealer cut off from the others catch up to the majority's chain when it is reconnected", async () => {
    // Given a running network of 3 sealers
    const net = await initE2eNetwork('e2e-part')
    created.push(net.name)
    const up = await runMedrec(['network', 'up', '--dir', net.dir, '--json'])
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0)
    const sealer3 = up.json.sealers.find((s: {name: string}) => s.name === 'sealer-3')
    const dockerNetwork = docker.getNetwork(`medrec-${net.name}`)
    const id = await containerOf(net, 'sealer-3')

    // When sealer-3 is disconnected from the Docker network
    await dockerNetwork.disconnect({Container: id, Force: true})
    const cut = await headOf(net.rpcUrl)

    // Then the majority keeps sealing without it
    await eventually('the majority to seal five blocks', async () =>
      (await headOf(net.rpcUrl)) >= cut + 5 ? true : undefined,
    )
    // ... which sealer-3, cut off, does not have
    const majorityBlock = (await rpc(net.rpcUrl, 'eth_getBlockByNumber', [`0x${(cut + 4).toString(16)}`, false])).body
      .result.hash
    expect(await sealerHashAt(net, 'sealer-3', cut + 4)).not.toBe(majorityBlock)

    // When it is reconnected at its address
    await dockerNetwork.connect({Container: id, EndpointConfig: {IPAMConfig: {IPv4Address: sealer3.ip}}})

    // Then it reorganises onto the majority's chain and follows it
    const target = (await headOf(net.rpcUrl)) + 2
    await eventually('the chain to pass the target height', async () =>
      (await headOf(net.rpcUrl)) >= target ? true : undefined,
    )
    const reference = (await rpc(net.rpcUrl, 'eth_getBlockByNumber', [`0x${target.toString(16)}`, false])).body.result
      .hash
    expect(
      await eventually(
        "sealer-3 to hold the majority's block",
        async () => ((await sealerHashAt(net, 'sealer-3', target)) === reference ? reference : undefined),
        120_000,
      ),
    ).toBe(reference)
    expect((await statusOf(net)).liveness).toMatchObject({online: 3, stalled: false})
  })
})
