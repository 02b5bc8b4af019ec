import {readFile} from 'node:fs/promises'

import type {z} from 'zod'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {describeIssues} from '../errors/zod-issues.js'
import {parseJson} from '../errors/parse-json.js'
import {withLockFile} from './file-lock.js'
import {ensureStateDir, writeFileAtomically, type NetworkPaths} from './network-files.js'

/**
 * Reads a state file the tool writes under `.medrec/` (a network's state.json, a member's
 * member-state.json) against its schema; undefined when there is none yet.
 */
export async function readStateFile<S extends z.ZodType>(file: string, schema: S): Promise<z.output<S> | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const json = parseJson(
    text,
    (cause) =>
      new MedrecError(errorCodes.STATE_INVALID, `${file} is not JSON.`, {
        hint: 'The tool writes this file atomically, so it was edited or damaged; restore it from backup.',
        cause,
      }),
  )
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    throw new MedrecError(errorCodes.STATE_INVALID, `${file} is not a state file this version understands.`, {
      details: describeIssues(parsed.error),
      hint: 'Restore it from backup.',
    })
  }
  return parsed.data
}

/** Writes a state file whole or not at all (so a crash never leaves half a file), private to the user. */
export async function writeStateFile(paths: NetworkPaths, file: string, state: unknown): Promise<void> {
  await ensureStateDir(paths)
  await writeStateText(file, state)
}

/** writeStateFile once `.medrec/` is known to exist. */
async function writeStateText(file: string, state: unknown): Promise<void> {
  await writeFileAtomically(file, `${JSON.stringify(state, null, 2)}\n`, 0o600)
}

export type UpdateStateFileOptions = {
  /** How long to wait for another process's lock on the file (ms); default defaultLockTimeoutMs. */
  lockTimeoutMs?: number
}

/**
 * Reads a state file, applies `mutate` to what it holds now and writes the result, under the
 * lock file `<file>.lock`, so two commands changing one workspace at once never lose each
 * other's changes. `mutate` gets undefined when there is no state yet, and returns the new
 * state, or undefined to leave the file as it is; it must change only the fields its caller
 * owns. The lock is held for this read and write only; a writer waits for it (STATE_LOCKED
 * when the wait runs out). Returns the state as the file now holds it.
 */
export async function updateStateFile<S extends z.ZodType>(
  paths: NetworkPaths,
  file: string,
  schema: S,
  mutate: (current: z.output<S> | undefined) => z.output<S> | undefined,
  options: UpdateStateFileOptions = {},
): Promise<z.output<S> | undefined> {
  await ensureStateDir(paths)
  const lock = {what: file, ...(options.lockTimeoutMs === undefined ? {} : {timeoutMs: options.lockTimeoutMs})}
  return withLockFile(`${file}.lock`, lock, async () => {
    const current = await readStateFile(file, schema)
    const next = mutate(current)
    if (next === undefined) return current
    await writeStateText(file, next)
    return next
  })
}

/** One kind of state file: where a workspace keeps it, its schema, and its two ways in. */
export interface StateFile<P extends NetworkPaths, T> {
  /** Reads the file against its schema; undefined when there is none yet. */
  read(paths: P): Promise<T | undefined>
  /** Changes it under its lock (updateStateFile): call once per change, never across long work. */
  update(paths: P, mutate: (current: T | undefined) => T | undefined): Promise<T | undefined>
}

/** Binds a state file's place in a workspace (`fileOf`) and its schema, once. */
export function stateFile<P extends NetworkPaths, S extends z.ZodType>(
  fileOf: (paths: P) => string,
  schema: S,
): StateFile<P, z.output<S>> {
  return {
    read: (paths) => readStateFile(fileOf(paths), schema),
    update: (paths, mutate) => updateStateFile(paths, fileOf(paths), schema, mutate),
  }
}
