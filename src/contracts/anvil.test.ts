import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {startAnvil} from './anvil.js'

const chainIdAnswered = async (rpcUrl: string): Promise<boolean> =>
  fetch(rpcUrl, {
    method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: []}),
  }).then(
    (r) => r.ok,
    () => false,
  )

describe('startAnvil', () => {
  it('starts a London anvil that answers, and stop() kills it', async () => {
    // Given a started anvil
    const anvil = await startAnvil()
    // Then it answers eth_chainId
    expect(await chainIdAnswered(anvil.rpcUrl)).toBe(true)
    // When stopped (twice, which is harmless)
    await anvil.stop()
    await anvil.stop()
    // Then the port no longer answers
    expect(await chainIdAnswered(anvil.rpcUrl)).toBe(false)
  })

  it('fails fast with NODE_FAILED when the binary cannot start', async () => {
    // Given a binary that does not exist, When started, Then NODE_FAILED
    await expect(startAnvil({binary: '/nonexistent/anvil'})).rejects.toMatchObject({code: errorCodes.NODE_FAILED})
  })

  it('fails with NODE_FAILED when anvil exits before it is ready', async () => {
    // Given an argument anvil rejects, When started, Then NODE_FAILED, not a timeout
    await expect(startAnvil({args: ['--no-such-flag']})).rejects.toMatchObject({code: errorCodes.NODE_FAILED})
  })
})
