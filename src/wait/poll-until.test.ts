import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {isPollTimeout, pollUntil} from './poll-until.js'

describe('pollUntil', () => {
  it('returns the first value the check yields', async () => {
    // Given a condition that holds on the third attempt
    let calls = 0
    // When polling for it
    const value = await pollUntil('three calls', Date.now() + 5000, async () => (++calls === 3 ? 'ready' : undefined), {
      interval: 1,
    })
    // Then its value is returned after exactly three attempts
    expect(value).toBe('ready')
    expect(calls).toBe(3)
  })

  it('checks once even when the deadline has passed, so a condition that already holds is seen', async () => {
    expect(await pollUntil('a past deadline', Date.now() - 1000, async () => 42)).toBe(42)
  })

  it('fails with READY_TIMEOUT naming what it awaited once the deadline passes', async () => {
    const started = Date.now()
    const error = await pollUntil('the moon to rise', started + 120, async () => undefined, {interval: 20}).catch(
      (e) => e,
    )
    expect(error).toBeInstanceOf(MedrecError)
    expect(error.code).toBe(errorCodes.READY_TIMEOUT)
    expect(error.message).toContain('the moon to rise')
    expect(Date.now() - started).toBeGreaterThanOrEqual(120)
  })

  it('names what is awaited at the moment it times out when given a function', async () => {
    let step = 0
    const error = await pollUntil(
      () => `step ${step}`,
      Date.now() + 50,
      async () => void step++,
      {interval: 5},
    ).catch((e) => e)
    expect(error.message).toContain(`step ${step}`)
    expect(step).toBeGreaterThan(1)
  })

  it('retries errors that are retryable and surfaces the others at once', async () => {
    // Given a check that fails twice with a retryable error, then succeeds
    let calls = 0
    const retryable = (e: unknown) => e instanceof Error && e.message === 'not yet'
    const value = await pollUntil(
      'retryable',
      Date.now() + 5000,
      async () => {
        if (++calls < 3) throw new Error('not yet')
        return 'done'
      },
      {interval: 1, retryable},
    )
    expect(value).toBe('done')
    // And a check that fails with another error
    let fatalCalls = 0
    const fatal = pollUntil(
      'fatal',
      Date.now() + 5000,
      async () => {
        fatalCalls++
        throw new Error('broken')
      },
      {interval: 1, retryable},
    )
    // Then that error is thrown after one attempt, without waiting for the deadline
    await expect(fatal).rejects.toThrow('broken')
    expect(fatalCalls).toBe(1)
  })

  it('treats every error as fatal by default', async () => {
    const boom = await pollUntil('x', Date.now() + 5000, async () => {
      throw new Error('boom')
    }).catch((e: unknown) => e)
    expect(boom).toEqual(new Error('boom'))
    // (a failure of the check is not the wait's timeout)
    expect(isPollTimeout(boom)).toBe(false)
    expect(isPollTimeout(await pollUntil('y', Date.now() - 1, async () => undefined).catch((e: unknown) => e))).toBe(
      true,
    )
    expect(isPollTimeout(new MedrecError(errorCodes.IPC_FAILED, 'no answer'))).toBe(false)
  })

  it('puts what each party was doing, from onTimeout, into the timeout error', async () => {
    const error = await pollUntil('the sealers', Date.now() + 20, async () => undefined, {
      interval: 5,
      onTimeout: async () => ({details: ['sealer-1: 0 peers', 'sealer-2: unlocking'], hint: 'Read the logs.'}),
    }).catch((e) => e)
    expect(error.code).toBe(errorCodes.READY_TIMEOUT)
    expect(error.message).toContain('the sealers')
    expect(error.details).toEqual(['sealer-1: 0 peers', 'sealer-2: unlocking'])
    expect(error.hint).toBe('Read the logs.')
  })

  it('lets onTimeout replace the message, and still times out when onTimeout itself fails', async () => {
    const replaced = await pollUntil('x', Date.now(), async () => undefined, {
      onTimeout: () => ({message: 'Not ready.'}),
    }).catch((e) => e)
    expect(replaced.message).toBe('Not ready.')
    const failing = await pollUntil('y', Date.now(), async () => undefined, {
      onTimeout: () => {
        throw new Error('cannot ask')
      },
    }).catch((e) => e)
    expect(failing.code).toBe(errorCodes.READY_TIMEOUT)
    expect(failing.message).toContain('y')
  })

  it('backs off by attempt when the interval is a function', async () => {
    const pauses: number[] = []
    let calls = 0
    await pollUntil('backoff', Date.now() + 5000, async () => (++calls === 4 ? true : undefined), {
      interval: (attempt) => {
        pauses.push(attempt)
        return 1
      },
    })
    expect(pauses).toEqual([0, 1, 2])
  })

  it('throws the abort reason, also while pausing', async () => {
    const controller = new AbortController()
    const reason = new Error('interrupted')
    const started = Date.now()
    setTimeout(() => controller.abort(reason), 30)
    const error = await pollUntil('never', Date.now() + 60_000, async () => undefined, {
      interval: 10_000,
      signal: controller.signal,
    }).catch((e) => e)
    expect(error).toBe(reason)
    expect(Date.now() - started).toBeLessThan(5000)
  })
})
