import {fileURLToPath} from 'node:url'

import {execa} from 'execa'

const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

/**
 * JSON a test parsed and is about to assert on, field by field. `unknown` would need a cast at each
 * of ~180 reads across the suites, and a wrong guess at a field fails the assertion anyway.
 */
// biome-ignore lint/suspicious/noExplicitAny: test-only parsed JSON, read field by field by the assertions (see above)
export type ParsedJson = any

export type MedrecRun = {exitCode: number; stdout: string; stderr: string; json: ParsedJson}

/** Runs the built CLI as a user would (a real process), with --json output parsed when present. */
export async function runMedrec(
  args: string[],
  options: {env?: Record<string, string>; timeoutMs?: number; input?: string} = {},
): Promise<MedrecRun> {
  const result = await execa(process.execPath, [bin, ...args], {
    reject: false,
    env: {...options.env, FORCE_COLOR: '0'},
    timeout: options.timeoutMs ?? 240_000,
    ...(options.input === undefined ? {stdin: 'ignore' as const} : {input: options.input}),
  })
  let json: unknown
  if (args.includes('--json')) {
    try {
      json = JSON.parse(result.stdout)
    } catch {
      json = undefined
    }
  }
  return {exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr, json}
}

/** A runner bound to one network directory (adds --dir and --json) that throws, with the output, on failure. */
export function medrecIn(dir: string): (...args: string[]) => Promise<ParsedJson> {
  return async (...args) => {
    const run = await runMedrec([...args, '--dir', dir, '--json'])
    if (run.exitCode !== 0) throw new Error(`medrec ${args.join(' ')} failed: ${run.stdout}\n${run.stderr}`)
    return run.json
  }
}

/**
 * Starts a long-running command (e.g. `gatekeeper start --json`) as a real process and
 * resolves with its first stdout line, parsed, once it is ready. `stop` sends SIGTERM and
 * waits for it to exit.
 */
export async function startMedrecServer(
  args: string[],
  timeoutMs = 60_000,
): Promise<{ready: ParsedJson; stop(): Promise<number | undefined>; output(): string}> {
  const child = execa(process.execPath, [bin, ...args, '--json'], {
    reject: false,
    env: {FORCE_COLOR: '0'},
    stdin: 'ignore',
    buffer: false,
  })
  let stdout = ''
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const ready = await new Promise<ParsedJson>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`medrec ${args.join(' ')} was not ready within ${timeoutMs} ms:\n${stdout}\n${stderr}`)),
      timeoutMs,
    )
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString()
      const newline = stdout.indexOf('\n')
      if (newline < 0) return
      clearTimeout(timer)
      try {
        const json = JSON.parse(stdout.slice(0, newline))
        if (json.error) reject(new Error(`medrec ${args.join(' ')} failed: ${stdout}`))
        else resolve(json)
      } catch {
        // A multi-line error document: wait for the exit below.
      }
    })
    void child.then((r) =>
      reject(new Error(`medrec ${args.join(' ')} exited (${r.exitCode}) before it was ready:\n${stdout}\n${stderr}`)),
    )
  })
  return {
    ready,
    output: () => `${stdout}\n${stderr}`,
    stop: async () => {
      child.kill('SIGTERM')
      return (await child).exitCode
    },
  }
}
