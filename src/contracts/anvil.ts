import {spawn, type ChildProcess} from 'node:child_process'
import {createRequire} from 'node:module'
import {createServer} from 'node:net'
import {dirname, join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {MedrecError} from '../errors/medrec-error.js'
import {errorCodes} from '../errors/error-codes.js'
import {pollUntil} from '../wait/poll-until.js'

/** A running anvil process for tests and benchmarks. */
export type AnvilInstance = {
  rpcUrl: string
  port: number
  chainId: number
  /** Kills the process and resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>
}

export type StartAnvilOptions = {
  /** Extra command-line arguments, e.g. ['--accounts', '20'] or ['--no-mining']. */
  args?: string[]
  /** How long to wait for eth_chainId to answer; default 15 s. */
  readyTimeoutMs?: number
  /** Path to the anvil binary; default: the one shipped by @foundry-rs/anvil. */
  binary?: string
  /**
   * The chain id; default anvil's 31337. A network directory refuses that well-known id, so
   * tests that run the CLI's services against anvil pick one of their own.
   */
  chainId?: number
}

const ANVIL_CHAIN_ID = 31_337

/** Starts anvil on a free local port with the London hardfork and waits until it answers. */
export async function startAnvil(options: StartAnvilOptions = {}): Promise<AnvilInstance> {
  const binary = options.binary ?? anvilBinaryPath()
  const port = await findFreePort()
  const chainId = options.chainId ?? ANVIL_CHAIN_ID
  const rpcUrl = `http://127.0.0.1:${port}`
  const child = spawn(
    binary,
    [
      '--hardfork',
      'london',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--chain-id',
      String(chainId),
      '--quiet',
      ...(options.args ?? []),
    ],
    // stdout is ignored: an unread pipe would fill up and block anvil.
    {stdio: ['ignore', 'ignore', 'pipe']},
  )
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve))

  // If the caller dies without stop() (a crashed test run), anvil must not outlive it.
  const killOnExit = (): void => {
    child.kill('SIGKILL')
  }
  process.once('exit', killOnExit)
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit)
    await stopProcess(child, exited)
  }
  try {
    await waitForChainId(rpcUrl, options.readyTimeoutMs ?? 15_000, exited, spawnError, () => stderr)
  } catch (error) {
    await stop()
    throw error
  }
  return {rpcUrl, port, chainId, stop}
}

/** The anvil binary from the platform package that @foundry-rs/anvil depends on. */
export function anvilBinaryPath(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch
  const packageName = `@foundry-rs/anvil-${process.platform}-${arch}`
  const packageJson = createRequire(import.meta.url).resolve(`${packageName}/package.json`)
  return join(dirname(packageJson), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil')
}

/** Asks the OS for a free port: anvil needs a concrete one. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function waitForChainId(
  rpcUrl: string,
  timeoutMs: number,
  exited: Promise<number | null>,
  spawnError: Promise<Error>,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let failure: MedrecError | undefined
  void exited.then((code) => {
    failure = new MedrecError(errorCodes.NODE_FAILED, `anvil exited with code ${code} before it was ready.`, {
      details: stderr().split('\n').filter(Boolean).slice(-10),
      hint: 'Check that the anvil binary runs on this machine and that the port is free.',
    })
  })
  void spawnError.then((cause) => {
    failure = new MedrecError(errorCodes.NODE_FAILED, 'anvil could not be started.', {
      cause,
      hint: 'Reinstall @foundry-rs/anvil so its platform package provides the binary.',
    })
  })
  // A readiness probe with an explicit deadline: poll eth_chainId, backing off a little.
  await pollUntil(
    'anvil to answer eth_chainId',
    deadline,
    async () => {
      if (failure) throw failure
      return (await answersChainId(rpcUrl)) ? true : undefined
    },
    {
      interval: (attempt) => Math.min(10 * 2 ** attempt, 200),
      onTimeout: () => ({
        message: `anvil did not answer eth_chainId within ${timeoutMs} ms.`,
        details: stderr().split('\n').filter(Boolean).slice(-10),
        hint: 'The machine may be overloaded; retry or raise readyTimeoutMs.',
      }),
    },
  )
}

async function answersChainId(rpcUrl: string): Promise<boolean> {
  try {
    const response = await fetch(rpcUrl, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: []}),
      signal: AbortSignal.timeout(1000),
    })
    return response.ok
  } catch {
    return false
  }
}

async function stopProcess(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  // The grace timer is cancelled once anvil exits, so it does not hold the event loop open.
  const grace = new AbortController()
  const stopped = await Promise.race([
    exited.then(() => true),
    delay(5000, undefined, {signal: grace.signal}).then(
      () => false,
      () => true,
    ),
  ])
  grace.abort()
  if (!stopped) {
    child.kill('SIGKILL')
    await exited
  }
}
