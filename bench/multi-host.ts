// Founders of a consortium on separate hosts, started one after another: how long from the
// last founder's start until every founder seals. Each host is a network namespace with its
// own Docker engine (test/helpers/hosts.ts; needs root). Writes bench/results/multi-host-runtime.json.
//
//   node --import ./bench/ts-resolve-hook.mjs bench/multi-host.ts [--runs 3] [--pause 15]
//     [--order middle-last|middle-first|address] [--no-remedies] [--period 1] [--out FILE]
//     [--logs DIR]
//
// --order middle-last starts the founder who is in turn for block 1 last, so the first two
// each seal an out-of-turn block 1 of equal weight: the case the rewind remedy exists for.
// --no-remedies shows what happens without the remedies (the evidence for them).
import {mkdir, writeFile} from 'node:fs/promises'
import {cpus, loadavg} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {setTimeout as delay} from 'node:timers/promises'

import {gethIpcEval} from '../src/geth/geth-ipc.js'
import {readNodeChainView} from '../src/clique/node-chain-view.js'
import {startMemberNode, type StartMemberNodeResult} from '../src/member/member-node.js'
import {memberResourceNames} from '../src/member/member-resources.js'
import {pinnedGethImage} from '../src/geth/geth-version.js'
import {createTestHosts, multiHostPrerequisites, type TestHost} from '../test/helpers/hosts.js'
import {founderSpec, makeTestConsortium, type TestFounder} from '../test/helpers/member-founders.js'

const {values: args} = parseArgs({
  options: {
    runs: {type: 'string', default: '1'},
    pause: {type: 'string', default: '15'},
    order: {type: 'string', default: 'address'},
    'no-remedies': {type: 'boolean', default: false},
    period: {type: 'string', default: '1'},
    out: {type: 'string', default: 'bench/results/multi-host-runtime.json'},
    logs: {type: 'string'},
    timeout: {type: 'string', default: '240'},
  },
})
const runs = Number(args.runs)
const pauseMs = Number(args.pause) * 1000
const period = Number(args.period)
const timeoutMs = Number(args.timeout) * 1000
const remedies = !args['no-remedies']

const prerequisites = await multiHostPrerequisites(pinnedGethImage)
if (!prerequisites.ok) {
  console.error(prerequisites.reason)
  process.exit(1)
}

/** Lines of a geth log that tell the start-up's story. */
const telling = new RegExp(
  [
    'Successfully sealed',
    'Imported new chain segment',
    'Chain reorg detected',
    'discarded propagated',
    'Signed recently',
    'Block synchronisation started',
    'Synchronisation failed',
    'Commit new sealing work',
    'Rewinding blockchain',
    'Loaded most recent local block',
    'Mining aborted',
  ].join('|'),
)

function ordered(founders: TestFounder[], order: string): TestFounder[] {
  const byAddress = [...founders].sort((a, b) => a.address.toLowerCase().localeCompare(b.address.toLowerCase()))
  // Clique's in-turn signer of block n is signers[n % N] of the address-sorted set.
  if (order === 'middle-last') return [byAddress[0]!, byAddress[2]!, byAddress[1]!]
  if (order === 'middle-first') return [byAddress[1]!, byAddress[0]!, byAddress[2]!]
  return byAddress
}

type RunResult = {
  order: string[]
  inTurnForBlock1: string
  lastStartToAllSealingMs: number | null
  members: {
    name: string
    startedAtMs: number
    readyAfterMs: number | null
    state: string | null
    remedies: StartMemberNodeResult['remedies']
    error?: string
  }[]
  headHashesMatch: boolean
}

