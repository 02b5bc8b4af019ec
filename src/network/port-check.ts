import {createServer} from 'node:net'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

/**
 * Fails with PORT_IN_USE when the host port cannot be bound. Run before anything is
 * created, so a busy port never leaves half a network behind.
 */
export async function assertPortFree(host: string, port: number, configPath: string): Promise<void> {
  const problem = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error))
    server.listen({host, port, exclusive: true}, () => server.close(() => resolve(undefined)))
  })
  if (!problem) return
  if (problem.code === 'EADDRINUSE') {
    throw new MedrecError(errorCodes.PORT_IN_USE, `Port ${host}:${port} (${configPath}) is already in use.`, {
      hint: `Stop whatever listens there, or choose another port: set ${configPath} in medrec.yaml. Nothing was \
created.`,
    })
  }
  if (problem.code === 'EADDRNOTAVAIL') {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `${host} (${configPath.replace(/port$/, 'host')}) is not an address of this machine.`,
      {
        hint: 'Use 127.0.0.1, or an address this machine has.',
      },
    )
  }
  throw new MedrecError(
    errorCodes.PORT_IN_USE,
    `Cannot bind ${host}:${port} (${configPath}): ${problem.code ?? problem.message}.`,
    {
      hint: `Choose another port in medrec.yaml (${configPath}). Nothing was created.`,
    },
  )
}
