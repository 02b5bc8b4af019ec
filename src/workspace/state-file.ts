import {readFile} from 'node:fs/promises'

import type {z} from 'zod'

import {formatIssuePath} from '../config/parse-yaml-config.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {parseJson} from '../errors/parse-json.js'
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
      details: parsed.error.issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`),
      hint: 'Restore it from backup.',
    })
  }
  return parsed.data
}

/** Writes a state file whole or not at all (so a crash never leaves half a file), private to the user. */
export async function writeStateFile(paths: NetworkPaths, file: string, state: unknown): Promise<void> {
  await ensureStateDir(paths)
  await writeFileAtomically(file, `${JSON.stringify(state, null, 2)}\n`, 0o600)
}
