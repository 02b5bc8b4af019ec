#!/usr/bin/env node
// Benchmark: how reliably a new network starts. Runs N cold `medrec network up` + `destroy`
// cycles of a fresh network (standard keys unless --light-kdf, 1 s period) and records, per
// cycle, the ready time, whether `up` timed out, and how many times the sealers were
// restarted to get past a stall (from up's JSON `restarts`, or, for builds that do not
// report it, counted from the "Starting peer-to-peer node" lines in the sealers' logs). With
// --cpu-load-half every other cycle runs with a busy-loop process keeping one core busy.
// With --warm K each cycle then stops and starts the network K times (`down` + `up`).
// Writes bench/results/up-reliability-<sealers>.json and prints p50/p95/max.
// With --profile throwaway, the networks are throwaway ones (light keys, chain in memory; no --warm).
// Usage: npm run bench:up-reliability -- --sealers 2 --cycles 20 [--cpu-load-half] [--keep-logs DIR] [--profile P]
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {loadavg} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {initBenchNetwork, machineInfo, medrec, percentile, writeResult} from './bench-helpers.mjs'

const {values} = parseArgs({
  options: {
    sealers: {type: 'string', default: '2'},
    cycles: {type: 'string', default: '20'},
    'cpu-load-half': {type: 'boolean', default: false},
    'light-kdf': {type: 'boolean', default: false},
    profile: {type: 'string', default: 'standard'},
    timeout: {type: 'string', default: '120'},
    'keep-logs': {type: 'string'},
    label: {type: 'string', default: ''},
    warm: {type: 'string', default: '0'},
  },
})
const sealers = Number(values.sealers)
const cycles = Number(values.cycles)

/** A process that keeps one core busy: the other engineers' builds and tests, in CI terms. */
function startCpuLoad() {
  return spawn(process.execPath, ['-e', 'for (;;) {}'], {stdio: 'ignore'})
}

/** Every node's log (geth writes to stderr), read before the network is destroyed. */
function nodeLogs(name) {
  const nodes = [...Array.from({length: sealers}, (_, i) => `sealer-${i + 1}`), 'rpc']
  return Object.fromEntries(
    nodes.map((node) => {
      const container = `medrec-${name}_${node}`
      const out = spawnSync('docker', ['logs', '--timestamps', container], {encoding: 'utf8', maxBuffer: 64 * 2 ** 20})
      return [node, `${out.stdout}${out.stderr}`]
    }),
  )
}

const count = (text, pattern) => text.split('\n').filter((line) => line.includes(pattern)).length

