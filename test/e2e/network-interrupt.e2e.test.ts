import {fileURLToPath} from 'node:url'

import {execa} from 'execa'
import {describe, expect, it} from 'vitest'

import {docker, dockerObjectsOf, initE2eNetwork, throwawayNetworks} from '../helpers/e2e-network.js'
import {e2ePrerequisites} from '../helpers/e2e-prerequisites.js'
import {runMedrec} from '../helpers/run-medrec.js'

const prerequisites = await e2ePrerequisites()
const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const nothing = {containers: [], volumes: [], networks: []}
const created = throwawayNetworks()

/** `network up --json` as a real child process, to be interrupted. */
function startUp(dir: string) {
  const args = [bin, 'network', 'up', '--dir', dir, '--json']
  return execa(process.execPath, args, {reject: false, env: {FORCE_COLOR: '0'}, stdin: 'ignore'})
}

type UpProcess = ReturnType<typeof startUp>

/** Polls `check` while `up` runs; fails with up's output if it ends first (say, a port taken meanwhile). */
async function whileUpRuns(up: UpProcess, what: string, check: () => Promise<boolean>, timeoutMs: number) {
  let ended: {exitCode?: number; stdout: unknown; stderr: unknown} | undefined
  void up.then((result) => (ended = result))
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check().catch(() => false)) return
    if (ended) throw new Error(`network up ended (${ended.exitCode}) before ${what}:\n${ended.stdout}\n${ended.stderr}`)
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** The network's node containers (not the short-lived `geth init` ones) and their states. */
async function nodeContainers(name: string): Promise<{name: string; state: string}[]> {
  const list = await docker.listContainers({all: true, filters: {label: [`org.medrec.network=${name}`]}})
  return list
    .filter((c) => c.Labels['org.medrec.role'] === 'sealer' || c.Labels['org.medrec.role'] === 'rpc')
    .map((c) => ({name: c.Names[0] ?? c.Id, state: c.State}))
}

describe.skipIf(!prerequisites.ok)('an interrupted first network up', () => {
  it('removes every container, volume and network it made on Ctrl-C once containers exist, and exits 130', async () => {
    // Given a new network whose first up has created its node containers
    const net = await initE2eNetwork('e2e-sigint')
    created.push(net.name)
    const up = startUp(net.dir)
    await whileUpRuns(up, 'node containers to exist', async () => (await nodeContainers(net.name)).length > 0, 60_000)

    // When the user presses Ctrl-C
    up.kill('SIGINT')
    const result = await up

    // Then up exits with 130, says it was interrupted, and leaves nothing with the network's label
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(130)
    expect(JSON.parse(result.stdout).error.code).toBe('MEDREC_INTERRUPTED')
    expect(await dockerObjectsOf(net.name)).toEqual(nothing)
  })

  it('cleans up on SIGTERM while it waits for the nodes, exits 143, and a later up starts the network', async () => {
    // Given a new network whose first up has started every node and is waiting for them
    const net = await initE2eNetwork('e2e-sigterm')
    created.push(net.name)
    const up = startUp(net.dir)
    await whileUpRuns(
      up,
      'every node to run',
      async () => {
        const nodes = await nodeContainers(net.name)
        return nodes.length === 4 && nodes.every((n) => n.state === 'running')
      },
      90_000,
    )

    // When a supervisor sends SIGTERM
    up.kill('SIGTERM')
    const result = await up

    // Then up exits with 143 and nothing is left
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(143)
    expect(JSON.parse(result.stdout).error.code).toBe('MEDREC_INTERRUPTED')
    expect(await dockerObjectsOf(net.name)).toEqual(nothing)

    // And the directory is not left half-started: up again creates the network from scratch
    const again = await runMedrec(['network', 'up', '--dir', net.dir, '--json'])
    expect(again.exitCode, `${again.stdout}\n${again.stderr}`).toBe(0)
    expect(again.json).toMatchObject({action: 'created', restarts: 0})
    const destroy = await runMedrec(['network', 'destroy', '--dir', net.dir, '--force', '--json'])
    expect(destroy.exitCode).toBe(0)
    expect(await dockerObjectsOf(net.name)).toEqual(nothing)
  })
})
