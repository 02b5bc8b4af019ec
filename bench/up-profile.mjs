#!/usr/bin/env node
// Benchmark: where the time of a cold `network up` goes. Calls the built service (dist/)
// in-process with a progress listener that timestamps every step, then reads each node's
// milestones from Docker (container created and started) and from geth's own log lines
// (process up, key unlocked, mining, first block sealed or imported), all relative to the
// start of `up`. Writes bench/results/up-profile-<sealers>[-<label>].json and prints a table.
// With --deploy, also times `medrec contracts deploy` (a separate process, as a user runs it) right after.
// Usage: npm run bench:up-profile -- --sealers 3 [--runs 3] [--light-kdf | --profile throwaway] [--deploy] [--label x]
import {rmSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import Docker from 'dockerode'

import {initBenchNetwork, machineInfo, median, medrec, writeResult} from './bench-helpers.mjs'

const {upNetwork} = await import('../dist/network/up-network.js')
const {DockerodeEngine} = await import('../dist/docker/dockerode-engine.js')

const {values} = parseArgs({
  options: {
    sealers: {type: 'string', default: '3'},
    runs: {type: 'string', default: '3'},
    'light-kdf': {type: 'boolean', default: false},
    profile: {type: 'string'},
    period: {type: 'string', default: '1'},
    label: {type: 'string', default: ''},
    deploy: {type: 'boolean', default: false},
  },
})
const sealers = Number(values.sealers)
const docker = new Docker()

/** geth's log lines that mark a node's progress, first occurrence each. */
const milestones = {
  gethStarted: /Maximum peer count/, // geth's first line
  p2pStarted: /Started P2P networking/,
  unlocked: /Unlocked account/,
  mining: /Commit new sealing work/,
  firstSealed: /Successfully sealed new block/,
  firstImported: /Imported new chain segment/,
}

/** Each milestone's time (ms after `began`) from the container's timestamped log. */
async function nodeTimeline(containerName, began) {
  const container = docker.getContainer(containerName)
  const info = await container.inspect()
  const buffer = await container.logs({stdout: true, stderr: true, timestamps: true})
  const text = buffer.toString('utf8')
  const timeline = {
    created: Date.parse(info.Created) - began,
    started: Date.parse(info.State.StartedAt) - began,
  }
  for (const line of text.split('\n')) {
    const match = /(\d{4}-\d\d-\d\dT[\d:.]+Z) (.*)$/.exec(line)
    if (!match) continue
    for (const [name, pattern] of Object.entries(milestones)) {
      if (timeline[name] === undefined && pattern.test(match[2])) timeline[name] = Date.parse(match[1]) - began
    }
  }
  return timeline
}

const runs = []
const failures = []
for (let run = 1; run <= Number(values.runs); run++) {
  const creation = values.profile
    ? ['--profile', values.profile]
    : ['--period', values.period, ...(values['light-kdf'] ? ['--light-kdf'] : [])]
  const {dir, name} = await initBenchNetwork(
    join(tmpdir(), 'medrec-up-profile-'),
    `profile-up-${sealers}-${run}-${process.pid}`,
    ['--sealers', String(sealers), ...creation],
  )
  const steps = []
  const open = new Map()
  let began
  const loadAtStart = Math.round(loadavg()[0] * 10) / 10
  try {
    began = Date.now()
    const result = await upNetwork({
      dir,
      engine: new DockerodeEngine(),
      progress: (event) => {
        const at = Date.now() - began
        if (event.type === 'step-start') open.set(event.id, {id: event.id, title: event.title, startMs: at})
        if (event.type === 'step-done' || event.type === 'step-skip') {
          const step = open.get(event.id)
          if (step) steps.push({...step, endMs: at, ms: at - step.startMs, summary: event.summary})
          open.delete(event.id)
        }
      },
    })
    const nodes = {}
    for (const node of [...result.sealers.map((s) => s.name), 'rpc'])
      nodes[node] = await nodeTimeline(`medrec-${name}_${node}`, began)
    const sample = {
      run,
      readyMs: result.timings.readyMs,
      allSealedMs: result.timings.allSealedMs,
      // The machine is shared: its 1-minute load average when the run began (2 cores)
      loadAverage: loadAtStart,
      steps,
      nodes,
    }
    if (values.deploy) {
      // What a CI job does next: the MedRec contracts and the Consortium, as a user runs it.
      const deploy = medrec(['contracts', 'deploy', '--dir', dir])
      sample.deployWallMs = deploy.wallMs
      const response = await fetch(result.rpcUrl, {
        method: 'POST',
        headers: {'content-type': 'application/json'},
        body: JSON.stringify({jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: []}),
      })
      sample.deployBlock = Number((await response.json()).result)
      process.stderr.write(`  contracts deploy: ${deploy.wallMs} ms, head at block ${sample.deployBlock}\n`)
    }
    runs.push(sample)
    process.stderr.write(`run ${run}: ready after ${sample.readyMs} ms\n`)
    for (const s of steps)
      process.stderr.write(`  ${String(s.startMs).padStart(6)} +${String(s.ms).padStart(5)}  ${s.id}\n`)
    for (const [node, t] of Object.entries(nodes)) process.stderr.write(`  ${node.padEnd(9)} ${JSON.stringify(t)}\n`)
  } catch (error) {
    // Kept, with what geth said, and counted: a failed start is a finding, not noise.
    const logs = {}
    for (const node of [...Array.from({length: sealers}, (_, i) => `sealer-${i + 1}`), 'rpc']) {
      logs[node] = await docker
        .getContainer(`medrec-${name}_${node}`)
        .logs({stdout: true, stderr: true, timestamps: true, tail: 40})
        .then((b) => b.toString('utf8'))
        .catch((e) => String(e))
    }
    const failure = {code: error.code, message: error.message, details: error.details, hint: error.hint}
    failures.push({run, atMs: Date.now() - began, failure, steps, logs})
    process.stderr.write(`run ${run}: FAILED ${JSON.stringify(failure)}\n`)
  } finally {
    medrec(['network', 'destroy', '--dir', dir, '--force'])
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Median of one figure across runs. */
const med = (pick) => median(runs.map(pick).filter((v) => v !== undefined))
const stepIds = [...new Set(runs.flatMap((r) => r.steps.map((s) => s.id)))]
const sealerNames = Array.from({length: sealers}, (_, i) => `sealer-${i + 1}`)
const lastSealer = (field) => (r) => Math.max(...sealerNames.map((n) => r.nodes[n]?.[field] ?? Number.NaN))
const report = {
  benchmark: 'up-profile',
  label: values.label || undefined,
  date: new Date().toISOString(),
  machine: machineInfo(),
  sealers,
  creation: values.profile
    ? `--profile ${values.profile}`
    : `--period ${values.period}${values['light-kdf'] ? ' --light-kdf' : ''}`,
  failures: failures.length,
  median: {
    readyMs: med((r) => r.readyMs),
    ...(values.deploy ? {deployWallMs: med((r) => r.deployWallMs)} : {}),
    allSealedMs: med((r) => r.allSealedMs),
    steps: Object.fromEntries(stepIds.map((id) => [id, med((r) => r.steps.find((s) => s.id === id)?.ms)])),
    lastSealer: Object.fromEntries(
      ['created', 'started', 'gethStarted', 'unlocked', 'mining', 'firstSealed'].map((f) => [f, med(lastSealer(f))]),
    ),
  },
  runs,
  failed: failures,
}
writeResult(`up-profile-${sealers}${values.label ? `-${values.label}` : ''}`, report)
console.log(JSON.stringify(report.median, null, 2))
