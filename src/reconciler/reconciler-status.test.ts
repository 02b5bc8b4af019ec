import {describe, expect, it} from 'vitest'

import type {ContainerEngine} from '../docker/container-engine.js'
import {reconcilerLiveness, readReconcilerStatusFile} from './reconciler-status.js'

const fresh = {heartbeatAgeMs: 3_000, staleAfterMs: 60_000, fromCurrentRun: true}

describe("the reconciler's liveness", () => {
  it('is alive while it runs and its heartbeat is fresh', () => {
    expect(reconcilerLiveness({enabled: true, container: {state: 'running', health: 'healthy'}, ...fresh})).toBe(
      'alive',
    )
    // Docker's check runs every 15 s: a fresh heartbeat counts before its first verdict
    expect(reconcilerLiveness({enabled: true, container: {state: 'running', health: 'starting'}, ...fresh})).toBe(
      'alive',
    )
  })

  it('is unhealthy when the heartbeat is stale or Docker says so', () => {
    const stale = {...fresh, heartbeatAgeMs: 61_000}
    expect(reconcilerLiveness({enabled: true, container: {state: 'running', health: 'healthy'}, ...stale})).toBe(
      'unhealthy',
    )
    expect(reconcilerLiveness({enabled: true, container: {state: 'running', health: 'unhealthy'}, ...fresh})).toBe(
      'unhealthy',
    )
  })

  it('is starting until the current run writes a heartbeat (an older run’s does not count)', () => {
    const running = {state: 'running', health: 'starting' as const}
    expect(reconcilerLiveness({enabled: true, container: running, ...fresh, heartbeatAgeMs: undefined})).toBe(
      'starting',
    )
    expect(reconcilerLiveness({enabled: true, container: running, ...fresh, fromCurrentRun: false})).toBe('starting')
  })

  it('names a crashed, stopped, missing or disabled reconciler', () => {
    expect(reconcilerLiveness({enabled: true, container: {state: 'restarting'}, ...fresh})).toBe('restarting')
    expect(reconcilerLiveness({enabled: true, container: {state: 'exited'}, ...fresh})).toBe('stopped')
    expect(reconcilerLiveness({enabled: true, container: undefined, ...fresh})).toBe('missing')
    expect(reconcilerLiveness({enabled: false, container: undefined, ...fresh})).toBe('disabled')
  })
})

describe("reading the reconciler's status file", () => {
  const whole = JSON.stringify({version: 1, startedAt: '2026-11-24T10:00:00Z', heartbeatAt: '2026-11-24T10:00:05Z'})

  /** The container's file as successive reads find it: text, or undefined where the read fails. */
  function reads(...files: (string | undefined)[]) {
    const paths: string[] = []
    const engine: Pick<ContainerEngine, 'readFile'> = {
      readFile: async (_id, path) => {
        paths.push(path)
        const file = files[Math.min(paths.length, files.length) - 1]
        if (file === undefined) throw new Error('the archive ended early')
        return Buffer.from(file)
      },
    }
    return {engine, paths}
  }

  it('reads again when a read crosses the loop replacing the file, and returns the whole file', async () => {
    // Given a read that fails, then one cut short, then the whole file
    const {engine, paths} = reads(undefined, whole.slice(0, 20), whole)
    // When network status reads it
    const status = await readReconcilerStatusFile(engine, 'c1')
    // Then it is the third read's, from the reconciler's data directory
    expect(status).toMatchObject({version: 1, heartbeatAt: '2026-11-24T10:00:05Z'})
    expect(paths).toEqual(Array(3).fill('/var/lib/medrec-reconciler/status.json'))
  })

  it('gives up after three reads of a file that never reads whole: no status yet, not an error', async () => {
    const {engine, paths} = reads('{"version": 1')
    expect(await readReconcilerStatusFile(engine, 'c1')).toBeUndefined()
    expect(paths).toHaveLength(3)
  })
})