const samples = []
for (let cycle = 1; cycle <= cycles; cycle++) {
  const loaded = values['cpu-load-half'] && cycle % 2 === 0
  const kdf = [...(values['light-kdf'] ? ['--light-kdf'] : []), '--profile', values.profile]
  const {dir, name} = await initBenchNetwork('/tmp/startup-rel-', `startup-r${sealers}-${cycle}-${process.pid}`, [
    '--sealers',
    String(sealers),
    '--period',
    '1',
    ...kdf,
  ])
  const load = loaded ? startCpuLoad() : undefined
  let sample
  const loadAtStart = Math.round(loadavg()[0] * 10) / 10
  try {
    const up = medrec(['network', 'up', '--dir', dir, '--timeout', values.timeout], {allowFailure: true})
    const logs = nodeLogs(name)
    const sealerLogs = Object.entries(logs)
      .filter(([node]) => node !== 'rpc')
      .map(([, text]) => text)
    // Each sealer logs "Starting peer-to-peer node" once per start: more than one means it was restarted.
    const restartsFromLogs = Math.max(0, ...sealerLogs.map((text) => count(text, 'Starting peer-to-peer node') - 1))
    const ok = up.status === 0
    sample = {
      cycle,
      cpuLoad: loaded,
      // The machine is shared: its 1-minute load average as `up` began (2 cores; our busy loop adds 1)
      loadAverage: loadAtStart,
      ok,
      readyMs: ok ? up.json.timings.readyMs : null,
      allSealedMs: ok ? up.json.timings.allSealedMs : null,
      processWallMs: up.wallMs,
      timeout: !ok && up.json?.error?.code === 'MEDREC_READY_TIMEOUT',
      error: ok ? null : (up.json?.error?.code ?? `exit ${up.status}`),
      restarts: ok && typeof up.json.restarts === 'number' ? up.json.restarts : restartsFromLogs,
      blockNumber: ok ? up.json.blockNumber : null,
      // Stall signatures, for the record: a node that dropped a block because it had not synced,
      // and sealers waiting for others.
      discardedPropagated: count(Object.values(logs).join('\n'), 'Syncing, discarded propagated block'),
      signedRecently: sealerLogs.reduce((n, text) => n + count(text, 'signed recently, must wait for others'), 0),
    }
    // Restarts of the running network: every node starts again at once.
    sample.warm = []
    for (let w = 1; ok && w <= Number(values.warm); w++) {
      medrec(['network', 'down', '--dir', dir])
      const again = medrec(['network', 'up', '--dir', dir, '--timeout', values.timeout], {allowFailure: true})
      const warmOk = again.status === 0
      sample.warm.push({
        ok: warmOk,
        readyMs: warmOk ? again.json.timings.readyMs : null,
        timeout: !warmOk && again.json?.error?.code === 'MEDREC_READY_TIMEOUT',
        error: warmOk ? null : (again.json?.error?.code ?? `exit ${again.status}`),
        restarts: warmOk ? again.json.restarts : null,
      })
    }
    if (values['keep-logs']) {
      const logDir = join(values['keep-logs'], `cycle-${cycle}`)
      mkdirSync(logDir, {recursive: true})
      for (const [node, text] of Object.entries(logs)) writeFileSync(join(logDir, `${node}.log`), text)
      writeFileSync(join(logDir, 'up.json'), up.stdout)
    }
  } finally {
    load?.kill('SIGKILL')
    medrec(['network', 'destroy', '--dir', dir, '--force'])
    rmSync(dir, {recursive: true, force: true})
  }
  samples.push(sample)
  const {ok, readyMs, error, processWallMs, restarts, discardedPropagated, signedRecently} = sample
  const outcome = ok ? `ready after ${readyMs} ms` : `FAILED ${error} after ${processWallMs} ms`
  const warm = sample.warm.map((w) => (w.ok ? `${w.readyMs} ms/${w.restarts}r` : w.error)).join(' ')
  const signs = [
    `restarts ${restarts}, discarded ${discardedPropagated}, signed-recently ${signedRecently}`,
    ...(warm ? [`; warm ${warm}`] : []),
  ].join('')
  process.stderr.write(`${sealers} sealers, cycle ${cycle}${loaded ? ' (cpu load)' : ''}: ${outcome}, ${signs}\n`)
}

/** Ready-time figures of one group of cycles. */
function summarise(group) {
  const ready = group.filter((s) => s.ok).map((s) => s.readyMs)
  return {
    cycles: group.length,
    ready: ready.length,
    timeouts: group.filter((s) => s.timeout).length,
    otherFailures: group.filter((s) => !s.ok && !s.timeout).length,
    restarts: group.reduce((n, s) => n + s.restarts, 0),
    cyclesWithRestarts: group.filter((s) => s.restarts > 0).length,
    medianLoadAverage: percentile(
      group.map((s) => s.loadAverage),
      50,
    ),
    readyMs: {
      p50: percentile(ready, 50),
      p95: percentile(ready, 95),
      max: ready.length > 0 ? Math.max(...ready) : null,
    },
  }
}

const report = {
  benchmark: 'up-reliability',
  label: values.label || undefined,
  date: new Date().toISOString(),
  machine: machineInfo(),
  sealers,
  periodSeconds: 1,
  profile: values.profile,
  keyEncryption:
    values['light-kdf'] || values.profile === 'throwaway' ? 'light scrypt (N=2^12)' : 'standard scrypt (N=2^18)',
  cpuLoad: values['cpu-load-half'] ? 'a busy-loop process on every other cycle' : 'none',
  summary: summarise(samples),
  ...(values['cpu-load-half']
    ? {idle: summarise(samples.filter((s) => !s.cpuLoad)), underLoad: summarise(samples.filter((s) => s.cpuLoad))}
    : {}),
  ...(Number(values.warm) > 0 ? {warmRestarts: summarise(samples.flatMap((s) => s.warm))} : {}),
  cycles: samples,
}
writeResult(`up-reliability-${sealers}${values.label ? `-${values.label}` : ''}`, report)
const s = report.summary
console.log(
  `${sealers} sealers, ${s.cycles} cycles: ${s.ready} ready, ${s.timeouts} timeouts, ` +
    `${s.otherFailures} other failures, ` +
    `${s.restarts} restarts in ${s.cyclesWithRestarts} cycles; ` +
    `ready p50 ${s.readyMs.p50} ms, p95 ${s.readyMs.p95} ms, max ${s.readyMs.max} ms`,
)
