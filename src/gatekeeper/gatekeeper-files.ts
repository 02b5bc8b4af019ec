import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import type {NetworkPaths} from '../workspace/network-files.js'
import type {RecordStoreSpec} from './open-record-store.js'

/** Where a provider's gatekeeper keeps its default SQLite store and its audit log. */
export function gatekeeperPaths(paths: NetworkPaths, provider: string): {dir: string; store: string; auditLog: string} {
  const dir = join(paths.stateDir, 'gatekeeper', provider)
  return {dir, store: join(dir, 'records.sqlite'), auditLog: join(dir, 'audit.log')}
}

/** Creates the gatekeeper's folder, readable by its owner only (it holds records). */
export async function ensureGatekeeperDir(
  paths: NetworkPaths,
  provider: string,
): Promise<ReturnType<typeof gatekeeperPaths>> {
  const files = gatekeeperPaths(paths, provider)
  await mkdir(files.dir, {recursive: true, mode: 0o700})
  return files
}

/**
 * The store a command names: SQLite (a file, by default the provider's own) or
 * PostgreSQL at the URL in MEDREC_POSTGRES_URL. The URL holds a password, so it is read
 * from the environment and never from a flag, which every user of the machine can see.
 */
export function gatekeeperStoreSpec(
  paths: NetworkPaths,
  provider: string,
  options: {kind: 'sqlite' | 'postgres'; sqliteFile?: string},
): RecordStoreSpec {
  if (options.kind === 'postgres') {
    const url = process.env.MEDREC_POSTGRES_URL
    if (!url)
      throw new MedrecError(
        errorCodes.INVALID_ARGUMENT,
        '--store postgres needs the database URL in the environment variable MEDREC_POSTGRES_URL.',
        {hint: 'export MEDREC_POSTGRES_URL=postgres://USER:PASSWORD@HOST:5432/DATABASE'},
      )
    return {kind: 'postgres', url}
  }
  return {kind: 'sqlite', path: options.sqliteFile ?? gatekeeperPaths(paths, provider).store}
}
