#!/usr/bin/env node
// Benchmark: how soon the vote reconciler gives a restarted sealer its recorded vote back,
// with nobody running the tool. A 3-sealer network at a 1 s period; sealer-1 alone votes to
// add an address (below the threshold, so the vote stays pending); then sealer-1 is restarted
// with `docker restart` N times, and each time the blocks and seconds until its
// clique.proposals holds the vote again are measured (asked over IPC through docker exec,
// as the tool does). Also counts how often the reconciler had to re-handshake a restarted
// sealer (its log), and the reconciler's resident memory. Writes
// bench/results/reconciler-restart[-light-kdf].json and prints the figures.
// Usage: npm run bench:reconciler-restart [-- --restarts 5 --light-kdf]
import {execFileSync} from 'node:child_process'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import Docker from 'dockerode'

import {
  initBenchNetwork,
  machineInfo,
  median,
  medrec,
  percentile,
  residentMemory,
  writeResult,
} from './bench-helpers.mjs'
import {pollUntil} from '../dist/wait/poll-until.js'

const {values} = parseArgs({
  options: {restarts: {type: 'string', default: '5'}, 'light-kdf': {type: 'boolean', default: false}},
})
const kdf = values['light-kdf'] ? ['--light-kdf'] : []
const docker = new Docker()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** One geth console expression on a node, through docker exec (the node serves no HTTP). */
function ipc(container, expression) {
  const out = execFileSync(
    'docker',
    ['exec', container, '/usr/local/bin/geth', 'attach', '--exec', `JSON.stringify(${expression})`, '/data/geth.ipc'],
    {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']},
  ).trim()
  const decoded = JSON.parse(out)
  return typeof decoded === 'string' ? JSON.parse(decoded) : decoded
}

const {dir, name} = await initBenchNetwork(join(tmpdir(), 'medrec-bench-reconciler-'), `bench-recon-${process.pid}`, [
  '--period',
  '1',
  ...kdf,
])
const sealer1 = `medrec-${name}_sealer-1`
const samples = []
try {
  const up = medrec(['network', 'up', '--dir', dir]).json
  const target = `0x${'be'.repeat(20)}`
  medrec(['sealer', 'propose', target, '--add', '--from', 'sealer-1', '--dir', dir])
  for (let restart = 1; restart <= Number(values.restarts); restart++) {
    const head = () => ipc(`medrec-${name}_sealer-2`, 'eth.blockNumber')
    const before = head()
    const started = Date.now()
    await docker.getContainer(sealer1).restart({t: 30})
    const restartedMs = Date.now() - started
    // A sealer still starting does not answer on its IPC yet: "not yet", as any other miss.
    const heldAfter = await pollUntil(
      `restart ${restart}: sealer-1 to hold the vote again`,
      started + 120_000,
      async () =>
        ipc(sealer1, 'clique.proposals')?.[target] === true ? {ms: Date.now() - started, head: head()} : undefined,
      {interval: 200, retryable: () => true},
    )
    const sample = {restart, restartCallMs: restartedMs, ms: heldAfter.ms, blocks: heldAfter.head - before}
    samples.push(sample)
    process.stderr.write(`restart ${restart}: vote back after ${sample.ms} ms, ${sample.blocks} blocks\n`)
    await sleep(3000)
  }
  const log = execFileSync('docker', ['logs', `medrec-${name}_reconciler`], {encoding: 'utf8'})
  const memory = await residentMemory(docker, `medrec-${name}_reconciler`)
  const status = medrec(['network', 'status', '--dir', dir]).json.reconciler
  const image = (await docker.getImage(up.reconciler.image).inspect()).Size
  const report = {
    what: 'Blocks and ms from `docker restart sealer-1` to sealer-1 holding its recorded vote again (reconciler)',
    kdf: kdf.length > 0 ? 'light' : 'standard',
    period: 1,
    samples,
    medianMs: median(samples.map((s) => s.ms)),
    p95Ms: percentile(
      samples.map((s) => s.ms),
      95,
    ),
    medianBlocks: median(samples.map((s) => s.blocks)),
    maxBlocks: Math.max(...samples.map((s) => s.blocks)),
    reHandshakes: (log.match(/re-handshook/g) ?? []).length,
    caughtUp: (log.match(/caught up at block/g) ?? []).length,
    reconcilerMemoryMiB: Math.round(memory / 2 ** 20),
    reconcilerStatus: status.status,
    reconcilerImage: up.reconciler.image,
    reconcilerImageMB: Math.round(image / 1e6),
    reconcilerLog: log.trim().split('\n'),
    machine: machineInfo(),
  }
  writeResult(`reconciler-restart${kdf.length > 0 ? '-light-kdf' : ''}`, report)
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
} finally {
  medrec(['network', 'destroy', '--force', '--dir', dir], {allowFailure: true})
}
