// Test support: a second Node process that runs our TypeScript sources, as a second gatekeeper
// or `medrec gatekeeper import` would beside the one under test. Node strips the types itself;
// bench/ts-resolve-hook.mjs maps the sources' `.js` specifiers to their `.ts` files.
import {spawn} from 'node:child_process'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const repo = fileURLToPath(new URL('../../..', import.meta.url))

/** The file URL of a module of src/ (e.g. `gatekeeper/audit-log.ts`), for a script to import. */
export function sourceUrl(pathInSrc: string): string {
  return pathToFileURL(join(repo, 'src', pathInSrc)).href
}

/**
 * Runs `script` (an ES module's text, reading its arguments from `process.argv.slice(1)`) in a new
 * Node process, under `ulimit -f fileSizeLimitKiB` if given. Resolves with its stdout when it exits
 * with 0; rejects with its stderr otherwise.
 */
export function runSourceScript(
  script: string,
  args: string[],
  options: {env?: NodeJS.ProcessEnv; fileSizeLimitKiB?: number} = {},
): Promise<string> {
  const node = [
    process.execPath,
    '--import',
    join(repo, 'bench/ts-resolve-hook.mjs'),
    '--input-type=module',
    '-e',
    script,
    ...args,
  ]
  const [command, ...commandArgs] =
    options.fileSizeLimitKiB === undefined
      ? node
      : ['bash', '-c', `ulimit -f ${options.fileSizeLimitKiB} && exec "$0" "$@"`, ...node]
  return new Promise((resolve, reject) => {
    const child = spawn(command!, commandArgs, {env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`the script exited with ${code}: ${stderr}`)),
    )
  })
}
