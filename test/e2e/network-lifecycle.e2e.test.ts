import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {createWalletClient, http, parseEther, type Address} from 'viem'
import {privateKeyToAccount} from 'viem/accounts'
import {describe, expect, it} from 'vitest'

import {networkPaths, unlockNodeKey} from '../../src/workspace/network-files.js'

import {
  docker,
  dockerObjectsOf,
  eventually,
  freePort,
  initE2eNetwork,
  postWithHostHeader,
  rpc,
  throwawayNetworks,
} from '../helpers/e2e-network.js'
import {e2ePrerequisites} from '../helpers/e2e-prerequisites.js'
import {medrecIn, runMedrec} from '../helpers/run-medrec.js'

const prerequisites = await e2ePrerequisites()

/** Each container of the network with when it last started: equal lists mean nothing was touched. */
async function containerStarts(name: string): Promise<string[]> {
  const list = await docker.listContainers({all: true, filters: {label: [`org.medrec.network=${name}`]}})
  const starts = await Promise.all(
    list.map(async (c) => `${c.Names[0]} ${c.Id} ${(await docker.getContainer(c.Id).inspect()).State.StartedAt}`),
  )
  return starts.sort()
}
const created = throwawayNetworks()

/** Clique gives block n to the n mod N-th signer in address order (snapshot.go `inturn`). */
function firstBlockSigner(signers: Address[]): string {
  return signers.map((s) => s.toLowerCase()).sort()[1 % signers.length]!
}

