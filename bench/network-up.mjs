#!/usr/bin/env node
// Benchmark: time from `medrec network up` to the first block sealed by every signer,
// and each sealer's resident memory after a minute, for 3 and 5 sealers at a 1 s period.
// Runs the built CLI as a user would (image present). Writes bench/results/network-up.json
// (network-up-light-kdf.json with --light-kdf)
// and prints a table. Usage: npm run bench:up [-- --runs 3 --settle 60 --light-kdf]
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import Docker from 'dockerode'

import {initBenchNetwork, machineInfo, median, medrec, residentMemory, writeResult} from './bench-helpers.mjs'

const {values} = parseArgs({
  options: {
    runs: {type: 'string', default: '3'},
    settle: {type: 'string', default: '60'},
    'light-kdf': {type: 'boolean', default: false},
    sealers: {type: 'string', default: '3,5'},
  },
})
const runs = Number(values.runs)
const settleSeconds = Number(values.settle)
const docker = new Docker()

const results = []
for (const sealers of values.sealers.split(',').map(Number)) {
  const samples = []
  for (let run = 1; run <= runs; run++) {
    const {dir} = await initBenchNetwork(
      join(tmpdir(), `medrec-bench-${sealers}-`),
      `bench-${sealers}-${run}-${process.pid}`,
      ['--sealers', String(sealers), '--period', '1', ...(values['light-kdf'] ? ['--light-kdf'] : [])],
    )
    try {
      const up = medrec(['network', 'up', '--dir', dir])
      const sample = {
        run,
        allSealedMs: up.json.timings.allSealedMs,
        readyMs: up.json.timings.readyMs,
        processWallMs: Math.round(up.wallMs),
      }
      if (run === runs) {
        // Memory is read once, on the last run, after the chain has sealed for a while.
        await new Promise((resolve) => setTimeout(resolve, settleSeconds * 1000))
        sample.sealerRssMiB = {}
        for (const s of up.json.sealers) {
          sample.sealerRssMiB[s.name] = Math.round((await residentMemory(docker, s.container)) / 2 ** 20)
        }
      }
      samples.push(sample)
      process.stderr.write(
        `${sealers} sealers, run ${run}: every signer sealed after ${sample.allSealedMs} ms, ready after \
${sample.readyMs} ms\n`,
      )
    } finally {
      medrec(['network', 'destroy', '--dir', dir, '--force'])
    }
  }
  results.push({
    sealers,
    periodSeconds: 1,
    runs: samples,
    medianAllSealedMs: median(samples.map((s) => s.allSealedMs)),
    medianReadyMs: median(samples.map((s) => s.readyMs)),
    sealerRssMiB: samples.at(-1).sealerRssMiB,
    goalMs: sealers <= 3 ? 8000 : 12_000,
  })
}

const report = {
  benchmark: 'network-up',
  date: new Date().toISOString(),
  machine: machineInfo(),
  keyEncryption: values['light-kdf'] ? 'light scrypt (N=2^12)' : 'standard scrypt (N=2^18)',
  settleSeconds,
  results,
}
writeResult(`network-up${values['light-kdf'] ? '-light-kdf' : ''}`, report)
console.log(
  'sealers | median: every signer sealed | median: ready (peered) | goal  | sealer RSS after ' +
    settleSeconds +
    ' s (MiB)',
)
for (const r of results) {
  console.log(
    `${String(r.sealers).padEnd(7)} | ${String(r.medianAllSealedMs).padStart(24)} ms | \
${String(r.medianReadyMs).padStart(19)} ms | ${r.goalMs / 1000} s | ${Object.values(r.sealerRssMiB).join(', ')}`,
  )
}
