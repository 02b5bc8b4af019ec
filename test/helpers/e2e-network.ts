import {appendFile, mkdtemp} from 'node:fs/promises'
import {request} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import Docker from 'dockerode'
import {afterEach} from 'vitest'

import {findFreePort} from '../../src/contracts/anvil.js'
import {type ParsedJson, runMedrec} from './run-medrec.js'

export const docker = new Docker()

/** A free TCP port on 127.0.0.1: the helper that finds anvil its port. */
export const freePort = findFreePort

export type E2eNetwork = {dir: string; name: string; rpcPort: number; rpcUrl: string}

/**
 * Initialises a throwaway network (light keys, 1 s period) in a new temporary directory.
 * `reconciler: false` turns the vote reconciler off in its medrec.yaml.
 */
export async function initE2eNetwork(
  prefix: string,
  extra: string[] = [],
  options: {reconciler?: boolean} = {},
): Promise<E2eNetwork> {
  const dir = await mkdtemp(join(tmpdir(), `medrec-${prefix}-`))
  const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`
  const rpcPort = await freePort()
  const init = await runMedrec([
    'network',
    'init',
    '--dir',
    dir,
    '--name',
    name,
    '--period',
    '1',
    '--light-kdf',
    '--rpc-port',
    String(rpcPort),
    '--json',
    ...extra,
  ])
  if (init.exitCode !== 0) throw new Error(`network init failed: ${init.stdout}\n${init.stderr}`)
  if (options.reconciler === false) await appendFile(join(dir, 'medrec.yaml'), 'reconciler:\n  enabled: false\n')
  return {dir, name, rpcPort, rpcUrl: `http://127.0.0.1:${rpcPort}`}
}

/** The Docker objects labelled with this network (and member, if given): containers, volumes, networks. */
export async function dockerObjectsOf(
  name: string,
  member?: string,
): Promise<{containers: string[]; volumes: string[]; networks: string[]}> {
  const filters = {label: [`org.medrec.network=${name}`, ...(member ? [`org.medrec.member=${member}`] : [])]}
  const [containers, volumes, networks] = await Promise.all([
    docker.listContainers({all: true, filters}),
    docker.listVolumes({filters}),
    docker.listNetworks({filters}),
  ])
  return {
    containers: containers.map((c) => c.Names[0] ?? c.Id),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name),
    networks: networks.map((n) => n.Name),
  }
}

/** The id of a network's container for `node` (sealer-1, rpc, reconciler, ...); throws if there is none. */
export async function containerOf(net: {name: string}, node: string): Promise<string> {
  const [c] = await docker.listContainers({
    all: true,
    filters: {label: [`org.medrec.network=${net.name}`, `org.medrec.node=${node}`]},
  })
  if (!c) throw new Error(`${net.name} has no container for ${node}`)
  return c.Id
}

/** Removes whatever a test left behind, whatever state it is in. */
export async function forceRemoveNetwork(name: string): Promise<void> {
  const filters = {label: [`org.medrec.network=${name}`]}
  for (const c of await docker.listContainers({all: true, filters}))
    await docker
      .getContainer(c.Id)
      .remove({force: true})
      .catch(() => {})
  for (const v of (await docker.listVolumes({filters})).Volumes ?? [])
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => {})
  for (const n of await docker.listNetworks({filters}))
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => {})
}

/** One JSON-RPC call; returns the whole response so tests can assert errors too. */
export async function rpc(
  url: string,
  method: string,
  params: unknown[] = [],
  headers: Record<string, string> = {},
): Promise<{status: number; body: ParsedJson; headers: Headers}> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {'content-type': 'application/json', ...headers},
    body: JSON.stringify({jsonrpc: '2.0', id: 1, method, params}),
    signal: AbortSignal.timeout(5000),
  })
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // Not JSON (e.g. geth's "invalid host specified"): keep the text.
  }
  return {status: response.status, body, headers: response.headers}
}

/** Polls `check` until it returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/**
 * Waits until every node holds one and the same block at the lowest of their heads, once that
 * height has reached `minHeight` (a node cut off and restored has caught up); resolves to its hash.
 */
export function sameBlockOnEvery<N>(
  what: string,
  nodes: readonly N[],
  node: {head: (n: N) => Promise<number>; hashAt: (n: N, height: number) => Promise<string | null>},
  minHeight: number,
  timeoutMs: number,
): Promise<string | null> {
  return eventually(
    what,
    async () => {
      const height = Math.min(...(await Promise.all(nodes.map(node.head))))
      if (height < minHeight) return undefined
      const hashes = await Promise.all(nodes.map((n) => node.hashAt(n, height)))
      return new Set(hashes).size === 1 ? hashes[0] : undefined
    },
    timeoutMs,
  )
}

/** A JSON-RPC POST with a chosen Host header (fetch silently drops it); resolves to the HTTP status. */
export async function postWithHostHeader(url: string, host: string): Promise<number> {
  const body = JSON.stringify({jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: []})
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {host, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body)},
        timeout: 5000,
      },
      (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** Names of the networks a test file creates; each is removed after its test, whatever state it is in. */
export function throwawayNetworks(): string[] {
  const created: string[] = []
  afterEach(async () => {
    for (const name of created.splice(0)) await forceRemoveNetwork(name)
  })
  return created
}
