// The chaos soak as a benchmark (issue 11): a real 3-sealer Clique network (period 1 s) under a
// client sending relationship transactions without pause, while one sealer at a time is
// SIGKILLed, restarted or cut from the Docker network. The same engine as the end-to-end test
// (test/helpers/chaos-soak.ts), run longer and with the sealers' standard keys.
//
//   npm run bench:chaos-soak -- --minutes 30 [--light-kdf] [--patients 4] [--partition-seconds 3-8]
//                               [--result chaos-soak]
//
// Prints the figures and writes bench/results/chaos-soak.json (or RESULT.json): transactions
// sent, confirmed and lost (goal 0), the longest gap between blocks, the faults applied and how
// long each sealer took to be back, reorganisations seen, and whether every node ended on one
// chain with the intended signers. A failed soak writes its error (with every node's state)
// there instead.
import {parseArgs} from 'node:util'

import {runChaosSoak} from '../test/helpers/chaos-soak.js'
import {machineInfo, writeResult} from './bench-helpers.mjs'

const {values} = parseArgs({
  options: {
    minutes: {type: 'string', default: '30'},
    'light-kdf': {type: 'boolean', default: false},
    patients: {type: 'string', default: '4'},
    'partition-seconds': {type: 'string', default: '3-8'},
    /** The results file's name under bench/results (another run keeps the default one). */
    result: {type: 'string', default: 'chaos-soak'},
  },
})
const partition = values['partition-seconds'].split('-').map(Number)
if (partition.length !== 2 || !partition.every((n) => n > 0) || partition[0]! > partition[1]!)
  throw new Error(`--partition-seconds must be MIN-MAX in seconds, not ${values['partition-seconds']}`)
const partitionMs = [partition[0]! * 1000, partition[1]! * 1000] as const
const minutes = Number(values.minutes)
if (!(minutes > 0)) throw new Error(`--minutes must be a positive number, not ${values.minutes}`)

const startedAt = new Date().toISOString()
const log = (line: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`)
const setup = {
  minutesOfFaults: minutes,
  keys: values['light-kdf'] ? 'light (geth --lightkdf scrypt)' : 'standard (scrypt N=2^18)',
  patients: Number(values.patients),
  client:
    'one flow per patient: propose (steward), accept, grant, revoke, end, round after round; ' +
    'each waits for its receipt',
  faults:
    'kill (SIGKILL, started again after 3-8 s), restart (docker restart), ' +
    `disconnect (${values['partition-seconds']} s off the Docker network)`,
}
try {
  const report = await runChaosSoak({
    name: `soak-bench-${Math.random().toString(36).slice(2, 8)}`,
    faultMs: minutes * 60_000,
    lightKdf: values['light-kdf'],
    patients: Number(values.patients),
    partitionMs,
    log,
  })
  const {refusals, ...transactions} = report.transactions
  const summary = {
    sent: report.transactions.sent,
    confirmed: report.transactions.confirmed,
    lost: report.transactions.lost,
    reincludedAfterReorg: report.transactions.reincludedAfterReorg,
    longestBlockGapSeconds: report.blocks.longestGapSeconds,
    longestHeadStallSeconds: Number((report.blocks.longestHeadStallMs / 1000).toFixed(1)),
    faults: report.faults.applied,
    longestRecoverySeconds: Number((report.faults.longestRecoveryMs / 1000).toFixed(1)),
    reorgsSeenByRpcNode: report.reorgs.seenByRpcNode,
    headsAgree: report.heads.agree,
    signersIntact: report.signers.matches,
  }
  writeResult(values.result, {
    measuredAt: startedAt,
    machine: machineInfo(),
    setup,
    summary,
    ...report,
    // Refusals are listed in full only when there are few; their count is always kept.
    transactions: {...transactions, refusals: refusals.length <= 50 ? refusals : refusals.slice(0, 50)},
  })
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
  const ok = summary.lost === 0 && summary.headsAgree && summary.signersIntact
  if (!ok) process.exitCode = 1
} catch (error) {
  writeResult(values.result, {
    measuredAt: startedAt,
    machine: machineInfo(),
    setup,
    failure: (error as Error).message,
  })
  log(`FAILED: ${(error as Error).message}`)
  process.exitCode = 1
}
