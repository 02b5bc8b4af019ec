// A consortium across hosts through the built CLI, as its providers would run it: each provider
// its own workspace (--dir) and its own host's engine (DOCKER_HOST). Each host is a network
// namespace with its own dockerd (test/helpers/hosts.ts; needs root). Measures
//   (a) the last founder's `member up` start → every founder sealing (a block of each after it);
//   (b) the deciding `provider approve` start → the joiner's first sealed block.
// Writes bench/results/multi-host.json. Build first (npm run build).
//
//   node --import ./bench/ts-resolve-hook.mjs bench/multi-host-cli.ts [--runs 3] [--pause 15] [--out FILE]
import {mkdtemp, mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {cpus, loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {setTimeout as delay} from 'node:timers/promises'

import {pinnedGethImage} from '../src/geth/geth-version.js'
import {pollUntil} from '../src/wait/poll-until.js'
import {readNodeChainView} from '../src/clique/node-chain-view.js'
import {memberResourceNames} from '../src/member/member-resources.js'
import {createTestHosts, multiHostPrerequisites, type TestHost} from '../test/helpers/hosts.js'
import {runMedrec} from '../test/helpers/run-medrec.js'

const {values: args} = parseArgs({
  options: {
    runs: {type: 'string', default: '3'},
    pause: {type: 'string', default: '15'},
    out: {type: 'string', default: 'bench/results/multi-host.json'},
  },
})
const runs = Number(args.runs)
const pauseMs = Number(args.pause) * 1000

const prerequisites = await multiHostPrerequisites(pinnedGethImage)
if (!prerequisites.ok) {
  console.error(prerequisites.reason)
  process.exit(1)
}

type Member = {name: string; dir: string; host: TestHost}

/** Waits as the tool does; a node still starting (its console not answering yet) is "not yet". */
const until = <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> =>
  pollUntil(what, Date.now() + timeoutMs, probe, {retryable: () => true})

type RunResult = {
  lastFounderUpToAllSealingMs: number
  decidingApproveToJoinerSealedMs: number
  remedies: Record<string, string[]>
}

async function oneRun(index: number): Promise<RunResult> {
  const testHosts = await createTestHosts(4, {image: pinnedGethImage})
  const root = await mkdtemp(join(tmpdir(), 'medrec-bench-cli-'))
  try {
    const [h1, h2, h3, h4] = testHosts.hosts as [TestHost, TestHost, TestHost, TestHost]
    const network = `bc${index}-${testHosts.runId}`
    const founders: Member[] = [
      {name: 'st-anne', dir: join(root, 'st-anne'), host: h1},
      {name: 'riverside', dir: join(root, 'riverside'), host: h2},
      {name: 'north-clinic', dir: join(root, 'north-clinic'), host: h3},
    ]
    const [anne, river, north] = founders as [Member, Member, Member]
    const joiner: Member = {name: 'lakeside', dir: join(root, 'lakeside'), host: h4}
    const medrec = async (m: Member, ...a: string[]) => {
      const r = await runMedrec([...a, '--dir', m.dir, '--json'], {
        env: {DOCKER_HOST: m.host.endpoint.host},
        timeoutMs: 400_000,
      })
      if (r.exitCode !== 0) throw new Error(`[${m.name}] medrec ${a.join(' ')}:\n${r.stdout}\n${r.stderr}`)
      return r.json
    }
    const view = (m: Member) =>
      readNodeChainView(m.host.engine, memberResourceNames({network, member: m.name}).sealer, m.name, 24)
    const signerOf = async (m: Member) =>
      (JSON.parse(await readFile(join(m.dir, `${m.name}.card.json`), 'utf8')) as {signer: string}).signer.toLowerCase()

    for (const m of founders)
      await medrec(m, 'member', 'init', m.name, '--advertise', m.host.ip, '--rpc-host', m.host.ip, '--light-kdf')
    await medrec(joiner, 'member', 'init', joiner.name, '--advertise', h4.ip, '--light-kdf')
    const bundle1 = join(root, 'b1.json')
    const cards = [river, north].flatMap((m) => ['--card', join(m.dir, `${m.name}.card.json`)])
    await medrec(anne, 'consortium', 'found', '--name', network, '--period', '1', ...cards, '--out', bundle1)
    for (const m of [river, north]) await medrec(m, 'consortium', 'import', bundle1)

    // (a) founders started one after another; the clock starts with the last one's `member up`.
    // Each founder's `member up` reports the remedies its wait applied (a rewind of a lone block 1,
    // a re-handshake): how often the start-up tie arose and was repaired, not only how long it took.
    let lastStart = 0
    const remedies: Record<string, string[]> = {}
    for (const [i, m] of founders.entries()) {
      if (i > 0) await delay(pauseMs)
      lastStart = Date.now()
      const up = (await medrec(m, 'member', 'up', '--timeout', '240')) as {remedies?: {kind: string}[]}
      remedies[m.name] = (up.remedies ?? []).map((r) => r.kind)
    }
    const signers = await Promise.all(founders.map(signerOf))
    const headAtLastStart = (await view(anne)).head.number
    await until('every founder to seal', 240_000, async () => {
      const sealed = new Set((await view(anne)).recent.filter((b) => b.number > headAtLastStart).map((b) => b.signer))
      return signers.every((s) => sealed.has(s)) ? true : undefined
    })
    const lastFounderUpToAllSealingMs = Date.now() - lastStart

    // (b) the joiner: deploy (votes need the contracts), propose, its node waits, the deciding approval.
    const bundle2 = join(root, 'b2.json')
    await medrec(anne, 'contracts', 'deploy', '--out', bundle2)
    await medrec(river, 'consortium', 'import', bundle2)
    const bundle3 = join(root, 'b3.json')
    await medrec(anne, 'provider', 'propose', '--card', join(joiner.dir, 'lakeside.card.json'), '--out', bundle3)
    await medrec(joiner, 'consortium', 'import', bundle3)
    await medrec(river, 'consortium', 'import', bundle3)
    await medrec(joiner, 'member', 'up', '--timeout', '240')
    const joinerSigner = await signerOf(joiner)
    const approvedAt = Date.now()
    await medrec(river, 'provider', 'approve', 'lakeside')
    await until('the joiner to seal', 240_000, async () =>
      (await view(joiner)).recent.some((b) => b.signer === joinerSigner) ? true : undefined,
    )
    return {lastFounderUpToAllSealingMs, decidingApproveToJoinerSealedMs: Date.now() - approvedAt, remedies}
  } finally {
    const left = await testHosts.teardown()
    if (left.length > 0) console.error(`left behind: ${left.join(', ')}`)
    await rm(root, {recursive: true, force: true})
  }
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return {median: sorted[Math.floor(sorted.length / 2)] ?? null, min: sorted[0] ?? null, max: sorted.at(-1) ?? null}
}
const results: RunResult[] = []
const failures: string[] = []
for (let i = 1; i <= runs; i++) {
  try {
    const result = await oneRun(i)
    console.error(`run ${i}: ${JSON.stringify(result)}`)
    results.push(result)
  } catch (error) {
    console.error(`run ${i} failed: ${(error as Error).message}`)
    failures.push((error as Error).message)
  }
}
const report = {
  benchmark: 'multi-host consortium through the CLI: founders sealing, and a joiner voted in',
  date: new Date().toISOString(),
  machine: {cpus: cpus().length, loadAverage1m: loadavg()[0]},
  config: {founders: 3, joiners: 1, hosts: 4, pauseBetweenFounderStartsS: pauseMs / 1000, periodS: 1, runs},
  lastFounderUpToAllSealingMs: stats(results.map((r) => r.lastFounderUpToAllSealingMs)),
  decidingApproveToJoinerSealedMs: stats(results.map((r) => r.decidingApproveToJoinerSealedMs)),
  failed: failures.length,
  failures,
  runs: results,
}
await mkdir(join(args.out!, '..'), {recursive: true})
await writeFile(args.out!, `${JSON.stringify(report, null, 2)}\n`)
console.log(JSON.stringify({a: report.lastFounderUpToAllSealingMs, b: report.decidingApproveToJoinerSealedMs}))
