import {fileURLToPath} from 'node:url'

import {execa} from 'execa'

const bin = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export type MedrecRun = {exitCode: number; stdout: string; stderr: string; json: any}

/** Runs the built CLI as a user would (a real process), with --json output parsed when present. */
export async function runMedrec(args: string[], options: {env?: Record<string, string>; timeoutMs?: number; input?: string} = {}): Promise<MedrecRun> {
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
export function medrecIn(dir: string): (...args: string[]) => Promise<any> {
  return async (...args) => {
    const run = await runMedrec([...args, '--dir', dir, '--json'])
    if (run.exitCode !== 0) throw new Error(`medrec ${args.join(' ')} failed: ${run.stdout}\n${run.stderr}`)
    return run.json
  }
}
