import {describe, expect, it} from 'vitest'

import {reconcilerLiveness} from './reconciler-status.js'

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