// Skipped only outside CI, with its reason printed, when a prerequisite (Docker, the geth image) is missing;
// under CI the check throws instead (test/helpers/e2e-prerequisites.ts, hosts.ts): nothing is skipped there.
describe.skipIf(!prerequisites.ok)('network lifecycle on real geth sealers', () => {
  it('brings up 3 sealers that all seal, keeps the chain across down and up, and destroy leaves nothing', async () => {
    // Given an initialised 3-sealer network
    const net = await initE2eNetwork('e2e-life')
    created.push(net.name)
    const init = (await runMedrec(['network', 'status', '--dir', net.dir, '--json'])).json

    // When it is brought up
    const up = await runMedrec(['network', 'up', '--dir', net.dir, '--json'])
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0)
    expect(up.json).toMatchObject({action: 'created', rpcUrl: net.rpcUrl, chainId: init.chainId})

    // Then the signer set is exactly the three sealers
    const sealerAddresses = init.sealers.map((s: {address: string}) => s.address.toLowerCase()).sort()
    const signers = (await rpc(net.rpcUrl, 'clique_getSigners', ['latest'])).body.result as string[]
    expect(signers.map((s) => s.toLowerCase()).sort()).toEqual(sealerAddresses)
    expect(sealerAddresses).toHaveLength(3)

    // And blocks advance, each signer sealing its share
    const start = Number((await rpc(net.rpcUrl, 'eth_blockNumber')).body.result)
    const activity = await eventually(`every signer to seal after block ${start}`, async () => {
      const head = Number((await rpc(net.rpcUrl, 'eth_blockNumber')).body.result)
      if (head < start + 6) return undefined
      const status = (await rpc(net.rpcUrl, 'clique_status')).body.result as {sealerActivity: Record<string, number>}
      return Object.values(status.sealerActivity).every((n) => n > 0) && Object.keys(status.sealerActivity).length === 3
        ? status.sealerActivity
        : undefined
    })
    expect(
      Object.keys(activity)
        .map((a) => a.toLowerCase())
        .sort(),
    ).toEqual(sealerAddresses)

    // And status reports a live network in its --json shape
    const status = await runMedrec(['network', 'status', '--dir', net.dir, '--json'])
    expect(status.exitCode).toBe(0)
    expect(status.json).toMatchObject({
      rpcUrl: net.rpcUrl,
      chainId: init.chainId,
      state: 'running',
      blockNumber: expect.any(Number),
      liveness: {signers: 3, online: 3, needed: 2, stalled: false},
    })
    expect(status.json.signers).toHaveLength(3)
    for (const sealer of status.json.sealers) {
      expect(sealer).toMatchObject({container: 'running', peers: 3, isSigner: true, sealedRecently: expect.any(Number)})
      expect(sealer.sealedRecently).toBeGreaterThan(0)
    }

    // When up runs again on the running network, nothing changes
    const containersBefore = await containerStarts(net.name)
    const again = await runMedrec(['network', 'up', '--dir', net.dir, '--json'])
    expect(again.exitCode).toBe(0)
    expect(again.json.action).toBe('unchanged')
    expect(await containerStarts(net.name)).toEqual(containersBefore)

    // When the network is stopped and started again
    const height = Number((await rpc(net.rpcUrl, 'eth_blockNumber')).body.result)
    const block = (await rpc(net.rpcUrl, 'eth_getBlockByNumber', [`0x${height.toString(16)}`, false])).body.result
    const down = await runMedrec(['network', 'down', '--dir', net.dir, '--json'])
    expect(down.exitCode).toBe(0)
    expect(down.json.stopped).toEqual(['rpc', 'sealer-1', 'sealer-2', 'sealer-3'])
    expect(down.json.reconciler).toBe('stopped')
    await expect(rpc(net.rpcUrl, 'eth_blockNumber')).rejects.toThrow()
    const restarted = await runMedrec(['network', 'up', '--dir', net.dir, '--json'])
    expect(restarted.exitCode, `${restarted.stdout}${restarted.stderr}`).toBe(0)
    expect(restarted.json.action).toBe('started')

    // Then every block is kept and the chain goes on from there
    const sameBlock = (await rpc(net.rpcUrl, 'eth_getBlockByNumber', [`0x${height.toString(16)}`, false])).body.result
    expect(sameBlock.hash).toBe(block.hash)
    expect(restarted.json.blockNumber).toBeGreaterThan(height)

    // And logs show one node, or all nodes prefixed with their names, and follow new lines
    const one = await runMedrec(['network', 'logs', 'sealer-2', '--tail', '20', '--dir', net.dir])
    expect(one.exitCode).toBe(0)
    expect(one.stdout).toMatch(/Imported new chain segment|Successfully sealed/)
    expect(one.stdout).not.toMatch(/^sealer-2 \|/m)
    const all = await runMedrec(['network', 'logs', '--tail', '5', '--dir', net.dir])
    expect(
      new Set(
        all.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(' | ')[0]?.trim()),
      ),
    ).toEqual(new Set(['rpc', 'sealer-1', 'sealer-2', 'sealer-3', 'reconciler']))
    const followed = await runMedrec(['network', 'logs', 'rpc', '-f', '--tail', '0', '--dir', net.dir], {
      timeoutMs: 4000,
    })
    expect(followed.stdout).toMatch(/Imported new chain segment/)
    expect((await runMedrec(['network', 'logs', 'nobody', '--dir', net.dir])).stderr).toContain('MEDREC_NODE_NOT_FOUND')

    // And destroy will not run unconfirmed without a terminal
    const unconfirmed = await runMedrec(['network', 'destroy', '--dir', net.dir, '--json'])
    expect(unconfirmed.exitCode).toBe(1)
    expect(unconfirmed.json.error.code).toBe('MEDREC_CONFIRMATION_REQUIRED')
    // (3 sealers, the RPC node and the vote reconciler)
    expect((await dockerObjectsOf(net.name)).containers).toHaveLength(5)

    // When it is destroyed
    const destroy = await runMedrec(['network', 'destroy', '--dir', net.dir, '--force', '--json'])
    expect(destroy.exitCode).toBe(0)
    expect(destroy.json.removed).toEqual({containers: 5, volumes: 5, networks: 1})

    // Then no container, volume or network of the tool is left
    expect(await dockerObjectsOf(net.name)).toEqual({containers: [], volumes: [], networks: []})
  })

  it('starts and restarts 2 standard-key sealers without a stall; block 1 is in-turn; nothing dropped', async () => {
    // Given a new 2-sealer network with standard (slow to unlock) keys: before the fix, the
    // sealer still unlocking dropped the other's block 1, sealed its own, and both waited
    const dir = await mkdtemp(join(tmpdir(), 'medrec-e2e-two-'))
    const name = `e2e-two-${Math.random().toString(36).slice(2, 8)}`
    const rpcUrl = `http://127.0.0.1:${await freePort()}`
    created.push(name)
    const shape = ['--sealers', '2', '--period', '1', '--rpc-port', rpcUrl.split(':')[2]!]
    const init = await runMedrec(['network', 'init', '--dir', dir, '--name', name, ...shape, '--json'])
    expect(init.exitCode, init.stderr).toBe(0)

    // When it is brought up
    const up = await runMedrec(['network', 'up', '--dir', dir, '--json'])

    // Then it is ready without restarting any sealer
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0)
    expect(up.json).toMatchObject({action: 'created', restarts: 0})
    // And block 1 is the in-turn block (difficulty 2) of the signer whose turn it was
    const blockOne = (await rpc(rpcUrl, 'eth_getBlockByNumber', ['0x1', false])).body.result
    expect(blockOne.difficulty).toBe('0x2')
    const signers = (await rpc(rpcUrl, 'clique_getSigners', ['0x0'])).body.result as Address[]
    const sealerOfOne = (await rpc(rpcUrl, 'clique_getSigner', ['0x1'])).body.result as string
    expect(sealerOfOne.toLowerCase()).toBe(firstBlockSigner(signers))
    // And no sealer discarded a propagated block while it was not yet synced
    for (const sealer of up.json.sealers as {container: string}[]) {
      const logs = (await docker.getContainer(sealer.container).logs({stdout: true, stderr: true})).toString()
      expect(logs).not.toContain('Syncing, discarded propagated block')
    }
    // And both keep sealing
    const head = Number((await rpc(rpcUrl, 'eth_blockNumber')).body.result)
    const headNow = async () => Number((await rpc(rpcUrl, 'eth_blockNumber')).body.result)
    const advanced = async () => ((await headNow()) >= head + 4 ? true : undefined)
    await eventually('4 more blocks', advanced, 30_000)

    // When it is stopped and started three times (before the fix, half such restarts stalled)
    for (let restart = 1; restart <= 3; restart++) {
      expect((await runMedrec(['network', 'down', '--dir', dir, '--json'])).exitCode).toBe(0)
      const again = await runMedrec(['network', 'up', '--dir', dir, '--json'])
      // Then each is ready without restarting a sealer
      expect(again.exitCode, `${again.stdout}\n${again.stderr}`).toBe(0)
      expect(again.json, `restart ${restart}`).toMatchObject({action: 'started', restarts: 0})
    }
    // And no sealer ever discarded a block
    for (const sealer of up.json.sealers as {container: string}[]) {
      const logs = (await docker.getContainer(sealer.container).logs({stdout: true, stderr: true})).toString()
      expect(logs).not.toContain('Syncing, discarded propagated block')
    }
    const destroy = await runMedrec(['network', 'destroy', '--dir', dir, '--force', '--json'])
    expect(destroy.exitCode).toBe(0)
  })

  it(
    'serves only eth, net, web3 and clique from a keyless RPC node on 127.0.0.1; sealers publish nothing and serve ' +
      'no HTTP',
    async () => {
      // Given a running network
      const net = await initE2eNetwork('e2e-sec', ['--sealers', '2'])
      created.push(net.name)
      const up = await runMedrec(['network', 'up', '--dir', net.dir, '--json'])
      expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0)

      // Then personal_*, admin_*, miner_* and debug_* do not exist on the RPC node
      for (const method of [
        'personal_listAccounts',
        'personal_unlockAccount',
        'admin_nodeInfo',
        'admin_addPeer',
        'miner_start',
        'debug_traceTransaction',
      ]) {
        const response = await rpc(net.rpcUrl, method, [])
        expect(response.body.error?.code, method).toBe(-32601)
      }
      // And the public modules answer; the node holds no account
      expect((await rpc(net.rpcUrl, 'net_version')).body.result).toBe(String(up.json.chainId))
      expect((await rpc(net.rpcUrl, 'web3_clientVersion')).body.result).toMatch(/^Geth\/v1\.13\.15/)
      expect((await rpc(net.rpcUrl, 'eth_accounts')).body.result).toEqual([])
      // And a foreign Host header (DNS rebinding) is refused, and no CORS header is granted
      expect(await postWithHostHeader(net.rpcUrl, 'evil.example')).toBe(403)
      expect(await postWithHostHeader(net.rpcUrl, `localhost:${net.rpcPort}`)).toBe(200)
      expect(
        (await rpc(net.rpcUrl, 'eth_blockNumber', [], {origin: 'https://evil.example'})).headers.get(
          'access-control-allow-origin',
        ),
      ).toBeNull()

      // And only the RPC node publishes a port, on 127.0.0.1; sealers hold keys and publish nothing
      const all = await docker.listContainers({filters: {label: [`org.medrec.network=${net.name}`]}})
      expect(all.map((c) => c.Labels['org.medrec.role']).sort()).toEqual(['reconciler', 'rpc', 'sealer', 'sealer'])
      // And the vote reconciler publishes nothing, has no network, and holds no key: only its own
      // volume and the Docker socket are mounted, and no password is in its configuration
      const reconciler = await docker
        .getContainer(all.find((c) => c.Labels['org.medrec.role'] === 'reconciler')!.Id)
        .inspect()
      expect(Object.values(reconciler.HostConfig.PortBindings ?? {}).flat()).toEqual([])
      expect(reconciler.HostConfig.NetworkMode).toBe('none')
      expect(reconciler.Mounts.map((m) => m.Destination).sort()).toEqual([
        '/var/lib/medrec-reconciler',
        '/var/run/docker.sock',
      ])
      const containers = all.filter((c) => c.Labels['org.medrec.role'] !== 'reconciler')
      for (const summary of containers) {
        const info = await docker.getContainer(summary.Id).inspect()
        const bindings = Object.values(info.HostConfig.PortBindings ?? {}).flat()
        const args = info.Config.Cmd ?? []
        if (summary.Labels['org.medrec.role'] === 'rpc') {
          expect(bindings).toEqual([{HostIp: '127.0.0.1', HostPort: String(net.rpcPort)}])
          expect(args).not.toContain('--unlock')
          expect(args[args.indexOf('--http.api') + 1]).toBe('eth,net,web3,clique')
        } else {
          expect(bindings).toEqual([])
          expect(args).toContain('--unlock')
          expect(args.filter((a) => /^--(http|ws)/.test(a))).toEqual([])
          expect(args).not.toContain('--allow-insecure-unlock')
          // The password is a file in the volume: not in the container's config, logs or image
          const password = await readFile(
            join(net.dir, '.medrec/keys', summary.Labels['org.medrec.node']!, 'password'),
            'utf8',
          )
          expect(password.length).toBeGreaterThan(20)
          expect(JSON.stringify(info)).not.toContain(password)
          expect(JSON.stringify(reconciler)).not.toContain(password)
          const logs = (
            await docker.getContainer(summary.Id).logs({stdout: true, stderr: true, follow: false})
          ).toString()
          expect(logs).toContain('Unlocked account')
          expect(logs).not.toContain(password)
          const history = JSON.stringify(await docker.getImage(info.Config.Image).history())
          expect(history).not.toContain(password)
        }
      }
    },
  )

  it('replaces only the container whose configuration changed, keeping the chain', async () => {
    // Given a running network
    const net = await initE2eNetwork('e2e-change', ['--sealers', '2'])
    created.push(net.name)
    await medrecIn(net.dir)('network', 'up')
    const height = Number((await rpc(net.rpcUrl, 'eth_blockNumber')).body.result)
    const hash = (await rpc(net.rpcUrl, 'eth_getBlockByNumber', [`0x${height.toString(16)}`, false])).body.result.hash
    const sealersBefore = (await containerStarts(net.name)).filter((c) => c.includes('sealer'))

    // When its RPC port is changed in medrec.yaml and up runs again
    const newPort = await freePort()
    const config = join(net.dir, 'medrec.yaml')
    await writeFile(config, (await readFile(config, 'utf8')).replace(`port: ${net.rpcPort}`, `port: ${newPort}`))
    const up = await runMedrec(['network', 'up', '--dir', net.dir, '--json'])

    // Then only the RPC node was replaced, it answers on the new port, and the chain is the same
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0)
    expect(up.json).toMatchObject({action: 'updated', rpcUrl: `http://127.0.0.1:${newPort}`})
    expect((await containerStarts(net.name)).filter((c) => c.includes('sealer'))).toEqual(sealersBefore)
    const newUrl = `http://127.0.0.1:${newPort}`
    expect((await rpc(newUrl, 'eth_getBlockByNumber', [`0x${height.toString(16)}`, false])).body.result.hash).toBe(hash)
    await expect(rpc(net.rpcUrl, 'eth_blockNumber')).rejects.toThrow()
  })

  it('keeps every block and its state when every node is killed with SIGKILL', async () => {
    // Given a running network with a transaction in a block
    const net = await initE2eNetwork('e2e-kill')
    created.push(net.name)
    const up = await runMedrec(['network', 'up', '--dir', net.dir, '--json'])
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0)
    const {privateKey} = await unlockNodeKey(networkPaths(net.dir), 'deployer')
    const chain = {
      id: up.json.chainId,
      name: 'e2e',
      nativeCurrency: {name: 'Ether', symbol: 'ETH', decimals: 18},
      rpcUrls: {default: {http: [net.rpcUrl]}},
    } as const
    const wallet = createWalletClient({account: privateKeyToAccount(privateKey), chain, transport: http(net.rpcUrl)})
    const recipient = '0x00000000000000000000000000000000000a11ce'
    const txHash = await wallet.sendTransaction({to: recipient, value: parseEther('1.5')})
    const receipt = await eventually(
      'the transaction to be mined',
      async () => (await rpc(net.rpcUrl, 'eth_getTransactionReceipt', [txHash])).body.result ?? undefined,
    )
    await eventually('two more blocks', async () =>
      Number((await rpc(net.rpcUrl, 'eth_blockNumber')).body.result) >= Number(receipt.blockNumber) + 2
        ? true
        : undefined,
    )
    const height = Number((await rpc(net.rpcUrl, 'eth_blockNumber')).body.result)
    const hash = (await rpc(net.rpcUrl, 'eth_getBlockByNumber', [`0x${height.toString(16)}`, false])).body.result.hash

    // When every node is killed at once, without a chance to flush anything
    const containers = await docker.listContainers({filters: {label: [`org.medrec.network=${net.name}`]}})
    await Promise.all(containers.map((c) => docker.getContainer(c.Id).kill({signal: 'SIGKILL'})))
    const restarted = await runMedrec(['network', 'up', '--dir', net.dir, '--json'])

    // Then the network comes back with the same blocks, the transaction's state, and a moving head
    expect(restarted.exitCode, `${restarted.stdout}${restarted.stderr}`).toBe(0)
    expect((await rpc(net.rpcUrl, 'eth_getBlockByNumber', [`0x${height.toString(16)}`, false])).body.result?.hash).toBe(
      hash,
    )
    expect(BigInt((await rpc(net.rpcUrl, 'eth_getBalance', [recipient, 'latest'])).body.result)).toBe(parseEther('1.5'))
    expect(restarted.json.blockNumber).toBeGreaterThan(height)
  })
})
