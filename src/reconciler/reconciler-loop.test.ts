import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import type {ContainerEngine, ContainerEvent, ContainerInfo, ExecResult} from '../docker/container-engine.js'
import type {ReconcilerDesired} from '../workspace/reconciler-desired.js'
import {runReconcilerLoop, type ReconcilerStatus} from './reconciler-loop.js'

// The loop against sealers simulated in memory: each answers the geth console expressions the
// loop sends over `docker exec` as geth does. The decisions themselves are tested from plain data
// in plan-reconciler-cycle.test.ts; these tests are about the loop's timing: events that arrive
// while it is looking, and a withdrawal that crosses a cast. (The real thing, on real geth
// sealers, is test/e2e/vote-reconciler.e2e.test.ts.)

const x = `0x${'1a'.repeat(20)}`
const networkId = 'net-loop-test'

/** up: its container runs; answering: its geth console answers (a moment after a start). */
type FakeSealer = {proposals: Record<string, boolean>; up: boolean; answering: boolean}

/** Sealers in memory behind the slice of ContainerEngine the loop uses. */
class FakeSealers {
  readonly sealers = new Map<string, FakeSealer>()
  signers: string[] = []
  head = 100
  /**
   * Called before each console expression is answered: a test's hook into the middle of a
   * cycle. What it returns (if anything) is the answer, as from a process that is now gone.
   */
  onExpression: (node: string, expression: string) => unknown = () => undefined
  private listeners: ((event: ContainerEvent) => void)[] = []

  constructor(names: string[]) {
    for (const name of names) this.sealers.set(name, {proposals: {}, up: true, answering: true})
  }

  /** A restart as Docker does it: geth forgets its proposals, and the engine says `start`. */
  restart(name: string) {
    this.sealers.get(name)!.proposals = {}
    for (const listener of this.listeners)
      listener({
        action: 'start',
        containerId: name,
        labels: {'org.medrec.role': 'sealer', 'org.medrec.node': name},
        time: Date.now(),
      })
  }

  engine(): ContainerEngine {
    const fake = {
      listContainers: async (): Promise<ContainerInfo[]> =>
        [...this.sealers].map(([name, s]) => ({
          id: name,
          name: `medrec-test_${name}`,
          labels: {'org.medrec.role': 'sealer', 'org.medrec.node': name, 'org.medrec.network-id': networkId},
          state: s.up ? 'running' : 'exited',
          exitCode: undefined,
          restartCount: 0,
          ips: {},
        })),
      watchContainerEvents: async (_labels: Record<string, string>, onEvent: (e: ContainerEvent) => void) => {
        this.listeners.push(onEvent)
        return {close: () => {}, ended: new Promise<Error | undefined>(() => {})}
      },
      exec: async (id: string, cmd: string[]): Promise<ExecResult> => {
        const expression = /^JSON\.stringify\(([\s\S]*)\)$/.exec(cmd[3]!)![1]!
        const stale = await this.onExpression(id, expression)
        if (stale !== undefined) return {exitCode: 0, stdout: JSON.stringify(JSON.stringify(stale)), stderr: ''}
        const sealer = this.sealers.get(id)!
        if (!sealer.up || !sealer.answering)
          return {exitCode: 1, stdout: 'Fatal: Unable to attach to remote geth', stderr: ''}
        return {exitCode: 0, stdout: JSON.stringify(JSON.stringify(this.answer(sealer, expression))), stderr: ''}
      },
    }
    return fake as unknown as ContainerEngine
  }

  private answer(sealer: FakeSealer, expression: string): unknown {
    const propose = /^clique\.propose\("(0x[0-9a-fA-F]{40})", (true|false)\)$/.exec(expression)
    if (propose) {
      sealer.proposals[propose[1]!.toLowerCase()] = propose[2] === 'true'
      return null
    }
    const discard = /^clique\.discard\("(0x[0-9a-fA-F]{40})"\)$/.exec(expression)
    if (discard) {
      delete sealer.proposals[discard[1]!.toLowerCase()]
      return null
    }
    if (expression === 'clique.proposals') return sealer.proposals
    if (expression.includes('clique.getSigners()')) return {head: this.head, signers: this.signers}
    if (expression.includes('admin.peers.length')) return {head: this.head, peers: 2, mining: true}
    throw new Error(`the fake geth does not know ${expression}`)
  }
}

function desired(votes: ReconcilerDesired['votes']): string {
  const document: ReconcilerDesired = {
    version: 1,
    networkId,
    network: 'test',
    period: 1,
    epoch: 30_000,
    sealers: ['sealer-1', 'sealer-2', 'sealer-3'],
    votes,
    writtenAt: new Date().toISOString(),
  }
  return JSON.stringify(document)
}

const addX = {[x]: {authorize: true, sealers: ['sealer-1'], proposedAt: '2025-01-01T00:00:00.000Z'}}

const running: {stop: () => Promise<void>; dir: string}[] = []
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.stop()
    await rm(r.dir, {recursive: true, force: true})
  }
})

