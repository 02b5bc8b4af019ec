import {createServer, type Server} from 'node:net'

import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {assertPortFree} from './port-check.js'

function listen(): Promise<{server: Server; port: number}> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => resolve({server, port: (server.address() as {port: number}).port}))
  })
}

describe('assertPortFree', () => {
  it('names the port and the config field when the port is taken', async () => {
    const {server, port} = await listen()
    try {
      await expect(assertPortFree('127.0.0.1', port, 'rpc.port')).rejects.toMatchObject({
        code: errorCodes.PORT_IN_USE,
        message: expect.stringContaining(`127.0.0.1:${port} (rpc.port)`),
      })
    } finally {
      server.close()
    }
  })

  it('passes for a free port and leaves it free', async () => {
    const {server, port} = await listen()
    await new Promise((resolve) => server.close(resolve))
    await assertPortFree('127.0.0.1', port, 'rpc.port')
    await assertPortFree('127.0.0.1', port, 'rpc.port')
  })
})
