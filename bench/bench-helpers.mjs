// Pieces shared by the benchmarks: running the built CLI, free ports, container memory,
// percentiles and the results file. Plain JavaScript over the built tool (each bench script
// builds first): what the tool already has, such as finding a free port, is imported from dist/.
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {cpus, totalmem} from 'node:os'
import {fileURLToPath} from 'node:url'

import {findFreePort} from '../dist/contracts/anvil.js'

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))

/**
 * Runs `medrec <args> --json` as a user would and returns its parsed output and wall time.
 * Throws with the output when it fails, unless `allowFailure` (then `status` tells).
 */
export function medrec(args, {allowFailure = false} = {}) {
  const started = process.hrtime.bigint()
  const result = spawnSync(process.execPath, [bin, ...args, '--json'], {
    encoding: 'utf8',
    env: {...process.env, FORCE_COLOR: '0'},
  })
  const wallMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6)
  if (result.status !== 0 && !allowFailure) {
    throw new Error(`medrec ${args.join(' ')} failed (${result.status}): ${result.stdout}${result.stderr}`)
  }
  let json
  try {
    json = JSON.parse(result.stdout)
  } catch {
    json = undefined
  }
  return {status: result.status, json, wallMs, stdout: result.stdout, stderr: result.stderr}
}

/**
 * `medrec network init` of a network named `name` in a new directory made from `dirPrefix`, its
 * RPC node on a free port; `args` add the network's shape (--sealers, --period, --profile, ...).
 */
export async function initBenchNetwork(dirPrefix, name, args) {
  const dir = mkdtempSync(dirPrefix)
  const rpcPort = await freePort()
  medrec(['network', 'init', '--dir', dir, '--name', name, '--rpc-port', String(rpcPort), ...args])
  return {dir, name, rpcPort}
}

/** A free TCP port on 127.0.0.1 (the tool's own, as the tests use it). */
export const freePort = findFreePort

/** A container's resident memory in bytes, as `docker stats` counts it (page cache excluded). */
export async function residentMemory(docker, containerName) {
  const stats = await docker.getContainer(containerName).stats({stream: false})
  const m = stats.memory_stats
  return m.stats?.rss ?? m.usage - (m.stats?.inactive_file ?? m.stats?.total_inactive_file ?? 0)
}

/** The value below which `p` percent of the samples lie (nearest rank). */
export function percentile(samples, p) {
  if (samples.length === 0) return null
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

export const median = (samples) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]

/** What the figures were measured on. */
export function machineInfo() {
  return {
    cpus: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    docker: execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], {encoding: 'utf8'}).trim(),
  }
}

/** Writes bench/results/<name>.json. */
export function writeResult(name, report) {
  mkdirSync(new URL('./results/', import.meta.url), {recursive: true})
  writeFileSync(new URL(`./results/${name}.json`, import.meta.url), `${JSON.stringify(report, null, 2)}\n`)
}
