// Test support: another Node process running our TypeScript sources, as a second medrec command
// in the same workspace would, that a test steers line by line (it prints a line, waits for one).
import {spawn} from 'node:child_process'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath, pathToFileURL} from 'node:url'

const repo = fileURLToPath(new URL('../../..', import.meta.url))

/** The file URL of a module of src/ (e.g. `workspace/state-file.ts`), for a script to import. */
export function sourceModuleUrl(pathInSrc: string): string {
  return pathToFileURL(join(repo, 'src', pathInSrc)).href
}

export type SourceProcess = {
  pid: number
  /** Resolves once the process printed the line `text` (rejects if it exits first). */
  printed(text: string): Promise<void>
  /** Sends one line to its stdin. */
  send(text: string): void
  /** Its exit code (null when killed). */
  exited: Promise<number | null>
  kill(): void
}

/**
 * Starts `script` (an ES module's text) in a new Node process; bench/ts-resolve-hook.mjs maps the
 * sources' `.js` specifiers to their `.ts` files. Its stderr is passed through, for a failure's cause.
 */
export function startSourceProcess(script: string): SourceProcess {
  const args = ['--import', join(repo, 'bench/ts-resolve-hook.mjs'), '--input-type=module', '-e', script]
  const child = spawn(process.execPath, args, {stdio: ['pipe', 'pipe', 'inherit']})
  const seen = new Set<string>()
  const waiting = new Map<string, () => void>()
  createInterface({input: child.stdout}).on('line', (line) => {
    seen.add(line)
    waiting.get(line)?.()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  return {
    pid: child.pid!,
    printed: (text) =>
      new Promise((resolve, reject) => {
        if (seen.has(text)) return resolve()
        waiting.set(text, resolve)
        void exited.then((code) => reject(new Error(`the process exited (${code}) before printing ${text}`)))
      }),
    send: (text) => child.stdin.write(`${text}\n`),
    exited,
    kill: () => child.kill('SIGKILL'),
  }
}

/** A script's line that waits for the line `text` on stdin. */
export const awaitLine = (text: string) => `
  await new Promise((resolve) => {
    let input = ''
    process.stdin.on('data', (chunk) => {
      input += chunk
      if (input.split('\\n').includes(${JSON.stringify(text)})) resolve()
    })
  })
`