/** Runs the loop on the fake sealers with a fast cycle; returns its log lines as they come. */
async function startLoop(fake: FakeSealers, votes: ReconcilerDesired['votes']) {
  const dir = await mkdtemp(join(tmpdir(), 'medrec-reconciler-loop-'))
  await writeFile(join(dir, 'desired.json'), desired(votes))
  const lines: string[] = []
  const controller = new AbortController()
  const done = runReconcilerLoop({
    engine: fake.engine(),
    dataDir: dir,
    log: (line) => lines.push(line),
    signal: controller.signal,
    cycleMs: 50,
  })
  const stop = () => {
    controller.abort()
    return done
  }
  running.push({dir, stop})
  const status = async () => JSON.parse(await readFile(join(dir, 'status.json'), 'utf8')) as ReconcilerStatus
  return {
    dir,
    lines,
    status,
    writeDesired: (v: ReconcilerDesired['votes']) => writeFile(join(dir, 'desired.json'), desired(v)),
  }
}

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 5000
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('the reconciler loop', () => {
  it('casts a recorded vote again on a sealer that restarted, and logs why', async () => {
    // Given sealer-1 holds the recorded vote and the loop runs
    const fake = new FakeSealers(['sealer-1', 'sealer-2', 'sealer-3'])
    fake.sealers.get('sealer-1')!.proposals = {[x]: true}
    const loop = await startLoop(fake, addX)
    await until('a heartbeat', () => loop.status().catch(() => undefined))
    // When sealer-1 restarts (its proposals gone)
    fake.restart('sealer-1')
    // Then it holds the vote again, and the log says the restart was the reason
    await until('the vote back on sealer-1', () => fake.sealers.get('sealer-1')!.proposals[x])
    await until('the log line', () =>
      loop.lines.some((l) => l === `sealer-1 restarted; re-cast vote +${x} on sealer-1`),
    )
    expect(fake.sealers.get('sealer-2')!.proposals).toEqual({})
  })

  it('keeps a restart that is announced while a cycle is looking at that sealer', async () => {
    // Given the loop is reading sealer-1's proposals (which still hold the vote) for another reason
    const fake = new FakeSealers(['sealer-1', 'sealer-2', 'sealer-3'])
    fake.sealers.get('sealer-1')!.proposals = {[x]: true}
    let restartedMidCycle = false
    fake.onExpression = (node, expression) => {
      // When sealer-1 restarts just as it answers that read: the answer came from the old process
      if (node === 'sealer-1' && expression === 'clique.proposals' && !restartedMidCycle) {
        restartedMidCycle = true
        const old = {...fake.sealers.get('sealer-1')!.proposals}
        fake.restart('sealer-1')
        return old
      }
      return undefined
    }
    await startLoop(fake, addX)
    // Then the restart is not lost: the vote is cast again (well before the periodic check)
    await until('the restart to happen mid-cycle', () => restartedMidCycle)
    await until('the vote back on sealer-1', () => fake.sealers.get('sealer-1')!.proposals[x])
  })

  it('waits for a restarted sealer that does not answer yet, then casts the vote', async () => {
    const fake = new FakeSealers(['sealer-1', 'sealer-2', 'sealer-3'])
    fake.sealers.get('sealer-1')!.proposals = {[x]: true}
    const loop = await startLoop(fake, addX)
    await until('a heartbeat', () => loop.status().catch(() => undefined))
    // When sealer-1 restarts but its IPC answers only a little later
    fake.sealers.get('sealer-1')!.answering = false
    fake.restart('sealer-1')
    await until('a failed attempt', () => loop.lines.some((l) => l.includes('Trying again')))
    fake.sealers.get('sealer-1')!.answering = true
    // Then the vote is cast once it answers, still for the restart
    await until('the vote back on sealer-1', () => fake.sealers.get('sealer-1')!.proposals[x])
    await until('the log line', () => loop.lines.some((l) => l.startsWith('sealer-1 restarted; re-cast vote')))
  })

  it('never casts again a vote it saw pass, even when the signer set changes back', async () => {
    // Given the vote to add x has passed (x is a signer) and sealer-1 no longer holds it
    const fake = new FakeSealers(['sealer-1', 'sealer-2', 'sealer-3'])
    fake.signers = [x]
    const loop = await startLoop(fake, addX)
    await until('the vote to be seen passed', async () => (await loop.status().catch(() => undefined))?.settled.length)
    expect((await loop.status()).settled).toEqual([`${x}@2025-01-01T00:00:00.000Z`])
    // When x is voted out elsewhere and sealer-1 restarts
    fake.signers = []
    fake.restart('sealer-1')
    await until('the restart to be handled', () => loop.lines.some((l) => l.startsWith('sealer-1 restarted')))
    // Then it does not vote x back in
    expect(fake.sealers.get('sealer-1')!.proposals).toEqual({})
    // But the same address recorded again (a new vote) is cast
    await loop.writeDesired({[x]: {...addX[x]!, proposedAt: '2025-02-01T00:00:00.000Z'}})
    await until('the new vote cast', () => fake.sealers.get('sealer-1')!.proposals[x])
  })

  it('discards at once a vote the tool withdrew while the loop was casting it', async () => {
    // Given sealer-1 lost the recorded vote
    const fake = new FakeSealers(['sealer-1', 'sealer-2', 'sealer-3'])
    let loop: Awaited<ReturnType<typeof startLoop>> | undefined
    let crossed = false
    fake.onExpression = async (node, expression) => {
      // When, just as the loop's cast reaches sealer-1, the tool withdraws the vote: it saves
      // the recorded votes without it, then discards it on the sealers; the cast lands after
      if (node === 'sealer-1' && expression.startsWith('clique.propose(') && !crossed) {
        crossed = true
        await loop!.writeDesired({})
      }
      return undefined
    }
    loop = await startLoop(fake, addX)
    await until('the cast to cross the withdrawal', () => crossed)
    // Then the loop reads the recorded votes again after casting, and discards it
    await until('the vote discarded', () =>
      loop!.lines.some((l) => l.includes('was withdrawn while it was being cast')),
    )
    expect(fake.sealers.get('sealer-1')!.proposals).toEqual({})
  })
})
