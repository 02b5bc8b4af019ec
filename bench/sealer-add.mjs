#!/usr/bin/env node
// Benchmark: time from `medrec sealer add` (or, with --what provider, `medrec provider add
// --sealer`, which also votes the provider onto the on-chain whitelist) to the new
// signer's first sealed block, on a running 3-sealer network at a 1 s period (image
// present). Each run adds a 4th sealer to a fresh network. Writes
// bench/results/{sealer,provider}-add[-light-kdf].json and prints the figures.
// Usage: npm run bench:sealer-add [-- --runs 3 --light-kdf]
//        npm run bench:provider-add [-- --runs 3 --light-kdf]
import {cpus, tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {initBenchNetwork, median, medrec, writeResult} from './bench-helpers.mjs'

const {values} = parseArgs({
  options: {
    runs: {type: 'string', default: '3'},
    'light-kdf': {type: 'boolean', default: false},
    what: {type: 'string', default: 'sealer'},
  },
})
const provider = values.what === 'provider'
const kdf = values['light-kdf'] ? ['--light-kdf'] : []

const runs = []
for (let run = 1; run <= Number(values.runs); run++) {
  const {dir} = await initBenchNetwork(join(tmpdir(), 'medrec-bench-add-'), `bench-add-${run}-${process.pid}`, [
    '--period',
    '1',
    ...kdf,
  ])
  try {
    medrec(['network', 'up', '--dir', dir])
    if (provider) {
      // The consortium must exist before a provider can be voted in.
      medrec(['contracts', 'deploy', '--dir', dir])
      const add = medrec(['provider', 'add', 'sealer-4', '--sealer', '--dir', dir, ...kdf])
      runs.push({
        run,
        firstSealMs: add.json.timings.firstSealMs,
        totalMs: add.json.timings.totalMs,
        processWallMs: add.wallMs,
      })
      process.stderr.write(
        `run ${run}: whitelisted and first sealed block ${add.json.timings.firstSealMs} ms after the command began \
(process ${add.wallMs} ms)\n`,
      )
    } else {
      const add = medrec(['sealer', 'add', 'sealer-4', '--dir', dir, ...kdf])
      runs.push({run, ...add.json.timings, processWallMs: add.wallMs})
      process.stderr.write(
        `run ${run}: node started ${add.json.timings.startedMs} ms, signer ${add.json.timings.signerMs} ms, first \
sealed block ${add.json.timings.firstSealMs} ms\n`,
      )
    }
  } finally {
    medrec(['network', 'destroy', '--dir', dir, '--force'])
  }
}
const report = {
  benchmark: provider ? 'provider-add --sealer' : 'sealer-add',
  date: new Date().toISOString(),
  machine: {cpus: cpus().length, node: process.version},
  keyEncryption: values['light-kdf'] ? 'light scrypt (N=2^12)' : 'standard scrypt (N=2^18)',
  periodSeconds: 1,
  runs,
  medianFirstSealMs: median(runs.map((r) => r.firstSealMs)),
}
writeResult(`${provider ? 'provider' : 'sealer'}-add${values['light-kdf'] ? '-light-kdf' : ''}`, report)
console.log(
  `${provider ? 'provider add --sealer' : 'sealer add'} → first block sealed by the new signer: median \
${report.medianFirstSealMs} ms over ${runs.length} runs (${report.keyEncryption})`,
)