async function oneRun(index: number): Promise<RunResult> {
  const testHosts = await createTestHosts(3, {image: pinnedGethImage})
  try {
    const hosts = testHosts.hosts
    const consortium = await makeTestConsortium({
      name: `bench${index}`,
      founders: ['a', 'b', 'c'].map((name, i) => ({name, host: hosts[i]!.ip})),
      period,
    })
    const hostOf = new Map<string, TestHost>(consortium.founders.map((f, i) => [f.name, hosts[i]!]))
    const sequence = ordered(consortium.founders, args.order!)
    const inTurn = [...consortium.founders].sort((a, b) =>
      a.address.toLowerCase().localeCompare(b.address.toLowerCase()),
    )[1]!.name
    const t0 = Date.now()
    const starts: {founder: TestFounder; at: number; done: Promise<StartMemberNodeResult | Error>}[] = []
    for (const [i, founder] of sequence.entries()) {
      if (i > 0) await delay(pauseMs)
      const spec = await founderSpec(consortium, founder)
      const at = Date.now()
      const done = startMemberNode({
        engine: hostOf.get(founder.name)!.engine,
        spec,
        timeoutMs,
        remedies,
        progress: (event) => {
          if (event.type === 'warning') console.error(`[${founder.name} +${Date.now() - t0} ms] ${event.message}`)
        },
      }).catch((error: unknown) => error as Error)
      starts.push({founder, at, done})
      console.error(`[+${at - t0} ms] started ${founder.name} on ${hostOf.get(founder.name)!.name}`)
    }
    // Every founder sealing: each signer's block after the head the first founder had at the last start.
    const first = sequence[0]!
    const firstEngine = hostOf.get(first.name)!.engine
    const firstContainer = memberResourceNames({network: consortium.network.name, member: first.name}).sealer
    const lastStart = starts.at(-1)!.at
    const headAtLastStart = (await readNodeChainView(firstEngine, firstContainer, first.name, 1)).head.number
    let allSealingAt: number | null = null
    const signers = new Set(consortium.founders.map((f) => f.address.toLowerCase()))
    while (Date.now() - lastStart < timeoutMs) {
      const view = await readNodeChainView(firstEngine, firstContainer, first.name, 24).catch(() => undefined)
      const sealed = new Set(view?.recent.filter((b) => b.number > headAtLastStart).map((b) => b.signer))
      if ([...signers].every((s) => sealed.has(s))) {
        allSealingAt = Date.now()
        break
      }
      await delay(500)
    }
    const results = await Promise.all(starts.map((s) => s.done))
    const heads = await Promise.all(
      consortium.founders.map(async (f) => {
        const container = memberResourceNames({network: consortium.network.name, member: f.name}).sealer
        const view = await readNodeChainView(hostOf.get(f.name)!.engine, container, f.name, 1)
        return view.head
      }),
    )
    // Compare at one height: the lowest head every node has.
    const height = Math.min(...heads.map((h) => h.number))
    const hashes = await Promise.all(
      consortium.founders.map(async (f) => {
        const container = memberResourceNames({network: consortium.network.name, member: f.name}).sealer
        const engine = hostOf.get(f.name)!.engine
        return (await gethIpcEval<{hash: string}>(engine, container, f.name, `eth.getBlock(${height})`)).hash
      }),
    )
    if (args.logs) {
      const dir = join(args.logs, `run-${index}`)
      await mkdir(dir, {recursive: true})
      for (const f of consortium.founders) {
        const container = memberResourceNames({network: consortium.network.name, member: f.name}).sealer
        const log = await hostOf.get(f.name)!.engine.logsText(container, 5000)
        await writeFile(join(dir, `${f.name}.log`), log)
        await writeFile(
          join(dir, `${f.name}.story.log`),
          log
            .split('\n')
            .filter((l) => telling.test(l))
            .join('\n'),
        )
      }
    }
    return {
      order: sequence.map((f) => f.name),
      inTurnForBlock1: inTurn,
      lastStartToAllSealingMs: allSealingAt === null ? null : allSealingAt - lastStart,
      members: starts.map((s, i) => {
        const r = results[i]!
        return r instanceof Error
          ? {
              name: s.founder.name,
              startedAtMs: s.at - t0,
              readyAfterMs: null,
              state: null,
              remedies: [],
              error: r.message,
            }
          : {
              name: s.founder.name,
              startedAtMs: s.at - t0,
              readyAfterMs: r.readyAfterMs,
              state: r.state,
              remedies: r.remedies,
            }
      }),
      headHashesMatch: new Set(hashes).size === 1,
    }
  } finally {
    const left = await testHosts.teardown()
    if (left.length > 0) console.error(`left behind: ${left.join(', ')}`)
  }
}

const results: RunResult[] = []
for (let i = 1; i <= runs; i++) {
  const result = await oneRun(i)
  console.error(JSON.stringify(result))
  results.push(result)
}
const times = results.map((r) => r.lastStartToAllSealingMs).filter((t): t is number => t !== null)
const sorted = [...times].sort((a, b) => a - b)
const report = {
  benchmark: 'multi-host founders: last founder start → every founder sealing',
  date: new Date().toISOString(),
  machine: {cpus: cpus().length, loadAverage1m: loadavg()[0]},
  config: {founders: 3, pauseBetweenStartsS: pauseMs / 1000, order: args.order, remedies, periodS: period, runs},
  lastStartToAllSealingMs: {
    median: sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)] : null,
    max: sorted.at(-1) ?? null,
    min: sorted[0] ?? null,
    failed: results.length - times.length,
  },
  runs: results,
}
await mkdir(join(args.out!, '..'), {recursive: true})
await writeFile(args.out!, `${JSON.stringify(report, null, 2)}\n`)
console.log(JSON.stringify(report.lastStartToAllSealingMs))
