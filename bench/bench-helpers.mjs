// Shared by the benchmarks that drive the built CLI (bench/network-up.mjs, bench/sealer-add.mjs):
// running `medrec` as a user would, finding a free port, and the median of the runs.
// Plain JavaScript on purpose: these benchmarks run with `node` alone, after `npm run build`.
import {spawnSync} from 'node:child_process'
import {createServer} from 'node:net'
import {fileURLToPath} from 'node:url'

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))

/**
 * Runs the built CLI with `--json` in its own process and returns the parsed output and
 * the process's wall time in whole milliseconds; throws with the output when it fails.
 */
export function medrec(args) {
  const started = process.hrtime.bigint()
  const result = spawnSync(process.execPath, [bin, ...args, '--json'], {
    encoding: 'utf8',
    env: {...process.env, FORCE_COLOR: '0'},
  })
  const wallMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6)
  if (result.status !== 0) {
    throw new Error(`medrec ${args.join(' ')} failed (${result.status}): ${result.stdout}${result.stderr}`)
  }
  return {json: JSON.parse(result.stdout), wallMs}
}

/** A TCP port free on 127.0.0.1 now, found by binding port 0. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** The median of `xs` (the upper one of an even count), as the benchmarks have always reported it. */
export function median(xs) {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
}
